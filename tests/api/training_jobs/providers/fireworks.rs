//! Fireworks AI: credentials with an account id, training through GraphQL to a TRAINED model,
//! deploying it (CREATING → READY), chatting with it through tuner as
//! `accounts/…/models/…#accounts/…/deployments/…`, losing it when Fireworks removes the idle
//! deployment; repair by dataset, cancelling by deleting, and 5xx faults.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use tuner::auth::Role;
use tuner::entities::training_job;
use tuner::ids::{JobId, ModelId, TypedId};
use tuner::training_jobs::prepare::prepare;
use tuner::training_jobs::reconcile::reconcile_submissions;
use tuner::training_jobs::request::JobRequest;
use tuner_emulator::Dialect;

use super::{answering_model, charged_once, fixture, followed, FIREWORKS};
use crate::harness::http_options;
use crate::training_jobs::{Fixture, API_KEY};

const ACCOUNT: &str = "/fireworks/v1/accounts/acme";
const JOBS: &str = "/fireworks/v1/accounts/acme/supervisedFineTuningJobs";

fn url(fixture: &Fixture, rest: &str) -> String {
    let base = fixture.emulator.base_url_for(Dialect::Fireworks);
    format!("{base}/accounts/acme{rest}")
}

/// Creates dataset `id` on the Fireworks dialect with `examples` lines and returns its name.
async fn dataset(fixture: &Fixture, id: &str, examples: usize) -> String {
    let client = reqwest::Client::new();
    let body = json!({ "datasetId": id, "dataset": { "userUploaded": {} } });
    let created = client
        .post(url(fixture, "/datasets"))
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .expect("create dataset");
    assert!(created.status().is_success());
    let line =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
    let content = format!("{line}\n").repeat(examples);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(content.into_bytes()).file_name("d.jsonl"),
    );
    let uploaded = client
        .post(url(fixture, &format!("/datasets/{id}:upload")))
        .bearer_auth(API_KEY)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert!(uploaded.status().is_success());
    format!("accounts/acme/datasets/{id}")
}

