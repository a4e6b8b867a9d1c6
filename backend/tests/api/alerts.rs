//! "New sign-in" alerts, the one-tap "this wasn't me", and the activity log the owner reads.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const ALERT_SUBJECT_KO: &str = "새 기기에서 로그인";

/// A password sign-in of GILDONG from `ip` with `cookie`, as Chrome on macOS: (access token,
/// refresh token, device cookie).
async fn sign_in_from(app: &TestApp, ip: &str, cookie: Option<&str>) -> (String, String, String) {
    let mut request = app
        .client
        .post(app.url("/api/login"))
        .header("x-forwarded-for", ip)
        .header("user-agent", CHROME_MAC)
        .json(&json!({"username": GILDONG.username, "password": PASSWORD}));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), 200);
    let device = device_cookie(&r).expect("device cookie");
    let body: Value = r.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
        device,
    )
}

/// GILDONG signs up, signs in from a network, then from a new one (no cookie): an alert.
async fn new_network_after_a_known_one(app: &TestApp) {
    app.sign_up(&GILDONG).await;
    sign_in_from(app, "198.51.100.1", None).await;
    sign_in_from(app, "203.0.113.7", None).await;
}

fn alerts(app: &TestApp) -> Vec<Mail> {
    app.mail
        .mails_to(GILDONG.email)
        .into_iter()
        .filter(|m| m.subject.contains(ALERT_SUBJECT_KO) || m.subject.contains("New sign-in"))
        .collect()
}

/// Waits for the `n`-th alert to GILDONG.
async fn alert_number(app: &TestApp, n: usize) -> Mail {
    for _ in 0..200 {
        if let Some(mail) = alerts(app).get(n - 1) {
            return mail.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "alert {n} never arrived; activity: {:?}; mails: {:?}",
        app.collection("activity").await,
        app.mail
            .mails_to(GILDONG.email)
            .iter()
            .map(|m| m.subject.clone())
            .collect::<Vec<_>>()
    );
}

/// The token in an alert's "this wasn't me" link.
fn link_token(mail: &Mail) -> String {
    let at = mail.text.find("/security/not-me#token=").expect("the link");
    mail.text[at + "/security/not-me#token=".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn not_me(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/security/not-me", &json!({ "token": token }))
        .await
}

async fn activity(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.bearer_get(token, &format!("/api/account/activity{query}"))
        .await
}

/// The first event of `kind` in an activity page.
fn event<'a>(page: &'a Value, kind: &str) -> &'a Value {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}: {page}"))
}

async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    let r = activity(app, token, "?limit=100").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_alert_goes_out_only_for_a_new_device_on_a_new_network_after_the_first_sign_in() {
    let app = spawn_behind_proxy(&[]).await;
    app.sign_up(&GILDONG).await;
    // The first sign-in of the account: nothing to compare with, no alert.
    let (_, _, device) = sign_in_from(&app, "198.51.100.1", None).await;
    // The same network without the cookie, and the cookie from another network: known.
    sign_in_from(&app, "198.51.100.1", None).await;
    sign_in_from(&app, "192.0.2.50", Some(&device)).await;
    app.caught_up().await;
    assert!(alerts(&app).is_empty(), "{:?}", alerts(&app));
    // No cookie, a network never seen: the alert.
    let (access, refresh, _) = sign_in_from(&app, "203.0.113.7", None).await;
    let mail = alert_number(&app, 1).await;
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("Chrome") && part.contains("macOS"), "{part}");
        assert!(part.contains("203.0.113.7"), "{part}");
        assert!(part.contains("비밀번호"), "names the method: {part}");
        assert!(part.contains("UTC"), "{part}");
        for secret in [access.as_str(), refresh.as_str(), PASSWORD] {
            assert!(!part.contains(secret), "a secret in the alert");
        }
    }
    let hash = app.users().await[0]
        .get_str("password_hash")
        .unwrap()
        .to_owned();
    assert!(!mail.text.contains(&hash) && !mail.html.contains(&hash));
    assert!(mail
        .text
        .contains("http://localhost:8080/security/not-me#token="));
    assert_eq!(alerts(&app).len(), 1);
}

