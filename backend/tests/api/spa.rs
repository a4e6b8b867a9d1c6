//! The SPA's assets with precompressed siblings: brotli when the client takes it, else gzip,
//! else the file itself; always the original's type, `Vary: Accept-Encoding`, and the
//! long-lived cache of a hashed asset.

use crate::helpers::spawn_app_with;

/// A built app in a folder of its own: an asset with `.br` and `.gz` siblings (each body
/// marked, so the test sees which was sent) and one without.
fn built_app() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spa-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    let wasm = dir.join("frontend-0123456789abcdef_bg.wasm");
    std::fs::write(&wasm, b"\0asm raw").unwrap();
    std::fs::write(
        dir.join("frontend-0123456789abcdef_bg.wasm.br"),
        b"brotli body",
    )
    .unwrap();
    std::fs::write(
        dir.join("frontend-0123456789abcdef_bg.wasm.gz"),
        b"gzip body",
    )
    .unwrap();
    std::fs::write(dir.join("style-0123456789abcdef.css"), b"body{}").unwrap();
    dir
}

#[tokio::test]
async fn assets_go_precompressed_by_accept_encoding() {
    let dir = built_app();
    let app = spawn_app_with(&[("APP_STATIC_DIR", dir.to_str().unwrap())]).await;
    // No automatic decompression here (reqwest without its compression features): the bytes
    // are the file's.
    let client = reqwest::Client::new();
    let get = |accept: Option<&'static str>| {
        let mut request = client.get(format!("{}/frontend-0123456789abcdef_bg.wasm", app.address));
        if let Some(accept) = accept {
            request = request.header("Accept-Encoding", accept);
        }
        request.send()
    };
    for (accept, body, encoding) in [
        (Some("gzip, deflate, br, zstd"), "brotli body", Some("br")),
        (Some("br;q=0.5, gzip;q=1"), "brotli body", Some("br")),
        (Some("gzip"), "gzip body", Some("gzip")),
        (Some("br;q=0, gzip"), "gzip body", Some("gzip")),
        (Some("*"), "brotli body", Some("br")),
        (Some("identity"), "\0asm raw", None),
        (Some("br;q=0, gzip;q=0"), "\0asm raw", None),
        (None, "\0asm raw", None),
    ] {
        let response = get(accept).await.unwrap();
        assert_eq!(response.status(), 200, "{accept:?}");
        let headers = response.headers().clone();
        assert_eq!(
            headers.get("content-type").unwrap(),
            "application/wasm",
            "{accept:?}"
        );
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        // The CORS layer adds its own names to Vary.
        let vary = headers
            .get("vary")
            .unwrap()
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{accept:?}: {vary}");
        assert_eq!(
            headers.get("cache-control").unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            response.bytes().await.unwrap(),
            body.as_bytes(),
            "{accept:?}"
        );
    }
    // An asset without siblings is sent as it is, with no Vary.
    let css = client
        .get(format!("{}/style-0123456789abcdef.css", app.address))
        .header("Accept-Encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers().get("content-encoding").is_none());
    let vary = css
        .headers()
        .get("vary")
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .unwrap_or_default();
    assert!(!vary.contains("accept-encoding"), "{vary}");
    assert_eq!(css.bytes().await.unwrap(), "body{}".as_bytes());
    // Client routes still get the app shell.
    let shell = client
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(shell.status(), 200);
    std::fs::remove_dir_all(dir).unwrap();
}
