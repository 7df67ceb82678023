//! The GraphQL schema: merged roots, limits, and per-request data. Builds without a database,
//! so the SDL can be exported anywhere.

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{
    Data, MergedObject, MergedSubscription, Request, Response, Schema, SchemaBuilder,
};
use futures_util::stream::{BoxStream, StreamExt};
use sea_orm::DatabaseConnection;

use crate::app_context::AppContext;
use crate::auth::Auth;
use crate::available_models::answers::{AnswerCache, AnswerLimits, AVAILABLE_MODELS_ANSWERS_CACHE};
use crate::available_models::cache::{AvailableModelsCache, AVAILABLE_MODELS_CACHE};
use crate::available_models::graphql::AvailableModelQuery;
use crate::base_models::graphql::BaseModelQuery;
use crate::credits::graphql::CreditQuery;
use crate::custom_models::graphql::{CustomModelMutation, CustomModelQuery};
use crate::custom_models::loader::ModelLoader;
use crate::deployments::graphql::DeploymentMutation;
use crate::global_rules::graphql::{GlobalRuleMutation, GlobalRuleQuery};
use crate::global_rules::loader::RuleLoader;
use crate::graphql::answer_budget::AnswerBudget;
use crate::graphql::document_cache::{CacheLimits, DocumentCache};
use crate::graphql::{self, QueryLimits, MAX_NESTING};
use crate::training_blocks::graphql::{TrainingBlockMutation, TrainingBlockQuery};
use crate::training_blocks::loader::ExchangeLoader;
use crate::training_jobs::feed::JobFeed;
use crate::training_jobs::graphql::{TrainingJobMutation, TrainingJobQuery};
use crate::training_jobs::loader::ModelJobsLoader;
use crate::training_jobs::subscription::TrainingJobSubscription;
use crate::transfer::graphql::TransferMutation;
use crate::workspaces::credentials_graphql::{CredentialsMutation, CredentialsQuery};
use crate::workspaces::graphql::{WorkspaceMutation, WorkspaceQuery};

/// Deepest query accepted. graphql-js' standard introspection query needs at least 15.
pub const MAX_DEPTH: usize = 24;
/// Most complex query accepted: one point per field, and a page's fields once per row it may
/// return. A page of 500 blocks with every field fits; introspection needs at least 300.
pub const MAX_COMPLEXITY: usize = 10_000;

/// The name of the parsed-documents cache in the metrics.
pub const DOCUMENTS_CACHE: &str = "documents";

/// All queries.
#[derive(MergedObject, Default)]
pub struct Query(
    WorkspaceQuery,
    GlobalRuleQuery,
    TrainingBlockQuery,
    CustomModelQuery,
    TrainingJobQuery,
    CreditQuery,
    CredentialsQuery,
    AvailableModelQuery,
    BaseModelQuery,
);

/// All mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(
    WorkspaceMutation,
    GlobalRuleMutation,
    TrainingBlockMutation,
    CustomModelMutation,
    DeploymentMutation,
    TransferMutation,
    TrainingJobMutation,
    CredentialsMutation,
);

/// All subscriptions.
#[derive(MergedSubscription, Default)]
pub struct Subscription(TrainingJobSubscription);

/// tuner's GraphQL schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(MAX_NESTING)
    .limit_directives(16)
}

/// The schema, serving `app` within these query limits.
pub fn build(app: &AppContext, limits: QueryLimits) -> AppSchema {
    builder()
        .data(app.clone())
        .data(JobFeed::new(app.db.clone(), &app.changes))
        .data(AvailableModelsCache::new(
            &app.changes,
            app.metrics.cache(AVAILABLE_MODELS_CACHE),
        ))
        .data(AnswerCache::new(
            AnswerLimits::default(),
            app.metrics.cache(AVAILABLE_MODELS_ANSWERS_CACHE),
        ))
        .data(limits)
        .data(DocumentCache::new(
            CacheLimits::default(),
            app.metrics.cache(DOCUMENTS_CACHE),
        ))
        .finish()
}

/// The data of one WebSocket connection (its subscriptions run as this caller): the caller and
/// loaders without caches (the connection may last for hours).
pub fn connection_data(schema: &AppSchema, db: &DatabaseConnection, auth: Auth) -> Data {
    let budget = AnswerBudget::new(limits(schema).max_answer_bytes);
    let mut data = Data::default();
    data.insert(auth);
    insert_loaders(&mut data, db, budget);
    data
}

/// The loaders of parent→child fields, each batching the reads of one answer.
fn insert_loaders(data: &mut Data, db: &DatabaseConnection, budget: AnswerBudget) {
    let exchanges = ExchangeLoader::new(db.clone(), budget);
    data.insert(DataLoader::new(exchanges, tokio::spawn));
    data.insert(DataLoader::new(ModelLoader::new(db.clone()), tokio::spawn));
    data.insert(DataLoader::new(
        ModelJobsLoader::new(db.clone()),
        tokio::spawn,
    ));
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Runs one request as the given caller, with fresh per-request loaders. Both the HTTP handler
/// and tests go through here.
pub async fn execute(
    schema: &AppSchema,
    db: &DatabaseConnection,
    auth: Auth,
    request: Request,
) -> Response {
    let documents = schema.data::<DocumentCache>();
    let (request, finisher) = match graphql::prepare(request, &limits(schema), documents) {
        Ok(prepared) => prepared,
        Err(refused) => return *refused,
    };
    let mut request = request.data(auth);
    insert_loaders(&mut request.data, db, finisher.budget().clone());
    // Within one request the rules are read once, however many fields ask for them.
    let rules = DataLoader::with_cache(
        RuleLoader::new(db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    );
    let response = schema.execute(request.data(rules)).await;
    finisher.finish(response)
}

/// Runs one subscription (or any operation sent over a WebSocket) with the connection's data;
/// every answer it streams is finished like [`execute`]'s.
pub fn execute_stream(
    schema: &AppSchema,
    request: Request,
    connection: Arc<Data>,
) -> BoxStream<'static, Response> {
    match graphql::prepare(request, &limits(schema), schema.data::<DocumentCache>()) {
        Ok((request, finisher)) => schema
            .execute_stream_with_session_data(request, connection)
            .map(move |response| finisher.finish(response))
            .boxed(),
        Err(refused) => futures_util::stream::once(async move { *refused }).boxed(),
    }
}

/// The limits the schema was built with.
fn limits(schema: &AppSchema) -> QueryLimits {
    schema.data::<QueryLimits>().copied().unwrap_or_default()
}
