//! Deployments: how a provider that serves trained models only through a deployment (a
//! dedicated endpoint, a registered model) makes one callable, and where that stands.

/// What tuner asks a provider to deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest {
    /// The trained model, as the job reported it (`fine_tuned_model`).
    pub trained_model: String,
    /// The base model it was trained from.
    pub base_model: String,
    /// A name for the deployment (letters, digits and `-`), unique in the workspace.
    pub name: String,
    /// What the admin chose; the provider's defaults for the rest.
    pub options: DeploymentOptions,
}

/// What an admin may choose of a deployment on providers that serve trained models on
/// hardware of their own (Together, Fireworks); `None` keeps tuner's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentOptions {
    /// The provider's hardware id (Together `hardware`, Fireworks `acceleratorType`).
    pub hardware: Option<String>,
    /// Fewest replicas kept up.
    pub min_replicas: Option<u32>,
    /// Most replicas started under load.
    pub max_replicas: Option<u32>,
    /// Minutes without requests after which the provider stops the endpoint (Together) or
    /// scales it to zero (Fireworks).
    pub idle_minutes: Option<u32>,
}

/// Where a deployment stands, in tuner's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentState {
    /// Starting; not callable yet.
    Pending,
    /// Callable.
    Ready,
    /// Stopped, failed or removed: not callable, and will not become so by itself.
    Down,
}

/// A provider's deployment of a trained model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The provider's id of the deployment (what `get_deployment` and `undeploy` take).
    pub id: String,
    /// Where it stands.
    pub state: DeploymentState,
    /// The provider's own word for the state (kept as text, never an error).
    pub provider_state: String,
    /// The exact model string bots call once it is ready.
    pub model: String,
}
