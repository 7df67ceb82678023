//! The admin panel: a single-page front end of the GraphQL API, served at `/` with its files
//! compiled into the binary (or read from `--panel-dir` while the panel itself is worked on).
//!
//! The page loads nothing from elsewhere: a Content-Security-Policy limits scripts, styles,
//! images and connections to this server. Every file carries an ETag, so a browser revalidates
//! with one small request and gets `304 Not Modified` until the binary changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;

/// The panel's files: URL path under `/`, and their bytes in the binary.
macro_rules! panel_files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/panel/", $path)) as &[u8])),*]
    };
}

/// Every file of `panel/`; `every_panel_file_is_served` fails when one is missing here.
const FILES: &[(&str, &[u8])] = panel_files![
    "index.html",
    "assets/style.css",
    "assets/js/main.js",
    "assets/js/api.js",
    "assets/js/dom.js",
    "assets/js/format.js",
    "assets/js/pages/rules.js",
    "assets/js/pages/blocks.js",
    "assets/js/pages/block_editor.js",
    "assets/js/pages/models.js",
    "assets/js/pages/model.js",
    "assets/js/pages/model/training_run.js",
    "assets/js/pages/model/training_preview.js",
    "assets/js/pages/model/job_history.js",
    "assets/js/pages/model/move.js",
    "assets/js/pages/model/preview_then_start.js",
    "assets/js/pages/job.js",
    "assets/js/pages/loss_chart.js",
    "assets/js/pages/try.js",
    "assets/js/pages/settings.js",
    "assets/js/pages/settings/credentials.js",
    "assets/js/pages/settings/tokens.js",
    "assets/js/pages/settings/credits.js",
    "assets/js/pages/settings/transfer.js",
    "assets/js/pages/console.js",
    "assets/js/pages/console/document.js",
    "assets/js/pages/console/subscription.js",
    "assets/js/pages/console/schema_explorer.js",
    "assets/icon.svg",
];

/// What the browser may load and connect to: this server only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One file as served.
struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: HeaderValue,
}

static ASSETS: LazyLock<HashMap<&'static str, Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(path, bytes)| {
            let asset = Asset {
                bytes,
                content_type: content_type(path),
                etag: etag(bytes),
            };
            (*path, asset)
        })
        .collect()
});

/// Where the panel's files come from.
#[derive(Clone, Debug, Default)]
pub struct PanelSource {
    /// Read the files from this directory on every request instead of the binary (for working
    /// on the panel without rebuilding).
    pub dir: Option<Arc<PathBuf>>,
}

/// `GET /` (and `GET /graphql` from a browser): the panel's page.
pub(super) async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state.panel, "index.html", &headers).await
}

/// `GET /assets/{*path}`: a script, style sheet or image of the panel.
pub(super) async fn asset(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state.panel, &format!("assets/{path}"), &headers).await
}

async fn serve(source: &PanelSource, path: &str, headers: &HeaderMap) -> Response {
    if let Some(dir) = &source.dir {
        return serve_from_dir(dir, path).await;
    }
    let Some(asset) = ASSETS.get(path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == asset.etag.as_bytes());
    if unchanged {
        return (StatusCode::NOT_MODIFIED, common_headers(asset.etag.clone())).into_response();
    }
    respond(asset.content_type, asset.etag.clone(), asset.bytes.to_vec())
}

/// A file of the panel directory: any file below it (a new one too, before it is added to
/// [`FILES`]), but nothing outside it.
async fn serve_from_dir(dir: &std::path::Path, path: &str) -> Response {
    let safe = path.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    });
    if !safe {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    }
    match tokio::fs::read(dir.join(path)).await {
        Ok(bytes) => respond(content_type(path), etag(&bytes), bytes),
        Err(err) => (
            StatusCode::NOT_FOUND,
            format!("cannot read {path} from the panel directory: {err}"),
        )
            .into_response(),
    }
}

fn respond(content_type: &'static str, etag: HeaderValue, bytes: Vec<u8>) -> Response {
    (
        common_headers(etag),
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response()
}

fn common_headers(etag: HeaderValue) -> [(header::HeaderName, HeaderValue); 6] {
    [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

fn etag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &std::path::Path, prefix: &str, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("panel directory") {
            let entry = entry.expect("directory entry");
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.path().is_dir() {
                files_under(&entry.path(), &format!("{name}/"), found);
            } else {
                found.push(name);
            }
        }
    }

    #[test]
    fn every_panel_file_is_served() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("panel");
        let mut on_disk = Vec::new();
        files_under(&root, "", &mut on_disk);
        let missing: Vec<_> = on_disk
            .iter()
            .filter(|path| !ASSETS.contains_key(path.as_str()))
            .collect();
        assert!(missing.is_empty(), "add to FILES in panel.rs: {missing:?}");
    }

    #[test]
    fn types_follow_the_extension() {
        assert_eq!(
            content_type("assets/js/main.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    }
}
