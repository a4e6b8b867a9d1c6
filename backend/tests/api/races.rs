//! Races forced, not hoped for. Each test holds requests at the rendezvous between the read
//! and the write of a compare-and-set (`backend::rendezvous`): the interleaving the code must
//! survive (every request has read before any writes, or one read goes stale while others
//! write) happens on every run, and the test asserts that exactly one request wins. Sent
//! without the hold, the same requests mostly run one after the other, and the later ones are
//! refused by an earlier check (the counter webauthn-rs compares, the generation the refresh
//! reads, the code already spent) without ever reaching the conditional write.

use std::time::Duration;

use backend::rendezvous::Point;
use serde_json::Value;

use crate::helpers::*;
use crate::passkeys::{SoftPasskey, ORIGIN};

/// Waits until `count` requests are held at the armed point. A request that never reaches
/// the point fails the test here rather than hanging it.
async fn until_held(app: &TestApp, count: usize) {
    tokio::time::timeout(Duration::from_secs(30), app.rendezvous.held(count))
        .await
        .unwrap_or_else(|_| panic!("{count} requests never reached the rendezvous"));
}

/// Waits until `count` requests are held at the armed point, then lets them all go on.
async fn release_when_held(app: &TestApp, count: usize) {
    until_held(app, count).await;
    app.rendezvous.release();
}

/// An app where GILDONG signed up and signed in once: the app and that session's refresh
/// token, at generation 0.
async fn one_session() -> (TestApp, String) {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let (_, refresh) = app.session_for(GILDONG.username).await;
    (app, refresh)
}

/// The `i64` field `field` of the first document of `collection`.
async fn stored_number(app: &TestApp, collection: &str, field: &str) -> i64 {
    let stored = app.collection(collection).await;
    stored[0].get_i64(field).unwrap()
}

fn sorted(statuses: [reqwest::StatusCode; 2]) -> [u16; 2] {
    let mut s = statuses.map(|s| s.as_u16());
    s.sort();
    s
}

/// Two assertions carrying the same counter (a cloned authenticator, or a captured assertion
/// raced against its original) both verified against the stored counter 0 before either
/// records its use: only the conditional update (`sign_count < new`) can tell them apart.
#[tokio::test]
async fn of_two_assertions_with_one_counter_that_both_read_first_one_signs_in() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let token = app.token_for(GILDONG.username).await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "key").await;
    let (first_id, first) = app.login_start().await;
    let (second_id, second) = app.login_start().await;
    let first = key.assert_with_counter(&first, ORIGIN, 1);
    let second = key.assert_with_counter(&second, ORIGIN, 1);

    app.rendezvous.hold(Point::RecordPasskeyUse, 2);
    let (a, b, ()) = tokio::join!(
        app.login_finish(&first_id, &first),
        app.login_finish(&second_id, &second),
        release_when_held(&app, 2),
    );
    let (a, b) = (a.status(), b.status());
    assert_eq!(sorted([a, b]), [200, 401]);
    assert_eq!(stored_number(&app, "passkeys", "sign_count").await, 1);
}

/// Eight refreshes of one token, all past their read of generation 0 before any moves it:
/// one compare-and-set matches, the seven that lose decide as for a token one generation old
/// (within the grace period: the current pair), so all eight get the one successor.
#[tokio::test]
async fn eight_refreshes_that_all_read_generation_0_first_yield_one_successor() {
    let (app, refresh) = one_session().await;

    app.rendezvous.hold(Point::RotateSession, 8);
    let refreshes = futures_util::future::join_all((0..8).map(|_| app.refresh(&refresh)));
    let (answers, ()) = tokio::join!(refreshes, release_when_held(&app, 8));
    let mut successors = std::collections::HashSet::new();
    for r in answers {
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        successors.insert(body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(successors.len(), 1, "{successors:?}");
    assert!(!successors.contains(&refresh));
    assert_eq!(stored_number(&app, "sessions", "generation").await, 1);
}

/// A refresh that read generation 0 and writes only after two other rotations moved the
/// session to generation 2 must not match: written, it would put the session back to
/// generation 1 and hand out a pair whose refresh token was already spent. It is instead a
/// token two generations old, which ends the session (a copy is in use).
#[tokio::test]
async fn a_refresh_whose_read_went_stale_during_two_rotations_writes_nothing() {
    let (app, first) = one_session().await;

    app.rendezvous.hold(Point::RotateSession, 1);
    let stale = app.refresh(&first);
    let others = async {
        // The first refresh reached the rendezvous.
        until_held(&app, 1).await;
        // The hold took its one arrival: these two rotate at once.
        let second: Value = app.refresh(&first).await.json().await.unwrap();
        let second = second["refresh_token"].as_str().unwrap().to_owned();
        let third = app.refresh(&second).await;
        assert_eq!(third.status(), 200);
        app.rendezvous.release();
    };
    let (stale, ()) = tokio::join!(stale, others);
    assert_problem(stale, 401, "invalid_token").await;
    assert!(app.collection("sessions").await.is_empty());
}

/// Two registrations with one code for one address (different usernames and nicknames),
/// both holding a code attempt before either creates its account: the code is still there for
/// both, so only the unique index on the address stops the second account.
#[tokio::test]
async fn two_registrations_of_one_address_that_both_took_the_code_create_one_account() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    let twin = Signup {
        username: "twin",
        nickname: "쌍둥이",
        email: GILDONG.email,
    };

    app.rendezvous.hold(Point::RedeemCode, 2);
    let (a, b, ()) = tokio::join!(
        app.register(&GILDONG, PASSWORD, &code),
        app.register(&twin, PASSWORD, &code),
        release_when_held(&app, 2),
    );
    let (won, lost) = if a.status() == 201 { (a, b) } else { (b, a) };
    assert_eq!(won.status(), 201);
    assert_problem(lost, 409, "email_taken").await;
    assert_eq!(app.users().await.len(), 1);
}
