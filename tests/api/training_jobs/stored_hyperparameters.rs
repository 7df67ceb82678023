//! A job's hyperparameters as stored: typed JSON, read back as they were asked, readable after
//! the migration that made the column JSON, and an error when a row cannot be read.

use chrono::Utc;
use migration::{Alias, Migrator, MigratorTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;
use tuner::entities::training_job::{self, JobHyperparameters};
use tuner::{db, workspaces};
use uuid::Uuid;

use super::Fixture;
use crate::harness::empty_database;
use tuner::ids::{JobId, ModelId, TypedId};

/// The migrations before the hyperparameters column became JSON.
const BEFORE_JSON_COLUMN: u32 = 4;

#[tokio::test]
async fn hyperparameters_are_stored_typed_and_read_back_as_asked() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let asked = json!({ "nEpochs": 3, "learningRateMultiplier": 0.5 });
    let reply = fixture.run(json!({ "hyperparameters": asked })).await;
    let job = &reply.data()["runTrainingJob"];
    assert_eq!(
        job["hyperparameters"],
        json!({ "nEpochs": 3, "batchSize": null, "learningRateMultiplier": 0.5 })
    );

    let id = JobId::parse("id", job["id"].as_str().expect("id")).expect("id");
    let row = training_job::Entity::find_by_id(id)
        .one(&fixture.app.db)
        .await
        .expect("read")
        .expect("row");
    let expected = JobHyperparameters {
        n_epochs: Some(3),
        batch_size: None,
        learning_rate_multiplier: Some(0.5),
        ..JobHyperparameters::default()
    };
    assert_eq!(row.hyperparameters, expected);
}

#[tokio::test]
async fn a_job_whose_stored_hyperparameters_cannot_be_read_is_an_error_with_its_cause() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let reply = fixture.run(json!({})).await;
    let id = reply.data()["runTrainingJob"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    fixture
        .app
        .db
        .execute_unprepared(r#"UPDATE training_job SET hyperparameters = '{"n_epochs": "three"}'"#)
        .await
        .expect("update");

    let err = training_job::Entity::find_by_id(JobId::parse("id", &id).expect("id"))
        .one(&fixture.app.db)
        .await
        .expect_err("a row that cannot be read");
    assert!(err.to_string().contains("invalid type"), "{err}");

    let reply = fixture
        .app
        .admin_gql(
            "query($id: ID!) { trainingJob(id: $id) { hyperparameters { nEpochs } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(reply.code(), "INTERNAL_SERVER_ERROR");
}

#[tokio::test]
async fn hyperparameters_stored_as_text_are_read_after_the_migration() {
    let (url, _dir) = empty_database().await;
    let db = db::connect(&url).await.expect("connect");
    Migrator::up(&db, Some(BEFORE_JSON_COLUMN))
        .await
        .expect("older migrations");
    let workspace = workspaces::create(&db, "older").await.expect("workspace");
    let now = Utc::now();
    // Rows written as that schema had them: the entities describe the newest one.
    let model_id = ModelId::generate();
    let model = Query::insert()
        .into_table(Alias::new("custom_model"))
        .columns(
            [
                "id",
                "workspace_id",
                "name",
                "provider",
                "base_model",
                "status",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            model_id.into(),
            workspace.id.into(),
            "support".into(),
            "openai".into(),
            "gpt-4o-mini-2024-07-18".into(),
            "not_trained".into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(&model).await.expect("model");
    let id = Uuid::now_v7();
    let text = r#"{"n_epochs":2,"batch_size":null,"learning_rate_multiplier":0.25}"#;
    let insert = Query::insert()
        .into_table(Alias::new("training_job"))
        .columns(
            [
                "id",
                "workspace_id",
                "model_id",
                "status",
                "provider",
                "base_model",
                "hyperparameters",
                "block_count",
                "token_count",
                "charge_credits",
                "file_sha256",
                "file_bytes",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.into(),
            workspace.id.into(),
            model_id.into(),
            "failed".into(),
            "openai".into(),
            "gpt-4o-mini-2024-07-18".into(),
            text.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            "".into(),
            0i64.into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(&insert).await.expect("job stored as text");

    Migrator::up(&db, None).await.expect("newer migrations");
    let row = training_job::Entity::find_by_id(JobId::from_uuid(id))
        .one(&db)
        .await
        .expect("read")
        .expect("row");
    let expected = JobHyperparameters {
        n_epochs: Some(2),
        batch_size: None,
        learning_rate_multiplier: Some(0.25),
        ..JobHyperparameters::default()
    };
    assert_eq!(row.hyperparameters, expected);
}
