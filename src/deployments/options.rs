//! What an admin may choose of a deployment (`DeploymentInput`: hardware, replicas, idle
//! window), checked before anything is sent.

use async_graphql::InputObject;

use crate::entities::training_job::JobDeploymentOptions;
use crate::error::{Error, Result};
use crate::provider::{self, DeploymentOptions};

/// Most replicas tuner asks a provider for.
const MAX_REPLICAS: i32 = 64;
/// Longest idle window, in minutes (a week).
const MAX_IDLE_MINUTES: i32 = 7 * 24 * 60;

/// How to deploy; each field left out keeps tuner's default (see `CustomModel.deployment.cost`).
/// Only for providers that run deployments on hardware of their own (`together`, `fireworks`).
#[derive(InputObject, Debug, Clone, Default)]
pub struct DeploymentInput {
    /// The provider's hardware id: Together's `hardware` (default `1x_nvidia_h100_80gb_sxm`),
    /// Fireworks' `acceleratorType` (default: Fireworks' choice for the model).
    pub hardware: Option<String>,
    /// Fewest replicas kept up (Together: at least 1, default 1; Fireworks: default 0, so it
    /// scales to zero).
    pub min_replicas: Option<i32>,
    /// Most replicas started under load (default: `minReplicas`, at least 1).
    pub max_replicas: Option<i32>,
    /// Minutes without requests after which Together stops the endpoint, or Fireworks scales
    /// it to zero (default 60; 1 to 10080).
    pub idle_minutes: Option<i32>,
}

impl DeploymentInput {
    /// The options for a deployment on `provider_id`; BAD_USER_INPUT naming the field at
    /// fault.
    pub fn checked(self, provider_id: &str) -> Result<DeploymentOptions> {
        let chosen = self.hardware.is_some()
            || self.min_replicas.is_some()
            || self.max_replicas.is_some()
            || self.idle_minutes.is_some();
        if chosen && !provider::profile_or_default(provider_id).deployment_options {
            return Err(Error::bad_input(
                "input",
                format!(
                    "provider {provider_id:?} runs deployments on hardware of its own: leave \
                     input out"
                ),
            ));
        }
        let hardware = match self.hardware {
            Some(hardware) => Some(check_hardware(hardware)?),
            None => None,
        };
        let min_replicas = bounded("input.minReplicas", self.min_replicas, 0, MAX_REPLICAS)?;
        let max_replicas = bounded("input.maxReplicas", self.max_replicas, 1, MAX_REPLICAS)?;
        if let (Some(min), Some(max)) = (min_replicas, max_replicas) {
            if min > max {
                return Err(Error::bad_input(
                    "input.maxReplicas",
                    format!("maxReplicas ({max}) must be at least minReplicas ({min})"),
                ));
            }
        }
        Ok(DeploymentOptions {
            hardware,
            min_replicas,
            max_replicas,
            idle_minutes: bounded("input.idleMinutes", self.idle_minutes, 1, MAX_IDLE_MINUTES)?,
        })
    }
}

impl From<DeploymentOptions> for JobDeploymentOptions {
    fn from(options: DeploymentOptions) -> Self {
        Self {
            hardware: options.hardware,
            min_replicas: options.min_replicas,
            max_replicas: options.max_replicas,
            idle_minutes: options.idle_minutes,
        }
    }
}

/// A job's stored choices, to be checked again when its model is deployed.
impl From<JobDeploymentOptions> for DeploymentInput {
    fn from(stored: JobDeploymentOptions) -> Self {
        let int = |n: Option<u32>| n.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        Self {
            hardware: stored.hardware,
            min_replicas: int(stored.min_replicas),
            max_replicas: int(stored.max_replicas),
            idle_minutes: int(stored.idle_minutes),
        }
    }
}

fn check_hardware(hardware: String) -> Result<String> {
    let hardware = hardware.trim().to_owned();
    let valid = !hardware.is_empty()
        && hardware.len() <= 128
        && hardware
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(hardware)
    } else {
        Err(Error::bad_input(
            "input.hardware",
            "hardware must be the provider's hardware id (letters, digits, '_', '-' or '.'; at \
             most 128), such as 1x_nvidia_h100_80gb_sxm",
        ))
    }
}

fn bounded(field: &str, value: Option<i32>, min: i32, max: i32) -> Result<Option<u32>> {
    match value {
        None => Ok(None),
        Some(n) if (min..=max).contains(&n) => Ok(u32::try_from(n).ok()),
        Some(n) => Err(Error::bad_input(
            field,
            format!("{n} is out of range: give {min} to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_chosen_keeps_every_default_on_any_provider() {
        for provider in ["together", "fireworks", "nebius"] {
            let options = DeploymentInput::default().checked(provider);
            assert_eq!(
                options.ok(),
                Some(DeploymentOptions::default()),
                "{provider}"
            );
        }
    }

    #[test]
    fn choices_are_refused_where_the_provider_runs_the_hardware() {
        let input = DeploymentInput {
            idle_minutes: Some(30),
            ..DeploymentInput::default()
        };
        assert!(input.clone().checked("nebius").is_err());
        let options = input.checked("together").ok();
        assert_eq!(options.and_then(|o| o.idle_minutes), Some(30));
    }

    #[test]
    fn out_of_range_and_crossed_replicas_and_odd_hardware_are_refused() {
        let cases = [
            DeploymentInput {
                min_replicas: Some(3),
                max_replicas: Some(2),
                ..DeploymentInput::default()
            },
            DeploymentInput {
                idle_minutes: Some(0),
                ..DeploymentInput::default()
            },
            DeploymentInput {
                max_replicas: Some(65),
                ..DeploymentInput::default()
            },
            DeploymentInput {
                hardware: Some("h100; rm".into()),
                ..DeploymentInput::default()
            },
        ];
        for input in cases {
            assert!(input.clone().checked("fireworks").is_err(), "{input:?}");
        }
    }
}
