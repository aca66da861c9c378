//! `GET /api/v1/admin/tasks`: the durable scheduler's work, newest due
//! first: what waits, what was done, what keeps failing.

use actix_web::{get, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AdminUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidQuery;
use quickfix_shared::openapi::{
    BadRequest, Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::{Cursor, Page, page_of};
use quickfix_shared::tasks::{self, Task};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// `GET /admin/tasks` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTasksQuery {
    /// Only the tasks not done yet.
    pub pending: Option<bool>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A scheduled task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskResponse {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// What it does: `rating.reveal` (a lone rating's reveal), ...
    #[schema(example = "rating.reveal")]
    pub kind: String,
    /// What it is about (a booking, an offer, a job).
    pub subject_id: String,
    /// When it is (or was) due; a failed task's next try.
    pub due_at: chrono::DateTime<chrono::Utc>,
    /// Tries so far.
    pub attempts: i32,
    /// Why the last try failed.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// When it was done; null while it waits.
    #[schema(required = true)]
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<Task> for TaskResponse {
    fn from(task: Task) -> Self {
        Self {
            id: task.id,
            kind: task.kind,
            subject_id: task.subject_id,
            due_at: task.due_at.and_utc(),
            attempts: task.attempts,
            last_error: task.last_error,
            done_at: task.done_at.map(|at| at.and_utc()),
        }
    }
}

/// The scheduled tasks, newest due first (filter `pending=true`).
#[utoipa::path(
    tag = "admin",
    operation_id = "list_tasks",
    params(ListTasksQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tasks, newest due first.", body = Page<TaskResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/tasks")]
pub async fn list_tasks(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
    query: Result<ValidQuery<ListTasksQuery>, ApiError>,
) -> Result<web::Json<Page<TaskResponse>>, ApiError> {
    let query = query?;
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let pending = query.pending.unwrap_or(false);
    let rows = db::run(&pool, move |conn| {
        tasks::list_tasks(conn, pending, cursor.as_ref(), i64::from(limit) + 1)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |task| Cursor::new(task.due_at, task.id.clone()),
        TaskResponse::from,
    )))
}