/// Creates a Fireworks job on `dataset` directly (as if tuner's answer had been lost).
async fn create_remote(fixture: &Fixture, dataset: &str) -> String {
    let job: Value = reqwest::Client::new()
        .post(url(fixture, "/supervisedFineTuningJobs"))
        .bearer_auth(API_KEY)
        .json(&json!({ "dataset": dataset, "baseModel": FIREWORKS.base_model }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let name = job["name"].as_str().expect("job name");
    name.rsplit('/').next().expect("id").to_owned()
}

async fn model(fixture: &Fixture) -> Value {
    let query = "query($id: ID!) { customModel(id: $id) { status fineTunedModel servingModel \
        deployment { id state serving cost } } }";
    let reply = fixture
        .app
        .admin_gql(query, json!({ "id": fixture.model_id }))
        .await;
    reply.data()["customModel"].clone()
}

async fn available(fixture: &Fixture) -> Vec<Value> {
    let reply = fixture
        .app
        .admin_gql(
            "{ availableModels { name providerModel provider chatBaseUrl } }",
            json!({}),
        )
        .await;
    reply.data()["availableModels"]
        .as_array()
        .expect("models")
        .clone()
}

/// One round of the poller's deployment checks, after the emulator's deployments had time.
async fn deployments_checked(fixture: &Fixture) {
    fixture.emulator.advance(60);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check deployments");
}

#[tokio::test]
async fn a_fireworks_model_trains_deploys_answers_and_goes_when_fireworks_removes_it() {
    let fixture = fixture(&FIREWORKS, 1_000).await;
    let credentials = fixture
        .app
        .admin_gql("{ providerCredentials { provider accountId } }", json!({}))
        .await;
    assert_eq!(
        credentials.data()["providerCredentials"],
        json!([{ "provider": "fireworks", "accountId": "acme" }])
    );

    // Fireworks trains on 3 examples at least: 2 blocks are refused, naming them.
    let first = fixture.blocks(2, None).await;
    let preview = "query($id: ID!) { trainingPreview(modelId: $id) { provider blockCount \
        errors { code message blockIds } } }";
    let reply = fixture
        .app
        .admin_gql(preview, json!({ "id": fixture.model_id }))
        .await;
    let errors = reply.data()["trainingPreview"]["errors"].clone();
    assert_eq!(errors[0]["code"], "TOO_FEW_EXAMPLES", "{errors}");
    assert_eq!(errors[0]["blockIds"], json!(first));
    assert!(errors[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("at least 3"));
    assert_eq!(fixture.emulator.requests("POST", "/fireworks/"), 0);
    fixture.blocks(1, None).await;
    let reply = fixture
        .app
        .admin_gql(preview, json!({ "id": fixture.model_id }))
        .await;
    let preview = reply.data()["trainingPreview"].clone();
    assert_eq!(
        (
            &preview["provider"],
            &preview["blockCount"],
            &preview["errors"]
        ),
        (&json!("fireworks"), &json!(3), &json!([]))
    );

    let hyperparameters = json!({ "nEpochs": 2, "learningRate": 1e-4, "loraRank": 16 });
    let reply = fixture
        .run(json!({ "suffix": "v1", "hyperparameters": hyperparameters }))
        .await;
    let job = reply.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "VALIDATING_FILES", "{job}");
    assert_eq!(job["provider"], "fireworks");
    let job_id = job["id"].as_str().expect("id");
    let dataset = job["providerFileId"].as_str().expect("dataset");
    assert!(
        dataset.starts_with("accounts/acme/datasets/tuner-"),
        "{dataset}"
    );
    let remote_id = job["providerJobId"].as_str().expect("provider job");
    let remote = fixture
        .emulator
        .job_for(Dialect::Fireworks, remote_id)
        .expect("remote job");
    assert_eq!(remote["dataset"], dataset);
    assert_eq!(remote["baseModel"], FIREWORKS.base_model);
    assert_eq!(
        (
            &remote["epochs"],
            &remote["learningRate"],
            &remote["loraRank"]
        ),
        (&json!(2), &json!(1e-4), &json!(16))
    );
    assert_eq!(remote["displayName"], "v1");

    fixture.emulator.advance(6);
    assert_eq!(fixture.refresh(job_id).await["status"], "RUNNING");
    let done = fixture.finish(job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let output = remote["outputModel"].as_str().expect("output model");
    assert!(output.starts_with("accounts/acme/models/"), "{output}");
    assert_eq!(done["fineTunedModel"], output);
    assert_eq!(done["model"]["status"], "TRAINED");
    assert!(available(&fixture).await.is_empty(), "not callable yet");
    let stored = followed(&fixture, job_id).await;
    let messages: Vec<&str> = stored["events"]["edges"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["node"]["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("running")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("completed, 100% done")),
        "{messages:?}"
    );
    assert_eq!(stored["metrics"], json!([]), "Fireworks reports no loss");
    charged_once(&fixture, 1_000, 3).await;

    let deploy = "mutation($id: ID!) { deployCustomModel(id: $id) { status deployment { state serving cost } } }";
    let reply = fixture
        .app
        .admin_gql(deploy, json!({ "id": fixture.model_id }))
        .await;
    let deploying = reply.data()["deployCustomModel"].clone();
    assert_eq!(deploying["status"], "DEPLOYING", "{deploying}");
    assert_eq!(deploying["deployment"]["state"], "CREATING");
    assert_eq!(deploying["deployment"]["serving"], false);
    assert!(deploying["deployment"]["cost"]
        .as_str()
        .unwrap_or_default()
        .contains("per second"));
    assert!(available(&fixture).await.is_empty(), "not while it starts");

    deployments_checked(&fixture).await;
    let ready = model(&fixture).await;
    assert_eq!(ready["status"], "READY", "{ready}");
    assert_eq!(ready["deployment"]["state"], "READY");
    let serving = ready["servingModel"].as_str().expect("serving").to_owned();
    assert!(
        serving.starts_with(&format!("{output}#accounts/acme/deployments/")),
        "{serving}"
    );
    let listed = available(&fixture).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["providerModel"], serving.as_str());
    assert_eq!(listed[0]["provider"], "fireworks");
    assert_eq!(
        listed[0]["chatBaseUrl"],
        fixture.emulator.inference_url_for(Dialect::Fireworks)
    );

    // Bots call it through tuner, which sends the model string to Fireworks' inference API.
    let base = fixture.app.serve(http_options()).await;
    let reader = fixture.app.token(Role::Reader).await;
    assert_eq!(answering_model(&base, &reader).await, serving);
    assert_eq!(
        fixture
            .emulator
            .requests("POST", "/fireworks/inference/v1/chat/completions"),
        1
    );

    // Fireworks removes idle deployments: the model is no longer callable until deployed again.
    assert_eq!(fixture.emulator.undeploy_idle(0).len(), 1);
    deployments_checked(&fixture).await;
    let removed = model(&fixture).await;
    assert_eq!(removed["status"], "TRAINED");
    assert_eq!(removed["servingModel"], Value::Null);
    assert!(removed["deployment"]["state"]
        .as_str()
        .unwrap_or_default()
        .contains("deploy again"));
    assert!(available(&fixture).await.is_empty());
}

/// Step 1 of a submission with its dataset recorded, as a crash after the upload leaves it;
/// returns the job's id and the dataset's name.
async fn interrupted(fixture: &Fixture) -> (JobId, String) {
    fixture.blocks(3, None).await;
    let context = fixture.app.context();
    let model_id = ModelId::parse("id", &fixture.model_id).expect("id");
    let (job, _file) = prepare(
        &context,
        fixture.app.workspace_id,
        model_id,
        &JobRequest::default(),
    )
    .await
    .expect("step 1");
    let dataset = dataset(fixture, "tuner-crashed", 3).await;
    let mut row: training_job::ActiveModel = job.clone().into();
    row.provider_file_id = Set(Some(dataset.clone()));
    row.update(&fixture.app.db).await.expect("dataset recorded");
    (job.id, dataset)
}

#[tokio::test]
async fn a_crash_between_create_and_commit_is_repaired_by_the_dataset() {
    let fixture = fixture(&FIREWORKS, 1_000).await;
    let decoy = dataset(&fixture, "decoy", 3).await;
    create_remote(&fixture, &decoy).await;
    let (job_id, dataset) = interrupted(&fixture).await;
    let remote_id = create_remote(&fixture, &dataset).await;
    let outcome = reconcile_submissions(&fixture.app.context())
        .await
        .expect("reconcile");
    assert_eq!((outcome.completed, outcome.failed), (1, 0));
    let row = training_job::Entity::find_by_id(job_id)
        .one(&fixture.app.db)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(row.provider_job_id.as_deref(), Some(remote_id.as_str()));
    charged_once(&fixture, 1_000, 3).await;
}

#[tokio::test]
async fn a_fireworks_job_is_cancelled_by_deleting_it_and_gives_its_blocks_back() {
    let fixture = fixture(&FIREWORKS, 1_000).await;
    let blocks = fixture.blocks(3, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    fixture.emulator.advance(5);
    let cancel = "mutation($id: ID!) { cancelTrainingJob(id: $id) { status model { status } } }";
    let reply = fixture
        .app
        .admin_gql(cancel, json!({ "id": job["id"] }))
        .await;
    let cancelled = reply.data()["cancelTrainingJob"].clone();
    assert_eq!(cancelled["status"], "CANCELLED", "{cancelled}");
    assert_eq!(cancelled["model"]["status"], "NOT_TRAINED");
    assert_eq!(fixture.emulator.requests("DELETE", JOBS), 1);
    let kept = fixture.emulator.jobs_for(Dialect::Fireworks);
    assert_eq!(kept[0]["state"], "JOB_STATE_CANCELLED");
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
    assert_eq!(
        fixture.credits().await.0,
        1_000 - 100,
        "block credits refunded"
    );
}

#[tokio::test]
async fn server_errors_on_fireworks_are_retried_and_nothing_is_lost_or_charged_twice() {
    let fixture = fixture(&FIREWORKS, 1_000).await;
    let blocks = fixture.blocks(3, None).await;
    let datasets = format!("{ACCOUNT}/datasets");
    fixture.emulator.fail_next("POST", &datasets, 500, 1, None);
    fixture.emulator.fail_next("POST", JOBS, 503, 1, Some(0));
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "VALIDATING_FILES", "{job}");
    assert_eq!(fixture.emulator.requests("POST", JOBS), 2);
    assert_eq!(fixture.emulator.jobs_for(Dialect::Fireworks).len(), 1);
    let job_id = job["id"].as_str().expect("id");
    fixture
        .emulator
        .fail_next("GET", &format!("{JOBS}/"), 502, 2, None);
    let done = fixture.finish(job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "TRAINED"));
    charged_once(&fixture, 1_000, 3).await;
}

#[tokio::test]
async fn a_lora_alpha_is_refused_on_fireworks_which_takes_only_a_rank() {
    let fixture = fixture(&FIREWORKS, 1_000).await;
    fixture.blocks(3, None).await;
    let hyperparameters = json!({ "loraRank": 8, "loraAlpha": 16 });
    let reply = fixture
        .run(json!({ "hyperparameters": hyperparameters }))
        .await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("BAD_USER_INPUT", "hyperparameters.loraAlpha")
    );
    assert!(
        reply.message().contains("loraRank only"),
        "{}",
        reply.message()
    );
    assert_eq!(fixture.emulator.requests("POST", "/fireworks/"), 0);
    assert_eq!(fixture.credits().await.0, 1_000, "nothing charged");
}

#[tokio::test]
async fn fireworks_credentials_need_an_account_id_and_the_others_take_none() {
    let fixture = Fixture::new(1_000).await;
    let set = "mutation($p: String!, $account: String) { setProviderCredentials(provider: $p, \
        apiKey: \"fw-key-1234\", accountId: $account) { provider accountId } }";
    let reply = fixture
        .app
        .admin_gql(set, json!({ "p": "fireworks", "account": null }))
        .await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("BAD_USER_INPUT", "accountId")
    );
    assert!(
        reply.message().contains("needs accountId"),
        "{}",
        reply.message()
    );
    let reply = fixture
        .app
        .admin_gql(set, json!({ "p": "fireworks", "account": "acme/x" }))
        .await;
    assert_eq!(reply.field(), "accountId");
    let reply = fixture
        .app
        .admin_gql(set, json!({ "p": "openai", "account": "acme" }))
        .await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("BAD_USER_INPUT", "accountId")
    );
    assert!(
        reply.message().contains("takes no accountId"),
        "{}",
        reply.message()
    );
    let reply = fixture
        .app
        .admin_gql(set, json!({ "p": "fireworks", "account": " acme " }))
        .await;
    assert_eq!(
        reply.data()["setProviderCredentials"],
        json!({ "provider": "fireworks", "accountId": "acme" })
    );
}
