//! The account lifecycle and abuse resistance: password reset, logging out everywhere, the
//! password policy, per-account and per-IP throttling, security headers.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Two failed logins a minute.
const SHORT_FAILURE_WINDOW: [(&str, &str); 2] = [
    ("APP_LOGIN_MAX_FAILURES", "2"),
    ("APP_LOGIN_FAILURE_WINDOW_SECS", "60"),
];

/// A bucket of three requests refilled once a second, behind the trusted proxy.
const SMALL_BUCKET: [(&str, &str); 3] = [
    ("APP_RATE_LIMIT_PER_SECOND", "1"),
    ("APP_RATE_LIMIT_BURST", "3"),
    TRUSTED_PROXY,
];

/// A bucket of two requests refilled once a second, with no trusted proxy.
const UNTRUSTED_BUCKET: [(&str, &str); 2] = [
    ("APP_RATE_LIMIT_PER_SECOND", "1"),
    ("APP_RATE_LIMIT_BURST", "2"),
];

#[tokio::test]
async fn a_password_reset_changes_the_password_and_revokes_every_earlier_token() {
    let app = spawn_app_with(&[NO_COOLDOWN]).await;
    let old_token = app.registered_person().await.access;
    assert_eq!(app.nick(&old_token).await.status(), 200);

    let code = app.reset_code(GILDONG.email).await;
    let mail = app.mail.last_mail_to(GILDONG.email).await;
    assert!(mail.subject.contains("비밀번호"), "{}", mail.subject);
    let r = app.reset_confirm(GILDONG.email, &code, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);

    assert_problem(app.nick(&old_token).await, 401, "invalid_token").await;
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_problem(r, 401, "invalid_credentials").await;
    let r = app.login(GILDONG.username, NEW_PASSWORD).await;
    assert_eq!(r.status(), 200);
    let token = access_of(&r.json().await.unwrap());
    assert_eq!(app.nick(&token).await.status(), 200);
    // Single use.
    let r = app
        .reset_confirm(GILDONG.email, &code, "yet another passphrase")
        .await;
    assert_problem(r, 400, "code_expired").await;
}

#[tokio::test]
async fn a_reset_request_for_an_unknown_email_is_indistinguishable() {
    // No cooldown, so the signup's code mail does not turn the reset request into a 429.
    let app = spawn_app_with_account(&GILDONG, &[NO_COOLDOWN]).await;

    let known = app.reset_request(GILDONG.email).await;
    let unknown = app.reset_request("nobody@example.com").await;
    // Byte for byte: status, every header's value, body.
    assert_indistinguishable(known, unknown, 202).await;
    // The mails differ: the account holder gets a code, the unknown address a notice.
    assert!(extract_code(&app.mail.last_mail_to(GILDONG.email).await.text).is_some());
    let notice = app.mail.last_mail_to("nobody@example.com").await;
    assert_eq!(extract_code(&notice.text), None);
    assert!(notice.text.contains("계정이 없"), "{}", notice.text);
    // The unknown address has a decoy where a code would be, so the code step is alike too.
    assert_eq!(app.collection("reset_codes").await.len(), 2);
}

#[tokio::test]
async fn reset_codes_follow_the_code_rules_and_are_not_signup_codes() {
    let app = spawn_app_with_account(&GILDONG, &[NO_COOLDOWN]).await;
    let code = app.reset_code(GILDONG.email).await;
    // A reset code is useless for signing up and vice versa (separate purposes).
    let other = person("other", "다른", GILDONG.email);
    let r = app.register(&other, PASSWORD, &code).await;
    assert_problem(r, 400, "code_expired").await;
    // Policy first, and a refused password keeps the attempt.
    let r = app.reset_confirm(GILDONG.email, &code, "password123").await;
    assert_invalid_field(r, "new_password", "common_password").await;
    let r = app
        .reset_confirm(GILDONG.email, &code, "I am hong_gildong!")
        .await;
    assert_invalid_field(r, "new_password", "weak_password").await;
    // Five wrong guesses kill it.
    let wrong = not_the_code(&code);
    for left in (0..5).rev() {
        let r = app.reset_confirm(GILDONG.email, wrong, NEW_PASSWORD).await;
        let p = assert_problem(r, 400, "invalid_code").await;
        assert_eq!(p.attempts_left, Some(left));
    }
    let r = app.reset_confirm(GILDONG.email, &code, NEW_PASSWORD).await;
    assert_problem(r, 400, "code_expired").await;
    assert!(!app.collection("reset_codes").await[0]
        .to_string()
        .contains(&code));
}

