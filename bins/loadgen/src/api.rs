//! The few calls of the public API that seeding and the workloads need.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::target::Target;

/// The password every seeded account gets.
pub const PASSWORD: &str = "loadgen-password-1";

/// Per-request timeout: a stuck request is an error, never a hang.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A seeded account and its current tokens.
#[derive(Debug, Clone)]
pub struct User {
    /// User id.
    pub id: String,
    /// Login email.
    pub email: String,
    /// Bearer access token.
    pub access_token: String,
    /// Refresh token (single use; replaced on refresh).
    pub refresh_token: String,
}

/// A keep-alive HTTP client bound to the target.
#[derive(Debug, Clone)]
pub struct Api {
    http: Client,
    target: Target,
}

/// An unexpected answer, with its status when there was one.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status, if the server answered.
    pub status: Option<StatusCode>,
    /// What went wrong, for people.
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "{status}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl ApiError {
    fn transport(err: &reqwest::Error) -> ApiError {
        ApiError {
            status: None,
            message: format!("request failed: {err}"),
        }
    }
}

impl Api {
    /// A client whose pool keeps up to `pool` idle connections to the target.
    pub fn new(target: Target, pool: usize) -> Result<Api, String> {
        let http = Client::builder()
            .pool_max_idle_per_host(pool)
            .pool_idle_timeout(Duration::from_secs(90))
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(Api { http, target })
    }

    /// The underlying client.
    pub fn http(&self) -> &Client {
        &self.http
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The URL of `path` on the target.
    pub fn url(&self, path: &str) -> String {
        self.target.url(path)
    }

    /// POSTs `body` and returns the status and JSON answer.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<(StatusCode, Value), ApiError> {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| ApiError::transport(&e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::transport(&e))?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// POSTs and insists on `expected`.
    pub async fn post_expect(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        expected: &[StatusCode],
    ) -> Result<Value, ApiError> {
        let (status, value) = self.post(path, token, body).await?;
        if expected.contains(&status) {
            Ok(value)
        } else {
            Err(ApiError {
                status: Some(status),
                message: format!(
                    "POST {path}: {}",
                    value
                        .get("detail")
                        .and_then(Value::as_str)
                        .unwrap_or("unexpected answer")
                ),
            })
        }
    }

    /// Registers an account (customer or provider).
    pub async fn register(&self, email: &str, role: &str, name: &str) -> Result<User, ApiError> {
        let body = json!({"email": email, "password": PASSWORD, "role": role, "name": name});
        let value = self
            .post_expect("/api/v1/auth/register", None, &body, &[StatusCode::CREATED])
            .await?;
        user_from_auth(&value, email)
    }

    /// Swaps the user's refresh token for a new pair.
    pub async fn refresh(&self, user: &mut User) -> Result<(), ApiError> {
        let body = json!({"refresh_token": user.refresh_token});
        let value = self
            .post_expect("/api/v1/auth/refresh", None, &body, &[StatusCode::OK])
            .await?;
        let fresh = user_from_auth(&value, &user.email)?;
        user.access_token = fresh.access_token;
        user.refresh_token = fresh.refresh_token;
        Ok(())
    }

    /// Posts an open job as `customer` and returns its id.
    pub async fn create_job(&self, customer: &User, n: usize) -> Result<String, ApiError> {
        let value = self
            .post_expect(
                "/api/v1/jobs",
                Some(&customer.access_token),
                &job_body(n),
                &[StatusCode::CREATED],
            )
            .await?;
        string_field(&value, "id")
    }
}

/// The body of the `n`th seeded job: categories, budgets and places vary.
pub fn job_body(n: usize) -> Value {
    const CATEGORIES: [&str; 10] = [
        "plumbing",
        "electrical",
        "cleaning",
        "carpentry",
        "painting",
        "moving",
        "appliance-repair",
        "gardening",
        "hvac",
        "other",
    ];
    let spread = (n % 1000) as f64 / 1000.0;
    json!({
        "title": format!("Benchmark job {n}: fix the kitchen sink"),
        "description": "Water drips from the pipe under the sink; needs a new seal and a check of the trap.",
        "category": CATEGORIES[n % CATEGORIES.len()],
        "budget_cents": 5_000 + (n % 50) as i64 * 1_000,
        "location": {
            "address": format!("Rua Augusta {}, Lisboa", n % 500 + 1),
            "lat": 38.70 + spread * 0.1,
            "lng": -9.15 + spread * 0.1,
        },
    })
}

fn string_field(value: &Value, field: &str) -> Result<String, ApiError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError {
            status: None,
            message: format!("the answer has no `{field}`"),
        })
}

fn user_from_auth(value: &Value, email: &str) -> Result<User, ApiError> {
    let user = value.get("user").cloned().unwrap_or(Value::Null);
    Ok(User {
        id: string_field(&user, "id")?,
        email: email.to_owned(),
        access_token: string_field(value, "access_token")?,
        refresh_token: string_field(value, "refresh_token")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_bodies_stay_within_the_contract_limits() {
        for n in [0, 1, 999, 10_000] {
            let body = job_body(n);
            let lat = body["location"]["lat"].as_f64().expect("lat");
            let lng = body["location"]["lng"].as_f64().expect("lng");
            assert!((-90.0..=90.0).contains(&lat));
            assert!((-180.0..=180.0).contains(&lng));
            let title = body["title"].as_str().expect("title");
            assert!(title.chars().count() <= 120);
        }
    }

    #[test]
    fn an_auth_answer_becomes_a_user() {
        let answer = json!({"user": {"id": "u1"}, "access_token": "a", "refresh_token": "r"});
        let user = user_from_auth(&answer, "x@example.com").expect("complete answer");
        assert_eq!(user.id, "u1");
        assert_eq!(user.refresh_token, "r");
        assert!(user_from_auth(&json!({"user": {}}), "x@example.com").is_err());
    }
}
