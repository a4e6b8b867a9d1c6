//! The served contract and the offline docs UI.

use std::{process::Command, time::Duration};

use crate::helpers::spawn_app;

#[tokio::test]
async fn served_spec_is_the_committed_file() {
    let app = spawn_app().await;
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status(), 200);
    let served: serde_json::Value = r.json().await.unwrap();
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../../openapi/openapi.json")).unwrap();
    assert_eq!(
        served, committed,
        "GET /api/openapi.json differs from openapi/openapi.json: run `just openapi`"
    );
}

#[tokio::test]
async fn docs_assets_are_served_locally() {
    let app = spawn_app().await;
    for (path, content_type, needle) in [
        ("/api/docs", "text/html", "/api/docs/init.js"),
        ("/api/docs/", "text/html", "/api/docs/swagger-ui-bundle.js"),
        ("/api/docs/init.js", "text/javascript", "/api/openapi.json"),
        (
            "/api/docs/swagger-ui-bundle.js",
            "text/javascript",
            "SwaggerUIBundle",
        ),
        ("/api/docs/swagger-ui.css", "text/css", ".swagger-ui"),
        ("/api/docs/LICENSE", "text/plain", "Apache License"),
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(content_type), "{path}: {ct}");
        let body = r.text().await.unwrap();
        assert!(body.contains(needle), "{path} lacks {needle}");
        if content_type == "text/html" {
            assert!(!body.contains("<script>"), "{path}: no inline scripts");
        }
        assert!(
            !body.contains("://unpkg") && !body.contains("cdn.jsdelivr"),
            "{path}: no CDN"
        );
    }
    let r = app.get("/api/docs/nope.js").await;
    crate::helpers::assert_problem(r, 404, "not_found").await;
    let r = app.get("/api/docs/..%2Fopenapi.rs").await;
    assert_eq!(r.status(), 404);
}

fn chromium() -> String {
    if let Ok(path) = std::env::var("CHROME") {
        return path;
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| panic!("no Chromium found (install it with `just setup` or set CHROME)"))
        .to_owned()
}

/// The docs render in headless Chromium that can reach nothing but this server: every other
/// host name fails to resolve, so a CDN reference would leave the page empty.
#[tokio::test]
async fn docs_render_offline_in_headless_chromium() {
    let app = spawn_app().await;
    let profile = std::env::temp_dir().join(format!("docs-chromium-{}", uuid::Uuid::new_v4()));
    let url = app.url("/api/docs");
    let chromium = chromium();
    let dom = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::task::spawn_blocking(move || {
            let out = Command::new(chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-extensions",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    "--proxy-server=direct://",
                    "--virtual-time-budget=10000",
                    "--dump-dom",
                ])
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg(url)
                .output()
                .expect("run chromium");
            let _ = std::fs::remove_dir_all(&profile);
            assert!(
                out.status.success(),
                "chromium failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        }),
    )
    .await
    .expect("chromium finished in time")
    .unwrap();

    assert!(
        !dom.contains("Failed to load API definition"),
        "Swagger UI could not load the spec:\n{dom}"
    );
    assert!(
        dom.contains("class=\"title\">Email-verified signup API"),
        "Swagger UI rendered no title:\n{dom}"
    );
    for path in [
        "/api/email_auth",
        "/api/register",
        "/api/login",
        "/api/nick",
        "/health/ready",
    ] {
        assert!(
            dom.contains(&format!("data-path=\"{path}\"")) || dom.contains(&format!(">{path}<")),
            "operation {path} not rendered:\n{dom}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_answer_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (reqwest::Method::GET, "/api/login", "POST"),
        (reqwest::Method::DELETE, "/api/nick", "GET"),
        (reqwest::Method::POST, "/api/docs", "GET"),
    ] {
        let r = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["allow"], allow, "{path}");
        crate::helpers::assert_problem(r, 405, "method_not_allowed").await;
    }
}
