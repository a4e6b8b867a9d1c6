//! Sessions: short access tokens, rotating single-use refresh tokens with reuse detection,
//! idle and absolute expiry (on the app's injected clock), the device list, and the browser's
//! cookie transport.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

const DAY: u64 = 24 * 3600;

async fn body(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 200, "{:?}", r.headers());
    r.json().await.unwrap()
}

#[tokio::test]
async fn login_answers_a_short_access_token_and_a_refresh_token_of_a_new_session() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let v = body(app.login(GILDONG.username, PASSWORD).await).await;
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 900, "15 minutes by default");
    assert_eq!(v["refresh_expires_in"], 7 * DAY, "the idle expiry");
    let refresh = refresh_of(&v);
    assert!(
        refresh.starts_with("rt1_") && refresh.len() >= 4 + 43,
        "{refresh}"
    );
    let c = unverified_claims(&access_of(&v));
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 900);
    let sid = c["sid"].as_str().unwrap();
    // The session record: who, when, from where, and only a hash of the refresh token.
    let stored = app.collection("sessions").await;
    assert_eq!(stored.len(), 1);
    let s = &stored[0];
    assert_eq!(s.get_str("_id").unwrap(), sid);
    assert_eq!(s.get_str("ip").unwrap(), "127.0.0.1");
    assert_eq!(s.get_i64("generation").unwrap(), 0);
    let everything = format!("{stored:?}");
    assert!(
        !everything.contains(&refresh),
        "the refresh token is stored"
    );
    assert!(
        !everything.contains(&refresh[4..]),
        "the refresh token is stored"
    );
    // Nor its bytes, raw or in any encoding (hex, base64), in the raw documents.
    assert_not_stored(&stored, &refresh, "the refresh token");
    if let Some((_, secret)) = refresh.split_once('_') {
        assert_not_stored(&stored, secret, "the refresh token's secret");
    }
    let created = s.get_datetime("created_at").unwrap().timestamp_millis();
    let absolute = s
        .get_datetime("absolute_expires_at")
        .unwrap()
        .timestamp_millis();
    let idle = s.get_datetime("expires_at").unwrap().timestamp_millis();
    assert_eq!(
        absolute - created,
        30 * DAY as i64 * 1000,
        "30 days by default"
    );
    assert_eq!(idle - created, 7 * DAY as i64 * 1000, "7 days by default");
}

#[tokio::test]
async fn refreshing_rotates_the_pair_and_keeps_the_session() {
    let app = spawn_app().await;
    let (access, refresh) = app.registered_person().await.tokens();
    let v = body(app.refresh(&refresh).await).await;
    let (access2, refresh2) = (access_of(&v), refresh_of(&v));
    assert_ne!(refresh2, refresh);
    assert_ne!(access2, access);
    assert_eq!(
        unverified_claims(&access2)["sid"],
        unverified_claims(&access)["sid"],
        "same session"
    );
    assert_eq!(app.nick(&access2).await.status(), 200);
    assert_eq!(
        app.nick(&access).await.status(),
        200,
        "the old access token lives out its 15 minutes"
    );
    // And again from the successor.
    let v = body(app.refresh(&refresh2).await).await;
    assert_ne!(refresh_of(&v), refresh2);
    let session = &app.collection("sessions").await[0];
    assert_eq!(session.get_i64("generation").unwrap(), 2);
}

#[tokio::test]
async fn a_spent_refresh_token_within_the_grace_period_gets_the_current_pair() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let (_, first) = app.session_for(GILDONG.username).await;
    let winner = body(app.refresh(&first).await).await;
    app.clock.advance(Duration::from_secs(9));
    let second_tab = body(app.refresh(&first).await).await;
    assert_eq!(
        refresh_of(&second_tab),
        refresh_of(&winner),
        "the session's current refresh token"
    );
    assert_eq!(app.nick(&access_of(&second_tab)).await.status(), 200);
    // Nothing was rotated by the late tab: the winner's token is still the one to use.
    let next = body(app.refresh(&refresh_of(&winner)).await).await;
    assert_eq!(app.nick(&access_of(&next)).await.status(), 200);
}

