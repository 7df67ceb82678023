//! The messages of the two GraphQL-over-WebSocket sub-protocols: `graphql-transport-ws` (the
//! current one, of the graphql-ws library) and `graphql-ws` (the older subscriptions-transport-ws),
//! with the close codes tuner uses for both.

use async_graphql::Response;
use serde::{Deserialize, Serialize};

/// Close: the client broke the protocol (a message that is not one of its messages).
pub const INVALID_MESSAGE: u16 = 4400;
/// Close: a subscription was sent before the connection was acknowledged.
pub const UNAUTHORIZED: u16 = 4401;
/// Close: `connection_init` did not come in time.
pub const INIT_TIMEOUT: u16 = 4408;
/// Close: a subscription id already in use on this connection.
pub const DUPLICATE_ID: u16 = 4409;
/// Close: `connection_init` sent twice, or too many connections for one token.
pub const TOO_MANY: u16 = 4429;
/// Close: a message over the size limit.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// Close: the server is shutting down.
pub const GOING_AWAY: u16 = 1001;

/// Which sub-protocol a socket speaks; it only changes the name of a result message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`: results are `next`.
    TransportWs,
    /// `graphql-ws`: results are `data`.
    LegacyWs,
}

impl Protocol {
    /// The type of the message that carries one result.
    pub fn result_type(self) -> &'static str {
        match self {
            Self::TransportWs => "next",
            Self::LegacyWs => "data",
        }
    }
}

/// What a client may send (names of both sub-protocols).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Opens the connection, with the token in its payload.
    ConnectionInit {
        /// `{"authorization": "Bearer ..."}` or nothing.
        #[serde(default)]
        payload: Option<serde_json::Value>,
    },
    /// Starts an operation under an id of the client's choosing.
    #[serde(alias = "start")]
    Subscribe {
        /// The client's id for the operation.
        id: String,
        /// The GraphQL request.
        payload: Box<async_graphql::Request>,
    },
    /// Stops the operation with this id.
    #[serde(alias = "stop")]
    Complete {
        /// The client's id for the operation.
        id: String,
    },
    /// The older protocol's goodbye.
    ConnectionTerminate,
    /// Asks for a `pong` (a payload is ignored).
    Ping,
    /// An answer to a `ping`; ignored.
    Pong,
}

/// What the server sends.
#[derive(Serialize)]
pub struct ServerMessage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a Response>,
}

impl<'a> ServerMessage<'a> {
    /// The connection is accepted.
    pub fn ack() -> Self {
        Self::bare("connection_ack")
    }

    /// The answer to a `ping`.
    pub fn pong() -> Self {
        Self::bare("pong")
    }

    /// One result of operation `id`.
    pub fn result(protocol: Protocol, id: &'a str, payload: &'a Response) -> Self {
        Self {
            kind: protocol.result_type(),
            id: Some(id),
            payload: Some(payload),
        }
    }

    /// Operation `id` has ended.
    pub fn complete(id: &'a str) -> Self {
        Self {
            kind: "complete",
            id: Some(id),
            payload: None,
        }
    }

    fn bare(kind: &'static str) -> Self {
        Self {
            kind,
            id: None,
            payload: None,
        }
    }

    /// The message as JSON text.
    pub fn to_text(&self) -> String {
        // A message of strings and a response (string keys only) always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A client message that is not one the protocols know; its text, a close reason, is at most
/// a hundred characters or so.
#[derive(Debug, thiserror::Error)]
#[error("invalid message: {}", crate::error::clip(.0.to_string(), 80))]
pub struct InvalidMessage(#[source] serde_json::Error);

/// Parses a client's message.
pub fn parse(bytes: &[u8]) -> Result<ClientMessage, InvalidMessage> {
    serde_json::from_slice(bytes).map_err(InvalidMessage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_protocols_names_parse() {
        for text in [
            r#"{"type":"subscribe","id":"1","payload":{"query":"{ x }"}}"#,
            r#"{"type":"start","id":"1","payload":{"query":"{ x }"}}"#,
        ] {
            assert!(matches!(
                parse(text.as_bytes()),
                Ok(ClientMessage::Subscribe { .. })
            ));
        }
        assert!(matches!(
            parse(br#"{"type":"stop","id":"1"}"#),
            Ok(ClientMessage::Complete { .. })
        ));
        assert!(matches!(
            parse(br#"{"type":"connection_init"}"#),
            Ok(ClientMessage::ConnectionInit { payload: None })
        ));
    }

    #[test]
    fn garbage_and_unknown_types_are_invalid() {
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"type":"shout"}"#).is_err());
        assert!(parse(br#"{"type":"subscribe"}"#).is_err());
    }

    #[test]
    fn a_result_is_next_or_data_by_protocol() {
        let response = Response::new(async_graphql::Value::Null);
        let text = ServerMessage::result(Protocol::LegacyWs, "7", &response).to_text();
        assert_eq!(text, r#"{"type":"data","id":"7","payload":{"data":null}}"#);
        let text = ServerMessage::result(Protocol::TransportWs, "7", &response).to_text();
        assert!(text.starts_with(r#"{"type":"next","id":"7""#), "{text}");
    }
}
