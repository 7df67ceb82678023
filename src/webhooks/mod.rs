//! Provider webhooks (`POST /webhooks/openai`): a signed delivery says a job changed; tuner
//! checks the signature with the job's workspace secret, handles each delivery once, and asks
//! the provider about the job at once instead of waiting for the poller. A delivery about a job
//! tuner does not know is answered only when some workspace's secret signed it, so an unsigned
//! caller cannot learn which job ids tuner knows.

pub mod signature;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::Deserialize;

use crate::entities::{provider_credential, training_job, webhook_delivery};
use crate::error::{is_unique_violation, Error};
use crate::secrets::SecretBox;
use crate::training_jobs::{tracking, TrainingSettings};
use crate::workspaces::credentials;

/// Largest delivery body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest `webhook-id` accepted (the length of its column).
const MAX_ID_CHARS: usize = 256;
/// Most jobs looked at for one provider job id (ids are unique per provider in practice).
const MAX_CANDIDATES: u64 = 16;
/// Most webhook secrets tried on a delivery about a job tuner does not know.
const MAX_SECRETS_TRIED: u64 = 1_000;

/// The Standard Webhooks headers of a delivery, as received (absent ones are `None`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Headers<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`, unix seconds.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

/// What became of an accepted delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The job was refreshed (or will be by the poller, if the provider did not answer).
    Processed,
    /// This `webhook-id` was handled before; nothing was done.
    Duplicate,
    /// No tuner job has this provider job id; nothing was done.
    Ignored,
}

impl Outcome {
    /// The word clients see in `{"status": ...}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Duplicate => "duplicate",
            Self::Ignored => "ignored",
        }
    }
}

/// Why a delivery was refused.
#[derive(Debug)]
pub enum Rejection {
    /// The body is larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// The body is not a webhook event with `data.id`.
    BadPayload(String),
    /// The delivery is not proven to come from the provider.
    Unauthorized(&'static str),
    /// Our own failure (logged by the caller).
    Internal(Error),
}

impl Rejection {
    /// The HTTP status that answers it: 413, 400, 401 or 500.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TooLarge => 413,
            Self::BadPayload(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::Internal(_) => 500,
        }
    }

    /// Why, in words the sender may see (never our internal details).
    pub fn reason(&self) -> String {
        match self {
            Self::TooLarge => format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            Self::BadPayload(reason) => reason.clone(),
            Self::Unauthorized(reason) => (*reason).to_owned(),
            Self::Internal(err) => err.message(),
        }
    }
}

impl From<Error> for Rejection {
    fn from(err: Error) -> Self {
        Self::Internal(err)
    }
}

impl From<sea_orm::DbErr> for Rejection {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into())
    }
}

#[derive(Deserialize)]
struct Event {
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    id: String,
}

/// Handles one delivery received at `now`: verify, de-duplicate, refresh.
pub async fn receive(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    settings: &TrainingSettings,
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Outcome, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::TooLarge);
    }
    let event: Event = serde_json::from_slice(body)
        .map_err(|err| Rejection::BadPayload(format!("the body is not a webhook event: {err}")))?;
    let (id, timestamp, header) = check_headers(headers, now)?;
    let jobs = training_job::Entity::find()
        .filter(training_job::Column::ProviderJobId.eq(event.data.id.as_str()))
        .limit(MAX_CANDIDATES)
        .all(db)
        .await?;
    if jobs.is_empty() {
        let signed = signed_by_any_workspace(db, secrets, (id, timestamp, header), body).await?;
        if !signed {
            return Err(Rejection::Unauthorized(
                "the webhook-signature does not match",
            ));
        }
        return Ok(Outcome::Ignored);
    }
    let mut job = None;
    let mut any_secret = false;
    for candidate in jobs {
        let Some(key) = signing_key(db, secrets, &candidate).await? else {
            continue;
        };
        any_secret = true;
        if signature::verify(&key, id, timestamp, body, header) {
            job = Some(candidate);
            break;
        }
    }
    let Some(job) = job else {
        return Err(Rejection::Unauthorized(if any_secret {
            "the webhook-signature does not match"
        } else {
            "no webhook secret is configured for this job's workspace"
        }));
    };
    if !record(db, id, now).await? {
        return Ok(Outcome::Duplicate);
    }
    refresh(db, secrets, settings, &job, id).await?;
    Ok(Outcome::Processed)
}

