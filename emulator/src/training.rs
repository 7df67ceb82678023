//! The emulated training run: step plan, deterministic loss/accuracy curve, checkpoint steps and results CSV.

/// How a running job's steps are laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub steps_per_epoch: u32,
    pub epochs: u32,
    pub total_steps: u32,
    /// Metrics events emitted while running (evenly spaced over the steps).
    pub samples: u32,
}

impl Plan {
    /// Steps for `examples` examples, `epochs` epochs and `batch` examples per step.
    pub fn new(examples: usize, epochs: u32, batch: u32, wanted_samples: u32) -> Self {
        let examples = u32::try_from(examples).unwrap_or(u32::MAX).max(1);
        let steps_per_epoch = examples.div_ceil(batch.max(1)).max(1);
        let epochs = epochs.max(1);
        let total_steps = steps_per_epoch.saturating_mul(epochs);
        Self {
            steps_per_epoch,
            epochs,
            total_steps,
            samples: wanted_samples.min(total_steps),
        }
    }

    /// Step reported by metrics event `k` (1-based; the last one is the final step).
    pub fn sample_step(&self, k: u32) -> u32 {
        let steps = u64::from(k) * u64::from(self.total_steps);
        let step = steps.div_ceil(u64::from(self.samples.max(1)));
        u32::try_from(step).unwrap_or(self.total_steps)
    }

    /// Steps at the end of the last (at most three) epochs, where checkpoints are kept.
    pub fn checkpoint_steps(&self) -> Vec<u32> {
        let first = self.epochs.saturating_sub(2).max(1);
        (first..=self.epochs)
            .map(|epoch| epoch * self.steps_per_epoch)
            .collect()
    }
}

impl Plan {
    /// `count` steps spread evenly up to the last step (Together's `n_checkpoints`).
    pub fn evenly_spaced_steps(&self, count: u32) -> Vec<u32> {
        let count = count.clamp(1, self.total_steps.max(1));
        let mut steps: Vec<u32> = (1..=count)
            .map(|i| {
                let step = u64::from(i) * u64::from(self.total_steps) / u64::from(count);
                u32::try_from(step).unwrap_or(self.total_steps).max(1)
            })
            .collect();
        steps.dedup();
        steps
    }
}

/// Training loss at `step`: starts near 2.0, decays, with a little noise fixed by `seed`.
pub fn train_loss(seed: u64, step: u32, total: u32) -> f64 {
    let progress = f64::from(step) / f64::from(total.max(1));
    let loss = 0.25 + 1.75 * (-3.0 * progress).exp() + 0.02 * noise(seed, step);
    round4(loss.max(0.01))
}

/// Mean token accuracy at `step`: rises from about 0.55 towards 0.95.
pub fn token_accuracy(seed: u64, step: u32, total: u32) -> f64 {
    let progress = f64::from(step) / f64::from(total.max(1));
    let accuracy = 0.55 + 0.4 * (1.0 - (-3.0 * progress).exp()) + 0.01 * noise(seed ^ 0x5eed, step);
    round4(accuracy.clamp(0.0, 0.999))
}

/// The `step_metrics.csv` result file OpenAI attaches to a succeeded job.
pub fn results_csv(plan: &Plan, seed: u64) -> String {
    let mut csv =
        String::from("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n");
    for step in 1..=plan.total_steps {
        let loss = train_loss(seed, step, plan.total_steps);
        let accuracy = token_accuracy(seed, step, plan.total_steps);
        csv.push_str(&format!("{step},{loss},{accuracy},,\n"));
    }
    csv
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

// Deterministic value in [-0.5, 0.5) from (seed, step) (splitmix64).
fn noise(seed: u64, step: u32) -> f64 {
    let mut z = seed ^ u64::from(step).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_spreads_samples_to_the_last_step() {
        let plan = Plan::new(12, 3, 1, 10);
        assert_eq!(plan.total_steps, 36);
        assert_eq!(plan.sample_step(1), 4);
        assert_eq!(plan.sample_step(10), 36);
        assert_eq!(plan.checkpoint_steps(), vec![12, 24, 36]);
        assert_eq!(Plan::new(10, 1, 8, 10).samples, 2);
    }

    #[test]
    fn loss_decreases_and_is_deterministic() {
        let plan = Plan::new(10, 3, 1, 10);
        let losses: Vec<f64> = (1..=10)
            .map(|k| train_loss(7, plan.sample_step(k), plan.total_steps))
            .collect();
        assert!(losses.windows(2).all(|w| w[0] > w[1]), "{losses:?}");
        assert_eq!(train_loss(7, 5, 30), train_loss(7, 5, 30));
    }
}
