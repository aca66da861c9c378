//! The one rule for control characters in client text, applied by the
//! extractors to every JSON string, query parameter, multipart text field
//! and filename before a handler sees them.
//!
//! U+0000 and the other C0 controls (and DEL) are refused with 422 naming
//! the field. Multi-line fields (descriptions, message bodies, offer
//! messages, comments, reasons, notes) also allow tab and line feed, and a
//! carriage return that precedes a line feed, which is stored as a line
//! feed. PostgreSQL cannot store U+0000 in text at all, so without this a
//! NUL byte was a 500 there.

use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// JSON field names whose values may span lines.
pub const MULTI_LINE_FIELDS: &[&str] = &[
    "description",
    "body",
    "message",
    "comment",
    "reason",
    "note",
];

/// Whether a field of this name may hold several lines.
pub fn is_multi_line(field: &str) -> bool {
    MULTI_LINE_FIELDS.contains(&field)
}

/// Whether `c` is white space as the document's patterns read `\s`
/// (ECMAScript's set, which JSON Schema validators use): the one
/// definition behind the not-blank and no-surrounding-space rules, so a
/// value the document allows is never refused for them (Rust's
/// `char::is_whitespace` also counts U+0085, and not U+FEFF).
pub fn is_pattern_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Whether `value` has nothing but [`is_pattern_space`] characters (the
/// document's `\S` pattern refuses it).
pub fn is_blank(value: &str) -> bool {
    value.chars().all(is_pattern_space)
}

/// Whether `value` starts or ends with [`is_pattern_space`] (the
/// document's `^\S(?:.*\S)?$` pattern refuses it).
pub fn is_padded(value: &str) -> bool {
    value.starts_with(is_pattern_space) || value.ends_with(is_pattern_space)
}

/// Whether `c` is refused in a single-line field.
fn is_control(c: char) -> bool {
    c.is_ascii_control()
}

/// Checks one text value; `Some(normalised)` when a multi-line value's CR LF
/// pairs were turned into LF, `None` when it was fine as it is.
pub fn check(field: &str, value: &str, multi_line: bool) -> Result<Option<String>, FieldError> {
    if !value.chars().any(is_control) {
        return Ok(None);
    }
    if !multi_line {
        return Err(refusal(field, false));
    }
    let mut chars = value.chars().peekable();
    let mut normalised = String::with_capacity(value.len());
    let mut changed = false;
    while let Some(c) = chars.next() {
        match c {
            '\t' | '\n' => normalised.push(c),
            '\r' if chars.peek() == Some(&'\n') => changed = true,
            c if is_control(c) => return Err(refusal(field, true)),
            c => normalised.push(c),
        }
    }
    Ok(changed.then_some(normalised))
}

/// Checks a single-line value (query parameters, filenames, multipart
/// fields other than a message body).
pub fn check_line(field: &str, value: &str) -> Result<(), FieldError> {
    check(field, value, false).map(|_| ())
}

fn refusal(field: &str, multi_line: bool) -> FieldError {
    let message = if multi_line {
        "must not contain control characters other than tab and line feed"
    } else {
        "must not contain control characters"
    };
    FieldError::new(field, message)
}

/// Whether raw JSON text may hold a control character inside a string:
/// JSON can only carry one escaped (`\u00XX`, `\b`, `\f`, `\n`, `\r`, `\t`),
/// so a body without such an escape needs no walk.
pub fn json_may_hold_controls(body: &[u8]) -> bool {
    body.windows(2).any(|pair| {
        pair[0] == b'\\' && matches!(pair[1], b'u' | b'U' | b'b' | b'f' | b'n' | b'r' | b't')
    })
}

/// Checks every string of a JSON document, naming each by its path
/// (`location.address`, `items[2].title`), and normalises the line ends of
/// multi-line fields in place. Object keys are checked as single-line text.
pub fn check_json(value: &mut Value) -> Result<(), ApiError> {
    walk(value, "", None).map_err(|field| ApiError::validation(vec![field]))
}

fn walk(value: &mut Value, path: &str, key: Option<&str>) -> Result<(), FieldError> {
    match value {
        Value::String(text) => {
            let field = if path.is_empty() { "body" } else { path };
            let multi_line = key.is_some_and(is_multi_line);
            if let Some(normalised) = check(field, text, multi_line)? {
                *text = normalised;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter_mut()
            .enumerate()
            .try_for_each(|(index, item)| walk(item, &format!("{path}[{index}]"), key)),
        Value::Object(fields) => fields.iter_mut().try_for_each(|(name, item)| {
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            check_line(&child, name)?;
            walk(item, &child, Some(name))
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_padded_read_space_as_the_documents_patterns_do() {
        assert!(is_blank(" \t\u{3000}\u{feff}"));
        assert!(!is_blank("\u{85}"), "NEL is no ECMAScript space");
        assert!(is_padded(" Ana") && is_padded("Ana\u{a0}"));
        assert!(!is_padded("Ana\u{85}") && !is_padded("Ana"));
    }
    use serde_json::json;

    fn field_of(err: &ApiError) -> String {
        err.field_errors()[0].field.clone()
    }

    fn refused(err: FieldError) -> ApiError {
        ApiError::validation(vec![err])
    }

    #[test]
    fn nul_and_other_controls_are_refused_in_single_line_text() {
        for bad in ["a\u{0}b", "\u{1}", "tab\there", "line\nfeed", "del\u{7f}"] {
            let err = refused(check_line("name", bad).expect_err(bad));
            assert_eq!(err.status().as_u16(), 422);
            assert_eq!(field_of(&err), "name");
        }
        assert!(check_line("name", "Ana María 🛠").is_ok());
    }

    #[test]
    fn multi_line_text_keeps_tabs_and_line_feeds_and_drops_cr_before_lf() {
        assert_eq!(check("body", "a\tb\nc", true).expect("fine"), None);
        assert_eq!(
            check("body", "one\r\ntwo", true).expect("fine").as_deref(),
            Some("one\ntwo")
        );
        assert!(check("body", "lone\rcr", true).is_err());
        assert!(check("body", "nul\u{0}", true).is_err());
    }

    #[test]
    fn json_strings_are_checked_by_path_and_normalised() {
        let mut value =
            json!({"title": "ok", "description": "x\r\ny", "location": {"address": "a\u{0}"}});
        let err = check_json(&mut value).expect_err("nul in the address");
        assert_eq!(field_of(&err), "location.address");

        let mut value = json!({"items": [{"note": "a\r\nb"}, {"title": "t\u{1f}"}]});
        let err = check_json(&mut value).expect_err("unit separator in a title");
        assert_eq!(field_of(&err), "items[1].title");

        let mut value = json!({"description": "x\r\ny", "tags": ["a", "b"]});
        check_json(&mut value).expect("fine");
        assert_eq!(value["description"], "x\ny");
    }

    #[test]
    fn only_bodies_with_escapes_need_a_walk() {
        assert!(!json_may_hold_controls(br#"{"title":"plain"}"#));
        assert!(json_may_hold_controls(br#"{"title":"a\u0000"}"#));
        assert!(json_may_hold_controls(br#"{"body":"a\nb"}"#));
    }
}