#[tokio::test]
async fn a_spent_refresh_token_after_the_grace_period_ends_the_whole_session() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let (_, stolen) = app.session_for(GILDONG.username).await;
    let (_, elsewhere) = app.session_for(GILDONG.username).await;
    let owner = body(app.refresh(&stolen).await).await;
    app.clock.advance(Duration::from_secs(11));
    // The thief (or the owner: one of them holds a copy) presents the spent token.
    assert_problem(app.refresh(&stolen).await, 401, "invalid_token").await;
    // Every token of that session is dead: the current refresh token and the access token.
    assert_problem(app.refresh(&refresh_of(&owner)).await, 401, "invalid_token").await;
    assert_problem(app.nick(&access_of(&owner)).await, 401, "invalid_token").await;
    // The account's other session is untouched.
    assert_eq!(app.refresh(&elsewhere).await.status(), 200);
    assert_eq!(app.collection("sessions").await.len(), 1);
}

#[tokio::test]
async fn malformed_foreign_tampered_and_unknown_refresh_tokens_are_refused() {
    let app = spawn_app().await;
    let (access, refresh) = app.registered_person().await.tokens();
    for bad in [
        "",
        "garbage",
        "rt1_",
        "rt1_AAAA",
        &access,
        &refresh[..refresh.len() - 1],
    ] {
        let p = assert_problem(app.refresh(bad).await, 401, "invalid_token").await;
        assert!(p.detail.contains("refresh token"), "{}", p.detail);
    }
    // A later generation forged without the key: refused, and the session is left alone.
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut raw = engine.decode(&refresh[4..]).unwrap();
    raw[23] = 5;
    let forged = format!("rt1_{}", engine.encode(&raw));
    assert_problem(app.refresh(&forged).await, 401, "invalid_token").await;
    assert_eq!(app.refresh(&refresh).await.status(), 200);
    // Not JSON, no body, a wrong field.
    let r = app
        .post_raw("/api/token/refresh", Some("application/json"), "{")
        .await;
    assert_problem(r, 400, "malformed_body").await;
    let r = app
        .post("/api/token/refresh", &json!({"token": refresh}))
        .await;
    assert_problem(r, 400, "malformed_body").await;
    // `{}` without a cookie.
    let r = app
        .client
        .post(app.url("/api/token/refresh"))
        .header("origin", &app.address)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "invalid_token").await;
}

#[tokio::test]
async fn an_idle_session_ends_and_refreshing_keeps_it_alive_up_to_the_absolute_expiry() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;

    // Idle for longer than 7 days: over.
    let (_, idle) = app.session_for(GILDONG.username).await;
    // Active: refreshed every 6 days.
    let (_, mut active) = app.session_for(GILDONG.username).await;
    let mut elapsed = 0;
    while elapsed + 6 * DAY < 30 * DAY {
        app.clock.advance(Duration::from_secs(6 * DAY));
        elapsed += 6 * DAY;
        let v = body(app.refresh(&active).await).await;
        assert!(v["refresh_expires_in"].as_u64().unwrap() <= 7 * DAY);
        active = refresh_of(&v);
        if elapsed == 12 * DAY {
            assert_problem(app.refresh(&idle).await, 401, "invalid_token").await;
        }
    }
    // Day 24: the next refresh is capped by the absolute expiry (day 30)…
    let v = body(app.refresh(&active).await).await;
    assert_eq!(v["refresh_expires_in"], 30 * DAY - elapsed);
    let access = access_of(&v);
    assert_eq!(app.nick(&access).await.status(), 200);
    // …and a second before day 30 the access token is still good, at day 30 nothing is,
    // even an access token that has not reached its own expiry.
    app.clock
        .advance(Duration::from_secs(30 * DAY - elapsed - 1));
    let v = body(app.refresh(&refresh_of(&v)).await).await;
    let last = access_of(&v);
    app.clock.advance(Duration::from_secs(1));
    assert_problem(app.nick(&last).await, 401, "invalid_token").await;
    assert_problem(app.refresh(&refresh_of(&v)).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn the_device_list_shows_the_callers_live_sessions_and_marks_the_current_one() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    app.sign_up(&OTHER).await;
    let login_as = |agent: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/api/login"))
                .header("user-agent", agent)
                .json(&json!({"username": GILDONG.username, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            body(r).await
        }
    };
    let phone = login_as("Phone/1.0".into()).await;
    let long = format!("Laptop/{}", "x".repeat(1000));
    let laptop = login_as(long).await;
    let _theirs = app.token_for(OTHER.username).await;

    let list = app.sessions(&access_of(&laptop)).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        current[0]["id"],
        unverified_claims(&access_of(&laptop))["sid"]
    );
    assert_eq!(
        current[0]["user_agent"].as_str().unwrap().chars().count(),
        256
    );
    assert_eq!(list[0]["id"], current[0]["id"], "newest use first");
    let other = &list[1];
    assert_eq!(other["user_agent"], "Phone/1.0");
    assert_eq!(other["ip"], "127.0.0.1");
    assert_eq!(other["current"], false);
    for field in ["created_at", "last_used_at"] {
        let t = other[field].as_str().unwrap();
        assert!(t.contains('T') && t.ends_with('Z'), "{field}: {t}");
    }
    // After a refresh, the phone is the most recently used.
    body(app.refresh(&refresh_of(&phone)).await).await;
    let list = app.sessions(&access_of(&laptop)).await;
    assert_eq!(list[0]["id"], unverified_claims(&access_of(&phone))["sid"]);
    // Without a token: 401.
    let r = app.get("/api/sessions").await;
    assert_problem(r, 401, "invalid_token").await;
}

