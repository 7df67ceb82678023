//! A latency histogram that records with a few atomic additions and no lock, encoded by
//! `prometheus-client` like its own histograms (whose `observe` takes a mutex).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Upper bounds of the buckets, in seconds: 1 ms to 30 s, about doubling.
pub const BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0,
];

#[derive(Debug, Default)]
struct Cells {
    /// Observations per bucket (not cumulative); the last one is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    count: AtomicU64,
    /// The sum of the observations, in microseconds.
    sum_micros: AtomicU64,
}

/// Durations observed; clones share the same cells.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    cells: Arc<Cells>,
}

impl Latency {
    /// Records one duration.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.cells.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.cells.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.cells.count.fetch_add(1, Ordering::Relaxed);
    }

    /// How many durations were observed.
    pub fn count(&self) -> u64 {
        self.cells.count.load(Ordering::Relaxed)
    }

    /// Observations per upper bound, `+Inf` last; not cumulative: the encoder adds them up.
    fn per_bucket(&self) -> Vec<(f64, u64)> {
        let bounds = BUCKETS
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY));
        bounds
            .zip(self.cells.buckets.iter())
            .map(|(bound, cell)| (bound, cell.load(Ordering::Relaxed)))
            .collect()
    }
}

impl TypedMetric for Latency {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets = self.per_bucket();
        // The count is that of the buckets read, so a scrape racing an observation never
        // shows a count that disagrees with its `+Inf` bucket.
        let count = buckets.iter().map(|(_, observed)| observed).sum();
        let sum = self.cells.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let latency = Latency::default();
        latency.observe(Duration::from_micros(500));
        latency.observe(Duration::from_millis(3));
        latency.observe(Duration::from_secs(60));
        let buckets = latency.per_bucket();
        assert_eq!(buckets[0], (0.001, 1));
        assert_eq!(buckets[1], (0.0025, 0));
        assert_eq!(buckets[2], (0.005, 1));
        assert_eq!(buckets[BUCKETS.len() - 1].1, 0, "30 s does not hold 60 s");
        assert_eq!(buckets[BUCKETS.len()], (f64::INFINITY, 1));
        assert_eq!(latency.count(), 3);
    }
}
