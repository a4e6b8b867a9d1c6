//! The password-hash queue is bounded: past it, requests that would hash are refused at once
//! with 503 `service_unavailable` and `Retry-After`, instead of waiting behind a flood.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use serde_json::Value;

use crate::helpers::*;

/// One answer and its place in the order answers arrived in.
struct Answered {
    seq: usize,
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

async fn answered(order: &AtomicUsize, r: reqwest::Response) -> Answered {
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = r.json().await.unwrap_or(Value::Null);
    Answered {
        seq: order.fetch_add(1, Ordering::SeqCst),
        status,
        retry_after,
        body,
    }
}

/// Every answer is `ok` or a 503 `service_unavailable` with `Retry-After: 1`; returns the
/// sequence numbers of the 503s and of the others.
fn split(answers: &[Answered], ok: u16) -> (Vec<usize>, Vec<usize>) {
    let (mut refused, mut served) = (vec![], vec![]);
    for a in answers {
        match a.status {
            503 => {
                assert_eq!(a.body["code"], "service_unavailable", "{}", a.body);
                assert_eq!(a.retry_after.as_deref(), Some("1"), "{}", a.body);
                refused.push(a.seq);
            }
            s if s == ok => served.push(a.seq),
            s => panic!("unexpected {s}: {}", a.body),
        }
    }
    (refused, served)
}

#[tokio::test]
async fn a_flood_of_logins_gets_immediate_503s_and_the_rest_are_answered_normally() {
    let app = spawn_app_with(&[("APP_HASH_CONCURRENCY", "1"), ("APP_HASH_QUEUE", "2")]).await;
    let order = Arc::new(AtomicUsize::new(0));
    let answers = futures_util::future::join_all((0..40).map(|i| {
        let (app, order) = (&app, order.clone());
        async move {
            // Made-up usernames: each costs a dummy verification, none hits a per-account limit.
            let r = app
                .login(&format!("nobody_{i}"), "some wrong password")
                .await;
            answered(&order, r).await
        }
    }))
    .await;
    let (refused, served) = split(&answers, 401);
    let counts = (refused.len(), served.len());
    eprintln!("HASH QUEUE: {counts:?} refused and answered 401; order of the 503s {refused:?}, of the 401s {served:?}");
    assert!(!refused.is_empty(), "the flood queued without bound");
    // One running and two waiting were accepted whatever the timing.
    assert!(served.len() >= 3, "{served:?}");
    // A refusal does not wait for the queue: when the first 503 was given, the queue was full,
    // and the hashes waiting in it were answered only after it.
    let first_refusal = refused.iter().min().unwrap();
    let last_served = served.iter().max().unwrap();
    assert!(
        first_refusal < last_served,
        "the first 503 (#{first_refusal}) came after every 401 (last #{last_served})"
    );
    // A refused login evaluated nothing, so it is not counted as a failed login.
    let failures = app
        .collection("throttle_events")
        .await
        .into_iter()
        .filter(|e| e.get_str("kind") == Ok("login_failure"))
        .count();
    assert_eq!(failures, served.len(), "one failure per evaluated login");
}

fn signup(who: &(String, String, String)) -> Signup<'_> {
    person(&who.0, &who.1, &who.2)
}

#[tokio::test]
async fn registrations_refused_for_a_full_queue_keep_their_code() {
    let app = spawn_app_with(&[("APP_HASH_CONCURRENCY", "1"), ("APP_HASH_QUEUE", "1")]).await;
    let people: Vec<(String, String, String)> = (0..10)
        .map(|i| {
            (
                format!("queued_{i}"),
                format!("대기{i}"),
                format!("queued{i}@example.com"),
            )
        })
        .collect();
    let mut codes = vec![];
    for person in &people {
        codes.push(app.request_code(&signup(person)).await);
    }
    let order = Arc::new(AtomicUsize::new(0));
    let answers =
        futures_util::future::join_all(
            people.iter().zip(&codes).map(|(person, code)| {
                let (app, order) = (&app, order.clone());
                async move {
                    answered(&order, app.register(&signup(person), PASSWORD, code).await).await
                }
            }),
        )
        .await;
    let (refused, created) = split(&answers, 201);
    let counts = (refused.len(), created.len());
    eprintln!("HASH QUEUE (register): {counts:?} refused and created");
    assert!(
        !refused.is_empty(),
        "ten hashes fitted one thread and a queue of one"
    );
    assert!(!created.is_empty());
    // Nothing was used up by a refusal: the same code registers now.
    for ((person, code), answer) in people.iter().zip(&codes).zip(&answers) {
        if answer.status == 503 {
            let r = app.register(&signup(person), PASSWORD, code).await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
    }
    assert_eq!(app.users().await.len(), people.len());
}
