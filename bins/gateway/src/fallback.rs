//! Answers for requests no route takes: 405 with `Allow` when the path exists
//! under another method, 404 otherwise, both as problem+json.
//!
//! The table of paths is read from the OpenAPI document, which lists every
//! route the gateway mounts, so the two cannot disagree.

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use quickfix_shared::{ApiError, ErrorCode};
use utoipa::openapi::OpenApi;

/// Every documented path with its methods.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, BTreeSet<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    /// The routes of a document.
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = split(path)
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(method, _)| method.to_owned())
                .collect();
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods allowed on a concrete path, if any route matches it. As
    /// in OpenAPI, a concrete segment wins over a templated one, so
    /// `/jobs/estimate` allows what that path documents, not `/jobs/{id}`'s.
    pub fn allowed(&self, path: &str) -> Option<BTreeSet<String>> {
        let parts: Vec<&str> = split(path).collect();
        self.routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(seg, part)| match seg {
                        Segment::Param => !part.is_empty(),
                        Segment::Literal(lit) => lit == part,
                    })
            })
            .max_by_key(|(segments, _)| {
                segments
                    .iter()
                    .map(|seg| matches!(seg, Segment::Literal(_)))
                    .collect::<Vec<_>>()
            })
            .map(|(_, methods)| methods.clone())
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
}

/// The default service.
pub async fn not_matched(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    let error = match table.allowed(req.path()) {
        Some(methods) if !methods.contains(req.method().as_str()) => {
            ApiError::method_not_allowed(methods.into_iter().collect::<Vec<_>>().join(", "))
        }
        _ => ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no route matches this path",
        ),
    };
    error.error_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concrete_path_allows_its_own_methods_not_its_templated_neighbours() {
        let table = RouteTable::from_openapi(&crate::openapi::document());
        let methods = |path: &str| {
            table
                .allowed(path)
                .map(|m| m.into_iter().collect::<Vec<_>>())
        };
        assert_eq!(
            methods("/api/v1/jobs/estimate"),
            Some(vec!["POST".to_owned()])
        );
        assert_eq!(
            methods("/api/v1/jobs/0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10"),
            Some(vec!["GET".to_owned(), "PATCH".to_owned()])
        );
        assert_eq!(methods("/api/v1/nothing/here"), None);
    }
}
