//! Uploaded (and generated) files and their OpenAI `file` JSON.

use serde_json::{json, Value};

use crate::dialect::Dialect;

/// A file kept in memory.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub id: String,
    pub filename: String,
    pub purpose: String,
    pub bytes: Vec<u8>,
    pub created_at: i64,
    /// The provider the file was uploaded to (each dialect sees only its own files).
    pub dialect: Dialect,
}

impl StoredFile {
    /// The OpenAIFile object.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "file",
            "bytes": self.bytes.len(),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": null,
        })
    }
}
