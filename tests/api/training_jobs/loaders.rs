//! Parent→child fields are read in batches: the statements an answer costs do not grow with the
//! number of models and jobs in it.

use serde_json::Value;

use super::leases::started_jobs;
use super::Fixture;

const MODELS_WITH_JOBS: &str = "{ customModels { id jobs { id status model { id name } } } }";

/// The answer of models with their jobs and the statements it cost, with `models` models (plus
/// the fixture's own) of one job each.
async fn models_with_jobs(models: usize) -> (Value, usize) {
    let fixture = Fixture::new(100_000).await;
    started_jobs(&fixture, models).await;
    fixture.app.counted(MODELS_WITH_JOBS).await
}

#[tokio::test]
async fn models_and_their_jobs_cost_the_same_statements_however_many_there_are() {
    let (one, few) = models_with_jobs(1).await;
    let (four, many) = models_with_jobs(4).await;
    assert_eq!(one["customModels"].as_array().map(Vec::len), Some(2));
    let models = four["customModels"].as_array().expect("models");
    assert_eq!(models.len(), 5);
    for model in models {
        for job in model["jobs"].as_array().expect("jobs") {
            assert_eq!(
                job["model"]["id"], model["id"],
                "each job names its own model"
            );
        }
    }
    assert_eq!(few, many, "statements for 2 models and for 5");
}
