//! Request-level problems: bodies, content types, routes, health.

use serde_json::{json, Value};

use crate::helpers::*;

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let r = app.post_raw("/api/login", JSON, "{\"username\": ").await;
    assert_problem(r, 400, "malformed_body").await;
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_400_without_echoing_values() {
    let app = spawn_app().await;
    let number = r#"{"username": "x", "password": 98765432123}"#;
    let r = app.post_raw("/api/login", JSON, number).await;
    let p = assert_problem(r, 400, "malformed_body").await;
    assert!(!p.detail.contains("98765432123"), "{}", p.detail);

    let admin = serde_json::json!({"username": "x", "password": "y", "admin": true});
    let r = app.post("/api/login", &admin).await;
    let p = assert_problem(r, 400, "malformed_body").await;
    assert!(p.detail.contains("admin"), "{}", p.detail);
}

#[tokio::test]
async fn other_content_types_are_415() {
    let app = spawn_app().await;
    let form = Some("application/x-www-form-urlencoded");
    let r = app
        .post_raw("/api/email_auth", form, "id_give=a&email_give=b")
        .await;
    assert_problem(r, 415, "unsupported_media_type").await;
    let r = app.post_raw("/api/login", None, "{}").await;
    assert_problem(r, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn bodies_over_16_kib_are_413() {
    let app = spawn_app().await;
    let big = serde_json::json!({"username": "x".repeat(17 * 1024), "password": "y"});
    assert_problem(app.post("/api/login", &big).await, 413, "payload_too_large").await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    let r = app.get("/api/nope").await;
    assert_problem(r, 404, "not_found").await;
    let r = app.get("/api/login").await;
    assert_problem(r, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn health_endpoints_answer() {
    let app = spawn_app().await;
    let r = app.get("/health/live").await;
    assert_eq!(r.status(), 200);
    let r = app.get("/health/ready").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn with_the_database_unreachable_the_app_starts_not_ready_and_answers_503() {
    // Nothing listens on this port: the app must start anyway and say so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let uri = format!("mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=500");
    let settings_vars = [
        ("APP_MONGODB_URI", uri.as_str()),
        ("APP_MONGODB_TIMEOUT_SECS", "1"),
    ];
    let app = spawn_unready(&settings_vars).await;
    let client = reqwest::Client::new();
    let live = client
        .get(format!("{app}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let ready = client
        .get(format!("{app}/health/ready"))
        .send()
        .await
        .unwrap();
    assert!(ready.headers().contains_key("retry-after"));
    assert_problem(ready, 503, "service_unavailable").await;
    let someone = serde_json::json!({"username": "someone", "password": "whatever1"});
    let login = client.post(format!("{app}/api/login")).json(&someone);
    let r = login.send().await.unwrap();
    assert_problem(r, 503, "service_unavailable").await;
}

/// Starts the app without waiting for readiness; returns its base URL.
async fn spawn_unready(overrides: &[(&str, &str)]) -> String {
    let mut vars: std::collections::HashMap<String, String> = [
        ("APP_PORT", "0"),
        ("APP_JWT_SECRET", JWT_SECRET),
        ("APP_CODE_PEPPER", PEPPER),
        ("APP_MFA_ENCRYPTION_KEY", crate::helpers::MFA_KEY),
        ("APP_LOG_FORMAT", "pretty"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    let settings = backend::config::Settings::from_vars(&vars).unwrap();
    let app = backend::startup::Application::build(settings)
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

/// Every request body is a JSON object: an array is `400 malformed_body` at every endpoint that
/// takes a body, signed in (so the body is what is judged), also where every field has a
/// default (a derived `Deserialize` reads `[]` as `{}` there).
#[tokio::test]
async fn an_array_is_a_malformed_body_at_every_endpoint_that_takes_one() {
    const INTROSPECTION_SECRET: &str = "introspection-secret-0123456789abcdefghij";
    let overrides = [
        ("APP_RATE_LIMIT_BURST", "1000"),
        ("APP_INTROSPECTION_SECRET", INTROSPECTION_SECRET),
    ];
    let app = spawn_app_with_account(&GILDONG, &overrides).await;
    let access = app.token_for(GILDONG.username).await;
    let mut checked = vec![];
    for endpoint in backend::routes::table() {
        if (endpoint.operation)().request_body.is_none() {
            continue;
        }
        let path = endpoint.path.replace("{id}", "000000000000000000000000");
        let method: reqwest::Method = endpoint.http_method().as_str().parse().unwrap();
        // Introspection is the resource servers' call, with their secret as the bearer.
        let token = match path.as_str() {
            "/api/token/introspect" => INTROSPECTION_SECRET,
            _ => access.as_str(),
        };
        for array in [json!([]), json!([null, null, null])] {
            let r = app.bearer(method.clone(), token, &path, Some(&array)).await;
            assert_eq!(r.status(), 400, "{method} {path} {array}");
            let p = assert_problem(r, 400, "malformed_body").await;
            assert!(!p.detail.is_empty(), "{path} {array}");
        }
        checked.push(endpoint.path.clone());
    }
    // The two whose fields all have defaults, and enough of the rest to mean "every".
    for path in ["/api/token/refresh", "/api/passkeys/register/start"] {
        assert!(
            checked.iter().any(|p| p == path),
            "{path} not checked: {checked:?}"
        );
    }
    assert!(checked.len() >= 20, "{checked:?}");
}
