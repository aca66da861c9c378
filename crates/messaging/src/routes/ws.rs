//! The WebSocket upgrade. The token is checked before the upgrade, so a
//! missing or bad one gets a plain 401 problem; it is never logged (the
//! gateway logs only the path, never the query string).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, JwtKeys, LEEWAY_SECS, SharedAccountGate, bearer_token};
use quickfix_shared::db::DbPool;
use quickfix_shared::openapi::{BadRequest, ServiceUnavailable, Unauthorized};
use tokio::time::Instant;

use crate::MessagingState;
use crate::realtime::session::{self, Context};

/// The subprotocol a client names to pass its token as the next one.
const BEARER_PROTOCOL: &str = "bearer";

/// The access token of an upgrade request: `Authorization: Bearer`, then
/// `Sec-WebSocket-Protocol: bearer, <jwt>`, then `?access_token=`.
fn token_of(req: &HttpRequest) -> Option<String> {
    if let Some(token) = bearer_token(req) {
        return Some(token.to_owned());
    }
    for value in req.headers().get_all(header::SEC_WEBSOCKET_PROTOCOL) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        let mut offered = value.split(',').map(str::trim);
        while let Some(protocol) = offered.next() {
            if protocol.eq_ignore_ascii_case(BEARER_PROTOCOL)
                && let Some(token) = offered.next().filter(|t| !t.is_empty())
            {
                return Some(token.to_owned());
            }
        }
    }
    form_token(req.query_string())
}

fn form_token(query: &str) -> Option<String> {
    web::Query::<std::collections::HashMap<String, String>>::from_query(query)
        .ok()?
        .into_inner()
        .remove("access_token")
        .filter(|t| !t.is_empty())
}

/// Opens the real-time socket. The access token comes as the
/// `access_token` query parameter or as `Sec-WebSocket-Protocol: bearer,
/// <jwt>` (the server then answers with the `bearer` subprotocol). The
/// frames are described in `docs/asyncapi.yaml`. The socket closes with
/// 4001 when the token expires (reconnect with a fresh one and catch up
/// with `GET /conversations/{id}/messages?after=`).
#[utoipa::path(
    tag = "realtime",
    operation_id = "connect_ws",
    params(
        ("access_token" = Option<String>, Query, description = "The access token (browsers cannot set headers on a WebSocket)."),
        ("Sec-WebSocket-Protocol" = Option<String>, Header, description = "`bearer, <access token>`: the token as a subprotocol; the server answers `bearer`."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 101, description = "Switching Protocols: the socket speaks the frames of docs/asyncapi.yaml."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/ws")]
pub async fn connect_ws(
    req: HttpRequest,
    payload: web::Payload,
    pool: web::Data<DbPool>,
    state: web::Data<MessagingState>,
    keys: web::Data<JwtKeys>,
) -> Result<HttpResponse, ApiError> {
    let token =
        token_of(&req).ok_or_else(|| ApiError::unauthorized("an access token is required"))?;
    let user = AuthUser::from_token(&req, &token).await?;
    let claims = keys.verify(&token)?;
    let remaining = claims
        .exp
        .saturating_add(LEEWAY_SECS as i64)
        .saturating_sub(chrono::Utc::now().timestamp())
        .max(0);
    let expires = Instant::now() + std::time::Duration::from_secs(remaining.unsigned_abs());
    let (response, ws_session, stream) =
        actix_ws::handle_with_protocols(&req, payload, &[BEARER_PROTOCOL])
            .map_err(|_| ApiError::bad_request("expected a WebSocket upgrade request"))?;
    // Joined before the 101 is answered, so nothing published after the
    // client sees the upgrade can miss the socket.
    let connection = state
        .hub
        .connect(&user.id, &user.session, state.quotas.sockets_per_user());
    let context = Context {
        pool,
        state,
        gate: req.app_data::<web::Data<SharedAccountGate>>().cloned(),
        user,
        expires,
    };
    actix_web::rt::spawn(session::run(context, connection, ws_session, stream));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn tokens_come_from_the_subprotocol_or_the_query() {
        let req = TestRequest::default()
            .insert_header((header::SEC_WEBSOCKET_PROTOCOL, "bearer, abc.def.ghi"))
            .to_http_request();
        assert_eq!(token_of(&req).as_deref(), Some("abc.def.ghi"));
        let req = TestRequest::with_uri("/api/v1/ws?access_token=t1").to_http_request();
        assert_eq!(token_of(&req).as_deref(), Some("t1"));
        let req = TestRequest::with_uri("/api/v1/ws?access_token=").to_http_request();
        assert_eq!(token_of(&req), None);
        let req = TestRequest::default()
            .insert_header((header::SEC_WEBSOCKET_PROTOCOL, "bearer"))
            .to_http_request();
        assert_eq!(token_of(&req), None);
    }
}
