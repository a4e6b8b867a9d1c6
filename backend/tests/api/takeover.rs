//! A stolen token must not become a lasting takeover, and nobody but the owner may lock the
//! owner out: each attack of the review, tried against the real app as an attacker would.

use std::time::Duration;

use futures_util::future::join_all;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

use crate::admin::admin;
use crate::helpers::*;
use crate::passkeys::{SoftPasskey, ORIGIN};

const NEW_PASSWORD: &str = "the owner's new passphrase";

/// A wrong password for GILDONG from `ip` (with `cookie`): its status.
pub(crate) async fn wrong_login(app: &TestApp, ip: &str, cookie: Option<&str>) -> u16 {
    app.login_from(ip, cookie, GILDONG.username, "a wrong guess!")
        .await
        .status()
        .as_u16()
}

/// Fills the strangers' pool of GILDONG's password: ten wrong passwords from ten addresses.
async fn strangers_fail_ten_times(app: &TestApp) {
    for i in 0..10 {
        assert_eq!(
            wrong_login(app, &format!("203.0.113.{}", 10 + i), None).await,
            401
        );
    }
    assert_eq!(wrong_login(app, "203.0.113.99", None).await, 429);
}

/// GILDONG signs up, signs in and adds a passkey named `name`: the token and the key.
async fn with_a_passkey(app: &TestApp, name: &str) -> (String, SoftPasskey) {
    let token = app.registered_person().await.access;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, name).await;
    (token, key)
}

/// GILDONG signs up, then signs in from `ip`.
async fn signed_up_from(app: &TestApp, ip: &str) -> SignedIn {
    app.sign_up(&GILDONG).await;
    app.sign_in_from(ip, None, &GILDONG, PASSWORD).await
}

/// Turns TOTP on for the account of `token` (password `password`): its generator. The clock
/// is then one step further, so the next code is fresh.
async fn turn_on_totp(app: &TestApp, token: &str, password: &str) -> totp_rs::TOTP {
    let on = app.turn_on_totp(token, password).await;
    align(app, 1);
    on.totp
}

/// Resets GILDONG's password through the mailbox, as the owner would; `extra` joins the
/// confirm body.
async fn owner_resets(app: &TestApp, extra: Value) {
    let code = app.reset_code(GILDONG.email).await;
    let mut body = json!({"email": GILDONG.email, "code": code, "new_password": NEW_PASSWORD});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let r = app.post("/api/password_reset/confirm", &body).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
}

/// Trusted `X-Forwarded-For` from the test, and no resend cooldown (tests mail the address
/// again right after the signup code).
fn trusted() -> Vec<(&'static str, &'static str)> {
    vec![TRUSTED_PROXY, NO_COOLDOWN]
}

#[tokio::test]
async fn a_token_alone_adds_no_passkey_and_turns_on_no_totp() {
    let app = spawn_app_with_account(&GILDONG, &trusted()).await;
    // A token straight from a sign-in: a sign-in is no step-up.
    let token = app.token_for(GILDONG.username).await;
    for (method, path) in [
        (reqwest::Method::POST, "/api/passkeys/register/start"),
        (reqwest::Method::POST, "/api/mfa/totp/setup"),
    ] {
        let r = app.bearer(method, &token, path, Some(&json!({}))).await;
        assert_field_problem(r, 422, "validation_failed", "password", "required").await;
    }
    // Neither is a way to guess the password either: a wrong one is a counted failure.
    let r = app
        .passkey_register_start(&token, &json!({"password": "not the password"}))
        .await;
    assert_problem(r, 401, "invalid_credentials").await;
    assert_eq!(app.collection("webauthn_challenges").await.len(), 0);
    assert_eq!(app.users().await[0].get("totp_pending"), None);

    // With TOTP on, the password alone is not enough either: the token of a full two-step
    // sign-in still needs a current code.
    let owner = app.token_for(GILDONG.username).await;
    let totp = turn_on_totp(&app, &owner, PASSWORD).await;
    let body = app
        .sign_in_with_totp(GILDONG.username, PASSWORD, &totp)
        .await;
    let stolen = access_of(&body);
    align(&app, 1);
    let r = app
        .passkey_register_start(&stolen, &json!({"password": PASSWORD}))
        .await;
    assert_field_problem(r, 422, "validation_failed", "code", "required").await;
    let body = json!({"password": PASSWORD, "code": wrong_code(&app, &totp)});
    let r = app.passkey_register_start(&stolen, &body).await;
    assert_problem(r, 400, "invalid_code").await;
    // The owner, proving both, may.
    let body = json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)});
    let r = app.passkey_register_start(&stolen, &body).await;
    assert_eq!(r.status(), 200);
    // And deleting a passkey needs the same proof (of another session, no step-up).
    align(&app, 1);
    let fresh = access_of(
        &app.sign_in_with_totp(GILDONG.username, PASSWORD, &totp)
            .await,
    );
    let body = json!({});
    let r = app
        .bearer(
            reqwest::Method::DELETE,
            &fresh,
            "/api/passkeys/000000000000000000000000",
            Some(&body),
        )
        .await;
    assert_field_problem(r, 422, "validation_failed", "password", "required").await;
}

