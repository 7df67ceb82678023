//! Handles that record without looking anything up: a gauge guard for open things, a
//! provider's call recorder and a cache's hit and miss counters.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::histogram::Latency;
use super::labels::ProviderOutcomeLabels;

/// One open thing (a WebSocket, a subscription) counted in a gauge until dropped.
#[derive(Debug)]
pub struct Open(Gauge);

impl Open {
    pub(super) fn new(gauge: &Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Records the calls made to one provider.
#[derive(Clone, Debug)]
pub struct ProviderCalls {
    pub(super) provider: String,
    pub(super) latency: Latency,
    pub(super) requests: Family<ProviderOutcomeLabels, Counter>,
}

impl ProviderCalls {
    /// Counts one HTTP request that ended with `outcome` after `elapsed`.
    pub fn record(&self, outcome: &'static str, elapsed: Duration) {
        self.latency.observe(elapsed);
        let labels = ProviderOutcomeLabels {
            provider: self.provider.clone(),
            outcome,
        };
        self.requests.get_or_create(&labels).inc();
    }
}

/// The hit and miss counters of one cache.
#[derive(Clone, Debug, Default)]
pub struct CacheLookups {
    pub(super) hits: Counter,
    pub(super) misses: Counter,
}

impl CacheLookups {
    /// Counts a lookup answered from the cache.
    pub fn hit(&self) {
        self.hits.inc();
    }

    /// Counts a lookup that had to read the database.
    pub fn miss(&self) {
        self.misses.inc();
    }
}
