//! Pieces every adapter's requests share: a training file streamed from disk as a multipart
//! part (opened afresh for each attempt), and an id checked before it becomes a URL segment.

use std::path::Path;

use reqwest::multipart::Part;
use tokio_util::io::ReaderStream;

use super::ProviderError;

/// Read size when streaming a training file.
const UPLOAD_CHUNK: usize = 64 * 1024;

/// The training file at `path` as a streamed multipart part named `filename`, with its length.
pub(crate) async fn file_part(
    path: &Path,
    filename: &str,
    mime: &str,
) -> Result<(Part, u64), ProviderError> {
    let unreadable = |error: std::io::Error| ProviderError::Protocol {
        message: format!(
            "could not read the training file {} before uploading it: {error}",
            path.display()
        ),
    };
    let file = tokio::fs::File::open(path).await.map_err(unreadable)?;
    let length = file.metadata().await.map_err(unreadable)?.len();
    let stream = ReaderStream::with_capacity(file, UPLOAD_CHUNK);
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
        .file_name(filename.to_owned())
        .mime_str(mime)
        .map_err(|error| ProviderError::Protocol {
            message: format!("could not prepare the upload: {error}"),
        })?;
    Ok((part, length))
}

/// An id as a URL segment; an empty id would silently address the collection instead.
pub(crate) fn id_segment(id: &str) -> Result<&str, ProviderError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(ProviderError::NotFound {
            message: "no id was given".into(),
        });
    }
    Ok(id)
}