#[tokio::test]
async fn not_me_ends_every_session_on_every_instance_and_mails_a_reset_code_once() {
    let (a, b) = spawn_pair(&[TRUSTED_PROXY, NO_COOLDOWN]).await;
    a.sign_up(&GILDONG).await;
    let (first, _, _) = sign_in_from(&a, "198.51.100.1", None).await;
    let (thief, thief_refresh, _) = sign_in_from(&a, "203.0.113.7", None).await;
    let mail = alert_number(&a, 1).await;
    let token = link_token(&mail);
    assert_eq!(b.nick(&first).await.status(), 200);
    assert_eq!(b.nick(&thief).await.status(), 200);

    let r = not_me(&b, &token).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({"sessions_ended": 2}));
    a.caught_up().await;
    b.caught_up().await;
    for app in [&a, &b] {
        assert_eq!(app.nick(&first).await.status(), 401);
        assert_eq!(app.nick(&thief).await.status(), 401);
    }
    assert_eq!(a.refresh(&thief_refresh).await.status(), 401);
    // A reset code went to the owner.
    mail_about(&a, GILDONG.email, "비밀번호 재설정").await;
    let resets: Vec<Mail> = a
        .mail
        .mails_to(GILDONG.email)
        .into_iter()
        .filter(|m| m.subject.contains("비밀번호 재설정"))
        .collect();
    assert_eq!(resets.len(), 1);
    assert!(extract_code(&resets[0].text).is_some());
    // Once only.
    assert_problem(not_me(&a, &token).await, 400, "invalid_token").await;
}

#[tokio::test]
async fn used_expired_forged_and_foreign_links_get_one_answer() {
    let app = spawn_behind_proxy(&[("APP_NOT_ME_TTL_SECS", "600")]).await;
    new_network_after_a_known_one(&app).await;
    let used = link_token(&alert_number(&app, 1).await);
    assert_eq!(not_me(&app, &used).await.status(), 200);
    // Sign in twice more for a second link, then let it expire.
    sign_in_from(&app, "198.51.100.1", None).await;
    sign_in_from(&app, "203.0.113.8", None).await;
    let expired = link_token(&alert_number(&app, 2).await);
    app.clock.advance(Duration::from_secs(601));

    let answer = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        (status, r.bytes().await.unwrap().to_vec())
    };
    let forged = "A".repeat(43);
    let reference = answer(not_me(&app, &used).await).await;
    assert_eq!(reference.0, 400);
    let problem: Value = serde_json::from_slice(&reference.1).unwrap();
    assert_eq!(problem["code"], "invalid_token");
    for token in [expired.as_str(), forged.as_str(), "", &"x".repeat(500)] {
        assert_eq!(
            answer(not_me(&app, token).await).await,
            reference,
            "{token}"
        );
    }
}

#[tokio::test]
async fn no_alert_when_turned_off() {
    let app = spawn_behind_proxy(&[("APP_NEW_SIGNIN_ALERTS", "false")]).await;
    new_network_after_a_known_one(&app).await;
    // The sign-in is recorded (so its alert would have been queued by now).
    let token = app.token_for(GILDONG.username).await;
    assert!(kinds(&app, &token).await.contains(&"signed_in".to_owned()));
    assert!(alerts(&app).is_empty());
    assert!(app.collection("not_me_links").await.is_empty());
}

#[tokio::test]
async fn an_smtp_outage_delays_the_alert_and_loses_none() {
    let app = spawn_behind_proxy(&[("APP_OUTBOX_INTERVAL_SECS", "1")]).await;
    app.sign_up(&GILDONG).await;
    sign_in_from(&app, "198.51.100.1", None).await;
    app.mail.refuse(true);
    // The sign-in does not wait for the mail server.
    sign_in_from(&app, "203.0.113.7", None).await;
    let queued = app.outbox_after_a_failed_try().await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert!(alerts(&app).is_empty());
    app.mail.refuse(false);
    app.clock.advance(Duration::from_secs(31));
    alert_number(&app, 1).await;
    app.outbox_drained().await;
    assert!(app.collection("mail_outbox").await.is_empty());
    assert_eq!(alerts(&app).len(), 1);
}

