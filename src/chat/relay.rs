//! Passing a provider's answer on: a whole JSON answer, or Server-Sent Events relayed event by
//! event as they arrive. Either way the provider's `usage` is read on the way and counted when
//! the answer is done, including when the client goes away mid-stream.

use std::io;

use bytes::{Bytes, BytesMut};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};

use super::limits::Slot;
use super::usage::{Tokens, UsageRecorder};
use crate::ids::{ModelId, TokenId, WorkspaceId};

/// Counts one request's usage when dropped, and keeps its place in the token's in-flight count
/// until then.
pub struct Meter {
    pub(super) recorder: UsageRecorder,
    pub(super) workspace_id: WorkspaceId,
    pub(super) model_id: ModelId,
    pub(super) token_id: TokenId,
    pub(super) tokens: Tokens,
    pub(super) _slot: Slot,
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.recorder
            .record(self.workspace_id, self.model_id, self.token_id, self.tokens);
    }
}

/// The token counts of a provider's `usage` object, if the value holds one.
pub fn usage_of(value: &Value) -> Option<Tokens> {
    let usage = value.get("usage")?.as_object()?;
    let count = |field: &str| usage.get(field).and_then(Value::as_i64).unwrap_or(0);
    Some(Tokens {
        prompt: count("prompt_tokens"),
        completion: count("completion_tokens"),
    })
}

/// Where the next event ends in `buffer`: (end of the event, length of its separator).
fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| (at, 2));
    let crlf = buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (found, None) | (None, found) => found,
    }
}

/// The JSON of an event's `data:` lines, when it has any that parse.
fn event_json(event: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(event).ok()?;
    let data: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim_start)
        .collect();
    if data.is_empty() {
        return None;
    }
    serde_json::from_str(&data.join("\n")).ok()
}

struct RelayState<S> {
    upstream: S,
    buffer: BytesMut,
    meter: Meter,
    /// Whether the client asked for the usage chunk itself (`stream_options.include_usage`).
    client_wants_usage: bool,
    finished: bool,
}

impl<S> RelayState<S> {
    /// The next complete event to pass on, skipping the usage chunk the client did not ask for.
    fn next_event(&mut self) -> Option<Bytes> {
        while let Some((end, separator)) = event_end(&self.buffer) {
            let event = self.buffer.split_to(end + separator).freeze();
            let Some(value) = event_json(&event[..end]) else {
                return Some(event);
            };
            if let Some(tokens) = usage_of(&value) {
                self.meter.tokens = tokens;
                let only_usage = value
                    .get("choices")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty);
                if only_usage && !self.client_wants_usage {
                    continue;
                }
            }
            return Some(event);
        }
        None
    }
}

/// An SSE error event in OpenAI's shape, for a stream the provider broke off.
fn broken_off(error: &reqwest::Error) -> Bytes {
    let (kind, message) = if error.is_timeout() {
        (
            "provider_timeout",
            "the provider took longer than --chat-upstream-timeout",
        )
    } else {
        ("provider_unreachable", "the provider broke the stream off")
    };
    let body = json!({ "error": { "message": message, "type": "api_error", "param": null, "code": kind } });
    Bytes::from(format!("data: {body}\n\n"))
}

/// Relays the provider's event stream as it arrives.
pub fn relay_events<S>(
    upstream: S,
    meter: Meter,
    client_wants_usage: bool,
) -> BoxStream<'static, Result<Bytes, io::Error>>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Send + Unpin + 'static,
{
    let state = RelayState {
        upstream,
        buffer: BytesMut::new(),
        meter,
        client_wants_usage,
        finished: false,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.next_event() {
                return Some((Ok(event), state));
            }
            if state.finished {
                return None;
            }
            match state.upstream.next().await {
                Some(Ok(chunk)) => state.buffer.extend_from_slice(&chunk),
                Some(Err(error)) => {
                    state.finished = true;
                    state.buffer.clear();
                    return Some((Ok(broken_off(&error)), state));
                }
                None => {
                    state.finished = true;
                    // A last event without its blank line still reaches the client.
                    if !state.buffer.is_empty() {
                        let rest = state.buffer.split().freeze();
                        return Some((Ok(rest), state));
                    }
                    return None;
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_end_at_a_blank_line_of_either_kind() {
        assert_eq!(event_end(b"data: 1\n\ndata: 2"), Some((7, 2)));
        assert_eq!(event_end(b"data: 1\r\n\r\n"), Some((7, 4)));
        assert_eq!(event_end(b"data: 1\n"), None);
    }

    #[test]
    fn usage_is_read_from_a_chunk() {
        let chunk = event_json(
            b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5}}",
        );
        let tokens = chunk.as_ref().and_then(usage_of);
        assert_eq!(
            tokens,
            Some(Tokens {
                prompt: 3,
                completion: 5
            })
        );
        assert_eq!(event_json(b"data: [DONE]"), None);
    }
}
