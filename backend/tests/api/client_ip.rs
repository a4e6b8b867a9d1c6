//! Who the per-IP limits count: the client behind a trusted proxy however it forges
//! `X-Forwarded-For`, and an IPv6 client's whole /64 rather than one of its 2^64 addresses.
//!
//! The test client connects from 127.0.0.1, which these apps trust as their proxy; the header
//! each request carries is what that proxy would forward (whatever the client wrote, then the
//! address the proxy saw).

use std::time::Instant;

use serde_json::{json, Value};

use crate::helpers::*;

/// Cheap to answer (refused before any hashing or database work) but still behind the bucket.
fn bad_login() -> Value {
    json!({})
}

/// `POST /api/login` with an empty body (refused before any hashing) from `ip`.
async fn empty_login_from(app: &TestApp, ip: &str) -> reqwest::Response {
    app.post_from(ip, "/api/login", &bad_login()).await
}

async fn bucket_app(burst: &str) -> TestApp {
    spawn_app_with(&[
        TRUSTED_PROXY,
        ("APP_RATE_LIMIT_PER_SECOND", "1"),
        ("APP_RATE_LIMIT_BURST", burst),
    ])
    .await
}

async fn assert_rate_limited(r: reqwest::Response) {
    let retry_after: u64 = r
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1, "{retry_after}");
    assert_problem(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_forged_prefix_with_junk_still_lands_in_the_real_clients_bucket() {
    let app = bucket_app("4").await;
    // A fresh forged address per request, hidden behind an entry that is not an address.
    let forged = |i: usize| match i % 4 {
        0 => format!("6.6.6.{i}, junk, 203.0.113.5"),
        1 => format!("6.6.6.{i},, 203.0.113.5"),
        2 => format!("6.6.6.{i}, unknown, 203.0.113.5"),
        _ => format!("6.6.6.{i}, 203.0.113.5:51234"),
    };
    for i in 0..4 {
        let r = empty_login_from(&app, &forged(i)).await;
        assert_eq!(r.status(), 400, "request {i} ({})", forged(i));
    }
    assert_rate_limited(empty_login_from(&app, &forged(4)).await).await;
    // The bucket is 203.0.113.5's: its honest requests, and its IPv4-mapped form, wait too.
    assert_rate_limited(empty_login_from(&app, "203.0.113.5").await).await;
    assert_rate_limited(empty_login_from(&app, "6.6.6.6, ::ffff:203.0.113.5").await).await;
    // Another client behind the same proxy, forging the same way, has its own bucket.
    let r = empty_login_from(&app, "6.6.6.1, junk, 203.0.113.6").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_addresses_of_one_ipv6_64_share_one_bucket() {
    let app = bucket_app("3").await;
    let started = Instant::now();
    let mut passed = 0;
    for i in 1..=60 {
        let ip = format!("2001:db8:1:2::{i:x}");
        let r = empty_login_from(&app, &ip).await;
        match r.status().as_u16() {
            429 => assert_rate_limited(r).await,
            400 => passed += 1,
            other => panic!("{ip}: {other}"),
        }
        if i == 4 {
            assert_eq!(
                passed, 3,
                "the 4th address of the /64 finds the bucket empty"
            );
        }
    }
    // One token a second comes back while the requests run; nothing more.
    let refills = started.elapsed().as_secs() + 1;
    assert!(
        passed <= 3 + refills,
        "{passed} of 60 addresses of one /64 passed in {:?}",
        started.elapsed()
    );
    // Another /64 (even of the same /48) is another client.
    let r = empty_login_from(&app, "2001:db8:1:3::1").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_hourly_mail_cap_per_ip_counts_a_whole_ipv6_64() {
    let app = spawn_app_with(&[TRUSTED_PROXY, ("APP_CODES_PER_IP_PER_HOUR", "3")]).await;
    let ask = |ip: String, i: usize| {
        let app = &app;
        async move {
            let body = json!({
                "username": format!("person{i}"),
                "nickname": format!("사람{i}"),
                "email": format!("person{i}@example.com"),
            });
            app.post_from(&ip, "/api/email_auth", &body).await
        }
    };
    for i in 1..=3 {
        let r = ask(format!("2001:db8:1:2::{i}"), i).await;
        assert_eq!(r.status(), 202, "request {i}");
    }
    let r = ask("2001:db8:1:2:ffff:ffff:ffff:ffff".into(), 4).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "too_many_codes").await;
    assert!(app.mail.mails_to("person4@example.com").is_empty());
    // The neighbouring /64 has its own allowance.
    let r = ask("2001:db8:1:3::1".into(), 5).await;
    assert_eq!(r.status(), 202);
    assert_eq!(app.mail.mails_to("person5@example.com").len(), 1);
}
