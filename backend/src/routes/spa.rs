//! Serves the built single-page app: hashed assets with a year-long immutable cache,
//! `index.html` (also for every client-side route) with `no-cache`, and problem+json 404s for
//! unknown API paths. An asset with a precompressed sibling (`<file>.br`, `<file>.gz`, written
//! by `scripts/build-frontend.sh`) is answered with the best one the client accepts (brotli,
//! then gzip, by `Accept-Encoding`), with the original's type and `Vary: Accept-Encoding`.

use std::path::{Component, Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::ContentEncoding;
use actix_web::{http::header, HttpRequest, HttpResponse};

use super::{Answer, State};
use crate::error::ApiError;

pub async fn serve(req: HttpRequest, state: State) -> Answer {
    let path = req.path();
    // The admin API and console live on the admin listener only.
    let admin = path == "/admin" || path.starts_with("/admin/");
    if admin || path.starts_with("/api/") || path == "/api" || path.starts_with("/health") {
        return Err(ApiError::NotFound);
    }
    let method = req.method();
    if method != actix_web::http::Method::GET && method != actix_web::http::Method::HEAD {
        return Err(ApiError::NotFound);
    }
    serve_dir(&req, &state.static_dir, path).await
}

/// Serves `path` (absolute, as under the site root) from the built app in `root`: a file with
/// its cache policy, `index.html` for client routes. The admin console is served this way
/// too, from its own directory.
pub async fn serve_dir(req: &HttpRequest, root: &Path, path: &str) -> Answer {
    let req = req.clone();
    if path == "/" || path == "/index.html" {
        return index(&req, root).await;
    }
    if let Some(file) = asset_path(root, path) {
        let accepted = req
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let (served, encoding) = precompressed(&file, accepted);
        if let Ok(named) = NamedFile::open_async(&served).await {
            let cache = if is_hashed(&file) {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            let named = match encoding {
                Some(encoding) => named
                    .set_content_type(actix_files::file_extension_to_mime(
                        file.extension()
                            .and_then(|e| e.to_str())
                            .unwrap_or_default(),
                    ))
                    .set_content_encoding(encoding),
                None => named,
            };
            let mut response = named.use_etag(true).into_response(&req);
            let headers = response.headers_mut();
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static(cache),
            );
            if has_siblings(&file) {
                headers.insert(
                    header::VARY,
                    header::HeaderValue::from_static("accept-encoding"),
                );
            }
            return Ok(response);
        }
    }
    // A client-side route (no file extension): answer with the app shell.
    let last = path.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return Err(ApiError::NotFound);
    }
    index(&req, root).await
}

/// The app shell, with a Content-Security-Policy that allows exactly its own inline loader
/// script (by hash), the WASM module and same-origin requests — nothing else.
async fn index(req: &HttpRequest, root: &Path) -> Answer {
    let Ok(html) = tokio::fs::read_to_string(root.join("index.html")).await else {
        return Err(ApiError::NotFound);
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, spa_csp(&html)));
    if req.method() == actix_web::http::Method::HEAD {
        return Ok(response.finish());
    }
    Ok(response.body(html))
}

pub fn spa_csp(html: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hashes: String = inline_scripts(html)
        .map(|script| {
            let digest = sha2::Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The bodies of `<script>` elements without a `src` attribute.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, rest) = rest.split_once('>')?;
        let (body, _) = rest.split_once("</script>")?;
        (!attributes.contains("src=")).then_some(body)
    })
}

/// The file under `root` that `path` names, refusing anything that could leave `root`.
fn asset_path(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let candidate = Path::new(relative);
    if candidate
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let full = root.join(candidate);
    full.is_file().then_some(full)
}

/// The precompressed sibling of `file` to send for an `Accept-Encoding` of `accepted`
/// (brotli first, then gzip), or `file` itself with no encoding.
fn precompressed(file: &Path, accepted: &str) -> (PathBuf, Option<ContentEncoding>) {
    for (coding, suffix, encoding) in [
        ("br", "br", ContentEncoding::Brotli),
        ("gzip", "gz", ContentEncoding::Gzip),
    ] {
        if accepts(accepted, coding) {
            let sibling = with_suffix(file, suffix);
            if sibling.is_file() {
                return (sibling, Some(encoding));
            }
        }
    }
    (file.to_path_buf(), None)
}

/// `file.wasm` → `file.wasm.br`.
fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn has_siblings(file: &Path) -> bool {
    ["br", "gz"]
        .into_iter()
        .any(|suffix| with_suffix(file, suffix).is_file())
}

/// Whether an `Accept-Encoding` value takes `coding` (named with a q-value above zero, or
/// `*`), per RFC 9110 §12.5.3; names compare case-insensitively.
pub fn accepts(accepted: &str, coding: &str) -> bool {
    let mut wildcard = None;
    for item in accepted.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            return q > 0.0;
        }
        if name == "*" {
            wildcard = Some(q > 0.0);
        }
    }
    wildcard.unwrap_or(false)
}

/// Trunk names built assets `<name>-<16 hex digits>[_bg].<ext>`: their content never changes.
fn is_hashed(file: &Path) -> bool {
    let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_hashed(Path::new("frontend-0123456789abcdef_bg.wasm")));
        assert!(is_hashed(Path::new("frontend-0123456789abcdef.js")));
        assert!(is_hashed(Path::new("style-0123456789abcdef.css")));
        assert!(!is_hashed(Path::new("index.html")));
        assert!(!is_hashed(Path::new("favicon.ico")));
    }

    #[test]
    fn csp_allows_exactly_the_inline_loader() {
        let html = "<html><script type=\"module\">import init from '/a.js';</script>\
                    <script src=\"/b.js\"></script></html>";
        let csp = spa_csp(html);
        // sha256 of "import init from '/a.js';", base64.
        use base64::Engine as _;
        use sha2::Digest as _;
        let expected = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(b"import init from '/a.js';"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    }

    #[test]
    fn no_escape_from_root() {
        let root = std::env::temp_dir();
        assert!(asset_path(&root, "/../etc/passwd").is_none());
        assert!(asset_path(&root, "/a/../../etc/passwd").is_none());
    }
}
