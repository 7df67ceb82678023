//! Custom models: a named fine-tuning target and, once trained, the provider's model name.

#[cfg(test)]
use crate::ids::TypedId;
use crate::ids::{JobId, ModelId, WorkspaceId};
use sea_orm::entity::prelude::*;

/// Lifecycle of a custom model.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ModelStatus {
    #[sea_orm(string_value = "not_trained")]
    NotTrained,
    #[sea_orm(string_value = "training")]
    Training,
    #[sea_orm(string_value = "ready")]
    Ready,
    #[sea_orm(string_value = "failed")]
    Failed,
    /// A deployment of the newest trained model is starting at the provider.
    #[sea_orm(string_value = "deploying")]
    Deploying,
    /// Trained, but the provider serves it only once it is deployed.
    #[sea_orm(string_value = "trained")]
    Trained,
}

/// What the chat endpoint does with the system messages a client sends along with the
/// model's trained system prompt.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ClientSystemMessages {
    /// Kept, after the trained system prompt.
    #[default]
    #[sea_orm(string_value = "keep")]
    Keep,
    /// Removed: only the trained system prompt reaches the model.
    #[sea_orm(string_value = "discard")]
    Discard,
    /// The request is refused.
    #[sea_orm(string_value = "reject")]
    Reject,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_model")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ModelId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub provider: String,
    pub base_model: String,
    pub status: ModelStatus,
    pub fine_tuned_model: Option<String>,
    /// What the chat endpoint does with a client's system messages.
    pub client_system_messages: ClientSystemMessages,
    /// The succeeded job whose model bots call now; `None`: nothing is callable.
    pub serving_job_id: Option<JobId>,
    /// The exact model string bots call (a deployment's name where the provider needs one).
    pub serving_model: Option<String>,
    /// The provider deployment bots call now, where the provider needs one.
    pub serving_deployment_id: Option<String>,
    /// The provider deployment of the newest trained model (serving or starting).
    pub deployment_id: Option<String>,
    /// That deployment's state in the provider's words.
    pub deployment_state: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
impl Model {
    /// A model of a new workspace with `status`, nothing trained or deployed: for unit tests.
    pub fn example(status: ModelStatus) -> Self {
        let now = chrono::Utc::now();
        Self {
            id: ModelId::from_uuid(crate::ids::new_id()),
            workspace_id: WorkspaceId::from_uuid(crate::ids::new_id()),
            name: "support".to_owned(),
            description: None,
            provider: "openai".to_owned(),
            base_model: "gpt-4o-mini-2024-07-18".to_owned(),
            status,
            fine_tuned_model: None,
            client_system_messages: ClientSystemMessages::default(),
            serving_job_id: None,
            serving_model: None,
            serving_deployment_id: None,
            deployment_id: None,
            deployment_state: None,
            created_at: now,
            updated_at: now,
        }
    }
}
