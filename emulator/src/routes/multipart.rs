//! Reading a multipart form: its text fields and its one `file` part.

use std::collections::HashMap;

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};

use crate::error::{ApiError, ApiResult};

/// A multipart body: text fields by name, and the `file` part's name and bytes.
#[derive(Debug, Default)]
pub struct Form {
    pub fields: HashMap<String, String>,
    pub file: Option<(String, Vec<u8>)>,
}

impl Form {
    /// Reads every part; non-file parts are taken as text.
    pub async fn read(multipart: Result<Multipart, MultipartRejection>) -> ApiResult<Form> {
        let mut multipart = multipart.map_err(|e| {
            ApiError::invalid(format!("Send the file as multipart/form-data ({e})."))
        })?;
        let mut form = Form::default();
        while let Some(field) = multipart.next_field().await.map_err(bad_form)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().unwrap_or("upload.jsonl").to_owned();
                let bytes = field.bytes().await.map_err(bad_form)?;
                form.file = Some((file_name, bytes.to_vec()));
            } else {
                let text = field.text().await.map_err(bad_form)?;
                form.fields.insert(name, text);
            }
        }
        Ok(form)
    }

    /// The text field `name`, or a 400 naming it.
    pub fn required(&self, name: &str) -> ApiResult<&str> {
        self.fields.get(name).map(String::as_str).ok_or_else(|| {
            ApiError::invalid(format!("Missing required parameter: '{name}'.")).param(name)
        })
    }
}

fn bad_form(error: MultipartError) -> ApiError {
    ApiError::new(
        error.status(),
        "invalid_request_error",
        format!("Could not read the multipart body: {}.", error.body_text()),
    )
}
