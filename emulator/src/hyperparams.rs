//! Hyperparameters: "auto" or numbers from a create request, resolved to numbers when training starts.

use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};

/// A hyperparameter that is either left to the provider or set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hp<T> {
    Auto,
    Set(T),
}

impl<T: Copy + Into<Value>> Hp<T> {
    fn to_json(self) -> Value {
        match self {
            Hp::Auto => json!("auto"),
            Hp::Set(v) => v.into(),
        }
    }

    fn or(self, fallback: Hp<T>) -> Hp<T> {
        match self {
            Hp::Auto => fallback,
            set => set,
        }
    }

    fn resolve(self, auto: T) -> T {
        match self {
            Hp::Auto => auto,
            Hp::Set(v) => v,
        }
    }
}

/// The supervised hyperparameters of a job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyperparameters {
    pub n_epochs: Hp<u32>,
    pub batch_size: Hp<u32>,
    pub learning_rate_multiplier: Hp<f64>,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Self {
            n_epochs: Hp::Auto,
            batch_size: Hp::Auto,
            learning_rate_multiplier: Hp::Auto,
        }
    }
}

impl Hyperparameters {
    /// Reads `hyperparameters` (deprecated) and `method` of a create request; values set in
    /// `method.supervised.hyperparameters` win over the deprecated field.
    pub fn from_request(legacy: Option<&Value>, method: Option<&Value>) -> ApiResult<Self> {
        let legacy = parse_object(legacy, "hyperparameters")?;
        let Some(method) = method.filter(|m| !m.is_null()) else {
            return Ok(legacy);
        };
        let supervised = supervised_hyperparameters(method)?;
        let current = parse_object(supervised, "method.supervised.hyperparameters")?;
        Ok(Self {
            n_epochs: current.n_epochs.or(legacy.n_epochs),
            batch_size: current.batch_size.or(legacy.batch_size),
            learning_rate_multiplier: current
                .learning_rate_multiplier
                .or(legacy.learning_rate_multiplier),
        })
    }

    /// Concrete values for a training file with `examples` examples (OpenAI's "auto" rules).
    pub fn resolve(&self, examples: usize) -> Self {
        Self {
            n_epochs: Hp::Set(self.n_epochs.resolve(default_epochs(examples))),
            batch_size: Hp::Set(self.batch_size.resolve(default_batch_size(examples))),
            learning_rate_multiplier: Hp::Set(self.learning_rate_multiplier.resolve(1.8)),
        }
    }

    /// Epochs and batch size once resolved (1 while still "auto").
    pub fn epochs_and_batch(&self) -> (u32, u32) {
        (self.n_epochs.resolve(1), self.batch_size.resolve(1))
    }

    pub fn to_json(self) -> Value {
        json!({
            "n_epochs": self.n_epochs.to_json(),
            "batch_size": self.batch_size.to_json(),
            "learning_rate_multiplier": self.learning_rate_multiplier.to_json(),
        })
    }
}

/// OpenAI's default epochs: 3; fewer than 100 example-epochs raise it (up to 25), more than
/// 25,000 lower it (down to 1).
pub fn default_epochs(examples: usize) -> u32 {
    let n = examples.max(1) as u64;
    let epochs = if n * 3 < 100 {
        (100 / n).min(25)
    } else if n * 3 > 25_000 {
        (25_000 / n).max(1)
    } else {
        3
    };
    u32::try_from(epochs).unwrap_or(1)
}

// OpenAI picks about 0.2% of the examples per batch, between 1 and 256.
fn default_batch_size(examples: usize) -> u32 {
    ((examples as f64 * 0.002).ceil() as u32).clamp(1, 256)
}

fn supervised_hyperparameters(method: &Value) -> ApiResult<Option<&Value>> {
    let kind = method.get("type").and_then(Value::as_str);
    match kind {
        Some("supervised") => Ok(method
            .get("supervised")
            .and_then(|s| s.get("hyperparameters"))),
        Some(other) => Err(ApiError::invalid(format!(
            "The emulator only supports method type `supervised`, not `{other}`."
        ))
        .param("method.type")),
        None => Err(
            ApiError::invalid("`method.type` is required (use `supervised`).").param("method.type"),
        ),
    }
}

fn parse_object(value: Option<&Value>, at: &str) -> ApiResult<Hyperparameters> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Hyperparameters::default()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(ApiError::invalid(format!("`{at}` must be an object.")).param(at)),
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !["n_epochs", "batch_size", "learning_rate_multiplier"].contains(&k.as_str()))
    {
        return Err(
            ApiError::invalid(format!("Unknown hyperparameter `{at}.{unknown}`.")).param(at),
        );
    }
    Ok(Hyperparameters {
        n_epochs: parse_int(map, "n_epochs", 50, at)?,
        batch_size: parse_int(map, "batch_size", 256, at)?,
        learning_rate_multiplier: parse_rate(map, at)?,
    })
}

fn parse_int(map: &Map<String, Value>, name: &str, max: u64, at: &str) -> ApiResult<Hp<u32>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(Hp::Auto),
        Some(Value::String(s)) if s == "auto" => Ok(Hp::Auto),
        Some(v) => match v.as_u64().filter(|n| (1..=max).contains(n)) {
            Some(n) => Ok(Hp::Set(u32::try_from(n).unwrap_or(1))),
            None => Err(ApiError::invalid(format!(
                "`{at}.{name}` must be \"auto\" or an integer from 1 to {max}, not {v}."
            ))
            .param(format!("{at}.{name}"))),
        },
    }
}

fn parse_rate(map: &Map<String, Value>, at: &str) -> ApiResult<Hp<f64>> {
    let name = "learning_rate_multiplier";
    match map.get(name) {
        None | Some(Value::Null) => Ok(Hp::Auto),
        Some(Value::String(s)) if s == "auto" => Ok(Hp::Auto),
        Some(v) => match v.as_f64().filter(|x| x.is_finite() && *x > 0.0) {
            Some(x) => Ok(Hp::Set(x)),
            None => Err(ApiError::invalid(format!(
                "`{at}.{name}` must be \"auto\" or a number greater than 0, not {v}."
            ))
            .param(format!("{at}.{name}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_epochs_follow_openai_heuristic() {
        assert_eq!(default_epochs(10), 10);
        assert_eq!(default_epochs(3), 25);
        assert_eq!(default_epochs(50), 3);
        assert_eq!(default_epochs(10_000), 2);
        assert_eq!(default_epochs(100_000), 1);
    }

    #[test]
    fn method_values_win_over_deprecated_field() {
        let legacy = json!({"n_epochs": 2, "batch_size": 4});
        let method =
            json!({"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 5}}});
        let hp = Hyperparameters::from_request(Some(&legacy), Some(&method)).unwrap();
        assert_eq!(hp.n_epochs, Hp::Set(5));
        assert_eq!(hp.batch_size, Hp::Set(4));
        assert_eq!(hp.learning_rate_multiplier, Hp::Auto);
    }
}
