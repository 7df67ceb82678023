//! GraphQL queries and mutations of training jobs. EDITOR and up.

use async_graphql::{Context, Object, ID};

use super::preview_types::TrainingPreview;
use super::request::{JobRequest, MoveTarget};
use super::types::{TrainingJob, TrainingJobInput};
use crate::auth::Role;
use crate::context::ContextExt;
use crate::ids::{JobId, ModelId, TypedId};

/// Queries on training jobs.
#[derive(Default)]
pub struct TrainingJobQuery;

#[Object]
impl TrainingJobQuery {
    /// What a training job for the model would send, meet and cost (nothing is sent).
    async fn training_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The custom model to train.")] model_id: ID,
        #[graphql(desc = "The same selection and options as runTrainingJob.")] input: Option<
            TrainingJobInput,
        >,
    ) -> async_graphql::Result<TrainingPreview> {
        let principal = ctx.principal(Role::Editor)?;
        let model_id = ModelId::parse("modelId", &model_id)?;
        let request = input.unwrap_or_default().into();
        let preview = super::preview::preview(
            ctx.db()?,
            ctx.training()?,
            principal.workspace_id,
            model_id,
            request,
        )
        .await?;
        Ok(preview.into())
    }

    /// What moveCustomModel would send, meet and cost on the new provider and base model
    /// (nothing is sent, nothing changes): that provider's data checks, every block the model
    /// was trained on plus the NOT_TRAINED ones, and its warnings.
    async fn move_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model to move.")] id: ID,
        #[graphql(desc = "The provider to move to, such as `together`.")] provider: String,
        #[graphql(desc = "The base model to train from there.")] base_model: String,
        #[graphql(desc = "The same options as moveCustomModel.")] input: Option<TrainingJobInput>,
    ) -> async_graphql::Result<TrainingPreview> {
        let principal = ctx.principal(Role::Editor)?;
        let model_id = ModelId::parse("id", &id)?;
        let mut request: JobRequest = input.unwrap_or_default().into();
        request.move_to = Some(MoveTarget {
            provider,
            base_model,
        });
        let preview = super::preview::preview(
            ctx.db()?,
            ctx.training()?,
            principal.workspace_id,
            model_id,
            request,
        )
        .await?;
        Ok(preview.into())
    }

    /// One training job.
    async fn training_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's id.")] id: ID,
    ) -> async_graphql::Result<TrainingJob> {
        let principal = ctx.principal(Role::Editor)?;
        let id = JobId::parse("id", &id)?;
        Ok(TrainingJob(
            super::get(ctx.db()?, principal.workspace_id, id).await?,
        ))
    }

    /// The training jobs of a model, newest first.
    #[graphql(
        deprecation = "Use `customModel(id) { trainingJobs }`, a Relay connection: this list has no bound."
    )]
    async fn training_jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The custom model.")] model_id: ID,
    ) -> async_graphql::Result<Vec<TrainingJob>> {
        let principal = ctx.principal(Role::Editor)?;
        let model_id = ModelId::parse("modelId", &model_id)?;
        let db = ctx.db()?;
        crate::custom_models::get(db, principal.workspace_id, model_id).await?;
        let jobs = super::for_model(db, principal.workspace_id, model_id).await?;
        Ok(jobs.into_iter().map(TrainingJob).collect())
    }
}

/// Mutations on training jobs.
#[derive(Default)]
pub struct TrainingJobMutation;

#[Object]
impl TrainingJobMutation {
    /// Trains the model on the workspace's NOT_TRAINED blocks (those no other active job
    /// holds): compiles them with the global rules, uploads them, starts the provider job,
    /// marks the blocks TRAINED and charges the workspace (fee + 1 credit per block). If the
    /// provider refuses the upload or the job, the job is returned FAILED with the provider's
    /// message, its blocks stay NOT_TRAINED and nothing is charged. If the provider's answer is
    /// lost and the provider cannot be asked whether it created the job, the job is returned
    /// SUBMITTING: tuner asks again shortly and then moves it on or fails it.
    async fn run_training_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The custom model to train.")] model_id: ID,
        #[graphql(desc = "Which blocks and how to train.")] input: Option<TrainingJobInput>,
    ) -> async_graphql::Result<TrainingJob> {
        let principal = ctx.principal(Role::Editor)?;
        let model_id = ModelId::parse("modelId", &model_id)?;
        let job = super::submit::run(
            ctx.app()?,
            principal.workspace_id,
            model_id,
            input.unwrap_or_default().into(),
        )
        .await?;
        Ok(TrainingJob(job))
    }

    /// Moves the model to another provider and base model: starts a job there, from that base
    /// model, on every block the model was trained on plus the NOT_TRAINED ones (charged like
    /// any job). Bots keep calling the model it serves now, under the same name, until the new
    /// one is callable (right after training on `openai`/`azure-openai`; once its deployment,
    /// started automatically, is up elsewhere); then the model switches in one transaction. A
    /// failed or cancelled move leaves what bots call in place. Returns the move's job.
    async fn move_custom_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model to move.")] id: ID,
        #[graphql(desc = "The provider to move to, such as `together`.")] provider: String,
        #[graphql(desc = "The base model to train from there.")] base_model: String,
        #[graphql(desc = "How to train (its `tag` limits the NOT_TRAINED blocks taken).")]
        input: Option<TrainingJobInput>,
    ) -> async_graphql::Result<TrainingJob> {
        let principal = ctx.principal(Role::Editor)?;
        let model_id = ModelId::parse("id", &id)?;
        let mut request: JobRequest = input.unwrap_or_default().into();
        request.from_base_model = true;
        request.deploy = true;
        request.move_to = Some(MoveTarget {
            provider,
            base_model,
        });
        let job = super::submit::run(ctx.app()?, principal.workspace_id, model_id, request).await?;
        Ok(TrainingJob(job))
    }

    /// Asks the provider about the job now instead of waiting for the next poll.
    async fn refresh_training_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's id.")] id: ID,
    ) -> async_graphql::Result<TrainingJob> {
        let principal = ctx.principal(Role::Editor)?;
        let id = JobId::parse("id", &id)?;
        let job = super::tracking::refresh(ctx.app()?, principal.workspace_id, id).await?;
        Ok(TrainingJob(job))
    }

    /// Cancels the job at the provider. Its blocks go back to NOT_TRAINED and their credits are
    /// refunded (the job fee is not). CONFLICT when the job has already ended or is still
    /// being submitted.
    async fn cancel_training_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's id.")] id: ID,
    ) -> async_graphql::Result<TrainingJob> {
        let principal = ctx.principal(Role::Editor)?;
        let id = JobId::parse("id", &id)?;
        let job = super::cancel::cancel(ctx.app()?, principal.workspace_id, id).await?;
        Ok(TrainingJob(job))
    }
}