#[tokio::test]
async fn reset_mails_share_the_per_address_limits_with_signup_mails() {
    let app = spawn_app().await;
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    let r = app.reset_request(GILDONG.email).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "resend_cooldown").await;
}

#[tokio::test]
async fn logout_all_revokes_every_token_of_the_user_only() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    app.sign_up(&OTHER).await;
    let phone = app.token_for(GILDONG.username).await;
    let laptop = app.token_for(GILDONG.username).await;
    let theirs = app.token_for(OTHER.username).await;

    let r = app.logout_all(&phone).await;
    assert_eq!(r.status(), 204);
    assert_problem(app.nick(&phone).await, 401, "invalid_token").await;
    assert_problem(app.nick(&laptop).await, 401, "invalid_token").await;
    assert_eq!(
        app.nick(&theirs).await.status(),
        200,
        "other users are untouched"
    );
    // A new login works again.
    let fresh = app.token_for(GILDONG.username).await;
    assert_eq!(app.nick(&fresh).await.status(), 200);
    // Without a token: 401.
    let r = app.anonymous(Method::POST, "/api/logout_all").await;
    assert_problem(r, 401, "invalid_token").await;
}

#[tokio::test]
async fn logout_revokes_this_token_and_no_other() {
    let app = spawn_app().await;
    let phone = app.registered_person().await.access;
    let laptop = app.token_for(GILDONG.username).await;

    assert_eq!(app.logout(&phone).await.status(), 204);
    assert_problem(app.nick(&phone).await, 401, "invalid_token").await;
    assert_eq!(
        app.nick(&laptop).await.status(),
        200,
        "the other session goes on"
    );
    // A logged-out token cannot log out again, nor log out everywhere.
    let r = app.logout(&phone).await;
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_problem(r, 401, "invalid_token").await;
    let r = app.logout_all(&phone).await;
    assert_problem(r, 401, "invalid_token").await;
    assert_eq!(app.nick(&laptop).await.status(), 200);
    // Without a token: 401.
    let r = app.anonymous(Method::POST, "/api/logout").await;
    assert_problem(r, 401, "invalid_token").await;
    // The session is gone from the database, not just flagged.
    assert_eq!(
        app.collection("sessions").await.len(),
        1,
        "only the laptop's"
    );
}

#[tokio::test]
async fn common_passwords_and_passwords_containing_the_name_are_refused_at_signup() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    let refused = [
        ("iloveyou123", "common_password"),
        ("xxGilDong@Example.comxx", "weak_password"),
    ];
    app.assert_passwords_refused(&GILDONG, &code, &refused)
        .await;
    assert_eq!(app.register(&GILDONG, PASSWORD, &code).await.status(), 201);
}

#[tokio::test]
async fn eleven_wrong_logins_from_eleven_addresses_are_throttled_per_account() {
    let app = spawn_app_with_account(&GILDONG, &[TRUSTED_PROXY]).await;
    let body = json!({"username": GILDONG.username, "password": "wrong password"});
    for i in 1..=10 {
        let r = app
            .post_from(&format!("203.0.113.{i}"), "/api/login", &body)
            .await;
        assert_problem(r, 401, "invalid_credentials").await;
    }
    let r = app.post_from("203.0.113.11", "/api/login", &body).await;
    let retry_after = retry_after(&r);
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_problem(r, 429, "too_many_attempts").await;
    // Even the right password waits: the attacker cannot tell.
    let right = json!({"username": GILDONG.username, "password": PASSWORD});
    let r = app.post_from("198.51.100.1", "/api/login", &right).await;
    assert_problem(r, 429, "too_many_attempts").await;
    // Unknown accounts are throttled alike, so the limit reveals nothing.
    let ghost = json!({"username": "ghost_user", "password": "wrong password"});
    for _ in 0..10 {
        assert_eq!(app.post("/api/login", &ghost).await.status(), 401);
    }
    let r = app.post("/api/login", &ghost).await;
    assert_problem(r, 429, "too_many_attempts").await;
}

