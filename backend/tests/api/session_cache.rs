//! The session cache behind the bearer check (backend/src/cache/): it answers from memory
//! while its change stream proves itself, changes made anywhere reach it through the stream,
//! and a stalled or broken stream makes the instance read the database (fail closed).

use std::time::Duration;

use backend::store::cache::Handle;
use serde_json::Value;

use crate::helpers::*;

fn cache(app: &TestApp) -> &Handle {
    app.cache
        .as_ref()
        .expect("the session cache is on by default")
}

/// The session id (`sid` claim) of an access token.
fn sid_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&json).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

/// Polls a condition the test needs before it goes on (not a deadline of the code under test).
async fn until(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..2_000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn logout(app: &TestApp, token: &str) {
    let r = app
        .client
        .post(app.url("/api/logout"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

/// Signs up GILDONG on `a`, logs in on `a`, and has `b` answer `/api/nick` from its cache.
async fn cached_on(a: &TestApp, b: &TestApp) -> String {
    let token = a.registered_person().await.access;
    b.caught_up().await;
    assert_eq!(
        b.nick(&token).await.status(),
        200,
        "first read, from the database"
    );
    let (hits, _) = cache(b).cache.hits_and_misses();
    let r = b.nick(&token).await;
    assert_eq!(r.status(), 200);
    let profile: Value = r.json().await.unwrap();
    assert_eq!(profile["username"], GILDONG.username);
    let (hits_after, _) = cache(b).cache.hits_and_misses();
    assert_eq!(
        hits_after - hits,
        2,
        "session and profile both answered from memory"
    );
    assert!(cache(b).cache.holds_session(&sid_of(&token)));
    token
}

#[tokio::test]
async fn a_cached_session_is_answered_from_memory_and_its_logout_is_seen_at_once_here() {
    let app = spawn_app().await;
    let token = cached_on(&app, &app).await;
    // The instance's own write reaches its cache before the answer: no stream involved.
    cache(&app).cache.inject_stall(true);
    until("the watcher is parked", || cache(&app).cache.is_parked()).await;
    logout(&app, &token).await;
    assert!(!cache(&app).cache.holds_session(&sid_of(&token)));
    assert_problem(app.nick(&token).await, 401, "invalid_token").await;
    cache(&app).cache.inject_stall(false);
}

#[tokio::test]
async fn a_logout_on_one_instance_is_evicted_from_the_others_cache_by_the_stream() {
    let (a, b) = spawn_pair(&[]).await;
    let token = cached_on(&a, &b).await;
    logout(&a, &token).await;
    b.caught_up().await;
    assert!(
        !cache(&b).cache.holds_session(&sid_of(&token)),
        "evicted by the change event"
    );
    assert_problem(b.nick(&token).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn an_email_change_on_one_instance_reaches_the_others_cached_profile() {
    let (a, b) = spawn_pair(&[]).await;
    let token = cached_on(&a, &b).await;
    a.set_on_user(
        GILDONG.username,
        mongodb::bson::doc! { "email": "moved@example.com" },
    )
    .await;
    b.caught_up().await;
    assert_eq!(b.profile(&token).await["email"], "moved@example.com");
}

#[tokio::test]
async fn a_stalled_stream_never_makes_a_revoked_token_valid() {
    let (a, b) = spawn_pair(&[]).await;
    let token = cached_on(&a, &b).await;
    let sid = sid_of(&token);
    cache(&b).cache.inject_stall(true);
    until("B's watcher is parked", || cache(&b).cache.is_parked()).await;
    logout(&a, &token).await;
    // No heartbeat comes back while the stream is stalled: once the last one is older than
    // the allowed lag (300 ms; B's clock moved past it), B stops trusting its cache.
    b.clock.advance(Duration::from_millis(400));
    assert!(!cache(&b).cache.is_trusted());
    assert!(cache(&b).cache.holds_session(&sid), "nothing was evicted");
    assert_problem(b.nick(&token).await, 401, "invalid_token").await;

    // The stream resumes: the backlog evicts the session before the cache is trusted again.
    cache(&b).cache.inject_stall(false);
    b.caught_up().await;
    assert!(cache(&b).cache.is_trusted());
    assert!(!cache(&b).cache.holds_session(&sid));
    assert_problem(b.nick(&token).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn a_broken_stream_empties_the_cache_and_is_trusted_again_once_reopened() {
    let (a, b) = spawn_pair(&[]).await;
    let token = cached_on(&a, &b).await;
    let sid = sid_of(&token);
    cache(&b).cache.inject_break();
    until("B distrusts its cache", || {
        !cache(&b).cache.holds_session(&sid)
    })
    .await;
    // Back: a heartbeat written after the new stream opened has come back through it.
    b.caught_up().await;
    assert!(cache(&b).cache.is_trusted());
    assert_eq!(b.nick(&token).await.status(), 200);
    assert_eq!(b.nick(&token).await.status(), 200);
    assert!(cache(&b).cache.holds_session(&sid), "kept again");
    logout(&a, &token).await;
    b.caught_up().await;
    assert_problem(b.nick(&token).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn with_the_cache_off_every_request_reads_the_database() {
    let (a, b) = spawn_pair(&[("APP_SESSION_CACHE_CAPACITY", "0")]).await;
    assert!(a.cache.is_none() && b.cache.is_none());
    let token = a.registered_person().await.access;
    assert_eq!(b.nick(&token).await.status(), 200);
    logout(&a, &token).await;
    assert_problem(b.nick(&token).await, 401, "invalid_token").await;
}
