//! `POST /webhooks/openai/{credentialId}`: a delivery is checked against that one credential's
//! webhook secret (one decryption, one HMAC) and can only refresh a job of that credential's
//! workspace and provider. An unknown credential, one without a secret and a wrong signature
//! get the same answer; so do, once signed, a job of another workspace and a job that does
//! not exist.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    check_headers, process, provider_job_id, signing_key, Delivery, Headers, Outcome, Rejection,
    SIGNATURE_MISMATCH,
};
use crate::app_context::AppContext;
use crate::entities::{provider_credential, training_job};
use crate::ids::{CredentialId, TypedId};
use crate::tenancy::WorkspaceScoped;

/// A key no sender has: deliveries that cannot be verified are still put through one HMAC, so
/// the time an answer takes does not tell whether the credential exists.
const DECOY_KEY: &[u8] = b"tuner: no webhook secret to check against";

/// Handles one delivery received at `now` on the URL of the credential `credential_id` (as the
/// path gave it): verify with that credential's secret, de-duplicate, refresh.
pub async fn receive_for_credential(
    app: &AppContext,
    credential_id: &str,
    headers: Headers<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Outcome, Rejection> {
    let delivery = check_headers(headers, body, now)?;
    let Some(credential) = signer(app, credential_id, &delivery).await? else {
        return Err(Rejection::Unauthorized(SIGNATURE_MISMATCH));
    };
    let provider_job_id = provider_job_id(body)?;
    let job = training_job::Entity::in_workspace(credential.workspace_id)
        .filter(training_job::Column::Provider.eq(credential.provider.as_str()))
        .filter(training_job::Column::ProviderJobId.eq(provider_job_id))
        .one(&app.db)
        .await?;
    match job {
        Some(job) => process(app, &job, delivery, now).await,
        None => Ok(Outcome::Ignored),
    }
}

/// The credential, provided it exists, has a webhook secret, and that secret signed the
/// delivery.
async fn signer(
    app: &AppContext,
    credential_id: &str,
    delivery: &Delivery<'_>,
) -> Result<Option<provider_credential::Model>, Rejection> {
    let credential = match Uuid::try_parse(credential_id.trim()) {
        Ok(id) => {
            let id = CredentialId::from_uuid(id);
            provider_credential::Entity::find_by_id(id)
                .one(&app.db)
                .await?
        }
        Err(_) => None,
    };
    let key = credential
        .as_ref()
        .and_then(|row| row.webhook_secret_ciphertext.as_deref())
        .and_then(|sealed| signing_key(&app.secrets, sealed));
    let signed = delivery.signed_with(key.as_deref().unwrap_or(DECOY_KEY));
    Ok(credential.filter(|_| signed && key.is_some()))
}
