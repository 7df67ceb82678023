//! Database migrations for tuner, applied in order by `tuner migrate` and on server start.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_training_jobs;
mod m20261121_000003_job_tracking;
mod m20261121_000004_job_leases;
mod m20261201_000001_hyperparameters_json;
mod m20261201_000002_chat_gateway;
mod m20261201_000003_deployments;
mod m20261201_000004_provider_account;
mod m20261201_000005_continued_training;
mod m20261201_000006_reported_retirements;
mod m20261201_000007_job_deployment_options;
mod util;

/// Every migration tuner knows, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_training_jobs::Migration),
            Box::new(m20261121_000003_job_tracking::Migration),
            Box::new(m20261121_000004_job_leases::Migration),
            Box::new(m20261201_000001_hyperparameters_json::Migration),
            Box::new(m20261201_000002_chat_gateway::Migration),
            Box::new(m20261201_000003_deployments::Migration),
            Box::new(m20261201_000004_provider_account::Migration),
            Box::new(m20261201_000005_continued_training::Migration),
            Box::new(m20261201_000006_reported_retirements::Migration),
            Box::new(m20261201_000007_job_deployment_options::Migration),
        ]
    }
}
