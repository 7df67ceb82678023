//! Training jobs against the provider emulator over real HTTP: credentials, previews, runs,
//! failures, concurrency, reconciliation and tracking.

mod crash;
mod credentials;
mod history;
mod leases;
mod lifecycle;
mod loaders;
mod preview;
mod providers;
mod run;
mod shutdown;
mod stored_hyperparameters;
mod submission_leases;
mod tracking;

use serde_json::{json, Value};
use tuner_emulator::{ClockMode, Emulator, EmulatorConfig};

use crate::harness::{Reply, TestApp};

/// The API key the emulator expects in these tests.
pub(super) const API_KEY: &str = "sk-test-emulator-1234";

/// A tuner with an emulated provider, credentials set, credits granted and one model.
pub(crate) struct Fixture {
    pub app: TestApp,
    pub emulator: Emulator,
    pub model_id: String,
}

pub(super) const JOB_FIELDS: &str =
    "id status provider baseModel blockCount tokenCount chargeCredits \
    fileSha256 fileBytes providerFileId providerJobId fineTunedModel systemPrompt \
    hyperparameters { nEpochs batchSize learningRateMultiplier } suffix error { code message } \
    model { id status fineTunedModel }";

impl Fixture {
    /// Everything ready to train, with `credits` granted.
    pub async fn new(credits: i64) -> Fixture {
        Self::with_app(TestApp::spawn().await, credits).await
    }

    /// Everything ready to train on `app`.
    pub async fn with_app(app: TestApp, credits: i64) -> Fixture {
        let config = EmulatorConfig {
            api_key: Some(API_KEY.to_owned()),
            clock: ClockMode::Manual,
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::spawn(config).await.expect("emulator");
        let reply = app
            .admin_gql(
                "mutation($url: String!, $key: String!) { setProviderCredentials(provider: \"openai\", apiKey: $key, baseUrl: $url) { provider } }",
                json!({ "url": emulator.base_url(), "key": API_KEY }),
            )
            .await;
        reply.data();
        if credits != 0 {
            tuner::credits::grant(&app.db, app.workspace_id, credits)
                .await
                .expect("grant");
        }
        let model_id = app.create_model("support").await;
        Fixture {
            app,
            emulator,
            model_id,
        }
    }

    /// Creates `n` complete NOT_TRAINED blocks (one exchange each) with the given tag.
    pub async fn blocks(&self, n: usize, tag: Option<&str>) -> Vec<String> {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let prompt = format!("Question {i} about {}?", tag.unwrap_or("anything"));
            let response = format!("Answer {i}: here is what you need to know.");
            ids.push(self.app.create_block(&[(&prompt, &response)], tag).await);
        }
        ids
    }

    /// `runTrainingJob` for the fixture's model with `input`.
    pub async fn run(&self, input: Value) -> Reply {
        let query = format!(
            "mutation($id: ID!, $input: TrainingJobInput) {{ runTrainingJob(modelId: $id, input: $input) {{ {JOB_FIELDS} }} }}"
        );
        self.app
            .admin_gql(&query, json!({ "id": self.model_id, "input": input }))
            .await
    }

    /// `refreshTrainingJob`.
    pub async fn refresh(&self, job_id: &str) -> Value {
        let query =
            format!("mutation($id: ID!) {{ refreshTrainingJob(id: $id) {{ {JOB_FIELDS} }} }}");
        let reply = self.app.admin_gql(&query, json!({ "id": job_id })).await;
        reply.data()["refreshTrainingJob"].clone()
    }

    /// The statuses of the given blocks.
    pub async fn statuses(&self, ids: &[String]) -> Vec<String> {
        let mut statuses = Vec::new();
        for id in ids {
            let reply = self
                .app
                .admin_gql(
                    "query($id: ID!) { trainingBlock(id: $id) { status } }",
                    json!({ "id": id }),
                )
                .await;
            statuses.push(
                reply.data()["trainingBlock"]["status"]
                    .as_str()
                    .expect("status")
                    .to_owned(),
            );
        }
        statuses
    }

    /// The workspace's balance and ledger (newest first).
    pub async fn credits(&self) -> (i64, Vec<Value>) {
        let reply = self
            .app
            .admin_gql("{ viewer { workspace { credits } } creditLedger { amount reason jobId balanceAfter } }", json!({}))
            .await;
        let data = reply.data();
        let balance = data["viewer"]["workspace"]["credits"]
            .as_i64()
            .expect("credits");
        (
            balance,
            data["creditLedger"].as_array().expect("ledger").clone(),
        )
    }

    /// Moves the emulator's clock far enough for a job to finish, then refreshes it.
    pub async fn finish(&self, job_id: &str) -> Value {
        self.emulator.advance(3_600);
        self.refresh(job_id).await
    }
}
