//! `POST /webhooks/openai`, deprecated in favour of each credential's own URL and kept for a
//! release. The delivery is checked against the webhook secrets of the workspaces that have a
//! job with its provider job id (at most [`MAX_CANDIDATES`] of them). Unless one of those
//! secrets signed it, it gets the same 401 whether the job exists in another workspace, exists
//! without a secret, or does not exist at all; no other secret is tried.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{
    check_headers, process, provider_job_id, signing_key, Headers, Outcome, Rejection,
    SIGNATURE_MISMATCH,
};
use crate::app_context::AppContext;
use crate::entities::training_job;
use crate::workspaces::credentials;

/// Most jobs looked at for one provider job id (ids are unique per provider in practice), and
/// so most secrets tried on one delivery.
pub const MAX_CANDIDATES: u64 = 16;

/// Handles one delivery received at `now`: verify, de-duplicate, refresh.
pub async fn receive(
    app: &AppContext,
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Outcome, Rejection> {
    let delivery = check_headers(headers, body, now)?;
    let provider_job_id = provider_job_id(body)?;
    let candidates = training_job::Entity::find()
        .filter(training_job::Column::ProviderJobId.eq(provider_job_id))
        .limit(MAX_CANDIDATES)
        .all(&app.db)
        .await?;
    for job in candidates {
        let credential = credentials::find(&app.db, job.workspace_id, &job.provider).await?;
        let key = credential
            .and_then(|row| row.webhook_secret_ciphertext)
            .and_then(|sealed| signing_key(&app.secrets, &sealed));
        if key.is_some_and(|key| delivery.signed_with(&key)) {
            return process(app, &job, delivery, now).await;
        }
    }
    Err(Rejection::Unauthorized(SIGNATURE_MISMATCH))
}
