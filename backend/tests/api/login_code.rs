//! Sign-in by an emailed code (`POST /api/login/code/request`, `/confirm`): the same answers
//! as a password sign-in, one factor only, purpose-bound codes, and nothing that tells an
//! address with an account from one without.

use serde_json::{json, Value};

use crate::admin::admin;
use crate::helpers::*;
use crate::mfa::with_totp;
use crate::takeover::wrong_login;

const NOBODY: &str = "nobody@example.com";

/// An app whose codes may be asked for again at once (the signup's code would otherwise hold
/// the address's resend cooldown, which every purpose shares).
async fn spawn() -> TestApp {
    spawn_behind_proxy(&[NO_COOLDOWN]).await
}

/// Waits out (on the app's clock) the resend cooldown the signup's code started.
fn after_cooldown(app: &TestApp) {
    app.clock.advance(std::time::Duration::from_secs(61));
}

impl TestApp {
    /// `POST /api/login/code/request` for `email`.
    pub async fn login_code_request(&self, email: &str) -> reqwest::Response {
        self.post("/api/login/code/request", &json!({ "email": email }))
            .await
    }

    /// `POST /api/login/code/confirm`.
    pub async fn login_code_confirm(&self, email: &str, code: &str) -> reqwest::Response {
        let body = json!({ "email": email, "code": code });
        self.post("/api/login/code/confirm", &body).await
    }

    /// Requests a sign-in code for `email` and reads it from the mail.
    pub async fn sign_in_code(&self, email: &str) -> String {
        let r = self.login_code_request(email).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
        self.mail.code_for(email).await
    }
}

/// GILDONG's sign-in code confirmed from client address `ip`.
async fn confirm_from(app: &TestApp, ip: &str, code: &str) -> reqwest::Response {
    let body = json!({"email": GILDONG.email, "code": code});
    app.post_as(ip, None, "/api/login/code/confirm", &body)
        .await
}

/// GILDONG's right password from `ip`, with `cookie` if any.
async fn password_from(app: &TestApp, ip: &str, cookie: Option<&str>) -> reqwest::Response {
    app.login_from(ip, cookie, GILDONG.username, PASSWORD).await
}

/// The headers of `r` that do not vary between two identical requests.
fn stable_headers(r: &reqwest::Response) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id" | "traceparent"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    headers
}

async fn answer(r: reqwest::Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = stable_headers(&r);
    (
        r.status().as_u16(),
        headers,
        r.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn a_mailed_code_signs_in_like_a_password_does() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    // The signup's code holds the address's cooldown, which sign-in codes share.
    let r = app.login_code_request(GILDONG.email).await;
    assert_problem(r, 429, "resend_cooldown").await;
    after_cooldown(&app);
    let r = app.login_code_request(GILDONG.email).await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({"expires_in": 600, "resend_after": 60}));
    let mail = app.mail.last_mail_to(GILDONG.email).await;
    assert!(mail.subject.contains("로그인"), "{}", mail.subject);
    assert!(
        mail.text.contains("묻지 않습니다"),
        "says nobody asks for it: {}",
        mail.text
    );
    let code = extract_code(&mail.text).expect("a code in the mail");

    let r = app.login_code_confirm(GILDONG.email, &code).await;
    assert_eq!(r.status(), 200);
    assert!(
        device_cookie(&r).is_some(),
        "a code sign-in sets the device cookie"
    );
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert!(body["refresh_token"].is_string());
    assert_eq!(app.nick(token).await.status(), 200);

    let sessions = app.sessions_of(token).await;
    assert_eq!(sessions["sessions"][0]["method"], "email_code");
    let user = &app.users().await[0];
    let last = user.get_document("last_sign_in").unwrap();
    assert_eq!(last.get_str("method").unwrap(), "email_code");

    // Single use.
    let again = app.login_code_confirm(GILDONG.email, &code).await;
    assert_problem(again, 400, "code_expired").await;
}

