//! The second factor: TOTP setup and enable, the two-step login and its ticket, recovery
//! codes, disable. Codes are computed with `totp-rs` from the secret the API returned, at the
//! app's injected clock (`app.clock.advance(..)` instead of waiting).

use std::time::Duration;

use mongodb::bson::doc;
use reqwest::Method;
use serde_json::{json, Value};
use totp_rs::TOTP;

use crate::helpers::*;

/// Signs GILDONG up and turns TOTP on: (access token, generator, recovery codes). The clock is
/// then aligned one step later, so that the current code is usable at once.
pub(crate) async fn with_totp(app: &TestApp) -> (String, TOTP, Vec<String>) {
    let me = app.registered_person().await;
    let Totp {
        totp,
        recovery_codes,
    } = app.turn_on_totp(&me.access, &me.password).await;
    align(app, 0);
    (me.access, totp, recovery_codes)
}

/// A new app where GILDONG, with TOTP on, has just passed the password step: the app, the
/// generator, the ticket.
async fn at_second_step() -> (TestApp, TOTP, String) {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    let t = ticket(&app).await;
    (app, totp, t)
}

/// The second step for `ticket` with the current code.
async fn current_code(app: &TestApp, totp: &TOTP, ticket: &str) -> reqwest::Response {
    app.login_mfa_code(ticket, &code_at(app, totp, 0)).await
}

/// With `ticket`, the recovery code `spent` is refused and then `fresh` is accepted.
async fn spent_then_fresh(app: &TestApp, ticket: &str, spent: &str, fresh: &str) {
    let r = app.login_mfa_recovery(ticket, spent).await;
    assert_problem(r, 400, "invalid_code").await;
    assert_eq!(app.login_mfa_recovery(ticket, fresh).await.status(), 200);
}

/// The password step: the ticket, after checking the answer carries no session.
async fn ticket(app: &TestApp) -> String {
    let body = second_step_asked(app.login(GILDONG.username, PASSWORD).await).await;
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    body["mfa_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn setup_activates_nothing_and_enable_needs_a_current_code() {
    let app = spawn_app().await;
    let token = app.registered_person().await.access;
    assert_eq!(
        app.mfa_status(&token).await,
        json!({"totp_enabled": false, "recovery_codes_remaining": 0, "passkeys": 0})
    );
    let r = app.totp_enable(&token, "123456").await;
    assert_problem(r, 409, "totp_not_set_up").await;

    let r = app
        .totp_setup(&token, &json!({ "password": PASSWORD }))
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
    assert_eq!(app.mfa_status(&token).await["totp_enabled"], false);

    let totp = app_totp(secret);
    align(&app, 0);
    let r = app.totp_enable(&token, &wrong_code(&app, &totp)).await;
    let p = assert_problem(r, 400, "invalid_code").await;
    assert!(p.attempts_left.is_some());
    let r = app.totp_enable(&token, &code_at(&app, &totp, 0)).await;
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
        app.mfa_status(&token).await,
        json!({"totp_enabled": true, "recovery_codes_remaining": 10, "passkeys": 0})
    );
    // On: no second setup or enable.
    let r = app.totp_setup(&token, &json!({})).await;
    assert_problem(r, 409, "totp_already_enabled").await;
    let r = app.totp_enable(&token, &code_at(&app, &totp, 0)).await;
    assert_problem(r, 409, "totp_already_enabled").await;
}

#[tokio::test]
async fn the_password_buys_a_ticket_and_the_right_code_a_session_in_either_transport() {
    let (app, totp, t) = at_second_step().await;
    let r = current_code(&app, &totp, &t).await;
    assert_eq!(r.status(), 200);
    assert!(set_cookie(&r, "emailauth_device").is_some());
    let body: Value = r.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    assert!(body["refresh_token"].is_string());
    assert_eq!(app.nick(access).await.status(), 200);

    // The browser's transport, exactly as at /api/login.
    align(&app, 0);
    let t = ticket(&app).await;
    let body = json!({"mfa_token": t, "code": code_at(&app, &totp, 0)});
    let r = app.post_for_cookie("/api/login/mfa", &body).await;
    assert_eq!(r.status(), 200);
    assert!(set_cookie(&r, "emailauth_refresh").is_some());
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
        let r = app.login_mfa_code(&t, &code_at(&app, &totp, steps)).await;
        assert_problem(r, 400, "invalid_code").await;
    }
    assert_eq!(
        app.login_mfa_code(&t, &code_at(&app, &totp, -1))
            .await
            .status(),
        200
    );
    let t = ticket(&app).await;
    assert_eq!(
        app.login_mfa_code(&t, &code_at(&app, &totp, 1))
            .await
            .status(),
        200
    );
    // Replay: the same code again, and the current one (an older step than the last used).
    let t = ticket(&app).await;
    for steps in [1, 0] {
        let r = app.login_mfa_code(&t, &code_at(&app, &totp, steps)).await;
        assert_problem(r, 400, "invalid_code").await;
    }
}

