//! A stolen token must not become a lasting takeover, and nobody but the owner may lock the
//! owner out: each attack of the review, tried against the real app as an attacker would.

use std::time::Duration;

use futures_util::future::join_all;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

use crate::admin::admin;
use crate::helpers::*;
use crate::mfa::{align, app_totp, code_at, wrong_code};
use crate::passkeys::{SoftPasskey, ORIGIN};

const NEW_PASSWORD: &str = "the owner's new passphrase";

/// What a sign-in answered: the access token, and the device cookie it set (`name=value`).
struct SignedIn {
    access: String,
    device: Option<String>,
}

/// `POST path` from `ip` (a trusted proxy says so), with `cookie` if any.
pub(crate) async fn post_as(
    app: &TestApp,
    ip: &str,
    cookie: Option<&str>,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("x-forwarded-for", ip)
        .json(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The `emailauth_device=…` pair a response set.
pub(crate) fn device_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("emailauth_device="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// A password sign-in of `username` from `ip` that needs no second step.
async fn sign_in(
    app: &TestApp,
    ip: &str,
    cookie: Option<&str>,
    username: &str,
    password: &str,
) -> SignedIn {
    let r = post_as(
        app,
        ip,
        cookie,
        "/api/login",
        &json!({"username": username, "password": password}),
    )
    .await;
    assert_eq!(r.status(), 200, "sign-in from {ip}");
    let device = device_cookie(&r);
    let body: Value = r.json().await.unwrap();
    SignedIn {
        access: body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {body}"))
            .to_owned(),
        device,
    }
}

/// A wrong password for GILDONG from `ip` (with `cookie`): its status.
pub(crate) async fn wrong_login(app: &TestApp, ip: &str, cookie: Option<&str>) -> u16 {
    post_as(
        app,
        ip,
        cookie,
        "/api/login",
        &json!({"username": GILDONG.username, "password": "a wrong guess!"}),
    )
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

async fn bearer(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Turns TOTP on for the account of `token` (password `password`): its generator. The clock
/// is then one step further, so the next code is fresh.
async fn turn_on_totp(app: &TestApp, token: &str, password: &str) -> totp_rs::TOTP {
    let r = bearer(
        app,
        reqwest::Method::POST,
        token,
        "/api/mfa/totp/setup",
        &json!({ "password": password }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let totp = app_totp(body["secret"].as_str().unwrap());
    align(app, 0);
    let r = bearer(
        app,
        reqwest::Method::POST,
        token,
        "/api/mfa/totp/enable",
        &json!({"code": code_at(app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);
    align(app, 1);
    totp
}

/// Waits for a mail to `to` whose subject contains `subject`.
async fn mail_about(app: &TestApp, to: &str, subject: &str) -> Mail {
    for _ in 0..200 {
        if let Some(mail) = app
            .mail
            .mails_to(to)
            .into_iter()
            .find(|m| m.subject.contains(subject))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail about {subject:?} to {to}");
}

/// Resets GILDONG's password through the mailbox, as the owner would; `extra` joins the
/// confirm body.
async fn owner_resets(app: &TestApp, extra: Value) {
    let r = app
        .post(
            "/api/password_reset/request",
            &json!({"email": GILDONG.email}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let code = app.mail.code_for(GILDONG.email).await;
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
    vec![
        ("APP_TRUSTED_PROXIES", "127.0.0.1"),
        ("APP_RESEND_COOLDOWN_SECS", "0"),
    ]
}

#[tokio::test]
async fn a_token_alone_adds_no_passkey_and_turns_on_no_totp() {
    let app = spawn_app_with(&trusted()).await;
    app.sign_up(&GILDONG).await;
    // A token straight from a sign-in: a sign-in is no step-up.
    let token = app.token_for(GILDONG.username).await;
    for (method, path) in [
        (reqwest::Method::POST, "/api/passkeys/register/start"),
        (reqwest::Method::POST, "/api/mfa/totp/setup"),
    ] {
        assert_field_problem(
            bearer(&app, method, &token, path, &json!({})).await,
            422,
            "validation_failed",
            "password",
            "required",
        )
        .await;
    }
    // Neither is a way to guess the password either: a wrong one is a counted failure.
    assert_problem(
        bearer(
            &app,
            reqwest::Method::POST,
            &token,
            "/api/passkeys/register/start",
            &json!({"password": "not the password"}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(app.collection("webauthn_challenges").await.len(), 0);
    assert_eq!(app.users().await[0].get("totp_pending"), None);

    // With TOTP on, the password alone is not enough either: the token of a full two-step
    // sign-in still needs a current code.
    let owner = app.token_for(GILDONG.username).await;
    let totp = turn_on_totp(&app, &owner, PASSWORD).await;
    let r = app.login(GILDONG.username, PASSWORD).await;
    let ticket: Value = r.json().await.unwrap();
    let r = app
        .post(
            "/api/login/mfa",
            &json!({"mfa_token": ticket["mfa_token"], "code": code_at(&app, &totp, 0)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let stolen = body["access_token"].as_str().unwrap().to_owned();
    align(&app, 1);
    assert_field_problem(
        bearer(
            &app,
            reqwest::Method::POST,
            &stolen,
            "/api/passkeys/register/start",
            &json!({"password": PASSWORD}),
        )
        .await,
        422,
        "validation_failed",
        "code",
        "required",
    )
    .await;
    assert_problem(
        bearer(
            &app,
            reqwest::Method::POST,
            &stolen,
            "/api/passkeys/register/start",
            &json!({"password": PASSWORD, "code": wrong_code(&app, &totp)}),
        )
        .await,
        400,
        "invalid_code",
    )
    .await;
    // The owner, proving both, may.
    let r = bearer(
        &app,
        reqwest::Method::POST,
        &stolen,
        "/api/passkeys/register/start",
        &json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);
    // And deleting a passkey needs the same proof (of another session, no step-up).
    let fresh = app.login(GILDONG.username, PASSWORD).await;
    let fresh: Value = fresh.json().await.unwrap();
    align(&app, 1);
    let r = app
        .post(
            "/api/login/mfa",
            &json!({"mfa_token": fresh["mfa_token"], "code": code_at(&app, &totp, 0)}),
        )
        .await;
    let fresh: Value = r.json().await.unwrap();
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_field_problem(
        bearer(
            &app,
            reqwest::Method::DELETE,
            fresh,
            "/api/passkeys/000000000000000000000000",
            &json!({}),
        )
        .await,
        422,
        "validation_failed",
        "password",
        "required",
    )
    .await;
}

#[tokio::test]
async fn a_step_up_counts_for_a_few_minutes_and_factor_changes_are_mailed() {
    let app = spawn_app_with(&trusted()).await;
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    let mut key = SoftPasskey::new();
    let info = app.add_passkey(&token, &mut key, "노트북").await;
    let added = mail_about(&app, GILDONG.email, "패스키 추가").await;
    assert!(added.text.contains("노트북"), "{}", added.text);
    // Within the step-up's minutes the session needs no new proof…
    let mut second = SoftPasskey::new();
    app.add_passkey_with(&token, &mut second, "phone", json!({}))
        .await;
    // …and after them it does.
    app.clock.advance(Duration::from_secs(301));
    assert_field_problem(
        bearer(
            &app,
            reqwest::Method::POST,
            &token,
            "/api/passkeys/register/start",
            &json!({}),
        )
        .await,
        422,
        "validation_failed",
        "password",
        "required",
    )
    .await;
    let r = app
        .delete_passkey(&token, info["id"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), 204);
    let removed = mail_about(&app, GILDONG.email, "패스키 삭제").await;
    assert!(removed.text.contains("노트북"));

    // Turning TOTP on and new recovery codes are mailed too; turning it on ends every other
    // session (none of them proved a second factor).
    let other = app.token_for(GILDONG.username).await;
    let totp = turn_on_totp(&app, &token, PASSWORD).await;
    mail_about(&app, GILDONG.email, "2단계 인증이 켜졌습니다").await;
    assert_problem(app.nick(&other).await, 401, "invalid_token").await;
    assert_eq!(app.nick(&token).await.status(), 200);
    let r = bearer(
        &app,
        reqwest::Method::POST,
        &token,
        "/api/mfa/recovery_codes",
        &json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);
    mail_about(&app, GILDONG.email, "복구 코드").await;
}

#[tokio::test]
async fn after_the_owners_reset_the_thiefs_passkey_and_totp_sign_nobody_in() {
    let app = spawn_app_with(&trusted()).await;
    app.sign_up(&GILDONG).await;
    // A thief who knows the password adds a passkey and turns TOTP on with their own secret.
    let thief = sign_in(&app, "198.51.100.66", None, GILDONG.username, PASSWORD).await;
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
    assert_problem(
        app.passkey_login(&mut key).await,
        401,
        "invalid_credentials",
    )
    .await;
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
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "mine").await;
    owner_resets(&app, json!({"keep_second_factors": true})).await;
    assert_eq!(app.passkey_login(&mut key).await.status(), 200);
}

/// The owner signs in from their device once (its cookie), with TOTP on.
async fn owner_with_totp_and_device(app: &TestApp) -> (totp_rs::TOTP, Vec<String>, String) {
    app.sign_up(&GILDONG).await;
    let first = sign_in(app, "198.51.100.1", None, GILDONG.username, PASSWORD).await;
    let r = bearer(
        app,
        reqwest::Method::POST,
        &first.access,
        "/api/mfa/totp/setup",
        &json!({ "password": PASSWORD }),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    let totp = app_totp(body["secret"].as_str().unwrap());
    align(app, 0);
    let r = bearer(
        app,
        reqwest::Method::POST,
        &first.access,
        "/api/mfa/totp/enable",
        &json!({"code": code_at(app, &totp, 0)}),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    align(app, 1);
    (totp, codes, first.device.expect("a device cookie"))
}

/// The ticket of a right password from `ip` with `cookie`.
async fn ticket_from(app: &TestApp, ip: &str, cookie: Option<&str>) -> String {
    let r = post_as(
        app,
        ip,
        cookie,
        "/api/login",
        &json!({"username": GILDONG.username, "password": PASSWORD}),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    body["mfa_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn strangers_who_know_the_password_cannot_lock_the_owner_out_of_the_second_step() {
    let app = spawn_app_with(&trusted()).await;
    let (totp, codes, device) = owner_with_totp_and_device(&app).await;
    // A stranger who knows the password fails the second step ten times, over fresh tickets.
    let mut statuses = vec![];
    for i in 0..11 {
        let ticket = ticket_from(&app, &format!("203.0.113.{}", 20 + i), None).await;
        let r = post_as(
            &app,
            &format!("203.0.113.{}", 20 + i),
            None,
            "/api/login/mfa",
            &json!({"mfa_token": ticket, "code": wrong_code(&app, &totp)}),
        )
        .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses[..10], [400; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "{statuses:?}");
    // The owner is told.
    let warning = mail_about(&app, GILDONG.email, "2단계 인증에 실패").await;
    assert!(!warning.text.contains(PASSWORD));

    // The owner, on their device, passes the second step with a recovery code, and from their
    // network with a code.
    let ticket = ticket_from(&app, "203.0.113.200", Some(&device)).await;
    let r = post_as(
        &app,
        "203.0.113.200",
        Some(&device),
        "/api/login/mfa",
        &json!({"mfa_token": ticket, "recovery_code": codes[0]}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let ticket = ticket_from(&app, "198.51.100.1", None).await;
    let r = post_as(
        &app,
        "198.51.100.1",
        None,
        "/api/login/mfa",
        &json!({"mfa_token": ticket, "code": code_at(&app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);

    // The operator's clear-throttles lifts the strangers' second-step pool too.
    let ticket = ticket_from(&app, "203.0.113.77", None).await;
    let stranger = json!({"mfa_token": ticket, "code": wrong_code(&app, &totp)});
    let r = post_as(&app, "203.0.113.77", None, "/api/login/mfa", &stranger).await;
    assert_problem(r, 429, "too_many_attempts").await;
    let run = admin(&app, &["clear-throttles", "--account", GILDONG.username]).await;
    assert!(run.ok, "{}", run.stderr);
    let r = post_as(&app, "203.0.113.77", None, "/api/login/mfa", &stranger).await;
    assert_problem(r, 400, "invalid_code").await;
}

#[tokio::test]
async fn old_cookies_and_networks_buy_nothing_after_a_password_change() {
    let app = spawn_app_with(&trusted()).await;
    app.sign_up(&GILDONG).await;
    let owner = sign_in(&app, "198.51.100.1", None, GILDONG.username, PASSWORD).await;
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
    app.sign_up(&GILDONG).await;
    let old = sign_in(&app, "198.51.100.1", None, GILDONG.username, PASSWORD).await;
    let cookie = old.device.expect("a device cookie");
    let r = bearer(
        &app,
        reqwest::Method::DELETE,
        &old.access,
        "/api/account",
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status(), 204);
    app.sign_up(&GILDONG).await;
    strangers_fail_ten_times(&app).await;
    assert_eq!(wrong_login(&app, "203.0.113.150", Some(&cookie)).await, 429);
    assert_eq!(wrong_login(&app, "198.51.100.1", None).await, 429);
}

#[tokio::test]
async fn registration_starts_are_rate_limited_and_an_account_has_one_pending() {
    let app = spawn_app_with(&[
        ("APP_TRUSTED_PROXIES", "127.0.0.1"),
        ("APP_RATE_LIMIT_PER_SECOND", "5"),
        ("APP_RATE_LIMIT_BURST", "30"),
    ])
    .await;
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    // One step-up, then starts that lean on it, all at once from one client.
    app.register_start(&token).await;
    let empty = json!({});
    let starts = (0..120).map(|_| {
        bearer(
            &app,
            reqwest::Method::POST,
            &token,
            "/api/passkeys/register/start",
            &empty,
        )
    });
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
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    let mut keys: Vec<SoftPasskey> = (0..20).map(|_| SoftPasskey::new()).collect();
    for (i, key) in keys.iter_mut().enumerate() {
        app.add_passkey(&token, key, &format!("key {i}")).await;
    }
    assert_problem(
        bearer(
            &app,
            reqwest::Method::POST,
            &token,
            "/api/passkeys/register/start",
            &json!({ "password": PASSWORD }),
        )
        .await,
        409,
        "too_many_passkeys",
    )
    .await;
    assert_eq!(app.collection("passkeys").await.len(), 20);
}

#[tokio::test]
async fn a_new_registration_replaces_the_pending_one() {
    let app = spawn_app_with(&trusted()).await;
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    let (first_id, first_options) = app.register_start(&token).await;
    let mut first = SoftPasskey::new();
    let credential = first.register(&first_options, ORIGIN);
    let (second_id, second_options) = app.register_start_with(&token, json!({})).await;
    assert_problem(
        app.register_finish(&token, &first_id, "first", &credential)
            .await,
        400,
        "invalid_challenge",
    )
    .await;
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
    let app = spawn_app_with(&[("APP_SESSIONS_MAX", "3")]).await;
    app.sign_up(&GILDONG).await;
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
    let app = spawn_app().await;
    app.sign_up(&GILDONG).await;
    app.sign_up(&OTHER).await;
    let mut cookies = vec![];
    for who in [OTHER.username, GILDONG.username] {
        let r = app
            .client
            .post(app.url("/api/login"))
            .header("x-token-transport", "cookie")
            .json(&json!({"username": who, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let pair = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("emailauth_refresh="))
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_owned();
        cookies.push(pair);
    }
    let refresh = |cookie: String| {
        app.client
            .post(app.url("/api/token/refresh"))
            .header("origin", &app.address)
            .header("cookie", cookie)
            .json(&json!({}))
            .send()
    };
    // The attacker's cookie first, the victim's second, as a planted cookie with a longer path
    // would be sent.
    let r = refresh(format!("{}; {}", cookies[0], cookies[1]))
        .await
        .unwrap();
    let cleared = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("emailauth_refresh=;") && v.contains("Max-Age=0"));
    assert!(cleared, "{:?}", r.headers());
    assert_problem(r, 401, "invalid_token").await;
    // One cookie alone still works.
    let r = refresh(cookies[1].clone()).await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn deletion_leaves_no_ticket_challenge_or_limit_record_naming_the_account() {
    let app = spawn_app_with(&trusted()).await;
    let (totp, _, device) = owner_with_totp_and_device(&app).await;
    let user_id = app.users().await[0].get_object_id("_id").unwrap().to_hex();
    // Traces of every kind: a live ticket, wrong second steps from a stranger and from the
    // owner's device, wrong passwords from both, a pending passkey registration.
    let ticket = ticket_from(&app, "203.0.113.5", None).await;
    let r = post_as(
        &app,
        "203.0.113.5",
        None,
        "/api/login/mfa",
        &json!({"mfa_token": ticket, "code": wrong_code(&app, &totp)}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let ticket = ticket_from(&app, "203.0.113.6", Some(&device)).await;
    let r = post_as(
        &app,
        "203.0.113.6",
        Some(&device),
        "/api/login/mfa",
        &json!({"mfa_token": ticket, "code": wrong_code(&app, &totp)}),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(wrong_login(&app, "203.0.113.7", None).await, 401);
    assert_eq!(wrong_login(&app, "203.0.113.8", Some(&device)).await, 401);
    let ticket = ticket_from(&app, "198.51.100.1", Some(&device)).await;
    let r = post_as(
        &app,
        "198.51.100.1",
        Some(&device),
        "/api/login/mfa",
        &json!({"mfa_token": ticket, "code": code_at(&app, &totp, 0)}),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    align(&app, 1);
    let r = bearer(
        &app,
        reqwest::Method::POST,
        &access,
        "/api/passkeys/register/start",
        &json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let _live_ticket = ticket_from(&app, "203.0.113.9", None).await;
    for collection in ["mfa_tickets", "webauthn_challenges", "throttle_events"] {
        assert!(
            !app.collection(collection).await.is_empty(),
            "the test leaves traces in {collection}"
        );
    }

    let r = bearer(
        &app,
        reqwest::Method::DELETE,
        &access,
        "/api/account",
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status(), 204);
    let needles = [
        GILDONG.username.to_ascii_lowercase(),
        GILDONG.email.to_owned(),
        user_id,
    ];
    for name in app.db.list_collection_names().await.unwrap() {
        if name == "mail_outbox" {
            continue;
        }
        for d in app.collection(&name).await {
            let text = mongodb::bson::Bson::Document(d)
                .into_relaxed_extjson()
                .to_string()
                .to_lowercase();
            for needle in &needles {
                assert!(
                    !text.contains(needle.as_str()),
                    "{name} names {needle}: {text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_operator_resets_the_second_factors_and_lists_how_sessions_signed_in() {
    let app = spawn_app_with(&trusted()).await;
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "lost phone").await;
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
    assert_problem(
        app.passkey_login(&mut key).await,
        401,
        "invalid_credentials",
    )
    .await;
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
