//! Provider clients kept per workspace and provider: a client is built (its key decrypted) once
//! and reused by every poll, webhook and cancel until the workspace's credentials change (a new
//! `updated_at` on the row, whichever replica made the change) or other provider settings ask
//! for another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::entities::provider_credential;
use crate::ids::{CredentialId, WorkspaceId};
use crate::provider::{FineTuningProvider, ProviderSettings};

/// The credentials a client was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    credential_id: CredentialId,
    updated_at: DateTime<Utc>,
    /// Also changes `updated_at`; kept so that a changed account never reuses a client.
    account_id: Option<String>,
    settings: ProviderSettings,
}

struct Cached {
    version: Version,
    client: Arc<dyn FineTuningProvider>,
}

/// The clients of one process. Cloning shares them.
#[derive(Clone, Default)]
pub struct ProviderClients {
    clients: Arc<Mutex<HashMap<(WorkspaceId, String), Cached>>>,
}

impl ProviderClients {
    /// The client built from exactly this credentials row and these settings, if there is one.
    pub fn get(
        &self,
        row: &provider_credential::Model,
        settings: &ProviderSettings,
    ) -> Option<Arc<dyn FineTuningProvider>> {
        let clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let cached = clients.get(&(row.workspace_id, row.provider.clone()))?;
        (cached.version == version(row, settings)).then(|| cached.client.clone())
    }

    /// Keeps `client`, built from this row and these settings, in place of any older one.
    pub fn keep(
        &self,
        row: &provider_credential::Model,
        settings: &ProviderSettings,
        client: Arc<dyn FineTuningProvider>,
    ) {
        let cached = Cached {
            version: version(row, settings),
            client,
        };
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.insert((row.workspace_id, row.provider.clone()), cached);
    }
}

fn version(row: &provider_credential::Model, settings: &ProviderSettings) -> Version {
    Version {
        credential_id: row.id,
        updated_at: row.updated_at,
        account_id: row.account_id.clone(),
        settings: settings.clone(),
    }
}
