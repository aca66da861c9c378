//! Provider verification documents' bodies.

use super::*;
use crate::models::{Verification, VerificationFile};

/// Where a provider's verification stands, as the profile shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileVerification {
    /// Nothing submitted.
    None,
    /// Documents wait for an admin.
    Pending,
    /// Verified (documents approved, or v1's direct verification).
    Verified,
    /// The last documents were rejected.
    Rejected,
}

impl ProfileVerification {
    /// What `user`'s profile shows.
    pub fn of(user: &User) -> Self {
        match user.verification.as_str() {
            _ if user.verified => ProfileVerification::Verified,
            "pending" => ProfileVerification::Pending,
            "rejected" => ProfileVerification::Rejected,
            _ => ProfileVerification::None,
        }
    }
}

/// A submission's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Waits for an admin.
    Pending,
    /// Approved: the provider is verified.
    Approved,
    /// Rejected, with a reason.
    Rejected,
}

impl VerificationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::Pending => "pending",
            VerificationStatus::Approved => "approved",
            VerificationStatus::Rejected => "rejected",
        }
    }
}

/// A file of a submission (its bytes at
/// `/api/v1/verifications/{id}/files/{file_id}`, for the provider and
/// admins only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationFileResponse {
    /// Id.
    pub id: String,
    /// The uploaded name.
    pub filename: String,
    /// `image/png`, `image/jpeg` or `application/pdf`, read from the bytes.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
}

/// A provider's verification submission.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationResponse {
    /// Id.
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// Its state.
    pub status: VerificationStatus,
    /// The files, in upload order.
    pub files: Vec<VerificationFileResponse>,
    /// Why it was rejected; null otherwise.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// Submitted.
    pub submitted_at: DateTime<Utc>,
    /// Approved or rejected; null while pending.
    #[schema(required = true)]
    pub decided_at: Option<DateTime<Utc>>,
}

impl VerificationResponse {
    /// The answer for a stored submission and its files.
    pub fn of(verification: &Verification, files: &[VerificationFile]) -> Self {
        Self {
            id: verification.id.clone(),
            provider_id: verification.provider_id.clone(),
            status: match verification.status.as_str() {
                "approved" => VerificationStatus::Approved,
                "rejected" => VerificationStatus::Rejected,
                _ => VerificationStatus::Pending,
            },
            files: files
                .iter()
                .map(|f| VerificationFileResponse {
                    id: f.id.clone(),
                    filename: f.filename.clone(),
                    content_type: f.content_type.clone(),
                    size: f.size,
                })
                .collect(),
            reason: verification.reason.clone(),
            submitted_at: verification.submitted_at.and_utc(),
            decided_at: verification.decided_at.map(|t| t.and_utc()),
        }
    }
}

/// `POST /providers/me/verification` body, for the document.
#[derive(Debug, ToSchema)]
pub struct VerificationUpload {
    /// 1..5 PNG, JPEG or PDF files (field `files`, repeated), together
    /// within the upload limit; the type is read from the bytes.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 5)]
    pub files: Vec<Vec<u8>>,
}

/// `POST /admin/verifications/{id}/reject`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct RejectVerificationRequest {
    /// Why (1..500 characters), shown to the provider.
    #[schema(min_length = 1, max_length = 500)]
    #[schema(example = "The document is unreadable; please upload a sharper scan.")]
    pub reason: String,
}

/// `GET /admin/verifications` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListVerificationsQuery {
    /// Only submissions in this state.
    pub status: Option<VerificationStatus>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