#[tokio::test]
async fn a_ticket_lives_five_minutes() {
    let (app, totp, t) = at_second_step().await;
    app.clock.advance(Duration::from_secs(300));
    // Plus 1 to 31 s of alignment: past 5 minutes.
    align(&app, 0);
    assert_problem(current_code(&app, &totp, &t).await, 401, "invalid_token").await;
    // Within the 5 minutes it works.
    let t = ticket(&app).await;
    app.clock.advance(Duration::from_secs(240));
    assert_eq!(current_code(&app, &totp, &t).await.status(), 200);
}

#[tokio::test]
async fn a_ticket_dies_after_five_wrong_codes_and_is_single_use() {
    let (app, totp, t) = at_second_step().await;
    for left in (0..5).rev() {
        let r = app.login_mfa_code(&t, &wrong_code(&app, &totp)).await;
        let p = assert_problem(r, 400, "invalid_code").await;
        assert_eq!(p.attempts_left, Some(left));
    }
    assert_problem(current_code(&app, &totp, &t).await, 401, "invalid_token").await;

    let t = ticket(&app).await;
    assert_eq!(current_code(&app, &totp, &t).await.status(), 200);
    align(&app, 0);
    assert_problem(current_code(&app, &totp, &t).await, 401, "invalid_token").await;
    let r = app
        .login_mfa_code("mfa1_unknown", &code_at(&app, &totp, 0))
        .await;
    assert_problem(r, 401, "invalid_token").await;
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
        assert_problem(app.login_mfa(&body).await, 422, "validation_failed").await;
    }
    // Nothing was counted: the ticket still works.
    assert_eq!(current_code(&app, &totp, &t).await.status(), 200);
}

#[tokio::test]
async fn a_recovery_code_works_once_however_it_is_typed() {
    let app = spawn_app().await;
    let (token, _, codes) = with_totp(&app).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let t = ticket(&app).await;
    let r = app
        .login_mfa(&json!({"mfa_token": t, "recovery_code": typed}))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(app.nick(&access_of(&body)).await.status(), 200);
    assert_eq!(app.mfa_status(&token).await["recovery_codes_remaining"], 9);

    let t = ticket(&app).await;
    spent_then_fresh(&app, &t, &codes[3], &codes[4]).await;
}

#[tokio::test]
async fn wrong_codes_are_capped_per_account_across_fresh_tickets() {
    let app = spawn_app().await;
    let (_, totp, _) = with_totp(&app).await;
    // Two tickets burn the default 10 failures (5 each).
    for _ in 0..2 {
        let t = ticket(&app).await;
        for _ in 0..5 {
            let r = app.login_mfa_code(&t, &wrong_code(&app, &totp)).await;
            assert_problem(r, 400, "invalid_code").await;
        }
    }
    // The password still buys a ticket, but no guess is evaluated, not even the right code.
    let t = ticket(&app).await;
    let r = current_code(&app, &totp, &t).await;
    let retry_after = retry_after(&r);
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    assert_problem(r, 429, "too_many_attempts").await;
    // The window passes: a fresh ticket works.
    app.clock.advance(Duration::from_secs(901));
    align(&app, 0);
    let t = ticket(&app).await;
    assert_eq!(current_code(&app, &totp, &t).await.status(), 200);
}

#[tokio::test]
async fn a_disabled_account_gets_403_at_the_second_step() {
    let (app, totp, t) = at_second_step().await;
    app.set_on_user(GILDONG.username, doc! { "disabled": true })
        .await;
    assert_problem(current_code(&app, &totp, &t).await, 403, "account_disabled").await;
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_code_mails_the_owner_and_ends_the_second_step() {
    let app = spawn_app().await;
    let (token, totp, codes) = with_totp(&app).await;
    let r = app
        .totp_disable(&token, &json!({"password": PASSWORD}))
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let body = json!({"password": "wrong password!", "code": code_at(&app, &totp, 0)});
    let r = app.totp_disable(&token, &body).await;
    assert_problem(r, 401, "invalid_credentials").await;
    let body = json!({"password": PASSWORD, "code": wrong_code(&app, &totp)});
    let r = app.totp_disable(&token, &body).await;
    assert_problem(r, 400, "invalid_code").await;
    let body = json!({"password": PASSWORD, "recovery_code": "aaaaa-aaaaa"});
    let r = app.totp_disable(&token, &body).await;
    assert_problem(r, 400, "invalid_code").await;
    let before = app.mail.mails_to(GILDONG.email).len();
    let body = json!({"password": PASSWORD, "code": code_at(&app, &totp, 0)});
    let r = app.totp_disable(&token, &body).await;
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
        app.mfa_status(&token).await,
        json!({"totp_enabled": false, "recovery_codes_remaining": 0, "passkeys": 0})
    );
    let body = json!({"password": PASSWORD, "recovery_code": codes[0]});
    let r = app.totp_disable(&token, &body).await;
    assert_problem(r, 409, "totp_not_enabled").await;
    let body = json!({"password": PASSWORD, "recovery_code": codes[1]});
    let r = app.new_recovery_codes(&token, &body).await;
    assert_problem(r, 409, "totp_not_enabled").await;
}