#[tokio::test]
async fn failures_expire_and_a_success_clears_them() {
    let app = spawn_app_with_account(&GILDONG, &SHORT_FAILURE_WINDOW).await;
    assert_eq!(
        app.login(GILDONG.username, "wrong password").await.status(),
        401
    );
    assert_eq!(
        app.login(GILDONG.username, PASSWORD).await.status(),
        200,
        "success clears"
    );
    assert_eq!(
        app.login(GILDONG.username, "wrong password").await.status(),
        401
    );
    assert_eq!(
        app.login(GILDONG.username, "wrong password").await.status(),
        401
    );
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_problem(r, 429, "too_many_attempts").await;
    // No permanent lockout: the window slides on.
    app.clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(app.login(GILDONG.username, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_per_ip_token_bucket_refuses_bursts_with_retry_after() {
    let app = spawn_app_with(&SMALL_BUCKET).await;
    // The bucket refills in real time (one token a second): bodies the handler refuses before
    // any password hashing keep the whole test far inside that second, so no token comes back
    // between the burst and the checks below.
    let body = json!({"username": "nobody"});
    for _ in 0..3 {
        let r = app.post_from("203.0.113.50", "/api/login", &body).await;
        assert_problem(r, 400, "malformed_body").await;
    }
    let r = app.post_from("203.0.113.50", "/api/login", &body).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
    // Another client behind the same proxy has its own bucket.
    let r = app.post_from("203.0.113.51", "/api/login", &body).await;
    assert_problem(r, 400, "malformed_body").await;
    // Health checks are not throttled: asked by the very client whose bucket is empty, which
    // is still refused on a limited path afterwards.
    let r = app.get_from("203.0.113.50", "/health/live").await;
    assert_eq!(r.status(), 200);
    let r = app.get_from("203.0.113.50", "/health/ready").await;
    assert_eq!(r.status(), 200);
    let r = app.post_from("203.0.113.50", "/api/login", &body).await;
    assert_problem(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_from_untrusted_peers() {
    let app = spawn_app_with(&UNTRUSTED_BUCKET).await;
    // Refused before any hashing, so the burst stays inside the bucket's one-second refill.
    let body = json!({"username": "nobody"});
    // Rotating X-Forwarded-For does not buy a fresh bucket when the peer is not a proxy.
    for i in 0..2 {
        let r = app
            .post_from(&format!("203.0.113.{i}"), "/api/login", &body)
            .await;
        assert_problem(r, 400, "malformed_body").await;
    }
    let r = app.post_from("203.0.113.99", "/api/login", &body).await;
    assert_problem(r, 429, "rate_limited").await;
}

/// A CORS preflight of `POST /api/login` from `origin`, with these headers too.
async fn preflight(app: &TestApp, origin: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app
        .client
        .request(Method::OPTIONS, app.url("/api/login"))
        .header("origin", origin)
        .header("access-control-request-method", "POST");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app().await;
    for path in ["/health/live", "/api/nope"] {
        let r = app.get(path).await;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!h.contains_key("access-control-allow-origin"));
    }
    // No CORS unless configured: a cross-origin preflight gets no allowance.
    let r = preflight(&app, "https://evil.example", &[]).await;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn configured_cors_origins_are_allowed() {
    let app = spawn_app_with(&[("APP_CORS_ORIGINS", "https://app.example.com")]).await;
    let r = preflight(
        &app,
        "https://app.example.com",
        &[("access-control-request-headers", "content-type")],
    )
    .await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
}

/// A security notice the mail server refused stays in the outbox and goes out on a retry; the
/// change it reports is not undone.
#[tokio::test]
async fn a_notice_the_mail_server_refused_is_retried_from_the_outbox() {
    let app =
        spawn_app_with_account(&GILDONG, &[NO_COOLDOWN, ("APP_OUTBOX_INTERVAL_SECS", "1")]).await;
    let code = app.reset_code(GILDONG.email).await;
    let before = app.mail.mails_to(GILDONG.email).len();
    app.mail.refuse(true);
    let r = app.reset_confirm(GILDONG.email, &code, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);
    // The first try fails (the server refuses); the notice waits in the outbox.
    let queued = app.outbox_after_a_failed_try().await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        queued[0]
            .get_document("notice")
            .unwrap()
            .get_str("kind")
            .unwrap(),
        "password_changed"
    );
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), before);
    // The new password works regardless.
    assert_eq!(
        app.login(GILDONG.username, NEW_PASSWORD).await.status(),
        200
    );

    // The mail server is back and the back-off has passed: the worker sends it, once.
    app.mail.refuse(false);
    app.clock.advance(std::time::Duration::from_secs(31));
    let mut mails = Vec::new();
    for _ in 0..400 {
        mails = app.mail.mails_to(GILDONG.email);
        if mails.len() > before && app.collection("mail_outbox").await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(mails.len(), before + 1);
    assert!(
        mails[before].subject.contains("비밀번호"),
        "{}",
        mails[before].subject
    );
    assert!(app.collection("mail_outbox").await.is_empty());
}
