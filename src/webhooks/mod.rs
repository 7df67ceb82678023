//! Provider webhooks: a signed delivery says a job changed; tuner checks the signature, handles
//! each delivery once, and asks the provider about the job at once instead of waiting for the
//! poller.
//!
//! Each provider credential has its own URL (`POST /webhooks/openai/{credentialId}`, see
//! [`by_credential`]): a delivery there is checked against that credential's secret alone and
//! can only reach that workspace's jobs. The older shared URL (`POST /webhooks/openai`, see
//! [`legacy`]) is kept for a release. Neither lets a sender tell a job of another workspace
//! from one that does not exist.

pub mod by_credential;
pub mod legacy;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde::Deserialize;

use crate::app_context::AppContext;
use crate::entities::{training_job, webhook_delivery};
use crate::error::{is_unique_violation, Error};
use crate::secrets::SecretBox;
use crate::training_jobs::tracking;
use crate::webhook_signature;

pub use by_credential::receive_for_credential;
pub use legacy::receive;

/// Largest delivery body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest `webhook-id` accepted (the length of its column).
const MAX_ID_CHARS: usize = 256;
/// What every delivery that is not proven to come from the provider is told, whatever the
/// reason (wrong secret, unknown credential, no secret set, a job of another workspace).
pub const SIGNATURE_MISMATCH: &str = "the webhook-signature does not match";

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
    /// No job of the signer's workspace has this provider job id; nothing was done.
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

/// A delivery whose headers are present, well formed and fresh.
#[derive(Debug, Clone, Copy)]
struct Delivery<'a> {
    id: &'a str,
    timestamp: i64,
    signature: &'a str,
    body: &'a [u8],
}

impl Delivery<'_> {
    /// Whether the secret with this key signed the delivery.
    fn signed_with(&self, key: &[u8]) -> bool {
        webhook_signature::verify(key, self.id, self.timestamp, self.body, self.signature)
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

/// The provider job id the event is about.
fn provider_job_id(body: &[u8]) -> Result<String, Rejection> {
    let event: Event = serde_json::from_slice(body)
        .map_err(|err| Rejection::BadPayload(format!("the body is not a webhook event: {err}")))?;
    Ok(event.data.id)
}

/// The delivery, provided its size is acceptable and its headers are present, well formed and
/// fresh at `now`.
fn check_headers<'a>(
    headers: Headers<'a>,
    body: &'a [u8],
    now: DateTime<Utc>,
) -> Result<Delivery<'a>, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::TooLarge);
    }
    let (Some(id), Some(timestamp), Some(signature)) =
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
    if !webhook_signature::fresh(timestamp, now.timestamp()) {
        return Err(Rejection::Unauthorized(
            "the webhook-timestamp is more than 5 minutes away from now",
        ));
    }
    Ok(Delivery {
        id,
        timestamp,
        signature,
        body,
    })
}

/// The signing key of a sealed webhook secret, if it opens and decodes to one. One that does
/// not open (a changed server key) is logged and counts as no secret, so that the sender is
/// answered as for any other unverifiable delivery.
fn signing_key(secrets: &SecretBox, sealed: &str) -> Option<Vec<u8>> {
    match secrets.decrypt(sealed) {
        Ok(secret) => webhook_signature::decode_secret(&secret),
        Err(err) => {
            tracing::error!(error = %crate::error::report(&err), "cannot decrypt a webhook secret");
            None
        }
    }
}

/// Handles a verified delivery about `job`: once per `webhook-id`, refreshes the job.
async fn process(
    app: &AppContext,
    job: &training_job::Model,
    delivery: Delivery<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, Rejection> {
    if !record(&app.db, delivery.id, now).await? {
        return Ok(Outcome::Duplicate);
    }
    refresh(app, job, delivery.id).await?;
    Ok(Outcome::Processed)
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
async fn refresh(app: &AppContext, job: &training_job::Model, id: &str) -> Result<(), Rejection> {
    match tracking::refresh(app, job.workspace_id, job.id).await {
        Ok(_) => Ok(()),
        Err(err @ (Error::Database(_) | Error::Internal(_))) => {
            if let Err(forget) = webhook_delivery::Entity::delete_by_id(id.to_owned())
                .exec(&app.db)
                .await
            {
                tracing::warn!(error = %forget, "cannot forget a failed webhook delivery");
            }
            Err(Rejection::Internal(err))
        }
        Err(err) => {
            tracing::warn!(job = %job.id, error = %crate::error::report(&err), "webhook: cannot refresh the job now; the poller will");
            Ok(())
        }
    }
}