#[tokio::test]
async fn the_cookie_transport_puts_the_refresh_token_in_the_cookie_only() {
    let app = spawn().await;
    app.sign_up(&GILDONG).await;
    let code = app.sign_in_code(GILDONG.email).await;
    let body = json!({"email": GILDONG.email, "code": code});
    let r = app.post_for_cookie("/api/login/code/confirm", &body).await;
    assert_eq!(r.status(), 200);
    let cookie = set_cookie(&r, "emailauth_refresh");
    assert!(
        cookie.as_ref().is_some_and(|c| c.contains("HttpOnly")),
        "{:?}",
        r.headers()
    );
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn an_address_without_an_account_gets_the_same_answers_and_no_code() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    after_cooldown(&app);
    let known = answer(app.login_code_request(GILDONG.email).await).await;
    let unknown = answer(app.login_code_request(NOBODY).await).await;
    assert_eq!(known, unknown, "request answers differ");

    // The unknown address is told there is no account, and gets no code.
    let notice = app.mail.last_mail_to(NOBODY).await;
    assert_eq!(extract_code(&notice.text), None, "{}", notice.text);
    assert!(notice.text.contains("계정이 없어"), "{}", notice.text);
    // Both have a document in the sign-in codes (a code, and a decoy).
    assert_eq!(app.collection("sign_in_codes").await.len(), 2);

    let real = app.mail.code_for(GILDONG.email).await;
    let wrong = not_the_code(&real);
    for _ in 0..5 {
        let known = answer(app.login_code_confirm(GILDONG.email, wrong).await).await;
        let unknown = answer(app.login_code_confirm(NOBODY, wrong).await).await;
        assert_eq!(known.0, 400);
        assert_eq!(known, unknown, "wrong-code answers differ");
    }
    // Five attempts per code: then the code is gone, for both alike.
    let known = answer(app.login_code_confirm(GILDONG.email, &real).await).await;
    let unknown = answer(app.login_code_confirm(NOBODY, &real).await).await;
    assert_eq!(known, unknown);
    let problem: Value = serde_json::from_slice(&known.2).unwrap();
    assert_eq!(problem["code"], "code_expired");
}

