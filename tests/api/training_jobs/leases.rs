//! Job leases: with several replicas, each active job is followed by one at a time.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tuner::entities::training_job;
use tuner::training_jobs::leases::claim;
use tuner::training_jobs::TrainingSettings;

use super::Fixture;

fn replica(fixture: &Fixture, name: &str) -> TrainingSettings {
    TrainingSettings {
        replica_id: name.to_owned(),
        ..fixture.app.training.clone()
    }
}

/// `n` new models, each with a job started on 10 blocks of its own.
pub(super) async fn started_jobs(fixture: &Fixture, n: usize) {
    for i in 0..n {
        let model = fixture.app.create_model(&format!("model-{i}")).await;
        fixture.blocks(10, Some(&format!("t{i}"))).await;
        let reply = fixture
            .app
            .admin_gql(
                "mutation($id: ID!, $tag: String) { runTrainingJob(modelId: $id, input: { tag: $tag }) { id } }",
                json!({ "id": model, "tag": format!("t{i}") }),
            )
            .await;
        reply.data();
    }
}

#[tokio::test]
async fn a_replica_follows_only_the_jobs_it_holds_until_their_lease_runs_out() {
    let fixture = Fixture::new(10_000).await;
    started_jobs(&fixture, 2).await;
    let (a, b) = (replica(&fixture, "a"), replica(&fixture, "b"));
    assert_eq!(claim(&fixture.app.db, &a).await.expect("claim").len(), 2);
    assert_eq!(
        claim(&fixture.app.db, &b).await.expect("claim").len(),
        0,
        "a holds them"
    );
    assert_eq!(
        claim(&fixture.app.db, &a).await.expect("renew").len(),
        2,
        "a renews its own"
    );

    // Replica a dies: its leases run out and b takes the jobs over.
    training_job::Entity::update_many()
        .col_expr(
            training_job::Column::LeaseExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(training_job::Column::LeaseOwner.eq("a"))
        .exec(&fixture.app.db)
        .await
        .expect("expire");
    assert_eq!(
        claim(&fixture.app.db, &b).await.expect("take over").len(),
        2
    );
    assert_eq!(
        claim(&fixture.app.db, &a).await.expect("claim").len(),
        0,
        "b holds them now"
    );
}

#[tokio::test]
async fn replicas_claiming_at_the_same_time_share_no_job() {
    let fixture = Fixture::new(100_000).await;
    started_jobs(&fixture, 4).await;
    let settings: Vec<TrainingSettings> = (0..4)
        .map(|i| replica(&fixture, &format!("r{i}")))
        .collect();
    let claims =
        futures::future::join_all(settings.iter().map(|s| claim(&fixture.app.db, s))).await;
    let mut ids: Vec<_> = claims
        .into_iter()
        .flat_map(|claimed| claimed.expect("claim"))
        .map(|job| job.id)
        .collect();
    ids.sort();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "a job was claimed twice");
    assert_eq!(count, 4, "every job is claimed once");
}
