//! Outbound webhooks: a real HTTP receiver inside the test (port 0) records every request; its
//! signatures are checked by recomputing the Standard Webhooks algorithm here with `hmac` and
//! `sha2` directly, never with the app's signer. Back-offs are waited out by moving the app's
//! clock, never by sleeping; every wait is for a condition.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

use crate::{helpers::*, webhook_receiver::*};

/// `whsec_` + base64 of 32 bytes.
pub(crate) const SECRET: &str = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5YWI=";
const PREVIOUS: &str = "whsec_b2xkLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY=";

/// The settings that point the app at `urls`, with a short poll and timeout.
pub(crate) fn hooks_to(urls: &[String]) -> Vec<(&'static str, String)> {
    vec![
        ("APP_WEBHOOK_URLS", urls.join(",")),
        ("APP_WEBHOOK_SECRET", SECRET.to_owned()),
        ("APP_WEBHOOK_POLL_MS", "20".to_owned()),
        ("APP_WEBHOOK_TIMEOUT_MS", "3000".to_owned()),
    ]
}

fn pairs<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn app_for(receivers: &[&Receiver], extra: &[(&'static str, &str)]) -> TestApp {
    let urls: Vec<String> = receivers.iter().map(|r| r.url()).collect();
    let owned = hooks_to(&urls);
    let mut vars = pairs(&owned);
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn deliveries(app: &TestApp) -> Vec<Document> {
    use futures_util::TryStreamExt;
    app.db
        .collection::<Document>("webhook_deliveries")
        .find(doc! {})
        .sort(doc! { "created_at": 1, "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// The delivery documents once `check` holds for them.
pub(crate) async fn deliveries_when(
    app: &TestApp,
    what: &str,
    check: impl Fn(&[Document]) -> bool,
) -> Vec<Document> {
    wait_until(what, || async {
        let docs = deliveries(app).await;
        check(&docs).then_some(docs)
    })
    .await
}

pub(crate) fn status_of(d: &Document) -> &str {
    d.get_str("status").unwrap_or_default()
}

/// Runs `backend admin <args>` on `app`'s database with the webhook settings `hooks`.
async fn admin_with(app: &TestApp, args: &[&str], hooks: &[(&'static str, String)]) -> Value {
    let mut env = hooks.to_vec();
    env.push(("APP_MFA_ENCRYPTION_KEY", MFA_KEY.to_owned()));
    let run = crate::admin::admin_env(app, args, &env).await;
    assert!(run.ok, "admin {args:?}: {}", run.stderr);
    assert!(!run.out.is_null(), "admin {args:?} printed no JSON");
    run.out
}

async fn access_token(r: reqwest::Response) -> String {
    access_of(&ok_json(r).await)
}

/// Every string and number in `v`, as text.
fn leaves(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(leaves).collect(),
        Value::Object(map) => map.values().flat_map(leaves).collect(),
        _ => vec![],
    }
}

/// Every field name each type's `data` carries: exactly these.
fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "user.created" => &["user_id", "username", "nickname", "email", "created_at"],
        "user.email_changed" => &["user_id", "old_email", "new_email"],
        "user.password_changed" => &["user_id", "reason"],
        "session.created" => &["user_id", "session_id", "method"],
        "session.ended" => &["user_id", "session_id", "reason"],
        "passkey.added" | "passkey.removed" => &["user_id", "passkey_id"],
        "user.deleted" | "user.disabled" | "user.enabled" | "mfa.totp_enabled"
        | "mfa.totp_disabled" => &["user_id"],
        other => panic!("unexpected webhook type {other}"),
    }
}

#[tokio::test]
async fn a_whole_journey_delivers_every_event_type_once_signed_with_its_fields_and_no_secret() {
    let receiver = Receiver::start();
    let hooks = hooks_to(&[receiver.url()]);
    let app = spawn_app_with(&pairs(&hooks)).await;
    // Everything secret this journey handles; none may appear in any payload.
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned(), SECRET.to_owned()];
    let new_password = "a brand new passphrase 2";
    let reset_password = "yet another long phrase 3";
    secrets.extend([new_password.to_owned(), reset_password.to_owned()]);

    let code = app.request_code(&GILDONG).await;
    secrets.push(code.clone());
    assert_eq!(app.register(&GILDONG, PASSWORD, &code).await.status(), 201);
    let (token, refresh) = app.session_for(GILDONG.username).await;
    secrets.extend([token.clone(), refresh.clone()]);
    let (other, other_refresh) = app.session_for(GILDONG.username).await;
    secrets.extend([other.clone(), other_refresh]);

    // A passkey added and removed.
    let mut key = crate::passkeys::SoftPasskey::new();
    let info = app.add_passkey(&token, &mut key, "laptop").await;
    let passkey_id = info["id"].as_str().unwrap().to_owned();
    assert!(app
        .delete_passkey(&token, &passkey_id)
        .await
        .status()
        .is_success());

    // TOTP on, then off.
    let totp_secret = app.totp_secret(&token, PASSWORD).await;
    secrets.push(totp_secret.clone());
    let totp = app_totp(&totp_secret);
    align(&app, 0);
    let code = code_at(&app, &totp, 0);
    let body = ok_json(app.totp_enable(&token, &code).await).await;
    secrets.extend(recovery_codes_of(&body));
    align(&app, 1);
    let code = code_at(&app, &totp, 0);
    secrets.push(code.clone());
    let r = app
        .totp_disable(&token, &json!({ "password": PASSWORD, "code": code }))
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    // A password change (the other session ends), an email change, a reset.
    let r = app.change_password(&token, PASSWORD, new_password).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let new_email = "gildong.new@example.com";
    let r = app
        .email_change_request(&token, new_email, new_password)
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let code = app.mail.code_for(new_email).await;
    secrets.push(code.clone());
    let r = app.email_change_confirm(&token, &code).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    app.clock.advance(Duration::from_secs(61));
    let before = app.mail.mails_to(new_email).len();
    let r = app.reset_request(new_email).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    wait_until("the reset mail", || async {
        (app.mail.mails_to(new_email).len() > before).then_some(())
    })
    .await;
    let code = app.mail.code_for(new_email).await;
    secrets.push(code.clone());
    let r = app.reset_confirm(new_email, &code, reset_password).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    // A session that logs out.
    let token = access_token(app.login(GILDONG.username, reset_password).await).await;
    secrets.push(token.clone());
    let r = app.logout(&token).await;
    assert_eq!(r.status(), 204);

    // An operator disables and enables the account (another process: it queues, the server
    // delivers).
    admin_with(&app, &["disable", GILDONG.username], &hooks).await;
    admin_with(&app, &["enable", GILDONG.username], &hooks).await;

    // The account goes.
    let token = access_token(app.login(GILDONG.username, reset_password).await).await;
    secrets.push(token.clone());
    let r = app.delete_account(&token, reset_password).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let docs = deliveries_when(&app, "every delivery finished", |docs| {
        docs.iter().any(|d| d.get_str("type") == Ok("user.deleted"))
            && docs.iter().all(|d| status_of(d) == "delivered")
    })
    .await;
    let received = receiver.wait_for(docs.len()).await;
    assert_eq!(received.len(), docs.len(), "one request per delivery");

    assert!(app.users().await.is_empty(), "the account is deleted");
    let first: Value = serde_json::from_str(docs[0].get_str("body").unwrap()).unwrap();
    let user_id = first["data"]["user_id"].clone();
    assert_eq!(user_id.as_str().map(str::len), Some(24), "{first}");
    let mut ids = HashSet::new();
    let mut kinds = HashSet::new();
    for r in &received {
        assert!(ids.insert(r.header("webhook-id").to_owned()), "once: {r:?}");
        assert!(r.header("webhook-id").starts_with("msg_"));
        assert_eq!(r.header("content-type"), "application/json");
        assert!(verifies(SECRET, r), "signature of {r:?}");
        let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
        assert!((ts - app.clock.now_secs() as i64).abs() < 300, "{ts}");
        let payload = r.json();
        let kind = r.kind();
        let data = payload["data"].as_object().unwrap();
        let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = fields_of(&kind).to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected, "{kind}: {payload}");
        assert_eq!(data["user_id"], user_id, "{payload}");
        assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
        let values = leaves(&payload);
        for secret in &secrets {
            // Six-digit codes could occur by chance inside a hex id: those must not be a value.
            let carried = if secret.len() >= 12 {
                r.body.contains(secret.as_str())
            } else {
                values.iter().any(|v| v == secret)
            };
            assert!(!carried, "{kind} carries a secret: {}", r.body);
        }
        for word in ["password", "hash", "token", "secret", "code"] {
            assert!(
                !data.keys().any(|k| k.contains(word)),
                "{kind} has a field named like `{word}`: {}",
                r.body
            );
        }
        kinds.insert(kind);
    }
    let all: HashSet<String> = backend::webhooks::EVENT_TYPES
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(kinds, all, "every event type");

    let by_type = |kind: &str| -> Vec<Value> {
        received
            .iter()
            .filter(|r| r.kind() == kind)
            .map(|r| r.json()["data"].clone())
            .collect()
    };
    let created = &by_type("user.created")[0];
    assert_eq!(created["username"], GILDONG.username);
    assert_eq!(created["nickname"], GILDONG.nickname);
    assert_eq!(created["email"], GILDONG.email);
    let changed = &by_type("user.email_changed")[0];
    assert_eq!(changed["old_email"], "g***@example.com");
    assert_eq!(changed["new_email"], new_email);
    let reasons: Vec<Value> = by_type("user.password_changed")
        .iter()
        .map(|d| d["reason"].clone())
        .collect();
    assert_eq!(reasons, vec![json!("change"), json!("reset")]);
    assert_eq!(
        by_type("passkey.added")[0]["passkey_id"],
        passkey_id.as_str()
    );
    assert_eq!(
        by_type("passkey.removed")[0]["passkey_id"],
        passkey_id.as_str()
    );
    let ended: Vec<String> = by_type("session.ended")
        .iter()
        .map(|d| d["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(ended.contains(&"password".to_owned()), "{ended:?}");
    assert!(ended.contains(&"logout".to_owned()), "{ended:?}");
    let methods: HashSet<String> = by_type("session.created")
        .iter()
        .map(|d| d["method"].as_str().unwrap().to_owned())
        .collect();
    assert!(methods.contains("password"), "{methods:?}");
}

#[tokio::test]
async fn a_500_then_a_200_sends_the_same_webhook_id_twice_after_the_back_off_then_it_is_done() {
    let receiver = Receiver::start();
    receiver.answer(&[500]);
    let app = app_for(&[&receiver], &[("APP_WEBHOOK_EVENTS", "user.created")]).await;
    app.sign_up(&GILDONG).await;
    let first = receiver.wait_for(1).await;
    let docs = deliveries_when(&app, "the first attempt recorded", |d| {
        d.len() == 1 && d[0].get_i32("attempts") == Ok(1) && d[0].get_i32("last_status") == Ok(500)
    })
    .await;
    let d = &docs[0];
    assert_eq!(status_of(d), "pending");
    // The next attempt is due 30 s after the first, not before.
    let wait = d.get_datetime("next_at").unwrap().timestamp_millis() - first[0].at_ms;
    assert!((28_000..=32_000).contains(&wait), "waits {wait} ms");
    assert_eq!(receiver.received().len(), 1);

    app.clock.advance(Duration::from_secs(31));
    let both = receiver.wait_for(2).await;
    assert_eq!(both[0].header("webhook-id"), both[1].header("webhook-id"));
    assert_eq!(both[0].body, both[1].body);
    assert!(verifies(SECRET, &both[0]) && verifies(SECRET, &both[1]));
    let docs = deliveries_when(&app, "the delivery done", |d| {
        status_of(&d[0]) == "delivered"
    })
    .await;
    assert_eq!(docs[0].get_i32("attempts"), Ok(2));
    assert!(!docs[0].contains_key("queue"), "out of its queue");
    // The filter: a login (session.created) is not queued.
    app.token_for(GILDONG.username).await;
    assert_eq!(deliveries(&app).await.len(), 1);
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign_and_each_signature_verifies_with_its_own() {
    let receiver = Receiver::start();
    let app = app_for(&[&receiver], &[("APP_WEBHOOK_PREVIOUS_SECRET", PREVIOUS)]).await;
    app.sign_up(&GILDONG).await;
    let r = &receiver.wait_for(1).await[0];
    let signatures: Vec<&str> = r.header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signatures.iter().all(|s| s.starts_with("v1,")));
    assert!(verifies(SECRET, r) && verifies(PREVIOUS, r));
    let only = |i: usize| Received {
        headers: [("webhook-signature".to_owned(), signatures[i].to_owned())]
            .into_iter()
            .chain(
                r.headers
                    .iter()
                    .filter(|(k, _)| *k != "webhook-signature")
                    .map(|(k, v)| (k.clone(), v.clone())),
            )
            .collect(),
        ..r.clone()
    };
    assert!(verifies(SECRET, &only(0)) && !verifies(PREVIOUS, &only(0)));
    assert!(verifies(PREVIOUS, &only(1)) && !verifies(SECRET, &only(1)));
    // A tampered body verifies with neither.
    let tampered = Received {
        body: r.body.replace("user.created", "user.deleted"),
        ..r.clone()
    };
    assert!(!verifies(SECRET, &tampered) && !verifies(PREVIOUS, &tampered));
    let _ = app;
}

#[tokio::test]
async fn a_receiver_down_gets_everything_in_order_once_back_and_holds_up_no_other() {
    let up = Receiver::start();
    let mut down = Receiver::down();
    let app = app_for(&[&up, &down], &[]).await;
    app.sign_up(&GILDONG).await;
    for _ in 0..5 {
        app.token_for(GILDONG.username).await;
    }
    // The live endpoint has everything at once, whatever the other's state.
    let live = up.wait_for(6).await;
    let docs = deliveries_when(&app, "the dead endpoint tried", |docs| {
        docs.iter().any(|d| {
            d.get_str("endpoint") == Ok(&down.url())
                && d.get_i32("attempts") == Ok(1)
                && d.get_str("last_error").is_ok()
        })
    })
    .await;
    let waiting: Vec<&Document> = docs
        .iter()
        .filter(|d| d.get_str("endpoint") == Ok(&down.url()))
        .collect();
    assert_eq!(waiting.len(), 6);
    assert!(waiting.iter().all(|d| status_of(d) == "pending"));
    // Only the head was tried: the others wait behind it.
    let tried: Vec<i32> = waiting
        .iter()
        .map(|d| d.get_i32("attempts").unwrap())
        .collect();
    assert_eq!(tried, vec![1, 0, 0, 0, 0, 0]);
    assert!(waiting[0]
        .get_str("last_error")
        .unwrap()
        .contains("connection failed"));

    down.up();
    app.clock.advance(Duration::from_secs(3600));
    let late = down.wait_for(6).await;
    let order = |rs: &[Received]| -> Vec<String> {
        rs.iter()
            .map(|r| r.header("webhook-id").to_owned())
            .collect()
    };
    let created: Vec<String> = waiting
        .iter()
        .map(|d| d.get_str("event_id").unwrap().to_owned())
        .collect();
    assert_eq!(order(&late), created, "in the order of creation");
    assert_eq!(order(&live), created);
    assert_eq!(late[0].kind(), "user.created");
    deliveries_when(&app, "all delivered", |d| {
        d.iter().all(|d| status_of(d) == "delivered")
    })
    .await;
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_counts_as_a_failure_to_retry() {
    let receiver = Receiver::start();
    receiver.answer(&[307]);
    let app = app_for(
        &[&receiver],
        &[("APP_WEBHOOK_EVENTS", "user.*"), ("APP_METRICS_PORT", "0")],
    )
    .await;
    app.sign_up(&GILDONG).await;
    receiver.wait_for(1).await;
    let docs = deliveries_when(&app, "the redirect recorded", |d| {
        d.first()
            .is_some_and(|d| d.get_i32("last_status") == Ok(307))
    })
    .await;
    assert_eq!(status_of(&docs[0]), "pending");
    assert!(docs[0]
        .get_str("last_error")
        .unwrap()
        .contains("not followed"));
    app.clock.advance(Duration::from_secs(31));
    let all = receiver.wait_for(2).await;
    assert!(
        all.iter().all(|r| r.path == "/hooks"),
        "the redirect target was never asked: {:?}",
        all.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_eq!(all[0].header("webhook-id"), all[1].header("webhook-id"));
    deliveries_when(&app, "delivered", |d| status_of(&d[0]) == "delivered").await;
    let metrics = app
        .client
        .get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"webhook_attempts_total{type="user.created",outcome="redirect"}"#,
        r#"webhook_deliveries_total{type="user.created",outcome="delivered"}"#,
        "webhook_attempt_duration_seconds_bucket",
        "webhook_queue_depth{endpoint=",
        "webhook_oldest_pending_seconds{endpoint=",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn after_the_retry_period_a_delivery_is_failed_listed_by_the_admin_and_retried_on_demand() {
    let receiver = Receiver::start();
    receiver.always(503);
    let hooks = hooks_to(&[receiver.url()]);
    let mut vars = pairs(&hooks);
    vars.push(("APP_WEBHOOK_EVENTS", "user.created"));
    let app = spawn_app_with_account(&GILDONG, &vars).await;
    receiver.wait_for(1).await;
    // Its outcome recorded (not merely claimed) before the clock moves.
    deliveries_when(&app, "the first attempt", |d| {
        d.first()
            .is_some_and(|d| d.get_i32("attempts") == Ok(1) && d.get_i32("last_status") == Ok(503))
    })
    .await;
    // Three days on, the next attempt is the last.
    app.clock.advance(Duration::from_secs(3 * 24 * 3600));
    let docs = deliveries_when(&app, "failed", |d| status_of(&d[0]) == "failed").await;
    assert_eq!(docs[0].get_i32("attempts"), Ok(2));
    assert!(!docs[0].contains_key("queue"));
    assert_eq!(receiver.received().len(), 2);

    let listed = admin_with(&app, &["webhooks", "failed"], &hooks).await;
    let failed = listed["deliveries"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{listed}");
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(failed[0]["type"], "user.created");
    assert_eq!(failed[0]["last_status"], 503);
    assert_eq!(
        failed[0]["event_id"],
        docs[0].get_str("event_id").unwrap(),
        "{listed}"
    );
    assert!(failed[0].get("body").is_none(), "no payload in the listing");
    let id = failed[0]["id"].as_str().unwrap().to_owned();

    receiver.always(200);
    let requeued = admin_with(&app, &["webhooks", "retry", &id], &hooks).await;
    assert_eq!(requeued["requeued"]["status"], "pending", "{requeued}");
    let all = receiver.wait_for(3).await;
    assert_eq!(all[2].header("webhook-id"), all[0].header("webhook-id"));
    deliveries_when(&app, "delivered after the retry", |d| {
        status_of(&d[0]) == "delivered"
    })
    .await;
    let listed = admin_with(&app, &["webhooks", "failed"], &hooks).await;
    assert_eq!(listed["deliveries"], json!([]));
}

#[tokio::test]
async fn production_refuses_private_addresses_at_start_up_and_at_every_connection() {
    // An address in the URL: refused before the server starts.
    let mut vars: HashMap<String, String> = [
        ("APP_ENV", "production"),
        ("APP_JWT_SECRET", JWT_SECRET),
        ("APP_CODE_PEPPER", PEPPER),
        ("APP_MFA_ENCRYPTION_KEY", MFA_KEY),
        ("APP_WEBHOOK_SECRET", SECRET),
        (
            "APP_WEBHOOK_URLS",
            "https://169.254.169.254/latest/meta-data",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let err = backend::config::Settings::from_vars(&vars)
        .unwrap_err()
        .to_string();
    assert!(err.contains("APP_WEBHOOK_ALLOW_PRIVATE"), "{err}");
    vars.insert(
        "APP_WEBHOOK_URLS".into(),
        "http://hooks.example.com/".into(),
    );
    let err = backend::config::Settings::from_vars(&vars)
        .unwrap_err()
        .to_string();
    assert!(err.contains("https"), "{err}");

    // A name that resolves to loopback: refused when connecting. The port listens, so a
    // connection that were made would be counted.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    let url = format!("https://localhost:{port}/hooks");
    let owned = hooks_to(&[url]);
    let mut production = pairs(&owned);
    production.push(("APP_ENV", "production"));
    production.push(("APP_WEBHOOK_EVENTS", "user.created"));
    let app = spawn_app_with_account(&GILDONG, &production).await;
    let docs = deliveries_when(&app, "the attempt refused", |d| {
        d.first()
            .is_some_and(|d| d.get_i32("attempts") == Ok(1) && d.get_str("last_error").is_ok())
    })
    .await;
    let error = docs[0].get_str("last_error").unwrap();
    assert!(error.contains("APP_WEBHOOK_ALLOW_PRIVATE"), "{error}");
    assert!(
        !error.starts_with("connection failed"),
        "told apart: {error}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "no connection was made");

    // Listed, the same name is connected to (the TLS handshake then fails: a plain listener).
    production.push(("APP_WEBHOOK_ALLOW_PRIVATE", "127.0.0.1, ::1"));
    let allowed = spawn_app_with(&production).await;
    allowed.sign_up(&GILDONG).await;
    wait_until("a connection to the listed address", || async {
        (accepted.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_instances_on_one_database_never_both_make_one_attempt() {
    let receiver = Receiver::start();
    let owned = hooks_to(&[receiver.url()]);
    let mut vars = pairs(&owned);
    vars.push(("APP_WEBHOOK_POLL_MS", "10"));
    let (a, b) = spawn_pair(&vars).await;
    a.sign_up(&GILDONG).await;
    // A login on each instance at once, 15 times: both queue, both workers race.
    for _ in 0..15 {
        tokio::join!(a.token_for(GILDONG.username), b.token_for(GILDONG.username));
    }
    let docs = deliveries_when(&a, "31 deliveries done", |d| {
        d.len() == 31 && d.iter().all(|d| status_of(d) == "delivered")
    })
    .await;
    assert!(docs.iter().all(|d| d.get_i32("attempts") == Ok(1)));
    let received = receiver.received();
    let ids: HashSet<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), 31);
    assert_eq!(received.len(), 31, "each event delivered exactly once");
}

#[tokio::test]
async fn delivery_latency_from_change_to_receipt() {
    let receiver = Receiver::start();
    let app = app_for(&[&receiver], &[("APP_WEBHOOK_EVENTS", "session.created")]).await;
    app.sign_up(&GILDONG).await;
    const N: usize = 100;
    for _ in 0..N {
        app.token_for(GILDONG.username).await;
    }
    let received = receiver.wait_for(N).await;
    let mut latencies: Vec<i64> = received
        .iter()
        .map(|r| {
            let at = r.json()["timestamp"].as_str().unwrap().to_owned();
            let changed = mongodb::bson::DateTime::parse_rfc3339_str(&at)
                .unwrap()
                .timestamp_millis();
            r.at_ms - changed
        })
        .collect();
    latencies.sort_unstable();
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "webhook delivery latency, change to receipt, one instance, loopback, {N} events: \
         p50 {} ms, p99 {} ms, max {} ms",
        p(0.5),
        p(0.99),
        latencies[latencies.len() - 1]
    );
    assert!(p(0.5) < 1000, "p50 {} ms", p(0.5));
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_and_holds_up_no_other_endpoint() {
    // Accepts connections and reads nothing, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let silent = format!("http://127.0.0.1:{port}/hooks");
    let fine = Receiver::start();
    let owned = hooks_to(&[silent.clone(), fine.url()]);
    let mut vars = pairs(&owned);
    // Long enough that the other endpoint is served well within it, even on a busy machine.
    vars.push(("APP_WEBHOOK_TIMEOUT_MS", "5000"));
    vars.push(("APP_WEBHOOK_EVENTS", "user.created"));
    let app = spawn_app_with_account(&GILDONG, &vars).await;
    fine.wait_for(1).await;
    // Delivered to the other while the silent one's attempt is still open.
    let docs = deliveries(&app).await;
    let stuck = docs
        .iter()
        .find(|d| d.get_str("endpoint") == Ok(silent.as_str()))
        .unwrap();
    assert_eq!(stuck.get_i32("attempts"), Ok(1), "{stuck}");
    assert!(
        stuck.get_str("last_error").is_err(),
        "still in flight: {stuck}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let docs = deliveries_when(&app, "the timeout recorded", |d| {
        d.iter().any(|d| {
            d.get_str("endpoint") == Ok(silent.as_str()) && d.get_str("last_error").is_ok()
        })
    })
    .await;
    let stuck = docs
        .iter()
        .find(|d| d.get_str("endpoint") == Ok(silent.as_str()))
        .unwrap();
    assert_eq!(status_of(stuck), "pending");
    assert!(
        stuck.get_str("last_error").unwrap().contains("timeout"),
        "{stuck}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_twenty_concurrent_claims_of_one_attempt_exactly_one_wins() {
    use backend::store::{DeliveryStatus, Store, WebhookDelivery};
    use mongodb::bson::{oid::ObjectId, DateTime};
    let db = format!("test_{}", uuid::Uuid::new_v4().simple());
    let store = Store::connect(&mongodb_uri().into(), &db, Duration::from_secs(5))
        .await
        .unwrap();
    store.ensure_indexes().await.unwrap();
    let now = DateTime::now();
    for round in 0..5 {
        let d = WebhookDelivery {
            id: ObjectId::new(),
            event_id: format!("msg_{round}"),
            kind: "user.created".into(),
            endpoint: "https://hooks.example.com/".into(),
            queue: Some("https://hooks.example.com/".into()),
            status: DeliveryStatus::Pending,
            body: "{}".into(),
            created_at: now,
            attempts: 0,
            next_at: now,
            lease_until: now,
            give_up_at: now,
            // Not swept by the TTL index meanwhile.
            expires_at: DateTime::from_millis(now.timestamp_millis() + 3_600_000),
            last_error: None,
            last_status: None,
            finished_at: None,
        };
        store
            .insert_webhook_deliveries(std::slice::from_ref(&d))
            .await
            .unwrap();
        let lease = DateTime::from_millis(now.timestamp_millis() + 60_000);
        let claims = (0..20).map(|_| {
            let (store, d) = (store.clone(), d.clone());
            tokio::spawn(async move { store.claim_webhook(&d, lease).await.unwrap() })
        });
        let won = futures_util::future::join_all(claims)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        assert_eq!(won, 1, "round {round}");
    }
}

#[tokio::test]
async fn a_backlog_of_five_hundred_drains_in_order_of_the_events() {
    use backend::store::{DeliveryStatus, WebhookDelivery};
    use mongodb::bson::{oid::ObjectId, DateTime};
    let receiver = Receiver::start();
    let app = app_for(&[&receiver], &[]).await;
    const N: usize = 500;
    let start = DateTime::now().timestamp_millis();
    let docs: Vec<WebhookDelivery> = (0..N)
        .map(|i| {
            let at = DateTime::from_millis(start + i as i64);
            WebhookDelivery {
                id: ObjectId::new(),
                event_id: format!("msg_backlog_{i:04}"),
                kind: "user.deleted".into(),
                endpoint: receiver.url(),
                queue: Some(receiver.url()),
                status: DeliveryStatus::Pending,
                body:
                    json!({"type": "user.deleted", "timestamp": at.try_to_rfc3339_string().unwrap(),
                             "data": {"user_id": format!("{i:024x}")}})
                    .to_string(),
                created_at: at,
                attempts: 0,
                next_at: at,
                lease_until: at,
                give_up_at: DateTime::from_millis(start + 3_600_000),
                expires_at: DateTime::from_millis(start + 7_200_000),
                last_error: None,
                last_status: None,
                finished_at: None,
            }
        })
        .collect();
    // Inserted in shuffled order: the queue's order is the events' time, not the insertion's.
    let mut shuffled = docs.clone();
    shuffled.reverse();
    shuffled.rotate_left(N / 3);
    let started = std::time::Instant::now();
    app.db
        .collection::<WebhookDelivery>("webhook_deliveries")
        .insert_many(&shuffled)
        .await
        .unwrap();
    let received = receiver.wait_for(N).await;
    let took = started.elapsed();
    let order: Vec<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
    let expected: Vec<String> = docs.iter().map(|d| d.event_id.clone()).collect();
    assert_eq!(order, expected);
    assert!(received.iter().all(|r| verifies(SECRET, r)));
    println!(
        "webhook backlog: {N} deliveries to one endpoint drained in {took:?} ({:.0}/s)",
        N as f64 / took.as_secs_f64()
    );
}
