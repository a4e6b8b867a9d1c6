//! `GET /metrics`: on its own listener only, and its counters move with traffic.
//!
//! The recorder is process-wide and other tests' apps run beside this one, so counters are
//! compared as "grew by at least" what this test did; `sessions_live` is this app's own last
//! count of its database's live sessions (set at scrape time from that count).

use serde_json::json;

use crate::helpers::*;

const GILDONG: Signup = person("Hong_Gildong", "길동", "gildong@example.com");

/// The metrics listener, one failed login allowed, session upkeep every second.
const METRICS: [(&str, &str); 3] = [
    ("APP_METRICS_PORT", "0"),
    ("APP_LOGIN_MAX_FAILURES", "1"),
    ("APP_SESSIONS_UPKEEP_SECS", "1"),
];

async fn scrape(app: &TestApp) -> String {
    let address = app.metrics_address.as_ref().expect("metrics listener");
    let r = app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    r.text().await.unwrap()
}

/// The sum of the samples of `name` whose labels include every one of `labels`, from the
/// Prometheus text format (`name{a="x",b="y"} 12`).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, sample) = line.rsplit_once(' ')?;
            let (metric, label_text) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let matches = metric == name
                && labels
                    .iter()
                    .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")));
            matches.then(|| sample.parse::<f64>().ok()).flatten()
        })
        .sum()
}

#[tokio::test]
async fn metrics_are_only_on_their_listener_and_move_with_traffic() {
    // The live-sessions gauge is counted by the sessions' upkeep, here every second.
    let app = spawn_app_with(&METRICS).await;

    // Not on the public port.
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("http_requests_total"));

    let before = scrape(&app).await;
    let login_401 = [
        ("method", "POST"),
        ("route", "/api/login"),
        ("status", "401"),
    ];
    let login_429 = [("route", "/api/login"), ("status", "429")];
    let nick_200 = [("route", "/api/nick"), ("status", "200")];

    let token = app.registered(&GILDONG).await.access;
    assert_eq!(app.nick(&token).await.status(), 200);
    assert_eq!(app.nick(&token).await.status(), 200);
    assert_eq!(
        app.login(GILDONG.username, "wrong password!!")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(GILDONG.username, "wrong password!!")
            .await
            .status(),
        429
    );
    // A mail the server refuses.
    app.mail.refuse(true);
    let r = app
        .post(
            "/api/email_auth",
            &json!({"username": "someone", "nickname": "누군가", "email": "someone@example.com"}),
        )
        .await;
    assert_eq!(r.status(), 503);
    app.mail.refuse(false);
    // A path with an id (another account's or none: 404), sent here, not left to other tests.
    let raw = "/api/sessions/0123456789abcdef0123456789abcdef";
    let r = app.bearer(reqwest::Method::DELETE, &token, raw, None).await;
    assert_eq!(r.status(), 404);

    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)], by: f64| {
        let delta = value(&after, name, labels) - value(&before, name, labels);
        assert!(
            delta >= by,
            "{name}{labels:?} grew by {delta}, expected {by}:\n{after}"
        );
    };
    grew("http_requests_total", &login_401, 1.0);
    grew("http_requests_total", &login_429, 1.0);
    grew("http_requests_total", &nick_200, 2.0);
    grew(
        "http_request_duration_seconds_count",
        &[("route", "/api/nick")],
        2.0,
    );
    grew("argon2_hash_seconds_count", &[], 3.0);
    // CPU time too (Linux): each argon2id hash costs milliseconds of it.
    grew("argon2_hash_cpu_microseconds_total", &[], 3_000.0);
    grew("mails_sent_total", &[("kind", "code_signup")], 1.0);
    grew("mails_failed_total", &[("kind", "code_signup")], 1.0);
    grew(
        "throttle_refusals_total",
        &[("limit", "login_failures")],
        1.0,
    );
    // This app's one session, once the upkeep after the sign-in has counted it (a scrape
    // itself never counts).
    let mut live = value(&after, "sessions_live", &[]);
    for _ in 0..100 {
        if live == 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        live = value(&scrape(&app).await, "sessions_live", &[]);
    }
    assert_eq!(live, 1.0, "{after}");
    assert!(after.contains("argon2_queue_depth "), "{after}");
    // Paths with ids are counted by their pattern, never by the raw path.
    grew(
        "http_requests_total",
        &[
            ("method", "DELETE"),
            ("route", "/api/sessions/{id}"),
            ("status", "404"),
        ],
        1.0,
    );
    assert!(!after.contains(raw), "{after}");
}

/// Anyone can invent methods (`FOO1`, `FOO2`, …): they are counted as `OTHER`, so requests
/// cannot create series without bound.
#[tokio::test]
async fn invented_methods_do_not_make_new_series() {
    let app = spawn_app_with(&[("APP_METRICS_PORT", "0")]).await;
    for method in ["FOO1", "FOO2"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.anonymous(method, "/api/nick").await;
    }
    let text = scrape(&app).await;
    assert!(!text.contains("FOO1") && !text.contains("FOO2"), "{text}");
    assert!(
        value(&text, "http_requests_total", &[("method", "OTHER")]) >= 2.0,
        "{text}"
    );
}