#[tokio::test]
async fn disabling_with_a_recovery_code_works_too() {
    let app = spawn_app().await;
    let (token, _, codes) = with_totp(&app).await;
    let body = json!({"password": PASSWORD, "recovery_code": codes[9]});
    let r = app.totp_disable(&token, &body).await;
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let app = spawn_app().await;
    let (token, _, old) = with_totp(&app).await;
    let body = json!({"password": "wrong password!", "recovery_code": old[1]});
    let r = app.new_recovery_codes(&token, &body).await;
    assert_problem(r, 401, "invalid_credentials").await;
    // The password alone is not enough: a current code or a recovery code too.
    let r = app
        .new_recovery_codes(&token, &json!({"password": PASSWORD}))
        .await;
    assert_field_problem(r, 422, "validation_failed", "code", "required").await;
    let body = json!({"password": PASSWORD, "recovery_code": old[1]});
    let r = app.new_recovery_codes(&token, &body).await;
    assert_eq!(r.status(), 200);
    let new = recovery_codes_of(&r.json().await.unwrap());
    assert_eq!(new.len(), 10);
    let t = ticket(&app).await;
    spent_then_fresh(&app, &t, &old[0], &new[0]).await;
}

#[tokio::test]
async fn secrets_codes_and_tickets_are_not_stored_in_clear() {
    let app = spawn_app().await;
    let token = app.registered_person().await.access;
    let secret = app.totp_secret(&token, PASSWORD).await;
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
    // Nor its bytes, raw or in any encoding, anywhere in the raw documents.
    assert_not_stored(&app.users().await, &secret, "the pending TOTP secret");

    let totp = app_totp(&secret);
    align(&app, 0);
    let r = app.totp_enable(&token, &code_at(&app, &totp, 0)).await;
    let body: Value = r.json().await.unwrap();
    let users = raw(app.users().await);
    assert!(!users.contains(&secret.to_lowercase()), "secret in clear");
    assert_not_stored(&app.users().await, &secret, "the TOTP secret");
    for code in body["recovery_codes"].as_array().unwrap() {
        let code = code.as_str().unwrap();
        assert!(!users.contains(code) && !users.contains(&code.replace('-', "")));
    }
    let t = ticket(&app).await;
    let tickets = raw(app.collection("mfa_tickets").await);
    assert!(!tickets.is_empty() && !tickets.contains(&t.to_lowercase()));
    assert_not_stored(&app.collection("mfa_tickets").await, &t, "the ticket");
}

#[tokio::test]
async fn a_password_change_ends_the_tickets_the_old_password_bought() {
    let app = spawn_app().await;
    let (token, totp, _) = with_totp(&app).await;
    let t = ticket(&app).await;
    let r = app
        .change_password(&token, PASSWORD, "a brand new passphrase 42")
        .await;
    assert_eq!(r.status(), 204);
    assert_problem(current_code(&app, &totp, &t).await, 401, "invalid_token").await;
}

/// A step-up body may be left out after a recent step-up, but a body that is not the step-up
/// proof is refused, not read as no body (the contract run found `{"unknown": 42}` answered
/// 200 while the session's proof was fresh).
#[tokio::test]
async fn a_malformed_step_up_body_is_refused_even_after_a_recent_step_up() {
    let app = spawn_app().await;
    let token = app.registered_person().await.access;
    app.totp_secret(&token, PASSWORD).await;
    for body in [
        json!({"unknown": 42}),
        json!({"password": 12}),
        json!("proof"),
    ] {
        let r = app.totp_setup(&token, &body).await;
        assert_problem(r, 400, "malformed_body").await;
    }
    // No body at all, or `null`, is still the recent proof.
    let r = app.totp_setup(&token, &Value::Null).await;
    assert_eq!(r.status(), 200);
    let r = app
        .bearer(Method::POST, &token, "/api/mfa/totp/setup", None)
        .await;
    assert_eq!(r.status(), 200);
}