#[tokio::test]
async fn a_step_up_counts_for_a_few_minutes_and_factor_changes_are_mailed() {
    let app = spawn_app_with(&trusted()).await;
    let me = app.registered_person().await;
    let token = me.access;
    let mut key = SoftPasskey::new();
    let info = app.add_passkey(&token, &mut key, "노트북").await;
    let added = mail_about(&app, &me.email, "패스키 추가").await;
    assert!(added.text.contains("노트북"), "{}", added.text);
    // Within the step-up's minutes the session needs no new proof…
    let mut second = SoftPasskey::new();
    app.add_passkey_with(&token, &mut second, "phone", json!({}))
        .await;
    // …and after them it does.
    app.clock.advance(Duration::from_secs(301));
    let r = app.passkey_register_start(&token, &json!({})).await;
    assert_field_problem(r, 422, "validation_failed", "password", "required").await;
    let r = app
        .delete_passkey(&token, info["id"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), 204);
    let removed = mail_about(&app, &me.email, "패스키 삭제").await;
    assert!(removed.text.contains("노트북"));

    // Turning TOTP on and new recovery codes are mailed too; turning it on ends every other
    // session (none of them proved a second factor).
    let other = app.token_for(&me.username).await;
    let totp = turn_on_totp(&app, &token, &me.password).await;
    mail_about(&app, &me.email, "2단계 인증이 켜졌습니다").await;
    assert_problem(app.nick(&other).await, 401, "invalid_token").await;
    assert_eq!(app.nick(&token).await.status(), 200);
    let body = json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)});
    let r = app.new_recovery_codes(&token, &body).await;
    assert_eq!(r.status(), 200);
    mail_about(&app, &me.email, "복구 코드").await;
}

#[tokio::test]
async fn after_the_owners_reset_the_thiefs_passkey_and_totp_sign_nobody_in() {
    let app = spawn_app_with(&trusted()).await;
    // A thief who knows the password adds a passkey and turns TOTP on with their own secret.
    let thief = signed_up_from(&app, "198.51.100.66").await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&thief.access, &mut key, "thief").await;
    turn_on_totp(&app, &thief.access, PASSWORD).await;
    let r = app.login(GILDONG.username, PASSWORD).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["mfa_required"], true,
        "the owner is asked for the thief's factor"
    );

    owner_resets(&app, json!({})).await;
    mail_about(&app, GILDONG.email, "패스키와 2단계 인증이 삭제").await;

    // The thief's passkey signs nobody in; the owner's password alone does again.
    let r = app.passkey_login(&mut key).await;
    assert_problem(r, 401, "invalid_credentials").await;
    let r = app.login(GILDONG.username, NEW_PASSWORD).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    assert_problem(app.nick(&thief.access).await, 401, "invalid_token").await;
    assert!(app.collection("passkeys").await.is_empty());
    let user = &app.users().await[0];
    assert!(user.get("totp").is_none() && user.get("totp_pending").is_none());
}

