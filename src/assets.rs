//! The site's static files, embedded in the binary and served from memory.
//!
//! Each URL carries a fingerprint of the file's content (`/static/style.css?v=1a2b3c4d5e6f`), so
//! browsers may keep it for a year and still see a new version the moment it ships.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::extract::Path;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/style.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/favicon.svg"),
    },
];

/// Each asset's fingerprint, computed once.
static FINGERPRINTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            Sha256::digest(a.body)
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
});

/// Each asset's fingerprinted URL, made once.
static URLS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .zip(FINGERPRINTS.iter())
        .map(|(a, f)| format!("/static/{}?v={f}", a.name))
        .collect()
});

/// The fingerprinted URL of a static file, for templates.
pub fn url(name: &str) -> &'static str {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => &URLS[i],
        None => "/static/missing",
    }
}

/// `GET /static/{file}`: an embedded file with strong caching and an ETag.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let i = ASSETS
        .iter()
        .position(|a| a.name == name)
        .ok_or(AppError::NotFound)?;
    let asset = &ASSETS[i];
    let etag = format!("\"{}\"", FINGERPRINTS[i]);
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag)],
            [(header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, cache),
            (
                header::ETAG,
                HeaderValue::from_str(&etag).expect("hex etag"),
            ),
        ],
        asset.body,
    )
        .into_response())
}
