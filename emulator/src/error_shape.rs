//! Provider error bodies: OpenAI's (also Together's and Nebius'), Fireworks' control-plane
//! `google.rpc.Status` JSON and Fireworks' inference error object.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::error::ApiError;

/// How a path's errors are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{"error":{"message","type","param","code"}}` (OpenAI, Together's ErrorData, Nebius).
    OpenAi,
    /// `{"code": <gRPC code>, "message", "details": []}` (Fireworks `/v1/accounts/...`).
    FireworksGateway,
    /// `{"error":{"object":"error","type","code","message"}}` (Fireworks `/inference/v1`).
    FireworksInference,
}

impl ErrorShape {
    /// The shape of errors answered on `path`.
    pub fn for_path(path: &str) -> Self {
        if path.starts_with("/fireworks/inference/") {
            ErrorShape::FireworksInference
        } else if path.starts_with("/fireworks/") {
            ErrorShape::FireworksGateway
        } else {
            ErrorShape::OpenAi
        }
    }

    /// The JSON body of `error` in this shape.
    pub fn body(self, error: &ApiError) -> Value {
        match self {
            ErrorShape::OpenAi => error.body(),
            ErrorShape::FireworksGateway => json!({
                "code": grpc_code(error.status),
                "message": error.message,
                "details": [],
            }),
            ErrorShape::FireworksInference => json!({"error": {
                "object": "error",
                "type": error.kind,
                "code": error.code.clone().unwrap_or_else(|| error.kind.to_owned()),
                "message": error.message,
            }}),
        }
    }
}

/// Re-renders an error response in `shape` (responses without an [`ApiError`] pass unchanged).
pub fn reshape(response: Response, shape: ErrorShape) -> Response {
    if shape == ErrorShape::OpenAi {
        return response;
    }
    match response.extensions().get::<ApiError>().cloned() {
        Some(error) => error.respond_with(shape.body(&error)),
        None => response,
    }
}

/// The gRPC status code grpc-gateway maps an HTTP status from.
fn grpc_code(status: StatusCode) -> u16 {
    match status.as_u16() {
        400 => 3,
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        412 => 9,
        429 => 8,
        499 => 1,
        501 => 12,
        503 => 14,
        504 => 4,
        500..=599 => 13,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fireworks_paths_get_their_shapes() {
        let error = ApiError::not_found("gone");
        let gateway = ErrorShape::for_path("/fireworks/v1/accounts/a/datasets/x");
        assert_eq!(gateway.body(&error)["code"], 5);
        let inference = ErrorShape::for_path("/fireworks/inference/v1/chat/completions");
        assert_eq!(inference.body(&error)["error"]["object"], "error");
        assert_eq!(
            ErrorShape::for_path("/together/v1/files"),
            ErrorShape::OpenAi
        );
    }
}
