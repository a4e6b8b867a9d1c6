//! Start-up of the real binary: weak configuration is refused loudly; a missing database is
//! waited for, not fatal.

use std::time::{Duration, Instant};

use crate::helpers::{JWT_SECRET, PEPPER};
use crate::support::{free_port, wait_exit, wait_ready, Answer, Backend, DbServer};

#[test]
fn production_refuses_a_missing_or_short_jwt_secret() {
    let long_pepper = PEPPER;
    let cases: [(&str, Vec<(&str, &str)>); 3] = [
        ("missing", vec![("APP_CODE_PEPPER", long_pepper)]),
        (
            "short",
            vec![
                ("APP_JWT_SECRET", "too-short-secret"),
                ("APP_CODE_PEPPER", long_pepper),
            ],
        ),
        (
            "blank",
            vec![("APP_JWT_SECRET", "   "), ("APP_CODE_PEPPER", long_pepper)],
        ),
    ];
    for (name, vars) in cases {
        let mut vars = vars;
        vars.push(("APP_ENV", "production"));
        let started = Instant::now();
        let mut backend = Backend::spawn(&vars);
        let status = wait_exit(&mut backend.child, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{name}: still running after 10 s"));
        let took = started.elapsed();
        let log = format!("{name} APP_JWT_SECRET): {status} after {took:?}");
        let output = refused_to_start(&backend, status, &log, name);
        assert!(
            output.contains("APP_JWT_SECRET"),
            "{name}: message does not name the variable: {output}"
        );
        assert!(took < Duration::from_secs(5), "{name}: took {took:?}");
    }

    // The same settings with a proper secret start (the refusal above was about the secret).
    let mut backend = Backend::spawn(&[
        ("APP_ENV", "production"),
        ("APP_JWT_SECRET", JWT_SECRET),
        ("APP_CODE_PEPPER", PEPPER),
        ("APP_MONGODB_URI", "mongodb://127.0.0.1:9"),
    ]);
    // Started means serving: wait for the liveness probe to answer (the database is
    // unreachable, so readiness would not), failing at once if the process exits instead.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let live = loop {
        assert!(
            backend.child.try_wait().unwrap().is_none(),
            "a correct production configuration did not start: {}",
            backend.output()
        );
        if live_answers(backend.port) {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(live, "never answered /health/live: {}", backend.output());
}

/// A secret that is given must be strong in development too: one token signed with a 5-byte
/// key lets anyone find the key offline and sign tokens for every account.
#[test]
fn development_refuses_a_short_secret_or_pepper() {
    for (key, vars) in [
        (
            "APP_JWT_SECRET",
            vec![("APP_JWT_SECRET", "12345"), ("APP_CODE_PEPPER", PEPPER)],
        ),
        (
            "APP_CODE_PEPPER",
            vec![("APP_JWT_SECRET", JWT_SECRET), ("APP_CODE_PEPPER", "12345")],
        ),
        (
            "APP_JWT_PREVIOUS_SECRET",
            vec![
                ("APP_JWT_SECRET", JWT_SECRET),
                ("APP_CODE_PEPPER", PEPPER),
                ("APP_JWT_PREVIOUS_SECRET", "12345"),
            ],
        ),
        // Only one given: the other would be generated, the given one is still checked.
        ("APP_JWT_SECRET", vec![("APP_JWT_SECRET", "12345")]),
    ] {
        for env in [None, Some("development")] {
            let mut vars = vars.clone();
            vars.push(("APP_MONGODB_URI", "mongodb://127.0.0.1:9"));
            if let Some(env) = env {
                vars.push(("APP_ENV", env));
            }
            let mut backend = Backend::spawn(&vars);
            let status = wait_exit(&mut backend.child, Duration::from_secs(10))
                .unwrap_or_else(|| panic!("{key} ({env:?}): still running after 10 s"));
            let log = format!("5-byte {key}, APP_ENV={env:?}): {status}");
            let output = refused_to_start(&backend, status, &log, &format!("{key} ({env:?})"));
            assert!(
                output.contains(key) && output.contains("at least 32"),
                "{key} ({env:?}): message does not name the variable: {output}"
            );
        }
    }
}

/// The answer to `request`, read whole.
async fn answer(request: reqwest::RequestBuilder) -> Answer {
    Answer::read(request.send().await.unwrap()).await.unwrap()
}

/// What a backend that had to refuse to start printed (logged as `STARTUP (log: …`), after
/// asserting that it did refuse (`who` names the case).
fn refused_to_start(
    backend: &Backend,
    status: std::process::ExitStatus,
    log: &str,
    who: &str,
) -> String {
    let output = backend.output();
    eprintln!("STARTUP ({log}: {}", output.trim());
    assert!(!status.success(), "{who}: started anyway");
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_without_the_database_and_becomes_ready_when_it_appears() {
    let db_port = free_port();
    let uri = format!("mongodb://127.0.0.1:{db_port}");
    let backend = Backend::spawn(&[
        ("APP_MONGODB_URI", uri.as_str()),
        ("APP_MONGODB_TIMEOUT_SECS", "1"),
        ("APP_JWT_SECRET", JWT_SECRET),
        ("APP_CODE_PEPPER", PEPPER),
    ]);
    let address = backend.address();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Live as soon as it listens.
    let started = Instant::now();
    let live = loop {
        if let Ok(r) = client.get(format!("{address}/health/live")).send().await {
            break r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never listened: {}",
            backend.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(live.status(), 200);

    // Not ready, and the API says 503, for as long as the database is missing.
    for _ in 0..2 {
        let ready = answer(client.get(format!("{address}/health/ready"))).await;
        assert!(ready.is_unavailable(), "{ready:?}");
        let nobody = serde_json::json!({"username": "nobody", "password": "whatever1"});
        let login = answer(client.post(format!("{address}/api/login")).json(&nobody)).await;
        assert!(login.is_unavailable(), "{login:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The database appears: ready without a restart.
    let db = tokio::task::block_in_place(|| DbServer::start_on(db_port));
    let became_ready = wait_ready(&client, &address, Duration::from_secs(30)).await;
    eprintln!(
        "STARTUP (database down at start): ready {became_ready:?} after the database came up"
    );
    let login = client
        .post(format!("{address}/api/login"))
        .json(&serde_json::json!({"username": "nobody", "password": "whatever1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
    drop(db);
}

/// Whether `GET /health/live` on `port` answers 200 (a blocking, dependency-free request).
fn live_answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
