//! Cursor pagination: `?limit=` (1..=100, default 20) and an opaque
//! `?cursor=`; answers are `Page<T>` `{items, next_cursor}`.
//!
//! Cursors are keyset positions (a timestamp and an id, so ties on time are
//! broken by id), base64url-encoded with a version tag. A cursor that does
//! not decode is a 400.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::ApiError;

/// The default page size.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page size.
pub const MAX_LIMIT: u32 = 100;

/// The pagination query parameters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page size asked for.
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The decoded cursor, or 400 when it is not one the server issued. An
    /// empty `cursor=` is the first page, as a client that writes every
    /// parameter (with `next_cursor` still null) expects.
    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        self.cursor
            .as_deref()
            .filter(|cursor| !cursor.is_empty())
            .map(Cursor::decode)
            .transpose()
    }
}

/// The decoded cursor and page size of a list query whose pagination
/// fields sit beside its filters: 400 for a cursor the server did not issue.
pub fn page_of(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<(Option<Cursor>, u32), ApiError> {
    let params = PageParams {
        limit,
        cursor: cursor.map(str::to_owned),
    };
    Ok((params.cursor()?, params.limit()))
}

/// A keyset position: the last item's sort time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort timestamp of the last item served.
    pub at: NaiveDateTime,
    /// The id of the last item served.
    pub id: String,
}

const CURSOR_VERSION: &str = "c1";

impl Cursor {
    /// A cursor after the given item.
    pub fn new(at: NaiveDateTime, id: impl Into<String>) -> Self {
        Self { at, id: id.into() }
    }

    /// The opaque text form.
    pub fn encode(&self) -> String {
        let micros = self.at.and_utc().timestamp_micros();
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}|{micros}|{}", self.id))
    }

    /// Parses the text form; 400 when it is not a cursor this server issues.
    pub fn decode(raw: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::bad_request("the cursor is not valid");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = text.splitn(3, '|');
        let (Some(CURSOR_VERSION), Some(micros), Some(id)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let micros: i64 = micros.parse().map_err(|_| bad())?;
        let at = DateTime::from_timestamp_micros(micros)
            .ok_or_else(bad)?
            .naive_utc();
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad());
        }
        Ok(Self {
            at,
            id: id.to_owned(),
        })
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The cursor of the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra
    /// row only tells that a next page exists.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: u32,
        position: impl Fn(&R) -> Cursor,
        convert: impl FnMut(R) -> T,
    ) -> Self {
        let limit = limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|row| position(row).encode())
        } else {
            None
        };
        Self {
            items: rows.into_iter().map(convert).collect(),
            next_cursor,
        }
    }

    /// Converts the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Reads rows in keyset order, `batch` at a time from `fetch`, until
/// `limit + 1` of them pass `keep` or the rows run out: for filters SQL can
/// only narrow (an exact distance after a bounding box), so pages still
/// neither skip nor repeat. Feed the result to [`Page::from_rows`].
pub fn collect_filtered<R, T, E>(
    start: Option<&Cursor>,
    limit: u32,
    batch: i64,
    mut fetch: impl FnMut(Option<&Cursor>, i64) -> Result<Vec<R>, E>,
    position: impl Fn(&R) -> Cursor,
    mut keep: impl FnMut(R) -> Option<T>,
) -> Result<Vec<T>, E> {
    let wanted = limit as usize + 1;
    let mut kept = Vec::with_capacity(wanted);
    let mut after = start.cloned();
    loop {
        let rows = fetch(after.as_ref(), batch)?;
        let exhausted = (rows.len() as i64) < batch;
        if let Some(last) = rows.last() {
            after = Some(position(last));
        }
        for row in rows {
            if let Some(item) = keep(row) {
                kept.push(item);
                if kept.len() == wanted {
                    return Ok(kept);
                }
            }
        }
        if exhausted {
            return Ok(kept);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;

    #[test]
    fn cursors_round_trip() {
        let at = DateTime::from_timestamp_micros(1_763_700_000_123_456)
            .expect("valid")
            .naive_utc();
        let cursor = Cursor::new(at, "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10");
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        let nul = URL_SAFE_NO_PAD.encode("c1|0|a\u{0}b");
        assert_eq!(
            Cursor::decode(&nul)
                .expect_err("not issued")
                .status()
                .as_u16(),
            400,
            "a cursor that decodes to a NUL was never issued"
        );
    }

    #[test]
    fn foreign_cursors_are_bad_requests() {
        for raw in ["", "!!!", "bm9wZQ", &URL_SAFE_NO_PAD.encode("c2|1|x")] {
            let err = Cursor::decode(raw).expect_err("not a cursor");
            assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn filtered_collection_reads_batches_until_the_page_is_full() {
        let at = DateTime::from_timestamp(0, 0).expect("epoch").naive_utc();
        let rows: Vec<u32> = (0..50).collect();
        let mut calls = 0;
        let kept = collect_filtered(
            None,
            3,
            7,
            |after: Option<&Cursor>, n| {
                calls += 1;
                let start = after.map_or(0, |c| c.id.parse::<usize>().expect("ours") + 1);
                Ok::<_, ()>(rows.iter().copied().skip(start).take(n as usize).collect())
            },
            |r| Cursor::new(at, r.to_string()),
            |r| (r % 5 == 0).then_some(r),
        )
        .expect("no error");
        assert_eq!(kept, vec![0, 5, 10, 15]);
        assert_eq!(calls, 3);
    }

    #[test]
    fn pages_cut_the_extra_row_into_a_cursor() {
        let at = DateTime::from_timestamp(0, 0).expect("epoch").naive_utc();
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| Cursor::new(at, n.to_string()), |n| n);
        assert_eq!(page.items, vec![1, 2]);
        let next = Cursor::decode(page.next_cursor.as_deref().expect("more")).expect("ours");
        assert_eq!(next.id, "2");
        let last = Page::from_rows(vec![1, 2], 2, |n| Cursor::new(at, n.to_string()), |n| n);
        assert!(last.next_cursor.is_none());
    }
}
