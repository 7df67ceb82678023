//! When to try a provider request again: exponential backoff with jitter and `Retry-After`.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::HeaderMap;

use super::ProviderSettings;

/// The pause before retry number `retry` (1 for the first retry): `initial_backoff` doubled per
/// retry, capped at `max_backoff`, then scaled by a random factor in [0.5, 1] so that many
/// workers hitting the same outage do not retry in lockstep.
pub(crate) fn backoff_delay(settings: &ProviderSettings, retry: u32) -> Duration {
    let doubling = 2u32.saturating_pow(retry.saturating_sub(1));
    let delay = settings
        .initial_backoff
        .saturating_mul(doubling)
        .min(settings.max_backoff);
    delay.mul_f64(rand::rng().random_range(0.5..=1.0))
}

/// The pause the provider asked for, if any: `retry-after-ms` (OpenAI's own header, in
/// milliseconds), else `Retry-After` in seconds or as an HTTP date. Not capped here.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(millis) = header("retry-after-ms").and_then(parse_non_negative) {
        return Some(Duration::from_secs_f64(millis / 1000.0));
    }
    let value = header("retry-after")?.trim();
    if let Some(seconds) = parse_non_negative(value) {
        return Some(Duration::from_secs_f64(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(date.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn parse_non_negative(value: &str) -> Option<f64> {
    let number: f64 = value.trim().parse().ok()?;
    // An hour is far beyond any sane pause; it also keeps from_secs_f64 from panicking.
    (number.is_finite() && number >= 0.0).then_some(number.min(3600.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn retry_after_reads_seconds_milliseconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767); // 08:49:27 GMT
        let seconds = headers("retry-after", "7");
        assert_eq!(retry_after(&seconds, now), Some(Duration::from_secs(7)));
        let millis = headers("retry-after-ms", "250");
        assert_eq!(retry_after(&millis, now), Some(Duration::from_millis(250)));
        let date = headers("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(10)));
        let past = headers("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT");
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_ignores_garbage_and_negative_values() {
        let now = SystemTime::now();
        assert_eq!(retry_after(&headers("retry-after", "soon"), now), None);
        assert_eq!(retry_after(&headers("retry-after", "-3"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let settings = ProviderSettings {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..ProviderSettings::default()
        };
        for (retry, full) in [(1, 100), (2, 200), (3, 350), (30, 350)] {
            let delay = backoff_delay(&settings, retry);
            let full = Duration::from_millis(full);
            assert!(
                delay <= full && delay >= full / 2,
                "retry {retry}: {delay:?}"
            );
        }
    }
}
