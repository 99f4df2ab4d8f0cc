//! The site's static files, embedded in the binary and served from memory.
//!
//! Each URL carries a fingerprint of the file's content (`/static/style.css?v=1a2b3c4d5e6f`), so
//! browsers may keep it for a year and still see a new version the moment it ships. Each is
//! gzipped once, on first use, at the best level, and sent so to clients that accept gzip.
//!
//! Also `robots.txt`, from memory.

use std::sync::LazyLock;

use std::io::Write;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::extract::Path;
use crate::gzip::accepts_gzip;

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

/// The smallest file worth gzipping: a smaller one fits one TCP segment either way.
const GZIP_MIN_BYTES: usize = 1024;

/// Each asset gzipped, made once; `None` for a file too small to gain from it.
static GZIPPED: LazyLock<Vec<Option<Vec<u8>>>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            if a.body.len() < GZIP_MIN_BYTES {
                return None;
            }
            let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(a.body).ok()?;
            let gz = encoder.finish().ok()?;
            (gz.len() < a.body.len()).then_some(gz)
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

/// `GET /static/{file}`: an embedded file with strong caching and an ETag, gzipped for clients
/// that accept it.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let i = ASSETS
        .iter()
        .position(|a| a.name == name)
        .ok_or(AppError::NotFound)?;
    let asset = &ASSETS[i];
    let gzipped = GZIPPED[i].as_deref().filter(|_| accepts_gzip(&headers));
    // The two encodings are two representations: each has its own ETag, so a cache never
    // answers a revalidation of one with the other.
    let etag = match gzipped {
        Some(_) => format!("\"{}-gz\"", FINGERPRINTS[i]),
        None => format!("\"{}\"", FINGERPRINTS[i]),
    };
    let etag = HeaderValue::from_str(&etag).expect("hex etag");
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let vary = HeaderValue::from_static("accept-encoding");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t.as_bytes() == etag.as_bytes() || t == "*")
        })
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache),
                (header::VARY, vary),
            ],
        )
            .into_response());
    }
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, cache),
            (header::ETAG, etag),
            (header::VARY, vary),
        ],
        gzipped.unwrap_or(asset.body),
    )
        .into_response();
    if gzipped.is_some() {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(response)
}

/// What crawlers may read: the guide (the home page and every problem and step) is public
/// help, worth finding from a search engine. Ticket status pages are each customer's own (their
/// link is the secret), and the console is for managers.
const ROBOTS_TXT: &str = "\
# The troubleshooting guide is public; ticket pages and the managers' console are not.
User-agent: *
Allow: /
Disallow: /tickets/
Disallow: /console
";

/// `GET /robots.txt`: which pages crawlers may read, from memory.
pub async fn robots() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        ROBOTS_TXT,
    )
        .into_response()
}