#[tokio::test]
async fn a_reset_may_keep_the_factors_when_the_owner_says_so() {
    let app = spawn_app_with(&trusted()).await;
    let (_, mut key) = with_a_passkey(&app, "mine").await;
    owner_resets(&app, json!({"keep_second_factors": true})).await;
    assert_eq!(app.passkey_login(&mut key).await.status(), 200);
}

/// The owner signs in from their device once (its cookie), with TOTP on.
async fn owner_with_totp_and_device(app: &TestApp) -> (totp_rs::TOTP, Vec<String>, String) {
    let me = signed_up_from(app, "198.51.100.1").await;
    let (access, device) = (me.access, me.device);
    let Totp {
        totp,
        recovery_codes,
    } = app.turn_on_totp(&access, PASSWORD).await;
    align(app, 1);
    (totp, recovery_codes, device.expect("a device cookie"))
}

/// The ticket of a right password from `ip` with `cookie`.
async fn ticket_from(app: &TestApp, ip: &str, cookie: Option<&str>) -> String {
    let r = app.login_from(ip, cookie, GILDONG.username, PASSWORD).await;
    let body: Value = r.json().await.unwrap();
    body["mfa_token"].as_str().unwrap().to_owned()
}

/// A right password from `ip` (with `cookie`), then from there the second step with `factor`.
async fn both_steps_from(
    app: &TestApp,
    ip: &str,
    cookie: Option<&str>,
    factor: Value,
) -> reqwest::Response {
    let mut body = json!({ "mfa_token": ticket_from(app, ip, cookie).await });
    if let (Some(body), Some(factor)) = (body.as_object_mut(), factor.as_object()) {
        body.extend(factor.clone());
    }
    app.post_as(ip, cookie, "/api/login/mfa", &body).await
}

