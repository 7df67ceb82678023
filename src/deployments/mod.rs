//! Deployments: making a trained model callable where the provider serves trained models only
//! through a deployment (a Together dedicated endpoint, a Nebius registered model, a Fireworks
//! deployment), following it until it is ready, and switching what bots call to it in one
//! transaction. The model served before keeps answering until then, and is then removed on its
//! own provider (after a move, not the new one); a deployment the provider removes (idle ones
//! are) takes the model out of `availableModels` until it is deployed again.

pub mod graphql;
pub mod options;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::app_context::AppContext;
use crate::db;
use crate::entities::custom_model::{self, ModelStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::error::{Error, Result};
use crate::ids::{ModelId, WorkspaceId};
use crate::provider::{
    self, DeployRequest, Deployment, DeploymentOptions, DeploymentState, Serving,
};
use crate::tenancy::{get_in, WorkspaceScoped};
use crate::workspaces::{self, credentials};
use options::DeploymentInput;

/// The model's newest succeeded job: the one that trained `fine_tuned_model`.
async fn newest_trained(
    db: &impl ConnectionTrait,
    model: &custom_model::Model,
) -> Result<Option<training_job::Model>> {
    Ok(training_job::Entity::in_workspace(model.workspace_id)
        .filter(training_job::Column::ModelId.eq(model.id))
        .filter(training_job::Column::Status.eq(JobStatus::Succeeded))
        .order_by_desc(training_job::Column::Id)
        .one(db)
        .await?)
}

/// The provider of the deployment bots call now: the provider of the job it serves (after a
/// move, not the provider of the model's newest job).
async fn serving_provider(
    db: &impl ConnectionTrait,
    model: &custom_model::Model,
) -> Result<String> {
    let Some(job_id) = model.serving_job_id else {
        return Ok(model.provider.clone());
    };
    let job = training_job::Entity::in_workspace(model.workspace_id)
        .filter(training_job::Column::Id.eq(job_id))
        .one(db)
        .await?;
    Ok(job.map_or_else(|| model.provider.clone(), |job| job.provider))
}

/// The provider of the model's newest deployment: the provider of its newest trained job.
async fn newest_provider(db: &impl ConnectionTrait, model: &custom_model::Model) -> Result<String> {
    let job = newest_trained(db, model).await?;
    Ok(job.map_or_else(|| model.provider.clone(), |job| job.provider))
}

/// A deployment to remove at the provider once the change that replaced it is committed.
struct Retired {
    provider: String,
    id: String,
}

/// A deployment name from the model's name and the job: letters, digits and `-`.
fn deployment_name(model: &custom_model::Model, job: &training_job::Model) -> String {
    let base: String = model
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let job = job.id.to_string();
    format!("{}-{}", base.trim_matches('-'), &job[job.len() - 8..])
}

fn provider_failure(error: provider::ProviderError) -> Error {
    Error::Provider(error.message())
}

/// Deploys the model's newest trained model with `input`'s choices; a deployment already under
/// way or serving it is left as it is. BAD_USER_INPUT when nothing needs deploying.
pub async fn deploy(
    app: &AppContext,
    workspace_id: WorkspaceId,
    model_id: ModelId,
    input: DeploymentInput,
) -> Result<custom_model::Model> {
    let model = get_in::<custom_model::Entity>(&app.db, workspace_id, model_id).await?;
    let Some(job) = newest_trained(&app.db, &model).await? else {
        return Err(Error::bad_input(
            "id",
            "the model has no trained model to deploy yet: run a training job first",
        ));
    };
    if provider::profile_or_default(&job.provider).serving == Serving::Immediate {
        return Err(Error::bad_input(
            "id",
            format!(
                "provider {:?} serves trained models as soon as training ends: nothing to deploy",
                job.provider
            ),
        ));
    }
    let options = input.checked(&job.provider)?;
    let current = model.deployment_id.is_some()
        && matches!(model.status, ModelStatus::Deploying | ModelStatus::Ready);
    if current && options != DeploymentOptions::default() {
        return Err(Error::conflict(
            "input",
            "the model is already deployed: undeploy it first to deploy it with other choices",
        ));
    }
    if current {
        return Ok(model);
    }
    let Some(trained_model) = model.fine_tuned_model.clone() else {
        return Err(Error::bad_input(
            "id",
            "the model has no trained model to deploy",
        ));
    };
    let client = credentials::connect(app, workspace_id, &job.provider).await?;
    let request = DeployRequest {
        trained_model,
        base_model: job.root_base_model().to_owned(),
        name: deployment_name(&model, &job),
        options,
    };
    let deployment = client.deploy(&request).await.map_err(provider_failure)?;
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let model = get_in::<custom_model::Entity>(&txn, workspace_id, model_id).await?;
    let mut row: custom_model::ActiveModel = model.into();
    row.deployment_id = Set(Some(deployment.id.clone()));
    row.deployment_state = Set(Some(deployment.provider_state.clone()));
    row.status = Set(ModelStatus::Deploying);
    row.updated_at = Set(Utc::now());
    let model = row.update(&txn).await?;
    let (model, retired) = follow(&txn, model, Some(&deployment)).await?;
    app.commit_catalog_change(txn, workspace_id).await?;
    undeploy_quietly(app, workspace_id, retired).await;
    Ok(model)
}

/// Applies what the provider says of the model's deployment (`None`: it is gone): a ready one
/// becomes what bots call; a gone one stops being called. Returns the model and a deployment
/// this replaced, to remove at the provider once committed.
async fn follow(
    txn: &impl ConnectionTrait,
    model: custom_model::Model,
    deployment: Option<&Deployment>,
) -> Result<(custom_model::Model, Option<Retired>)> {
    let mut retired = None;
    let mut row: custom_model::ActiveModel = model.clone().into();
    let training = model.status == ModelStatus::Training;
    match deployment.map(|d| (d, d.state)) {
        Some((d, DeploymentState::Ready)) => {
            row.deployment_state = Set(Some(d.provider_state.clone()));
            if model.serving_deployment_id.as_deref() != Some(d.id.as_str()) {
                let job = newest_trained(txn, &model).await?;
                row.serving_job_id = Set(job.map(|j| j.id));
                row.serving_model = Set(Some(d.model.clone()));
                row.serving_deployment_id = Set(Some(d.id.clone()));
                if let Some(id) = model.serving_deployment_id.clone() {
                    let provider = serving_provider(txn, &model).await?;
                    retired = Some(Retired { provider, id });
                }
            }
            if !training {
                row.status = Set(ModelStatus::Ready);
            }
        }
        Some((d, DeploymentState::Pending)) => {
            row.deployment_state = Set(Some(d.provider_state.clone()));
        }
        Some((_, DeploymentState::Down)) | None => {
            let said = deployment.map_or("removed by the provider", |d| d.provider_state.as_str());
            if model.serving_deployment_id == model.deployment_id {
                row.serving_job_id = Set(None);
                row.serving_model = Set(None);
                row.serving_deployment_id = Set(None);
            }
            row.deployment_id = Set(None);
            row.deployment_state = Set(Some(format!("{said}; deploy again to call it")));
            if !training {
                row.status = Set(ModelStatus::Trained);
            }
        }
    }
    if !row.is_changed() {
        return Ok((model, None));
    }
    row.updated_at = Set(Utc::now());
    Ok((row.update(txn).await?, retired))
}

/// Removes a replaced deployment; a failure is logged (the provider stops idle ones anyway).
async fn undeploy_quietly(app: &AppContext, workspace_id: WorkspaceId, retired: Option<Retired>) {
    let Some(Retired { provider, id }) = retired else {
        return;
    };
    let removed = async {
        let client = credentials::connect(app, workspace_id, &provider).await?;
        client.undeploy(&id).await.map_err(provider_failure)
    };
    if let Err(error) = removed.await {
        tracing::warn!(deployment = %id, %provider, error = %crate::error::report(&error), "cannot remove a replaced deployment");
    }
}

/// Removes the model's deployments; bots can no longer call it.
pub async fn undeploy(
    app: &AppContext,
    workspace_id: WorkspaceId,
    model_id: ModelId,
) -> Result<custom_model::Model> {
    let model = get_in::<custom_model::Entity>(&app.db, workspace_id, model_id).await?;
    // After a move, the deployment bots call and the newest one may be on two providers.
    let mut deployments = Vec::new();
    if let Some(id) = model.serving_deployment_id.clone() {
        deployments.push((serving_provider(&app.db, &model).await?, id));
    }
    if let Some(id) = model.deployment_id.clone() {
        if model.serving_deployment_id.as_ref() != Some(&id) {
            deployments.push((newest_provider(&app.db, &model).await?, id));
        }
    }
    if deployments.is_empty() {
        return Err(Error::bad_input(
            "id",
            "the model has no deployment to remove",
        ));
    }
    for (provider, id) in &deployments {
        let client = credentials::connect(app, workspace_id, provider).await?;
        client.undeploy(id).await.map_err(provider_failure)?;
    }
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let model = get_in::<custom_model::Entity>(&txn, workspace_id, model_id).await?;
    let training = model.status == ModelStatus::Training;
    let mut row: custom_model::ActiveModel = model.into();
    if row.serving_deployment_id.clone().take().flatten().is_some() {
        row.serving_job_id = Set(None);
        row.serving_model = Set(None);
    }
    row.serving_deployment_id = Set(None);
    row.deployment_id = Set(None);
    row.deployment_state = Set(Some("removed".into()));
    if !training {
        row.status = Set(ModelStatus::Trained);
    }
    row.updated_at = Set(Utc::now());
    let model = row.update(&txn).await?;
    app.commit_catalog_change(txn, workspace_id).await?;
    Ok(model)
}

/// Asks the provider about every deployment of every workspace (background work: the poller
/// calls it each round) and applies what changed. Returns how many deployments were checked.
pub async fn check_all(app: &AppContext) -> Result<usize> {
    // Background work across workspaces, like the poller's job claims.
    let models = custom_model::Entity::find()
        .filter(custom_model::Column::DeploymentId.is_not_null())
        .all(&app.db)
        .await?;
    let count = models.len();
    for model in models {
        if let Err(error) = check(app, model).await {
            tracing::warn!(error = %crate::error::report(&error), "cannot check a deployment");
        }
    }
    Ok(count)
}

async fn check(app: &AppContext, model: custom_model::Model) -> Result<()> {
    let Some(id) = model.deployment_id.clone() else {
        return Ok(());
    };
    let provider = newest_provider(&app.db, &model).await?;
    let client = credentials::connect(app, model.workspace_id, &provider).await?;
    let deployment = client.get_deployment(&id).await.map_err(provider_failure)?;
    let workspace_id = model.workspace_id;
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let current = get_in::<custom_model::Entity>(&txn, workspace_id, model.id).await?;
    if current.deployment_id.as_deref() != Some(id.as_str()) {
        // Deployed again or removed meanwhile: this answer is stale.
        return Ok(());
    }
    let before = current.clone();
    let (after, retired) = follow(&txn, current, deployment.as_ref()).await?;
    if after == before {
        return Ok(());
    }
    app.commit_catalog_change(txn, workspace_id).await?;
    undeploy_quietly(app, workspace_id, retired).await;
    Ok(())
}
