//! The GraphQL schema: merged roots, limits, and per-request data. Builds without a database,
//! so the SDL can be exported anywhere.

use async_graphql::dataloader::DataLoader;
use async_graphql::{
    Data, MergedObject, MergedSubscription, Request, Response, Schema, SchemaBuilder, Value,
};
use sea_orm::DatabaseConnection;

use crate::auth::Auth;
use crate::available_models::cache::AvailableModelsCache;
use crate::available_models::graphql::AvailableModelQuery;
use crate::credits::graphql::CreditQuery;
use crate::custom_models::graphql::{CustomModelMutation, CustomModelQuery};
use crate::global_rules::graphql::{GlobalRuleMutation, GlobalRuleQuery};
use crate::secrets::SecretBox;
use crate::training_blocks::graphql::{TrainingBlockMutation, TrainingBlockQuery};
use crate::training_blocks::loader::ExchangeLoader;
use crate::training_jobs::feed::JobFeed;
use crate::training_jobs::graphql::{TrainingJobMutation, TrainingJobQuery};
use crate::training_jobs::subscription::TrainingJobSubscription;
use crate::training_jobs::TrainingSettings;
use crate::transfer::graphql::TransferMutation;
use crate::workspaces::credentials_graphql::{CredentialsMutation, CredentialsQuery};
use crate::workspaces::graphql::{WorkspaceMutation, WorkspaceQuery};

/// Deepest query accepted. graphql-js' standard introspection query needs at least 15.
pub const MAX_DEPTH: usize = 24;
/// Most complex query accepted: one point per field, and a page's fields once per row it may
/// return. A page of 500 blocks with every field fits; introspection needs at least 300.
pub const MAX_COMPLEXITY: usize = 10_000;

/// All queries.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    WorkspaceQuery,
    GlobalRuleQuery,
    TrainingBlockQuery,
    CustomModelQuery,
    TrainingJobQuery,
    CreditQuery,
    CredentialsQuery,
    AvailableModelQuery,
);

/// All mutations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    WorkspaceMutation,
    GlobalRuleMutation,
    TrainingBlockMutation,
    CustomModelMutation,
    TransferMutation,
    TrainingJobMutation,
    CredentialsMutation,
);

/// All subscriptions.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(TrainingJobSubscription);

/// tuner's GraphQL schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(64)
    .limit_directives(16)
}

/// The schema, serving from `db`, with the secrets key and training settings.
pub fn build(db: DatabaseConnection, secrets: SecretBox, training: TrainingSettings) -> AppSchema {
    let available_models = AvailableModelsCache::new(&training.changes);
    let job_feed = JobFeed::new(db.clone(), &training.changes);
    builder()
        .data(db)
        .data(job_feed)
        .data(secrets)
        .data(available_models)
        .data(training)
        .finish()
}

/// The data of one WebSocket connection (its subscriptions run as this caller): the caller and
/// a loader, like [`execute`] gives each request.
pub fn connection_data(db: &DatabaseConnection, auth: Auth) -> Data {
    let mut data = Data::default();
    data.insert(auth);
    data.insert(DataLoader::new(
        ExchangeLoader::new(db.clone()),
        tokio::spawn,
    ));
    data
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
    if let Err(message) = check_upload_markers(&request) {
        let error = crate::error::Error::bad_input("variables", message);
        return Response::from_errors(vec![
            async_graphql::Error::from(error).into_server_error(Default::default())
        ]);
    }
    let loader = DataLoader::new(ExchangeLoader::new(db.clone()), tokio::spawn);
    let mut response = schema.execute(request.data(auth).data(loader)).await;
    label_errors(&mut response);
    response
}

/// The text the multipart request spec puts where a file goes; the engine trusts it blindly.
const UPLOAD_MARKER: &str = "#__graphql_file__:";

/// Refuses upload markers that do not point at a file of this request: written by hand in the
/// query or variables, they would make the engine read a file that is not there.
fn check_upload_markers(request: &Request) -> Result<(), String> {
    if request.query.contains(UPLOAD_MARKER) {
        return Err(
            "files can only be sent as a multipart request, not written into the query".to_owned(),
        );
    }
    let files = request.uploads.len();
    let mut variables = request.variables.values();
    if variables.all(|value| markers_point_at_files(value, files)) {
        return Ok(());
    }
    Err("a variable refers to an uploaded file that this request does not carry; send files as a multipart request".to_owned())
}

fn markers_point_at_files(value: &Value, files: usize) -> bool {
    match value {
        Value::String(text) => match text.strip_prefix(UPLOAD_MARKER) {
            Some(index) => index.parse::<usize>().is_ok_and(|i| i < files),
            None => true,
        },
        Value::List(items) => items.iter().all(|item| markers_point_at_files(item, files)),
        Value::Object(fields) => fields
            .values()
            .all(|item| markers_point_at_files(item, files)),
        _ => true,
    }
}

/// Errors raised by the GraphQL engine itself (syntax, unknown fields, wrong argument types,
/// limits) carry no code; they are all the client's to fix, so they get `BAD_USER_INPUT`.
fn label_errors(response: &mut Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Value::from("BAD_USER_INPUT"));
        }
    }
}
