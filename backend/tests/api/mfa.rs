//! The second factor: TOTP setup and enable, the two-step login and its ticket, recovery
//! codes, disable. Codes are computed with `totp-rs` from the secret the API returned, at the
//! app's injected clock (`app.clock.advance(..)` instead of waiting).

use std::time::Duration;

use mongodb::bson::doc;
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::*;

const STEP: i64 = 30;

/// The generator an authenticator app would build from the secret.
pub(crate) fn app_totp(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, "t".into())
}

/// The code `steps` time steps away from the app's "now".
pub(crate) fn code_at(app: &TestApp, totp: &TOTP, steps: i64) -> String {
    let t = app.clock.now_secs() as i64 + steps * STEP;
    totp.generate(t as u64)
}

/// A 6-digit code that is none of the codes the server accepts now.
pub(crate) fn wrong_code(app: &TestApp, totp: &TOTP) -> String {
    let window: Vec<String> = (-1..=1).map(|s| code_at(app, totp, s)).collect();
    (0u32..)
        .map(|n| format!("{:06}", (n * 7919 + 123_457) % 1_000_000))
        .find(|c| !window.contains(c))
        .unwrap()
}

/// Moves the clock to one second into a time step, so that a test's requests never straddle
/// a step boundary, and `steps` whole steps further.
pub(crate) fn align(app: &TestApp, steps: u64) {
    let ms = app.clock.now_millis() as u64;
    let to_next = 30_000 - ms % 30_000;
    app.clock
        .advance(Duration::from_millis(to_next + 1_000) + Duration::from_secs(30 * steps));
}

async fn bearer_post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: impl std::borrow::Borrow<Value>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body.borrow())
        .send()
        .await
        .unwrap()
}