/// GILDONG and OTHER sign up; GILDONG signs in on `N` devices, then OTHER once: the
/// `(access, refresh)` pairs of GILDONG's sessions and of OTHER's.
async fn devices<const N: usize>(app: &TestApp) -> ([(String, String); N], (String, String)) {
    app.sign_up(&GILDONG).await;
    app.sign_up(&OTHER).await;
    let mut mine = vec![];
    for _ in 0..N {
        mine.push(app.session_for(GILDONG.username).await);
    }
    let theirs = app.session_for(OTHER.username).await;
    (mine.try_into().expect("N sessions"), theirs)
}

#[tokio::test]
async fn ending_another_session_refuses_its_tokens_and_no_one_else_can_end_yours() {
    let app = spawn_app().await;
    let ([(phone, phone_refresh), (laptop, _)], (theirs, _)) = devices(&app).await;
    let phone_sid = sid_of(&phone);

    // Someone else's session id, and ids that are no session at all: 404, nothing ended.
    assert_problem(app.end_session(&theirs, &phone_sid).await, 404, "not_found").await;
    let r = app
        .end_session(&laptop, "0123456789abcdef0123456789abcdef")
        .await;
    assert_problem(r, 404, "not_found").await;
    let r = app.end_session(&laptop, "not-an-id").await;
    assert_problem(r, 404, "not_found").await;
    assert_eq!(app.nick(&phone).await.status(), 200);

    assert_eq!(app.end_session(&laptop, &phone_sid).await.status(), 204);
    app.assert_session_refused((&phone, &phone_refresh), 401, "invalid_token")
        .await;
    assert_eq!(app.nick(&laptop).await.status(), 200);
    assert_eq!(app.sessions(&laptop).await.len(), 1);
    // Ending it twice: it is gone.
    assert_problem(app.end_session(&laptop, &phone_sid).await, 404, "not_found").await;
    // Without a token: 401.
    let r = app
        .anonymous(
            reqwest::Method::DELETE,
            &format!("/api/sessions/{phone_sid}"),
        )
        .await;
    assert_problem(r, 401, "invalid_token").await;
}

