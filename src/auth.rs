//! API tokens and roles: who is calling, for which workspace, and what they may do.

use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::entities::api_token;
pub use crate::entities::api_token::Role;
use crate::error::{Error, Result};
use crate::ids::{TokenId, WorkspaceId};

/// Every secret starts with this, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "tnr_";

/// How stale `last_used_at` may get before a request refreshes it (saves a write per request).
const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    /// Every read and write is confined to this workspace.
    pub workspace_id: WorkspaceId,
    /// The token the request carried.
    pub token_id: TokenId,
    /// What the token may do.
    pub role: Role,
}

/// The outcome of looking at a request's credentials.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No token was sent.
    Missing,
    /// A token was sent but it is malformed, unknown or revoked.
    Invalid,
    /// A valid token.
    Valid(Principal),
}

impl Auth {
    /// The caller, provided their role is at least `role`.
    pub fn require(&self, role: Role) -> Result<&Principal> {
        match self {
            Auth::Missing => Err(Error::Unauthenticated(
                "missing API token: send the header `Authorization: Bearer <token>`".to_owned(),
            )),
            Auth::Invalid => Err(Error::Unauthenticated(
                "invalid or revoked API token: create a new one with `tuner token create`"
                    .to_owned(),
            )),
            Auth::Valid(p) if p.role < role => Err(Error::Forbidden(format!(
                "this operation needs the {} role; the token has {}",
                role_name(role),
                role_name(p.role)
            ))),
            Auth::Valid(p) => Ok(p),
        }
    }
}

/// The name of a role as the API spells it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Reader => "READER",
        Role::Editor => "EDITOR",
        Role::Admin => "ADMIN",
    }
}

/// Extracts the token from an `Authorization` header value (`Bearer <token>`, any case).
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A freshly generated secret with what is stored about it.
pub struct NewSecret {
    /// The full token, shown once.
    pub secret: String,
    /// Its SHA-256, hex encoded: the only form stored.
    pub hash: String,
    /// Its first characters, kept so people can tell tokens apart.
    pub prefix: String,
}

/// Generates a new random token (256 bits of entropy).
pub fn generate_secret() -> NewSecret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let prefix = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    NewSecret {
        hash: hash_secret(&secret),
        prefix,
        secret,
    }
}

/// The stored form of a token. Tokens are random, so a plain hash is enough.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a token has the form of one tuner issues (worth looking up).
pub fn plausible_token(token: &str) -> bool {
    token.starts_with(TOKEN_PREFIX) && token.len() <= 128
}

/// Resolves the token a request carried (if any) to the calling principal, asking the
/// database (see [`crate::token_cache`] for the cached check requests use).
pub async fn authenticate(db: &impl ConnectionTrait, token: Option<&str>) -> Result<Auth> {
    Ok(authenticate_with_use(db, token).await?.0)
}

/// Like [`authenticate`], with when the token was last used as now recorded.
pub async fn authenticate_with_use(
    db: &impl ConnectionTrait,
    token: Option<&str>,
) -> Result<(Auth, Option<chrono::DateTime<Utc>>)> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok((Auth::Missing, None));
    };
    if !plausible_token(token) {
        return Ok((Auth::Invalid, None));
    }
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_secret(token)))
        .one(db)
        .await?;
    let Some(found) = found else {
        return Ok((Auth::Invalid, None));
    };
    let now = Utc::now();
    let mut last_used_at = found.last_used_at;
    if needs_touch(last_used_at, now) {
        if !touch_by_id(db, found.id).await? {
            // Revoked between the lookup and now.
            return Ok((Auth::Invalid, None));
        }
        last_used_at = Some(now);
    }
    let principal = Principal {
        workspace_id: found.workspace_id,
        token_id: found.id,
        role: found.role,
    };
    Ok((Auth::Valid(principal), last_used_at))
}

/// Whether a token last used at `last_used_at` should have its use recorded again at `now`
/// (at most once per [`LAST_USED_RESOLUTION`]).
pub fn needs_touch(
    last_used_at: Option<chrono::DateTime<Utc>>,
    now: chrono::DateTime<Utc>,
) -> bool {
    last_used_at.is_none_or(|at| now - at >= LAST_USED_RESOLUTION)
}

/// Records the token's use now. Returns `false` when the token no longer exists (a revocation
/// won the race).
pub async fn touch_by_id(db: &impl ConnectionTrait, token_id: TokenId) -> Result<bool> {
    let updated = api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(api_token::Column::Id.eq(token_id))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn generated_secrets_are_unique_and_hash_to_what_is_stored() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a.secret, b.secret);
        assert_eq!(hash_secret(&a.secret), a.hash);
        assert!(a.secret.starts_with(&a.prefix));
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Reader < Role::Editor && Role::Editor < Role::Admin);
    }
}
