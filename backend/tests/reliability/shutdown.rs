//! SIGTERM to the real binary under load: in-flight requests finish, new connections are
//! refused, the process exits 0 within `APP_SHUTDOWN_GRACE_SECS`.

use std::{
    net::TcpStream,
    time::{Duration, Instant},
};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{MailServer, JWT_SECRET, PASSWORD, PEPPER};
use crate::support::{send_signal, wait_exit, wait_ready, Answer, Backend, DbServer};

/// Long enough that 48 argon2 logins drain within it on a loaded two-core machine (they took
/// about 5 s on CI), so that exiting before it shows the process left as soon as it drained
/// rather than waiting the grace out; the test only takes as long as the drain.
const GRACE_SECS: u64 = 20;
const LOGINS: usize = 48;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_finishes_in_flight_requests_and_exits_0() {
    let db = DbServer::start();
    let mail = MailServer::start();
    let smtp_port = mail.port.to_string();
    let grace = GRACE_SECS.to_string();
    let mut backend = Backend::spawn(&[
        ("APP_MONGODB_URI", db.uri().as_str()),
        ("APP_MONGODB_DB", "shutdown"),
        ("APP_SMTP_PORT", smtp_port.as_str()),
        ("APP_JWT_SECRET", JWT_SECRET),
        ("APP_CODE_PEPPER", PEPPER),
        ("APP_SHUTDOWN_GRACE_SECS", grace.as_str()),
        // One hash at a time: 48 logins queue for a second or more (a queue long enough for all
        // of them: shedding load is tests/api/hash_queue.rs's subject, not this one's).
        ("APP_HASH_CONCURRENCY", "1"),
        ("APP_HASH_QUEUE", "64"),
        ("APP_RATE_LIMIT_PER_SECOND", "100000"),
        ("APP_RATE_LIMIT_BURST", "100000"),
        ("APP_LOGIN_MAX_FAILURES", "100000"),
        // "request started" lines: the signal waits until every login has reached the server.
        ("RUST_LOG", "info,backend::telemetry=debug"),
    ]);
    let address = backend.address();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    wait_ready(&client, &address, Duration::from_secs(30)).await;

    // One account, through the API as a person would make it.
    let signup =
        json!({"username": "shutdown_user", "nickname": "shutdown", "email": "s@example.com"});
    let r = client
        .post(format!("{address}/api/email_auth"))
        .json(&signup)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
    let code = mail.code_for("s@example.com").await;
    let r = client
        .post(format!("{address}/api/register"))
        .json(
            &json!({"username": "shutdown_user", "password": PASSWORD, "nickname": "shutdown",
                      "email": "s@example.com", "code": code}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());

    // Many logins at once, each on its own connection; half right, half wrong.
    let started = Instant::now();
    let logins = join_all((0..LOGINS).map(|i| {
        let client = client.clone();
        let address = address.clone();
        tokio::spawn(async move {
            let password = if i % 2 == 0 {
                PASSWORD
            } else {
                "not the password"
            };
            let sent = client
                .post(format!("{address}/api/login"))
                .json(&json!({"username": "shutdown_user", "password": password}))
                .send()
                .await;
            let answer = match sent {
                Ok(r) => Answer::read(r).await.map_err(|e| format!("{e:?}")),
                Err(e) => Err(format!("{e:?}")),
            };
            (i, answer, Instant::now())
        })
    }));
    let logins = tokio::spawn(logins);
    // Signal once every login is in the server (its "request started" line is logged) and,
    // with one hashing thread, most are still waiting: no guess at how long that takes.
    let arrived = || {
        backend
            .output()
            .lines()
            .filter(|l| l.contains("request started") && l.contains("/api/login"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrived() < LOGINS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(arrived(), LOGINS, "not every login reached the server");

    let pid = backend.child.id();
    let signalled = Instant::now();
    send_signal(pid, "TERM");

    // New connections are refused soon after the signal.
    let refused_after = tokio::task::block_in_place(|| {
        while signalled.elapsed() < Duration::from_secs(3) {
            match TcpStream::connect_timeout(
                &format!("127.0.0.1:{}", backend.port).parse().unwrap(),
                Duration::from_millis(200),
            ) {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Some(signalled.elapsed())
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        None
    });

    let results = logins.await.unwrap();
    let exit = tokio::task::block_in_place(|| {
        wait_exit(&mut backend.child, Duration::from_secs(GRACE_SECS + 5))
    });
    let exited_after = signalled.elapsed();

    let mut finished_after_signal = 0;
    let mut bad = vec![];
    for r in results {
        let (i, answer, ended) = r.unwrap();
        if ended > signalled {
            finished_after_signal += 1;
        }
        let expected = if i % 2 == 0 { 200 } else { 401 };
        match answer {
            Ok(a) if a.status == expected => {}
            other => bad.push((i, other)),
        }
    }
    eprintln!(
        "SHUTDOWN: {LOGINS} logins started {:?} before SIGTERM, {finished_after_signal} still in \
         flight at the signal; {} wrong answers; new connections refused {refused_after:?} after \
         the signal; process exited {exit:?} {exited_after:?} after the signal (grace {GRACE_SECS} s)",
        signalled - started,
        bad.len(),
    );
    assert!(bad.is_empty(), "in-flight requests failed: {bad:#?}");
    assert!(
        finished_after_signal > 0,
        "the test put nothing in flight at the signal"
    );
    assert!(
        refused_after.is_some(),
        "new connections still accepted 3 s after SIGTERM"
    );
    let exit = exit.unwrap_or_else(|| panic!("did not exit in time:\n{}", backend.output()));
    assert_eq!(
        exit.code(),
        Some(0),
        "exit status; output:\n{}",
        backend.output()
    );
    assert!(
        exited_after < Duration::from_secs(GRACE_SECS),
        "exit took {exited_after:?}"
    );
}