#[tokio::test]
async fn the_activity_log_lists_what_happened_newest_first_and_only_to_its_owner() {
    let app = spawn_behind_proxy(&[NO_COOLDOWN]).await;
    app.sign_up(&GILDONG).await;
    let other = app.registered(&OTHER).await.access;
    let (first, _, _) = sign_in_from(&app, "198.51.100.1", None).await;
    // A wrong password, a second device's sign-in (an alert), its logout from the first.
    let r = app
        .login_from("203.0.113.9", None, GILDONG.username, "not the password")
        .await;
    assert_eq!(r.status(), 401);
    let (second, _, _) = sign_in_from(&app, "203.0.113.7", None).await;
    alert_number(&app, 1).await;
    let r = app.logout(&second).await;
    assert_eq!(r.status(), 204);
    // A password change.
    let r = app
        .change_password(&first, PASSWORD, "a whole new passphrase")
        .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let r = app.login(GILDONG.username, "a whole new passphrase").await;
    let mine = access_of(&r.json().await.unwrap());

    let listed = kinds(&app, &mine).await;
    let expected_order = [
        "signed_in",
        "password_changed",
        "session_ended",
        "new_sign_in_alert",
        "signed_in",
        "sign_in_refused",
        "signed_in",
        "user_created",
    ];
    let mut at = 0;
    for kind in expected_order {
        at += listed[at..]
            .iter()
            .position(|k| k == kind)
            .unwrap_or_else(|| panic!("{kind} missing after {at} in {listed:?}"));
        at += 1;
    }
    // The newest entries are this very session's sign-in and its alert (the password change
    // made every device and network new again), both marked current.
    let r = activity(&app, &mine, "?limit=2").await;
    let page: Value = r.json().await.unwrap();
    let (alert, newest) = (&page["events"][0], &page["events"][1]);
    assert_eq!(alert["kind"], "new_sign_in_alert");
    assert_eq!(alert["current_session"], true);
    assert_eq!(newest["kind"], "signed_in");
    assert_eq!(newest["current_session"], true);
    assert_eq!(newest["method"], "password");
    assert_eq!(alert["session_id"], newest["session_id"]);
    assert!(page["next_before"].is_string());
    // The refused attempt names its source address and factor.
    let r = activity(&app, &mine, "?limit=100").await;
    let all: Value = r.json().await.unwrap();
    let refused = event(&all, "sign_in_refused");
    assert_eq!(refused["ip"], "203.0.113.9");
    assert_eq!(refused["method"], "password");
    // The logout names its reason and the session it ended.
    let ended = event(&all, "session_ended");
    assert_eq!(ended["reason"], "logout");
    // The other account sees none of it.
    let theirs = kinds(&app, &other).await;
    assert!(
        !theirs.contains(&"sign_in_refused".to_owned()),
        "{theirs:?}"
    );
    assert!(
        !theirs.contains(&"password_changed".to_owned()),
        "{theirs:?}"
    );

    // Paging: two at a time, every entry once, in the same order.
    let mut paged = vec![];
    let mut query = "?limit=2".to_owned();
    loop {
        let page: Value = activity(&app, &mine, &query).await.json().await.unwrap();
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 2);
        paged.extend(
            events
                .iter()
                .map(|e| e["kind"].as_str().unwrap().to_owned()),
        );
        match page["next_before"].as_str() {
            Some(next) => query = format!("?limit=2&before={next}"),
            None => break,
        }
    }
    assert_eq!(paged, listed);
}