/// The id, timestamp and signature header, provided they are present, well formed and fresh.
fn check_headers<'a>(
    headers: Headers<'a>,
    now: DateTime<Utc>,
) -> Result<(&'a str, i64, &'a str), Rejection> {
    let (Some(id), Some(timestamp), Some(header)) =
        (headers.id, headers.timestamp, headers.signature)
    else {
        return Err(Rejection::Unauthorized(
            "webhook-id, webhook-timestamp and webhook-signature are required",
        ));
    };
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(Rejection::Unauthorized("the webhook-id is malformed"));
    }
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Rejection::Unauthorized("the webhook-timestamp is not unix seconds"))?;
    if !signature::fresh(timestamp, now.timestamp()) {
        return Err(Rejection::Unauthorized(
            "the webhook-timestamp is more than 5 minutes away from now",
        ));
    }
    Ok((id, timestamp, header))
}

/// The signing key of the job's workspace for the job's provider, if one is set.
async fn signing_key(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    job: &training_job::Model,
) -> Result<Option<Vec<u8>>, Rejection> {
    let row = credentials::find(db, job.workspace_id, &job.provider).await?;
    let Some(sealed) = row.and_then(|r| r.webhook_secret_ciphertext) else {
        return Ok(None);
    };
    Ok(signature::decode_secret(&secrets.decrypt(&sealed)?))
}

/// Whether one of the webhook secrets set in any workspace signed the delivery.
async fn signed_by_any_workspace(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    (id, timestamp, header): (&str, i64, &str),
    body: &[u8],
) -> Result<bool, Rejection> {
    let sealed: Vec<String> = provider_credential::Entity::find()
        .select_only()
        .column(provider_credential::Column::WebhookSecretCiphertext)
        .filter(provider_credential::Column::WebhookSecretCiphertext.is_not_null())
        .limit(MAX_SECRETS_TRIED)
        .into_tuple::<Option<String>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    for sealed in sealed {
        let Some(key) = signature::decode_secret(&secrets.decrypt(&sealed)?) else {
            continue;
        };
        if signature::verify(&key, id, timestamp, body, header) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Records the delivery; false when its id was recorded before (including by a racing request).
async fn record(db: &DatabaseConnection, id: &str, now: DateTime<Utc>) -> Result<bool, Rejection> {
    if webhook_delivery::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let row = webhook_delivery::ActiveModel {
        webhook_id: Set(id.to_owned()),
        received_at: Set(now),
    };
    match row.insert(db).await {
        Ok(_) => Ok(true),
        Err(err) if is_unique_violation(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Refreshes the job now. A provider that cannot be asked is left to the poller; our own
/// failure forgets the delivery so that the provider's retry is handled again.
async fn refresh(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    settings: &TrainingSettings,
    job: &training_job::Model,
    id: &str,
) -> Result<(), Rejection> {
    match tracking::refresh(db, secrets, settings, job.id).await {
        Ok(_) => Ok(()),
        Err(err @ (Error::Database(_) | Error::Internal(_))) => {
            if let Err(forget) = webhook_delivery::Entity::delete_by_id(id.to_owned())
                .exec(db)
                .await
            {
                tracing::warn!(error = %forget, "cannot forget a failed webhook delivery");
            }
            Err(Rejection::Internal(err))
        }
        Err(err) => {
            tracing::warn!(job = %job.id, error = %err.message(), "webhook: cannot refresh the job now; the poller will");
            Ok(())
        }
    }
}
