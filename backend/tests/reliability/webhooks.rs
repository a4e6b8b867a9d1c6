//! Webhooks survive the process: events queued by a `backend` that is then SIGKILLed, before
//! any of them reached the receiver, are delivered by the next process, all of them, in the
//! order they happened.

use std::time::Duration;

use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

use crate::{
    helpers::{MailServer, GILDONG, JWT_SECRET, PASSWORD, PEPPER},
    support::{wait_ready, Backend, DbServer},
    webhook_receiver::{verifies, wait_until, Receiver},
};

const SECRET: &str = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5YWI=";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_queued_by_a_killed_backend_are_delivered_by_the_next_one_in_order() {
    let db = DbServer::start_with(&["--sync-on-commit"]);
    let mail = MailServer::start();
    let mut receiver = Receiver::down();
    let uri = db.uri();
    let smtp = mail.port.to_string();
    let url = receiver.url();
    let vars = [
        ("APP_MONGODB_URI", uri.as_str()),
        ("APP_MONGODB_DB", "webhooks_kill"),
        ("APP_SMTP_PORT", smtp.as_str()),
        ("APP_JWT_SECRET", JWT_SECRET),
        ("APP_CODE_PEPPER", PEPPER),
        ("APP_WEBHOOK_URLS", url.as_str()),
        ("APP_WEBHOOK_SECRET", SECRET),
        ("APP_WEBHOOK_POLL_MS", "20"),
        ("APP_WEBHOOK_RETRY_BASE_MS", "200"),
        // A kill in the middle of an attempt leaves its lease (2 × this + 5 s) to run out.
        ("APP_WEBHOOK_TIMEOUT_MS", "500"),
    ];
    let first = Backend::spawn(&vars);
    let client = reqwest::Client::new();
    wait_ready(&client, &first.address(), Duration::from_secs(30)).await;
    let post = |path: &str, body: Value| {
        client
            .post(format!("{}{path}", first.address()))
            .json(&body)
            .send()
    };
    let signup =
        json!({"username": GILDONG.username, "nickname": GILDONG.nickname, "email": GILDONG.email});
    assert_eq!(
        post("/api/email_auth", signup.clone())
            .await
            .unwrap()
            .status(),
        202
    );
    let code = mail.code_for(GILDONG.email).await;
    let mut register = signup;
    register["password"] = json!(PASSWORD);
    register["code"] = json!(code);
    assert_eq!(post("/api/register", register).await.unwrap().status(), 201);
    let login = json!({"username": GILDONG.username, "password": PASSWORD});
    for _ in 0..3 {
        assert_eq!(
            post("/api/login", login.clone()).await.unwrap().status(),
            200
        );
    }
    // Every change is answered; not one event has reached the receiver (it is down). Kill.
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let store = mongodb::Client::with_uri_str(&uri)
        .await
        .unwrap()
        .database("webhooks_kill")
        .collection::<Document>("webhook_deliveries");
    let find = store.find(doc! {}).sort(doc! { "created_at": 1, "_id": 1 });
    let queued: Vec<String> = crate::support::documents(find)
        .await
        .iter()
        .map(|d| {
            assert_eq!(d.get_str("status"), Ok("pending"), "{d}");
            d.get_str("event_id").unwrap().to_owned()
        })
        .collect();
    assert_eq!(queued.len(), 4, "user.created and three session.created");

    receiver.up();
    let second = Backend::spawn(&vars);
    let received = receiver.wait_for(4).await;
    let order: Vec<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(order, queued, "everything, in the order of the changes");
    assert!(received.iter().all(|r| verifies(SECRET, r)));
    assert_eq!(received[0].kind(), "user.created");
    wait_until("all delivered", || async {
        let pending = store
            .count_documents(doc! { "status": { "$ne": "delivered" } })
            .await
            .unwrap();
        (pending == 0).then_some(())
    })
    .await;
    assert_eq!(receiver.received().len(), 4, "once each");
    drop(second);
}

#[test]
fn the_binary_refuses_a_bad_webhook_configuration_naming_the_variable() {
    let base = [
        ("APP_JWT_SECRET", JWT_SECRET),
        ("APP_CODE_PEPPER", PEPPER),
        ("APP_MONGODB_URI", "mongodb://127.0.0.1:9"),
    ];
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("APP_WEBHOOK_URLS", "https://hooks.example.com/in")],
            "APP_WEBHOOK_SECRET",
        ),
        (
            &[
                ("APP_WEBHOOK_URLS", "https://hooks.example.com/in"),
                ("APP_WEBHOOK_SECRET", "whsec_c2hvcnQ="),
            ],
            "APP_WEBHOOK_SECRET",
        ),
        (
            &[
                ("APP_WEBHOOK_URLS", "http://hooks.example.com/in"),
                ("APP_WEBHOOK_SECRET", SECRET),
            ],
            "APP_WEBHOOK_URLS",
        ),
        (
            &[
                ("APP_ENV", "production"),
                ("APP_WEBHOOK_URLS", "https://10.0.0.7/in"),
                ("APP_WEBHOOK_SECRET", SECRET),
            ],
            "APP_WEBHOOK_ALLOW_PRIVATE",
        ),
    ];
    for (vars, named) in cases {
        let all: Vec<(&str, &str)> = base.iter().chain(vars).copied().collect();
        let mut backend = Backend::spawn(&all);
        let status = crate::support::wait_exit(&mut backend.child, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{vars:?}: still running"));
        let output = backend.output();
        assert_eq!(status.code(), Some(2), "{vars:?}: {output}");
        assert!(output.contains(named), "{vars:?} names {named}: {output}");
        assert!(
            !output.contains("c2hvcnQ"),
            "the secret is not echoed: {output}"
        );
    }
}
