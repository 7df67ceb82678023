//! A Fireworks dataset: created empty (`UPLOADING`), `READY` once its file is uploaded.

use serde_json::{json, Value};

use crate::clock::{iso, Millis};

/// One dataset of a Fireworks account.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// `accounts/{account}/datasets/{id}`.
    pub name: String,
    pub display_name: Option<String>,
    pub created_ms: Millis,
    pub updated_ms: Millis,
    /// The uploaded file name and bytes, once uploaded.
    pub file: Option<(String, Vec<u8>)>,
    pub example_count: usize,
}

impl Dataset {
    /// The `Dataset` resource JSON.
    pub fn to_json(&self) -> Value {
        let state = if self.file.is_some() {
            "READY"
        } else {
            "UPLOADING"
        };
        json!({
            "name": self.name,
            "displayName": self.display_name.clone().unwrap_or_default(),
            "createTime": iso(self.created_ms),
            "updateTime": iso(self.updated_ms),
            "state": state,
            "status": {"code": "OK", "message": ""},
            "exampleCount": self.example_count.to_string(),
            "userUploaded": {},
            "format": "CHAT",
        })
    }
}
