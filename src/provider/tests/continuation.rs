//! Continued training as each provider takes it: OpenAI and Nebius name the trained model as
//! the model, Together names it in `from_checkpoint` beside the base model, and Fireworks
//! warm-starts from it instead of naming the base model.

use serde_json::Value;

use super::super::{fireworks_wire, nebius, together_wire, wire};
use super::create_request;
use crate::provider::CreateJobRequest;

const BASE: &str = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference";
const TRAINED: &str = "acme/Meta-Llama-3.1-8B-Instruct-Reference:support:ft-1";

fn requests() -> (CreateJobRequest, CreateJobRequest) {
    let mut fresh = create_request();
    fresh.model = BASE.into();
    let mut continued = fresh.clone();
    continued.continue_from = Some(TRAINED.into());
    (fresh, continued)
}

fn field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

#[test]
fn openai_and_nebius_continue_by_naming_the_trained_model_as_the_model() {
    let (fresh, continued) = requests();
    for body_of in [wire::create_job_body, nebius::create_job_body] {
        assert_eq!(field(&body_of(&fresh), "model"), Some(BASE));
        assert_eq!(field(&body_of(&continued), "model"), Some(TRAINED));
    }
}

#[test]
fn together_continues_from_the_trained_models_checkpoint_on_the_base_model() {
    let (fresh, continued) = requests();
    let body = together_wire::create_job_body(&fresh);
    assert_eq!(field(&body, "from_checkpoint"), None);
    let body = together_wire::create_job_body(&continued);
    assert_eq!(field(&body, "model"), Some(BASE));
    assert_eq!(field(&body, "from_checkpoint"), Some(TRAINED));
}

#[test]
fn fireworks_warm_starts_from_the_trained_model_and_then_names_no_base_model() {
    let (fresh, continued) = requests();
    let body = fireworks_wire::create_job_body(&fresh);
    assert_eq!(
        (field(&body, "baseModel"), field(&body, "warmStartFrom")),
        (Some(BASE), None)
    );
    let body = fireworks_wire::create_job_body(&continued);
    assert_eq!(
        (field(&body, "baseModel"), field(&body, "warmStartFrom")),
        (None, Some(TRAINED))
    );
}
