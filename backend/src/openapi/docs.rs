//! `GET /api/docs`: Swagger UI on `/api/openapi.json`, from files compiled into the binary
//! (vendored from npm's swagger-ui-dist, see `backend/static/docs/README.md`), so the docs work
//! offline and never load anything from a CDN.

use actix_web::{http::header, web, HttpResponse};

use crate::error::ApiError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/docs/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("init.js", "text/javascript; charset=utf-8"),
    asset!("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    asset!("swagger-ui.css", "text/css; charset=utf-8"),
    asset!("LICENSE", "text/plain; charset=utf-8"),
    asset!("NOTICE", "text/plain; charset=utf-8"),
];

/// `GET /api/docs` (and `/api/docs/`): the page.
pub async fn index() -> HttpResponse {
    respond(&ASSETS[0])
}

/// `GET /api/docs/{file}`: the page's scripts, stylesheet and licence texts.
pub async fn file(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    ASSETS
        .iter()
        .find(|a| a.name == name.as_str())
        .map(respond)
        .ok_or(ApiError::NotFound)
}

/// Swagger UI sets inline style attributes, so its page allows inline styles; scripts still
/// only from this origin.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

fn respond(asset: &Asset) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CONTENT_SECURITY_POLICY, DOCS_CSP))
        // Not content-hashed names: revalidate, but let a browser keep them for a while.
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(asset.body)
}
