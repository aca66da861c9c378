//! Reports: anyone reports what they can see; admins work the queue.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AdminUser, AuthUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, page_of};

use crate::dto::{
    AdminReportResponse, CreateReportRequest, DismissReportRequest, ListReportsQuery,
    ReportResponse, ResolutionAction, ResolveReportRequest,
};
use crate::error::UsersError;
use crate::service;
use crate::{UsersState, events};

/// Reports a user, job, offer, message or rating the caller can see (else
/// 404, so reporting cannot probe for objects); the admins see it as it is
/// now, whatever happens to it later. The caller's open report of the same
/// target again: 200 with it.
#[utoipa::path(
    tag = "reports",
    operation_id = "create_report",
    request_body = CreateReportRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The report.", body = ReportResponse),
        (status = 200, description = "The caller's open report of this target.", body = ReportResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/reports")]
pub async fn create_report(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    body: ValidJson<CreateReportRequest>,
) -> Result<HttpResponse, ApiError> {
    let (report, created) =
        crate::commands::file_report(&pool, &state.moderation, user, body.into_inner()).await?;
    let mut answer = if created {
        let mut created = HttpResponse::build(StatusCode::CREATED);
        created.insert_header((LOCATION, "/api/v1/reports"));
        created
    } else {
        HttpResponse::Ok()
    };
    Ok(answer.json(ReportResponse::from(&report)))
}

/// The report queue (admins), oldest first, with `status` and `kind`
/// filters; each with the target as it was when reported.
#[utoipa::path(
    tag = "admin",
    operation_id = "list_reports",
    params(ListReportsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reports.", body = Page<AdminReportResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/reports")]
pub async fn list_reports(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
    query: Result<ValidQuery<ListReportsQuery>, ApiError>,
) -> Result<web::Json<Page<AdminReportResponse>>, ApiError> {
    let query = query?;
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let status = query.status.map(|s| s.as_str());
    let kind = query.kind.map(|k| k.as_str());
    let page = db::run(&pool, move |conn| {
        service::admin_list_reports(conn, status, kind, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(page.map(|r| AdminReportResponse::from(&r))))
}

/// Resolves an open report (admins): `none` closes it, `hide` hides the
/// target (jobs, messages, ratings; the owning crate does it), and
/// `suspend_user` suspends the target's author until lifted (their tokens
/// and sockets end at once). In the modlog. Closed already: 409
/// `report_closed`.
#[utoipa::path(
    tag = "admin",
    operation_id = "resolve_report",
    request_body = ResolveReportRequest,
    params(("id" = String, Path, description = "The report's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report, resolved.", body = AdminReportResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/reports/{id}/resolve")]
pub async fn resolve_report(
    admin: AdminUser,
    pool: web::Data<DbPool>,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
    body: Result<ValidJson<ResolveReportRequest>, ApiError>,
) -> Result<web::Json<AdminReportResponse>, ApiError> {
    let body = body?;
    let id = path.into_inner();
    let ResolveReportRequest { action, note } = body.into_inner();
    let note = note.trim().to_owned();
    let lookup = id.clone();
    let report = db::run(&pool, move |conn| service::get_report(conn, &lookup)).await?;
    if report.status != "open" {
        return Err(UsersError::ReportClosed.into());
    }
    if action == ResolutionAction::Hide {
        // The owning crate hides it in its own transaction (with its modlog
        // line); hiding again on a retry is harmless.
        let kind = quickfix_shared::moderation::TargetKind::parse(&report.target_kind)
            .ok_or_else(|| ApiError::internal("a report of an unknown kind"))?;
        state
            .moderation_of(kind)?
            .hide(
                kind,
                report.target_id.clone(),
                admin.id.clone(),
                note.clone(),
            )
            .await?;
    }
    let actor = admin.id.clone();
    let suspended = (action == ResolutionAction::SuspendUser)
        .then(|| events::activation(&report.target_author_id, false, admin.id.as_str()));
    let author = report.target_author_id.clone();
    let closed = relay
        .run(move |conn| {
            let closed = service::close_report(conn, &actor, &id, Some(action.as_str()), &note)?;
            Ok::<_, UsersError>((closed, suspended.into_iter().collect()))
        })
        .await?;
    if action == ResolutionAction::SuspendUser {
        state.logins_ended(&author, None);
    }
    Ok(web::Json(AdminReportResponse::from(&closed)))
}

/// Dismisses an open report (admins): nothing against the rules. In the
/// modlog. Closed already: 409 `report_closed`.
#[utoipa::path(
    tag = "admin",
    operation_id = "dismiss_report",
    request_body = DismissReportRequest,
    params(("id" = String, Path, description = "The report's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report, dismissed.", body = AdminReportResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/reports/{id}/dismiss")]
pub async fn dismiss_report(
    admin: AdminUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    body: Result<ValidJson<DismissReportRequest>, ApiError>,
) -> Result<web::Json<AdminReportResponse>, ApiError> {
    let body = body?;
    let id = path.into_inner();
    let note = body.into_inner().note.trim().to_owned();
    let closed = crate::commands::close_report(&pool, admin.id.clone(), id, false, note).await?;
    Ok(web::Json(AdminReportResponse::from(&closed)))
}
