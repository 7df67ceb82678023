//! Services announce their own changes, whoever calls them: a rule or model changed outside
//! GraphQL (by the command line, an import, another endpoint) reaches this process's listeners
//! (the availableModels cache, subscriptions) as a change made through GraphQL does.

use std::time::Duration;

use tuner::changes::Change;
use tuner::custom_models::{self, NewModel};
use tuner::global_rules;

use crate::harness::TestApp;

async fn next_change(changes: &mut tokio::sync::broadcast::Receiver<Change>) -> Change {
    tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("a change within 5 s")
        .expect("the bus is open")
}

#[tokio::test]
async fn rule_and_model_services_called_outside_graphql_announce_their_changes() {
    let app = TestApp::spawn().await;
    let context = app.context();
    let mut changes = context.changes.subscribe();
    let workspace = app.workspace_id;

    let rule = global_rules::create(&context, workspace, "be brief")
        .await
        .expect("rule");
    assert_eq!(next_change(&mut changes).await, Change::Catalog(workspace));
    global_rules::update(&context, workspace, rule.id, "be very brief")
        .await
        .expect("update");
    assert_eq!(next_change(&mut changes).await, Change::Catalog(workspace));

    let new = NewModel {
        name: "support".to_owned(),
        ..NewModel::default()
    };
    let model = custom_models::create(&context, workspace, new)
        .await
        .expect("model");
    assert_eq!(next_change(&mut changes).await, Change::Catalog(workspace));
    custom_models::delete(&context, workspace, model.id)
        .await
        .expect("delete");
    assert_eq!(next_change(&mut changes).await, Change::Catalog(workspace));
    global_rules::delete(&context, workspace, rule.id)
        .await
        .expect("delete");
    assert_eq!(next_change(&mut changes).await, Change::Catalog(workspace));
}
