//! One scrape: the gauges read at scrape time are set, then every metric is written in the
//! OpenMetrics text format (which Prometheus reads; it ends with `# EOF`).

use super::{Metrics, StatusLabels};

/// The `Content-Type` of a scrape's answer.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl Metrics {
    /// The exposition text, with the training job counts of this scrape (every status, zeros
    /// included, so a status that empties drops to 0 instead of keeping its last count).
    pub fn render(&self, training_jobs: &[(String, i64)]) -> Result<String, std::fmt::Error> {
        for (status, count) in training_jobs {
            let labels = StatusLabels {
                status: status.clone(),
            };
            self.inner.training_jobs.get_or_create(&labels).set(*count);
        }
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.inner.registry)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_scrape_shows_what_was_recorded() {
        let metrics = Metrics::new();
        let operation = metrics.operation(Some("Models"), "");
        metrics.graphql_request(operation, Some("NOT_FOUND"), Duration::from_millis(2));
        let operation = metrics.operation(None, "{ a }");
        metrics.graphql_request(operation, Some("SOMETHING_NEW"), Duration::from_millis(2));
        metrics
            .provider("openai")
            .record("ok", Duration::from_millis(40));
        metrics.cache("tokens").hit();
        let socket = metrics.websocket_opened();
        let text = metrics
            .render(&[("running".to_owned(), 2), ("failed".to_owned(), 0)])
            .expect("render");
        for line in [
            "tuner_graphql_requests_total{operation=\"Models\",outcome=\"NOT_FOUND\"} 1",
            "tuner_graphql_requests_total{operation=\"(anonymous)\",outcome=\"OTHER_ERROR\"} 1",
            "tuner_graphql_request_duration_seconds_bucket{le=\"0.001\",operation=\"Models\"} 0",
            "tuner_graphql_request_duration_seconds_bucket{le=\"0.0025\",operation=\"Models\"} 1",
            "tuner_graphql_request_duration_seconds_bucket{le=\"30.0\",operation=\"Models\"} 1",
            "tuner_graphql_request_duration_seconds_bucket{le=\"+Inf\",operation=\"Models\"} 1",
            "tuner_graphql_request_duration_seconds_count{operation=\"Models\"} 1",
            "tuner_provider_requests_total{provider=\"openai\",outcome=\"ok\"} 1",
            "tuner_provider_request_duration_seconds_count{provider=\"openai\"} 1",
            "tuner_cache_lookups_total{cache=\"tokens\",result=\"hit\"} 1",
            "tuner_cache_lookups_total{cache=\"tokens\",result=\"miss\"} 0",
            "tuner_websocket_connections 1",
            "tuner_training_jobs{status=\"running\"} 2",
            "tuner_training_jobs{status=\"failed\"} 0",
            "tuner_build_info{version=\"",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line:?} missing from:\n{text}");
        }
        drop(socket);
        let text = metrics.render(&[]).expect("render");
        assert!(text.contains("tuner_websocket_connections 0"), "{text}");
    }
}
