//! How one GraphQL operation is run, over HTTP and WebSocket alike: the checks made before the
//! engine sees a document (its size once fragments are expanded, hand-written upload markers),
//! where the document comes from (parsed once per distinct text, or named by its hash alone),
//! and what is done to every answer (the size cap, the order of the query, an error code on
//! every error).

pub mod answer_budget;
pub mod document_cache;
pub mod document_size;
pub mod field_order;
pub mod persisted_query;
pub mod plain;

use async_graphql::{Request, Response, ServerError, Value};

use self::answer_budget::AnswerBudget;
use self::document_cache::DocumentCache;
use self::document_size::SizeLimits;
use self::field_order::OrderPlan;
use crate::error::{clip, Error};

/// Deepest nesting of selection sets, fragment spreads and inline fragments in a document
/// (the engine's own recursion limit, checked here first without expanding fragments).
pub const MAX_NESTING: usize = 64;
/// Complexity of a system prompt. It may hold 500 rules of 2,000 characters (1 MB), so it
/// costs as much as 50 small fields: 200 of them reach the complexity limit.
pub const SYSTEM_PROMPT_COST: usize = 50;
/// Longest error message sent; longer ones (which could only come from quoting input) are cut.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Limits on what one operation may ask for and answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Most field selections in a document once its fragments are expanded (aliases and
    /// `__typename` count).
    pub max_fields: usize,
    /// Most bytes of text in one answer.
    pub max_answer_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_fields: 5_000,
            max_answer_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Checks `request` before the engine sees it. A request that passes comes back parsed (its
/// document from `documents` when its text or hash is known there), with the answer budget in
/// its data, beside what finishes its answers; a refused one gets its answer at once.
pub fn prepare(
    mut request: Request,
    limits: &QueryLimits,
    documents: Option<&DocumentCache>,
) -> Result<(Request, Finisher), Box<Response>> {
    if let Err(message) = check_upload_markers(&request) {
        return Err(Box::new(refusal(Error::bad_input("variables", message))));
    }
    let size_limits = SizeLimits {
        max_fields: limits.max_fields,
        max_nesting: MAX_NESTING,
    };
    persisted_query::load_document(&mut request, documents, size_limits)?;
    let operation_name = request.operation_name.clone();
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => return Err(Box::new(finish_errors(Response::from_errors(vec![error])))),
    };
    let plan = OrderPlan::of(document, operation_name.as_deref());
    let budget = AnswerBudget::new(limits.max_answer_bytes);
    let request = request.data(budget.clone());
    Ok((request, Finisher { plan, budget }))
}

/// Finishes the answers of one prepared request (one, or one per subscription event).
pub struct Finisher {
    plan: Option<OrderPlan>,
    budget: AnswerBudget,
}

impl Finisher {
    /// The budget the request's answers are held to.
    pub fn budget(&self) -> &AnswerBudget {
        &self.budget
    }

    /// The answer as the client gets it: replaced by one error when it outgrew the budget (which
    /// then starts over for the next event), in query order, every error with a code.
    pub fn finish(&self, mut response: Response) -> Response {
        if self.budget.exceeded() {
            response = Response::from_errors(vec![self.budget.error()]);
            self.budget.reset();
        } else if let Some(plan) = &self.plan {
            plan.apply(&mut response.data);
        }
        finish_errors(response)
    }
}

/// A refused request's answer: that one error.
pub fn refusal(error: Error) -> Response {
    Response::from_errors(vec![error.to_server_error()])
}

/// Every error gets its code: errors of tuner's services get their client message, code and
/// field (internal ones are logged with their cause); errors raised by the engine itself
/// (syntax, unknown fields, wrong argument types, limits) are all the client's to fix, so they
/// get `BAD_USER_INPUT`. Overlong messages are cut.
fn finish_errors(mut response: Response) -> Response {
    for error in &mut response.errors {
        let source = error.source.clone();
        if let Some(service_error) = source.as_deref().and_then(|s| s.downcast_ref::<Error>()) {
            service_error.log_if_internal("request failed");
            service_error.describe(error);
        } else if error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_none()
        {
            set_code(error, "BAD_USER_INPUT");
        }
        error.message = clip(std::mem::take(&mut error.message), MAX_MESSAGE_CHARS);
    }
    response
}

fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", Value::from(code));
}

/// The text the multipart request spec puts where a file goes; the engine trusts it blindly.
const UPLOAD_MARKER: &str = "#__graphql_file__:";

/// Refuses upload markers that do not point at a file of this request: written by hand in the
/// query or variables, they would make the engine read a file that is not there.
fn check_upload_markers(request: &Request) -> Result<(), &'static str> {
    if request.query.contains(UPLOAD_MARKER) {
        return Err("files can only be sent as a multipart request, not written into the query");
    }
    let files = request.uploads.len();
    let mut variables = request.variables.values();
    if variables.all(|value| markers_point_at_files(value, files)) {
        return Ok(());
    }
    Err("a variable refers to an uploaded file that this request does not carry; send files as a multipart request")
}

fn markers_point_at_files(value: &Value, files: usize) -> bool {
    match value {
        Value::String(text) => match text.strip_prefix(UPLOAD_MARKER) {
            Some(index) => index.parse::<usize>().is_ok_and(|i| i < files),
            None => true,
        },
        Value::List(items) => items.iter().all(|item| markers_point_at_files(item, files)),
        Value::Object(fields) => fields
            .values()
            .all(|item| markers_point_at_files(item, files)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use sea_orm::DbErr;

    use super::*;

    /// Log lines written while a test runs.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn answer_with(error: Error) -> Response {
        let error = async_graphql::Error::from(error).into_server_error(Default::default());
        Response::from_errors(vec![error])
    }

    #[test]
    fn an_internal_errors_cause_reaches_the_log_and_not_the_client() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let cause = DbErr::Custom("disk I/O error on page 42".to_owned());
        let answer = tracing::subscriber::with_default(subscriber, || {
            finish_errors(answer_with(Error::Database(cause)))
        });
        let logged = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
        assert!(logged.contains("disk I/O error on page 42"), "{logged}");
        let error = &answer.errors[0];
        assert_eq!(error.message, "internal server error");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(Value::from("INTERNAL_SERVER_ERROR")));
    }

    #[test]
    fn a_service_error_keeps_its_code_and_field() {
        let answer = finish_errors(answer_with(Error::bad_input("name", "name is empty")));
        let error = &answer.errors[0];
        assert_eq!(error.message, "name is empty");
        let extensions = error.extensions.as_ref().expect("extensions");
        assert_eq!(extensions.get("code"), Some(&Value::from("BAD_USER_INPUT")));
        assert_eq!(extensions.get("field"), Some(&Value::from("name")));
    }
}