async fn status(app: &TestApp, token: &str) -> Value {
    let r = app
        .client
        .get(app.url("/api/mfa"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// `POST /api/mfa/totp/setup`: the secret.
async fn setup(app: &TestApp, token: &str) -> String {
    let r = bearer_post(
        app,
        token,
        "/api/mfa/totp/setup",
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["secret"].as_str().unwrap().to_owned()
}

/// Signs GILDONG up and turns TOTP on: (access token, generator, recovery codes). The clock is
/// then aligned one step later, so that the current code is usable at once.
pub(crate) async fn with_totp(app: &TestApp) -> (String, TOTP, Vec<String>) {
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    let totp = app_totp(&setup(app, &token).await);
    align(app, 0);
    let r = bearer_post(
        app,
        &token,
        "/api/mfa/totp/enable",
        &json!({"code": code_at(app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    align(app, 0);
    (token, totp, codes)
}

/// The password step: the ticket, after checking the answer carries no session.
async fn ticket(app: &TestApp) -> String {
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("set-cookie").is_none(),
        "no cookie before the second step"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, body: Value) -> reqwest::Response {
    app.post("/api/login/mfa", &body).await
}

async fn with_code(app: &TestApp, ticket: &str, code: &str) -> reqwest::Response {
    second_step(app, json!({"mfa_token": ticket, "code": code})).await
}

#[tokio::test]
async fn setup_activates_nothing_and_enable_needs_a_current_code() {
    let app = spawn_app().await;
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    assert_eq!(
        status(&app, &token).await,
        json!({"totp_enabled": false, "recovery_codes_remaining": 0, "passkeys": 0})
    );
    assert_problem(
        bearer_post(
            &app,
            &token,
            "/api/mfa/totp/enable",
            &json!({"code": "123456"}),
        )
        .await,
        409,
        "totp_not_set_up",
    )
    .await;

    let r = bearer_post(
        &app,
        &token,
        "/api/mfa/totp/setup",
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap();
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/emailauth:hong_gildong?secret={secret}"
        )) && uri.contains("issuer=emailauth"),
        "{uri}"
    );
    // Pending only: the login stays one step, the status says off.
    let r = app.login(GILDONG.username, PASSWORD).await;
    let login: Value = r.json().await.unwrap();
    assert!(login["access_token"].is_string(), "{login}");
    assert_eq!(status(&app, &token).await["totp_enabled"], false);

    let totp = app_totp(secret);
    align(&app, 0);
    let p = assert_problem(
        bearer_post(
            &app,
            &token,
            "/api/mfa/totp/enable",
            &json!({"code": wrong_code(&app, &totp)}),
        )
        .await,
        400,
        "invalid_code",
    )
    .await;
    assert!(p.attempts_left.is_some());
    let r = bearer_post(
        &app,
        &token,
        "/api/mfa/totp/enable",
        &json!({"code": code_at(&app, &totp, 0)}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let codes = body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let mut distinct: Vec<&str> = codes.iter().map(|c| c.as_str().unwrap()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    for code in &distinct {
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(&code[5..6], "-", "{code}");
    }
    assert_eq!(
        status(&app, &token).await,
        json!({"totp_enabled": true, "recovery_codes_remaining": 10, "passkeys": 0})
    );
    // On: no second setup or enable.
    assert_problem(
        bearer_post(&app, &token, "/api/mfa/totp/setup", &json!({})).await,
        409,
        "totp_already_enabled",
    )
    .await;
    assert_problem(
        bearer_post(
            &app,
            &token,
            "/api/mfa/totp/enable",
            &json!({"code": code_at(&app, &totp, 0)}),
        )
        .await,
        409,
        "totp_already_enabled",
    )
    .await;
}

#[tokio::test]
async fn the_password_buys_a_ticket_and_the_right_code_a_session_in_either_transport() {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    let t = ticket(&app).await;
    let r = with_code(&app, &t, &code_at(&app, &totp, 0)).await;
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("emailauth_device=")));
    let body: Value = r.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    assert!(body["refresh_token"].is_string());
    assert_eq!(app.nick(access).await.status(), 200);

    // The browser's transport, exactly as at /api/login.
    align(&app, 0);
    let t = ticket(&app).await;
    let r = app
        .client
        .post(app.url("/api/login/mfa"))
        .header("x-token-transport", "cookie")
        .json(&json!({"mfa_token": t, "code": code_at(&app, &totp, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("emailauth_refresh=")));
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string() && body.get("refresh_token").is_none());
}

#[tokio::test]
async fn one_step_of_skew_is_accepted_two_are_not_and_a_code_works_once() {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    align(&app, 10);
    let t = ticket(&app).await;
    for steps in [-2, 2] {
        assert_problem(
            with_code(&app, &t, &code_at(&app, &totp, steps)).await,
            400,
            "invalid_code",
        )
        .await;
    }
    assert_eq!(
        with_code(&app, &t, &code_at(&app, &totp, -1))
            .await
            .status(),
        200
    );
    let t = ticket(&app).await;
    assert_eq!(
        with_code(&app, &t, &code_at(&app, &totp, 1)).await.status(),
        200
    );
    // Replay: the same code again, and the current one (an older step than the last used).
    let t = ticket(&app).await;
    for steps in [1, 0] {
        assert_problem(
            with_code(&app, &t, &code_at(&app, &totp, steps)).await,
            400,
            "invalid_code",
        )
        .await;
    }
}

#[tokio::test]
async fn a_ticket_lives_five_minutes() {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    let t = ticket(&app).await;
    app.clock.advance(Duration::from_secs(300));
    // Plus 1 to 31 s of alignment: past 5 minutes.
    align(&app, 0);
    assert_problem(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await,
        401,
        "invalid_token",
    )
    .await;
    // Within the 5 minutes it works.
    let t = ticket(&app).await;
    app.clock.advance(Duration::from_secs(240));
    assert_eq!(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await.status(),
        200
    );
}

#[tokio::test]
async fn a_ticket_dies_after_five_wrong_codes_and_is_single_use() {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    let t = ticket(&app).await;
    for left in (0..5).rev() {
        let p = assert_problem(
            with_code(&app, &t, &wrong_code(&app, &totp)).await,
            400,
            "invalid_code",
        )
        .await;
        assert_eq!(p.attempts_left, Some(left));
    }
    assert_problem(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await,
        401,
        "invalid_token",
    )
    .await;

    let t = ticket(&app).await;
    assert_eq!(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await.status(),
        200
    );
    align(&app, 0);
    assert_problem(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await,
        401,
        "invalid_token",
    )
    .await;
    assert_problem(
        with_code(&app, "mfa1_unknown", &code_at(&app, &totp, 0)).await,
        401,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn exactly_one_second_factor_per_request() {
    let app = spawn_app().await;
    let (_, totp, codes) = with_totp(&app).await;
    let t = ticket(&app).await;
    for body in [
        json!({"mfa_token": t}),
        json!({"mfa_token": t, "code": code_at(&app, &totp, 0), "recovery_code": codes[0]}),
    ] {
        assert_problem(second_step(&app, body).await, 422, "validation_failed").await;
    }
    // Nothing was counted: the ticket still works.
    assert_eq!(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await.status(),
        200
    );
}

#[tokio::test]
async fn a_recovery_code_works_once_however_it_is_typed() {
    let app = spawn_app().await;
    let (token, _, codes) = with_totp(&app).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let t = ticket(&app).await;
    let r = second_step(&app, json!({"mfa_token": t, "recovery_code": typed})).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        app.nick(body["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_eq!(status(&app, &token).await["recovery_codes_remaining"], 9);

    let t = ticket(&app).await;
    assert_problem(
        second_step(&app, json!({"mfa_token": t, "recovery_code": codes[3]})).await,
        400,
        "invalid_code",
    )
    .await;
    assert_eq!(
        second_step(&app, json!({"mfa_token": t, "recovery_code": codes[4]}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn wrong_codes_are_capped_per_account_across_fresh_tickets() {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    // Two tickets burn the default 10 failures (5 each).
    for _ in 0..2 {
        let t = ticket(&app).await;
        for _ in 0..5 {
            assert_problem(
                with_code(&app, &t, &wrong_code(&app, &totp)).await,
                400,
                "invalid_code",
            )
            .await;
        }
    }
    // The password still buys a ticket, but no guess is evaluated, not even the right code.
    let t = ticket(&app).await;
    let r = with_code(&app, &t, &code_at(&app, &totp, 0)).await;
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    assert_problem(r, 429, "too_many_attempts").await;
    // The window passes: a fresh ticket works.
    app.clock.advance(Duration::from_secs(901));
    align(&app, 0);
    let t = ticket(&app).await;
    assert_eq!(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await.status(),
        200
    );
}

#[tokio::test]
async fn a_disabled_account_gets_403_at_the_second_step() {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    let t = ticket(&app).await;
    app.db
        .collection::<mongodb::bson::Document>("users")
        .update_one(
            doc! {"username_key": GILDONG.username},
            doc! {"$set": {"disabled": true}},
        )
        .await
        .unwrap();
    assert_problem(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await,
        403,
        "account_disabled",
    )
    .await;
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_code_mails_the_owner_and_ends_the_second_step() {
    let app = spawn_app().await;
    let (token, totp, codes) = with_totp(&app).await;
    let post = |body: Value| bearer_post(&app, &token, "/api/mfa/totp/disable", body);
    assert_problem(
        post(json!({"password": PASSWORD})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        post(json!({"password": "wrong password!", "code": code_at(&app, &totp, 0)})).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        post(json!({"password": PASSWORD, "code": wrong_code(&app, &totp)})).await,
        400,
        "invalid_code",
    )
    .await;
    assert_problem(
        post(json!({"password": PASSWORD, "recovery_code": "aaaaa-aaaaa"})).await,
        400,
        "invalid_code",
    )
    .await;
    let before = app.mail.mails_to(GILDONG.email).len();
    let r = post(json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)})).await;
    assert_eq!(r.status(), 204);
    // The notice goes out in the background: wait for it to arrive.
    let mut mails = app.mail.mails_to(GILDONG.email);
    for _ in 0..100 {
        if mails.len() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        mails = app.mail.mails_to(GILDONG.email);
    }
    assert_eq!(mails.len(), before + 1, "one notice");
    let mail = mails.pop().unwrap();
    assert!(mail.subject.contains("2단계 인증"), "{}", mail.subject);

    // One step again; the recovery codes died with it.
    let r = app.login(GILDONG.username, PASSWORD).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    assert_eq!(
        status(&app, &token).await,
        json!({"totp_enabled": false, "recovery_codes_remaining": 0, "passkeys": 0})
    );
    assert_problem(
        post(json!({"password": PASSWORD, "recovery_code": codes[0]})).await,
        409,
        "totp_not_enabled",
    )
    .await;
    assert_problem(
        bearer_post(
            &app,
            &token,
            "/api/mfa/recovery_codes",
            &json!({"password": PASSWORD, "recovery_code": codes[1]}),
        )
        .await,
        409,
        "totp_not_enabled",
    )
    .await;
}

#[tokio::test]
async fn disabling_with_a_recovery_code_works_too() {
    let app = spawn_app().await;
    let (token, _, codes) = with_totp(&app).await;
    let r = bearer_post(
        &app,
        &token,
        "/api/mfa/totp/disable",
        &json!({"password": PASSWORD, "recovery_code": codes[9]}),
    )
    .await;
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let app = spawn_app().await;
    let (token, _, old) = with_totp(&app).await;
    assert_problem(
        bearer_post(
            &app,
            &token,
            "/api/mfa/recovery_codes",
            &json!({"password": "wrong password!", "recovery_code": old[1]}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    // The password alone is not enough: a current code or a recovery code too.
    assert_field_problem(
        bearer_post(
            &app,
            &token,
            "/api/mfa/recovery_codes",
            &json!({"password": PASSWORD}),
        )
        .await,
        422,
        "validation_failed",
        "code",
        "required",
    )
    .await;
    let r = bearer_post(
        &app,
        &token,
        "/api/mfa/recovery_codes",
        &json!({"password": PASSWORD, "recovery_code": old[1]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let new: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(new.len(), 10);
    let t = ticket(&app).await;
    assert_problem(
        second_step(&app, json!({"mfa_token": t, "recovery_code": old[0]})).await,
        400,
        "invalid_code",
    )
    .await;
    assert_eq!(
        second_step(&app, json!({"mfa_token": t, "recovery_code": new[0]}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn secrets_codes_and_tickets_are_not_stored_in_clear() {
    let app = spawn_app().await;
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    let secret = setup(&app, &token).await;
    let raw = |docs: Vec<mongodb::bson::Document>| format!("{docs:?}").to_lowercase();
    let users = raw(app.users().await);
    assert!(
        users.contains("totp_pending"),
        "the pending secret is stored"
    );
    assert!(
        !users.contains(&secret.to_lowercase()),
        "pending secret in clear"
    );

    let totp = app_totp(&secret);
    align(&app, 0);
    let r = bearer_post(
        &app,
        &token,
        "/api/mfa/totp/enable",
        &json!({"code": code_at(&app, &totp, 0)}),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    let users = raw(app.users().await);
    assert!(!users.contains(&secret.to_lowercase()), "secret in clear");
    for code in body["recovery_codes"].as_array().unwrap() {
        let code = code.as_str().unwrap();
        assert!(!users.contains(code) && !users.contains(&code.replace('-', "")));
    }
    let t = ticket(&app).await;
    let tickets = raw(app.collection("mfa_tickets").await);
    assert!(!tickets.is_empty() && !tickets.contains(&t.to_lowercase()));
}

#[tokio::test]
async fn a_password_change_ends_the_tickets_the_old_password_bought() {
    let app = spawn_app().await;
    let (token, totp, _) = with_totp(&app).await;
    let t = ticket(&app).await;
    let r = bearer_post(
        &app,
        &token,
        "/api/password/change",
        &json!({"current_password": PASSWORD, "new_password": "a brand new passphrase 42"}),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_problem(
        with_code(&app, &t, &code_at(&app, &totp, 0)).await,
        401,
        "invalid_token",
    )
    .await;
}