#[tokio::test]
async fn strangers_who_know_the_password_cannot_lock_the_owner_out_of_the_second_step() {
    let app = spawn_app_with(&trusted()).await;
    let (totp, codes, device) = owner_with_totp_and_device(&app).await;
    // A stranger who knows the password fails the second step ten times, over fresh tickets.
    let mut statuses = vec![];
    for i in 0..11 {
        let ip = format!("203.0.113.{}", 20 + i);
        let r = both_steps_from(&app, &ip, None, json!({"code": wrong_code(&app, &totp)})).await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses[..10], [400; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "{statuses:?}");
    // The owner is told.
    let warning = mail_about(&app, GILDONG.email, "2단계 인증에 실패").await;
    assert!(!warning.text.contains(PASSWORD));

    // The owner, on their device, passes the second step with a recovery code, and from their
    // network with a code.
    let r = both_steps_from(
        &app,
        "203.0.113.200",
        Some(&device),
        json!({"recovery_code": codes[0]}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = both_steps_from(
        &app,
        "198.51.100.1",
        None,
        json!({"code": code_at(&app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);

    // The operator's clear-throttles lifts the strangers' second-step pool too.
    let ticket = ticket_from(&app, "203.0.113.77", None).await;
    let stranger = json!({"mfa_token": ticket, "code": wrong_code(&app, &totp)});
    let r = app
        .post_as("203.0.113.77", None, "/api/login/mfa", &stranger)
        .await;
    assert_problem(r, 429, "too_many_attempts").await;
    let run = admin(&app, &["clear-throttles", "--account", GILDONG.username]).await;
    assert!(run.ok, "{}", run.stderr);
    let r = app
        .post_as("203.0.113.77", None, "/api/login/mfa", &stranger)
        .await;
    assert_problem(r, 400, "invalid_code").await;
}

#[tokio::test]
async fn old_cookies_and_networks_buy_nothing_after_a_password_change() {
    let app = spawn_app_with(&trusted()).await;
    let owner = signed_up_from(&app, "198.51.100.1").await;
    let cookie = owner.device.expect("a device cookie");
    strangers_fail_ten_times(&app).await;
    // Before the change the old device and network are pools of their own.
    assert_eq!(wrong_login(&app, "203.0.113.150", Some(&cookie)).await, 401);
    assert_eq!(wrong_login(&app, "198.51.100.1", None).await, 401);

    // The owner changes the password from their network (the strangers' pool is full).
    let r = app
        .client
        .post(app.url("/api/password/change"))
        .header("x-forwarded-for", "198.51.100.1")
        .bearer_auth(&owner.access)
        .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // After it, whoever held them is a stranger like any other: and the strangers wait.
    assert_eq!(wrong_login(&app, "203.0.113.150", Some(&cookie)).await, 429);
    assert_eq!(wrong_login(&app, "198.51.100.1", None).await, 429);
    assert!(app.collection("known_networks").await.is_empty());
}

#[tokio::test]
async fn a_deleted_accounts_cookie_buys_nothing_for_the_next_holder_of_the_name() {
    let app = spawn_app_with(&trusted()).await;
    let old = signed_up_from(&app, "198.51.100.1").await;
    let cookie = old.device.expect("a device cookie");
    let r = app.delete_account(&old.access, PASSWORD).await;
    assert_eq!(r.status(), 204);
    app.sign_up(&GILDONG).await;
    strangers_fail_ten_times(&app).await;
    assert_eq!(wrong_login(&app, "203.0.113.150", Some(&cookie)).await, 429);
    assert_eq!(wrong_login(&app, "198.51.100.1", None).await, 429);
}

/// Thirty requests at once, five a second after, behind the trusted proxy.
const BURSTY: [(&str, &str); 3] = [
    TRUSTED_PROXY,
    ("APP_RATE_LIMIT_PER_SECOND", "5"),
    ("APP_RATE_LIMIT_BURST", "30"),
];

#[tokio::test]
async fn registration_starts_are_rate_limited_and_an_account_has_one_pending() {
    let app = spawn_app_with(&BURSTY).await;
    let token = app.registered_person().await.access;
    // One step-up, then starts that lean on it, all at once from one client.
    app.register_start(&token).await;
    let empty = json!({});
    let starts = (0..120).map(|_| app.passkey_register_start(&token, &empty));
    let statuses: Vec<u16> = join_all(starts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited > 0, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 429)),
        "{statuses:?}"
    );
    let pending = app.collection("webauthn_challenges").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
}

#[tokio::test]
async fn the_twenty_first_passkey_is_refused() {
    let app = spawn_app_with(&trusted()).await;
    let token = app.registered_person().await.access;
    let mut keys: Vec<SoftPasskey> = (0..20).map(|_| SoftPasskey::new()).collect();
    for (i, key) in keys.iter_mut().enumerate() {
        app.add_passkey(&token, key, &format!("key {i}")).await;
    }
    let r = app
        .passkey_register_start(&token, &json!({ "password": PASSWORD }))
        .await;
    assert_problem(r, 409, "too_many_passkeys").await;
    assert_eq!(app.collection("passkeys").await.len(), 20);
}

#[tokio::test]
async fn a_new_registration_replaces_the_pending_one() {
    let app = spawn_app_with(&trusted()).await;
    let token = app.registered_person().await.access;
    let (first_id, first_options) = app.register_start(&token).await;
    let mut first = SoftPasskey::new();
    let credential = first.register(&first_options, ORIGIN);
    let (second_id, second_options) = app.register_start_with(&token, json!({})).await;
    let r = app
        .register_finish(&token, &first_id, "first", &credential)
        .await;
    assert_problem(r, 400, "invalid_challenge").await;
    let mut second = SoftPasskey::new();
    let credential = second.register(&second_options, ORIGIN);
    assert_eq!(
        app.register_finish(&token, &second_id, "second", &credential)
            .await
            .status(),
        201
    );
    assert_eq!(app.collection("passkeys").await.len(), 1);
    assert!(app.collection("webauthn_challenges").await.is_empty());
}

#[tokio::test]
async fn sessions_per_account_are_capped_least_recently_used_first() {
    let app = spawn_app_with_account(&GILDONG, &[("APP_SESSIONS_MAX", "3")]).await;
    let mut tokens = vec![];
    for _ in 0..4 {
        tokens.push(app.token_for(GILDONG.username).await);
        // Distinct last-use times.
        app.clock.advance(Duration::from_secs(1));
    }
    assert_problem(app.nick(&tokens[0]).await, 401, "invalid_token").await;
    for token in &tokens[1..] {
        assert_eq!(app.nick(token).await.status(), 200);
    }
    assert_eq!(app.collection("sessions").await.len(), 3);
}

#[tokio::test]
async fn two_refresh_cookies_are_refused_and_the_cookie_cleared() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    app.sign_up(&OTHER).await;
    let mut cookies = vec![];
    for who in [OTHER.username, GILDONG.username] {
        let r = app.cookie_login(who, PASSWORD).await;
        assert_eq!(r.status(), 200);
        cookies.push(cookie_pair(&r, "emailauth_refresh").unwrap());
    }
    // The attacker's cookie first, the victim's second, as a planted cookie with a longer path
    // would be sent.
    let r = app
        .refresh_with_cookie(&format!("{}; {}", cookies[0], cookies[1]))
        .await;
    assert!(clears_refresh_cookie(&r), "{:?}", r.headers());
    assert_problem(r, 401, "invalid_token").await;
    // One cookie alone still works.
    let r = app.refresh_with_cookie(&cookies[1]).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn deletion_leaves_no_ticket_challenge_or_limit_record_naming_the_account() {
    let app = spawn_app_with(&trusted()).await;
    let (totp, _, device) = owner_with_totp_and_device(&app).await;
    let user_id = app.users().await[0].get_object_id("_id").unwrap().to_hex();
    // Traces of every kind: a live ticket, wrong second steps from a stranger and from the
    // owner's device, wrong passwords from both, a pending passkey registration.
    let r = both_steps_from(
        &app,
        "203.0.113.5",
        None,
        json!({"code": wrong_code(&app, &totp)}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = both_steps_from(
        &app,
        "203.0.113.6",
        Some(&device),
        json!({"code": wrong_code(&app, &totp)}),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(wrong_login(&app, "203.0.113.7", None).await, 401);
    assert_eq!(wrong_login(&app, "203.0.113.8", Some(&device)).await, 401);
    let r = both_steps_from(
        &app,
        "198.51.100.1",
        Some(&device),
        json!({"code": code_at(&app, &totp, 0)}),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    align(&app, 1);
    let body = json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)});
    let r = app.passkey_register_start(&access, &body).await;
    assert_eq!(r.status(), 200);
    let _live_ticket = ticket_from(&app, "203.0.113.9", None).await;
    for collection in ["mfa_tickets", "webauthn_challenges", "throttle_events"] {
        assert!(
            !app.collection(collection).await.is_empty(),
            "the test leaves traces in {collection}"
        );
    }

    let r = app.delete_account(&access, PASSWORD).await;
    assert_eq!(r.status(), 204);
    let needles = [
        GILDONG.username.to_ascii_lowercase(),
        GILDONG.email.to_owned(),
        user_id,
    ];
    for (name, _, text) in app.all_documents().await {
        if name == "mail_outbox" {
            continue;
        }
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "{name} names {needle}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn the_operator_resets_the_second_factors_and_lists_how_sessions_signed_in() {
    let app = spawn_app_with(&trusted()).await;
    let (token, mut key) = with_a_passkey(&app, "lost phone").await;
    turn_on_totp(&app, &token, PASSWORD).await;

    let run = admin(&app, &["sessions", GILDONG.username]).await;
    assert!(run.ok, "{}", run.stderr);
    let methods: Vec<&str> = run.out["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["password"]);

    let run = admin(&app, &["reset-mfa", "--account", GILDONG.username]).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(
        run.out,
        json!({
            "user_id": app.users().await[0].get_object_id("_id").unwrap().to_hex(),
            "totp_removed": true,
            "passkeys_removed": 1,
        })
    );
    mail_about(&app, GILDONG.email, "패스키와 2단계 인증이 삭제").await;
    assert_problem(app.nick(&token).await, 401, "invalid_token").await;
    let r = app.passkey_login(&mut key).await;
    assert_problem(r, 401, "invalid_credentials").await;
    let r = app.login(GILDONG.username, PASSWORD).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    let user: Document = app.users().await.remove(0);
    assert!(user.get("totp").is_none());
    assert_eq!(
        app.db
            .collection::<Document>("passkeys")
            .count_documents(doc! {})
            .await
            .unwrap(),
        0
    );
}
