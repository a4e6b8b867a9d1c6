//! What only production does: `Strict-Transport-Security` on every response.

use serde_json::json;

use crate::helpers::*;

const HSTS: &str = "max-age=63072000; includeSubDomains";

/// A sample of every kind of answer: probes, 404, 405, a validation error, a 401, a preflight.
async fn responses(app: &TestApp) -> Vec<(String, reqwest::Response)> {
    let mut out = vec![];
    for path in [
        "/health/live",
        "/health/ready",
        "/api/nope",
        "/api/openapi.json",
    ] {
        out.push((
            format!("GET {path}"),
            app.client.get(app.url(path)).send().await.unwrap(),
        ));
    }
    out.push((
        "GET /api/login".into(),
        app.client.get(app.url("/api/login")).send().await.unwrap(),
    ));
    out.push((
        "POST /api/email_auth (422)".into(),
        app.post(
            "/api/email_auth",
            &json!({"username": "a!", "nickname": "", "email": "x"}),
        )
        .await,
    ));
    out.push((
        "POST /api/login (401)".into(),
        app.login("nobody", "some password").await,
    ));
    out.push((
        "POST /api/login (415)".into(),
        app.client
            .post(app.url("/api/login"))
            .body("x")
            .send()
            .await
            .unwrap(),
    ));
    out.push((
        "OPTIONS /api/login".into(),
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/login"))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap(),
    ));
    out
}

#[tokio::test]
async fn production_sends_strict_transport_security_on_every_response() {
    let app = spawn_app_with(&[("APP_ENV", "production")]).await;
    for (what, r) in responses(&app).await {
        assert_eq!(
            r.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some(HSTS),
            "{what}: {}",
            r.status()
        );
    }
}

#[tokio::test]
async fn development_sends_no_strict_transport_security() {
    let app = spawn_app_with(&[("APP_ENV", "development")]).await;
    for (what, r) in responses(&app).await {
        assert!(
            !r.headers().contains_key("strict-transport-security"),
            "{what}"
        );
    }
}