#[tokio::test]
async fn a_code_works_only_for_the_purpose_it_was_mailed_for() {
    let app = spawn().await;
    app.sign_up(&GILDONG).await;
    // A live code of each purpose for the same address.
    let sign_in = app.sign_in_code(GILDONG.email).await;
    let reset = app.reset_code(GILDONG.email).await;
    assert_ne!(sign_in, reset);

    // A reset code does not sign in.
    let r = app.login_code_confirm(GILDONG.email, &reset).await;
    assert_problem(r, 400, "invalid_code").await;
    // A sign-in code does not reset the password.
    let r = app
        .reset_confirm(GILDONG.email, &sign_in, "a brand new passphrase")
        .await;
    assert_problem(r, 400, "invalid_code").await;
    // Nor does it register an account (no signup code: none is live for the address).
    let r = app
        .register(
            &person("someone_else", "누군가", GILDONG.email),
            PASSWORD,
            &sign_in,
        )
        .await;
    assert_problem_in(r, 400, &["code_expired", "invalid_code"]).await;
    // A signup code for a new address does not sign in there (its sign-in slot holds a decoy).
    let signup = app.request_code(&OTHER).await;
    let r = app.login_code_request(OTHER.email).await;
    assert_eq!(r.status(), 202);
    let r = app.login_code_confirm(OTHER.email, &signup).await;
    assert_problem(r, 400, "invalid_code").await;

    // Each code still works for its own purpose.
    let r = app.login_code_confirm(GILDONG.email, &sign_in).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn wrong_guesses_count_toward_one_daily_ceiling_across_resends_and_purposes() {
    let app = spawn_app_with_account(
        &GILDONG,
        &[NO_COOLDOWN, ("APP_CODE_MAX_FAILURES_PER_DAY", "6")],
    )
    .await;
    let wrong = not_the_code;
    // Three wrong sign-in codes, a resend, two more: five; then a wrong reset code: six.
    let first = app.sign_in_code(GILDONG.email).await;
    for _ in 0..3 {
        let r = app.login_code_confirm(GILDONG.email, wrong(&first)).await;
        assert_problem(r, 400, "invalid_code").await;
    }
    let second = app.sign_in_code(GILDONG.email).await;
    for _ in 0..2 {
        let r = app.login_code_confirm(GILDONG.email, wrong(&second)).await;
        assert_problem(r, 400, "invalid_code").await;
    }
    let reset = app.reset_code(GILDONG.email).await;
    let r = app
        .reset_confirm(GILDONG.email, wrong(&reset), "a brand new passphrase")
        .await;
    assert_problem(r, 400, "invalid_code").await;
    // The ceiling is reached: even a fresh request is refused, and so is a right code.
    let r = app.login_code_request(GILDONG.email).await;
    assert_problem(r, 429, "too_many_guesses").await;
    let r = app.login_code_confirm(GILDONG.email, &second).await;
    assert_problem(r, 429, "too_many_guesses").await;
    // A day later, the last code has expired, and a new one works.
    app.clock
        .advance(std::time::Duration::from_secs(24 * 3600 + 1));
    let third = app.sign_in_code(GILDONG.email).await;
    let r = app.login_code_confirm(GILDONG.email, &third).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_emailed_code_is_one_factor_so_totp_still_asks_for_the_second_step() {
    let app = spawn().await;
    let (_, totp, _) = with_totp(&app).await;
    let code = app.sign_in_code(GILDONG.email).await;
    let r = app.login_code_confirm(GILDONG.email, &code).await;
    let body = second_step_asked(r).await;
    let ticket = body["mfa_token"].as_str().unwrap();

    let r = app.login_mfa_code(ticket, &code_at(&app, &totp, 0)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let sessions = app.sessions_of(token).await;
    let methods: Vec<&str> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["method"].as_str())
        .collect();
    assert!(methods.contains(&"email_code+totp"), "{methods:?}");
}

#[tokio::test]
async fn a_disabled_account_is_told_so_only_after_a_right_code() {
    let app = spawn().await;
    app.sign_up(&GILDONG).await;
    let run = admin(&app, &["disable", GILDONG.username]).await;
    assert!(run.ok, "{}", run.stderr);
    let code = app.sign_in_code(GILDONG.email).await;
    let wrong = not_the_code(&code);
    let r = app.login_code_confirm(GILDONG.email, wrong).await;
    let problem = assert_problem(r, 400, "invalid_code").await;
    assert_eq!(problem.attempts_left, Some(4));
    let r = app.login_code_confirm(GILDONG.email, &code).await;
    assert_problem(r, 403, "account_disabled").await;
    assert_eq!(app.collection("sessions").await.len(), 0);
}

#[tokio::test]
async fn a_code_sign_in_makes_a_known_device_that_a_flood_of_wrong_passwords_cannot_lock() {
    let app = spawn().await;
    app.sign_up(&GILDONG).await;
    let body = json!({"email": GILDONG.email});
    let r = app
        .post_as("198.51.100.7", None, "/api/login/code/request", &body)
        .await;
    assert_eq!(r.status(), 202);
    let code = app.mail.code_for(GILDONG.email).await;
    let r = confirm_from(&app, "198.51.100.7", &code).await;
    assert_eq!(r.status(), 200);
    let device = device_cookie(&r).expect("a device cookie");
    // Strangers on other networks use up the strangers' pool.
    let mut refused = false;
    for i in 0..12 {
        let status = wrong_login(&app, &format!("203.0.113.{}", 10 + i), None).await;
        refused |= status == 429;
    }
    assert!(refused, "the strangers' pool filled up");
    // The owner, on the device the code sign-in made known, from yet another network.
    let r = password_from(&app, "192.0.2.99", Some(&device)).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_right_code_clears_the_failed_passwords_of_its_pool() {
    let app = spawn_behind_proxy(&[("APP_LOGIN_MAX_FAILURES", "3"), NO_COOLDOWN]).await;
    app.sign_up(&GILDONG).await;
    // Three wrong passwords from strangers: the pool is full.
    for i in 0..3 {
        assert_eq!(
            wrong_login(&app, &format!("203.0.113.{}", 10 + i), None).await,
            401
        );
    }
    assert_eq!(wrong_login(&app, "203.0.113.50", None).await, 429);
    // The owner signs in by code from a stranger's network (no device cookie): that pool's
    // failures are cleared, so the password works again there.
    let code = app.sign_in_code(GILDONG.email).await;
    let r = confirm_from(&app, "203.0.113.60", &code).await;
    assert_eq!(r.status(), 200);
    let r = password_from(&app, "203.0.113.61", None).await;
    assert_eq!(r.status(), 200);
}