#[tokio::test]
async fn logout_ends_this_session_with_its_refresh_token_and_logout_all_ends_every_one() {
    let app = spawn_app().await;
    let (devices, (_, theirs)) = devices::<3>(&app).await;
    let [(phone, phone_refresh), (laptop, laptop_refresh), (tablet, tablet_refresh)] = devices;

    let r = app.logout(&phone).await;
    assert_eq!(r.status(), 204);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("emailauth_refresh=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    assert_problem(app.refresh(&phone_refresh).await, 401, "invalid_token").await;
    assert_eq!(app.nick(&laptop).await.status(), 200);

    assert_eq!(app.logout_all(&laptop).await.status(), 204);
    for (access, refresh) in [(&laptop, &laptop_refresh), (&tablet, &tablet_refresh)] {
        assert_problem(app.nick(access).await, 401, "invalid_token").await;
        assert_problem(app.refresh(refresh).await, 401, "invalid_token").await;
    }
    assert_eq!(
        app.refresh(&theirs).await.status(),
        200,
        "other users untouched"
    );
}

#[tokio::test]
async fn a_password_reset_ends_every_session_refresh_tokens_included() {
    let app = spawn_app_with(&[NO_COOLDOWN]).await;
    let (access, refresh) = app.registered_person().await.tokens();
    app.reset_password(GILDONG.email, "a brand new passphrase")
        .await;
    app.assert_session_refused((&access, &refresh), 401, "invalid_token")
        .await;
    assert!(app.collection("sessions").await.is_empty());
}

/// The browser's transport: the refresh token only ever in an `HttpOnly` cookie.
mod cookie {
    use super::*;

    fn refresh_cookie(r: &reqwest::Response) -> Option<String> {
        set_cookie(r, "emailauth_refresh")
    }

    fn value(cookie: &str) -> String {
        cookie["emailauth_refresh=".len()..]
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    async fn cookie_login(app: &TestApp) -> reqwest::Response {
        app.cookie_login(GILDONG.username, PASSWORD).await
    }

    async fn cookie_refresh(app: &TestApp, token: &str, origin: Option<&str>) -> reqwest::Response {
        let mut request = app
            .client
            .post(app.url("/api/token/refresh"))
            .header("x-token-transport", "cookie")
            .header(
                "cookie",
                format!("emailauth_device=x; emailauth_refresh={token}"),
            )
            .json(&json!({}));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.unwrap()
    }

    #[tokio::test]
    async fn login_and_refresh_put_the_refresh_token_in_an_httponly_cookie_only() {
        let app = spawn_app_with_account(&GILDONG, &[]).await;
        let r = cookie_login(&app).await;
        assert_eq!(r.status(), 200);
        let cookie = refresh_cookie(&r).expect("refresh cookie");
        for attribute in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/api/token",
            &format!("Max-Age={}", 7 * DAY),
        ] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        assert!(
            !cookie.contains("Secure"),
            "plain http on loopback in development: {cookie}"
        );
        let v: Value = r.json().await.unwrap();
        assert!(v.get("refresh_token").is_none(), "{v}");
        assert_eq!(v["refresh_expires_in"], 7 * DAY);
        let first = value(&cookie);

        let r = cookie_refresh(&app, &first, Some(&app.address)).await;
        assert_eq!(r.status(), 200);
        let next = value(&refresh_cookie(&r).expect("rotated cookie"));
        assert_ne!(next, first);
        let v: Value = r.json().await.unwrap();
        assert!(v.get("refresh_token").is_none());
        assert_eq!(app.nick(&access_of(&v)).await.status(), 200);
    }

    #[tokio::test]
    async fn a_cookie_refresh_needs_the_apps_own_origin() {
        let app = spawn_app_with_account(&GILDONG, &[]).await;
        let first = value(&refresh_cookie(&cookie_login(&app).await).unwrap());
        for origin in [
            None,
            Some("https://evil.example"),
            Some("null"),
            Some("http://127.0.0.1:1"),
        ] {
            let r = cookie_refresh(&app, &first, origin).await;
            assert!(
                refresh_cookie(&r).is_none(),
                "{origin:?}: a foreign page must not clear it"
            );
            assert_problem(r, 401, "invalid_token").await;
        }
        // Still unspent.
        assert_eq!(
            cookie_refresh(&app, &first, Some(&app.address))
                .await
                .status(),
            200
        );
    }

    #[tokio::test]
    async fn a_configured_public_origin_is_the_only_one_accepted() {
        let app = spawn_app_with_account(
            &GILDONG,
            &[("APP_PUBLIC_ORIGIN", "https://auth.example.com")],
        )
        .await;
        let first = value(&refresh_cookie(&cookie_login(&app).await).unwrap());
        let r = cookie_refresh(&app, &first, Some(&app.address)).await;
        assert_problem(r, 401, "invalid_token").await;
        let r = cookie_refresh(&app, &first, Some("https://auth.example.com")).await;
        assert_eq!(r.status(), 200);
    }

    #[tokio::test]
    async fn a_dead_cookie_is_refused_and_cleared() {
        let app = spawn_app_with_account(&GILDONG, &[]).await;
        let first = value(&refresh_cookie(&cookie_login(&app).await).unwrap());
        assert_eq!(
            cookie_refresh(&app, &first, Some(&app.address))
                .await
                .status(),
            200
        );
        app.clock.advance(Duration::from_secs(11));
        let r = cookie_refresh(&app, &first, Some(&app.address)).await;
        let cleared = refresh_cookie(&r).expect("cleared");
        assert!(cleared.starts_with("emailauth_refresh=;") && cleared.contains("Max-Age=0"));
        assert_problem(r, 401, "invalid_token").await;
    }
}