#[tokio::test]
async fn activity_paging_is_validated_and_entries_expire_by_ttl() {
    let app = spawn_behind_proxy(&[("APP_ACTIVITY_RETENTION_DAYS", "3")]).await;
    let token = app.registered_person().await.access;
    for query in [
        "?limit=0",
        "?limit=101",
        "?limit=ten",
        "?before=not-a-cursor",
    ] {
        let r = activity(&app, &token, query).await;
        assert_problem(r, 422, "validation_failed").await;
    }
    assert_eq!(activity(&app, "", "").await.status(), 401);
    // Every entry expires three days after it happened, through a TTL index.
    let entries = app.collection("activity").await;
    assert!(!entries.is_empty());
    for e in &entries {
        let at = e.get_datetime("at").unwrap().timestamp_millis();
        let expires = e.get_datetime("expires_at").unwrap().timestamp_millis();
        assert_eq!(expires - at, 3 * 24 * 3600 * 1000);
        for secret in ["password_hash", "code", "token", "secret"] {
            assert!(!e.contains_key(secret), "{e:?}");
        }
    }
    let indexes = app
        .db
        .collection::<mongodb::bson::Document>("activity")
        .list_index_names()
        .await
        .unwrap();
    assert!(
        indexes.contains(&"expires_at_ttl".to_owned()),
        "{indexes:?}"
    );
    assert!(indexes.contains(&"user_id_id".to_owned()), "{indexes:?}");
}

#[tokio::test]
async fn second_factor_changes_and_operator_actions_are_in_the_log() {
    let app = spawn_behind_proxy(&[]).await;
    let (token, _totp, codes) = crate::mfa::with_totp(&app).await;
    let body = json!({"password": PASSWORD, "recovery_code": codes[0]});
    let r = app.new_recovery_codes(&token, &body).await;
    assert_eq!(r.status(), 200);
    let replaced: Value = r.json().await.unwrap();
    let body = json!({"password": PASSWORD, "recovery_code": replaced["recovery_codes"][0]});
    let r = app.totp_disable(&token, &body).await;
    assert_eq!(r.status(), 204);
    let run = crate::admin::admin(&app, &["disable", GILDONG.username]).await;
    assert!(run.ok, "{}", run.stderr);
    let run = crate::admin::admin(&app, &["enable", GILDONG.username]).await;
    assert!(run.ok, "{}", run.stderr);
    let fresh = app.token_for(GILDONG.username).await;
    let listed = kinds(&app, &fresh).await;
    for kind in [
        "totp_enabled",
        "recovery_codes_replaced",
        "totp_disabled",
        "account_disabled",
        "account_enabled",
    ] {
        assert!(
            listed.contains(&kind.to_owned()),
            "{kind} missing: {listed:?}"
        );
    }
    // The operator's actions name the operator as the actor, not the owner.
    let r = activity(&app, &fresh, "?limit=100").await;
    let all: Value = r.json().await.unwrap();
    let disabled = event(&all, "account_disabled");
    assert_eq!(disabled["actor"], "operator");
}

/// "This wasn't me" tells other services too: a `session.ended` with reason `not_me` for
/// every session it ended.
#[tokio::test]
async fn not_me_ends_sessions_with_reason_not_me_for_the_webhooks() {
    let receiver = crate::webhook_receiver::Receiver::start();
    let hooks = crate::webhooks::hooks_to(&[receiver.url()]);
    let mut vars: Vec<(&str, &str)> = hooks.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("APP_WEBHOOK_EVENTS", "session.ended"));
    let app = spawn_behind_proxy(&vars).await;
    new_network_after_a_known_one(&app).await;
    let token = link_token(&alert_number(&app, 1).await);
    assert_eq!(not_me(&app, &token).await.status(), 200);
    let got = receiver.wait_for(2).await;
    for delivery in &got[..2] {
        let body = delivery.json();
        assert_eq!(body["type"], "session.ended");
        assert_eq!(body["data"]["reason"], "not_me", "{body}");
    }
}
