//! The database server dies under load (SIGTERM, then SIGKILL) and comes back on the same port
//! and data directory: every request is answered in bounded time, every failure is a 503
//! problem with `Retry-After`, readiness follows the database, the API recovers without a
//! restart, and the accounts in the database are exactly those that got a 201.

use std::{
    collections::{BTreeSet, VecDeque},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use futures_util::future::join_all;
use mongodb::bson::Document;
use serde_json::json;

use crate::helpers::{person, TestApp, PASSWORD};
use crate::support::{spawn_app_on, wait_ready, Answer, DbServer};

/// `APP_MONGODB_TIMEOUT_SECS` in this test.
const DB_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest acceptable answer during the outage. A registration can wait for the database
/// twice (the attempt, then the insert after hashing; the driver retries a write once), so
/// the bound is a few timeouts, not one; a hang would be 30 s or more.
const ANSWER_BOUND: Duration = Duration::from_secs(3 * 2 + 2);
const REGISTER_WORKERS: usize = 6;
const LOGIN_WORKERS: usize = 2;
/// Prepared registrations (with mailed codes) per outage.
const PER_OUTAGE: usize = 150;
const SIGNALS: [&str; 2] = ["TERM", "KILL"];

#[derive(Debug, Clone)]
struct Prepared {
    username: String,
    nickname: String,
    email: String,
    code: String,
}

#[derive(Debug, Clone)]
struct Record {
    kind: &'static str,
    username: Option<String>,
    started: Instant,
    ended: Instant,
    answer: Result<Answer, String>,
}

impl Record {
    fn latency(&self) -> Duration {
        self.ended - self.started
    }
}

struct Load {
    queue: Mutex<VecDeque<Prepared>>,
    /// Registrations answered 503: retried after recovery with the same code.
    retry: Mutex<Vec<Prepared>>,
    records: Mutex<Vec<Record>>,
    stop: AtomicBool,
    /// Requests sent and not yet answered.
    in_flight: std::sync::atomic::AtomicUsize,
}

/// What the client made of a request: the answer, or the error, as text.
async fn answer_of(sent: reqwest::Result<reqwest::Response>) -> Result<Answer, String> {
    match sent {
        Ok(r) => Answer::read(r).await.map_err(|e| format!("{e:?}")),
        Err(e) => Err(format!("{e:?}")),
    }
}

async fn register(app: &TestApp, p: &Prepared) -> Record {
    let started = Instant::now();
    let sent = app
        .client
        .post(app.url("/api/register"))
        .json(
            &json!({"username": p.username, "password": PASSWORD, "nickname": p.nickname,
                      "email": p.email, "code": p.code}),
        )
        .send()
        .await;
    let answer = answer_of(sent).await;
    Record {
        kind: "register",
        username: Some(p.username.clone()),
        started,
        ended: Instant::now(),
        answer,
    }
}

async fn login(app: &TestApp, username: &str, password: &str) -> Record {
    let started = Instant::now();
    let sent = app
        .client
        .post(app.url("/api/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await;
    let answer = answer_of(sent).await;
    Record {
        kind: "login",
        username: None,
        started,
        ended: Instant::now(),
        answer,
    }
}

async fn register_worker(app: Arc<TestApp>, load: Arc<Load>) {
    while !load.stop.load(Ordering::SeqCst) {
        let next = load.queue.lock().unwrap().pop_front();
        let Some(p) = next else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        load.in_flight.fetch_add(1, Ordering::SeqCst);
        let record = register(&app, &p).await;
        load.in_flight.fetch_sub(1, Ordering::SeqCst);
        if matches!(&record.answer, Ok(a) if a.status == 503) {
            load.retry.lock().unwrap().push(p);
        }
        load.records.lock().unwrap().push(record);
        // Paced so that each outage's batch lasts through it.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn login_worker(app: Arc<TestApp>, load: Arc<Load>, n: usize) {
    let mut i = 0;
    while !load.stop.load(Ordering::SeqCst) {
        let password = if (i + n).is_multiple_of(2) {
            PASSWORD
        } else {
            "wrong password!"
        };
        load.in_flight.fetch_add(1, Ordering::SeqCst);
        let record = login(&app, "steady_user", password).await;
        load.in_flight.fetch_sub(1, Ordering::SeqCst);
        load.records.lock().unwrap().push(record);
        i += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Figures of one outage.
#[derive(Debug)]
struct Figures {
    signal: &'static str,
    killed_at: Instant,
    in_flight_at_kill: usize,
    during_outage: usize,
    unavailable: usize,
    db_exit: Duration,
    recovery: Duration,
    first_201_after_restart: Option<Duration>,
    max_latency: Duration,
}

async fn one_outage(
    app: &Arc<TestApp>,
    db: &mut DbServer,
    load: &Arc<Load>,
    signal: &'static str,
    batch: Vec<Prepared>,
) -> Figures {
    *load.queue.lock().unwrap() = batch.into();
    load.stop.store(false, Ordering::SeqCst);
    let first_record = load.records.lock().unwrap().len();
    let mut workers = vec![];
    for _ in 0..REGISTER_WORKERS {
        workers.push(tokio::spawn(register_worker(app.clone(), load.clone())));
    }
    for n in 0..LOGIN_WORKERS {
        workers.push(tokio::spawn(login_worker(app.clone(), load.clone(), n)));
    }
    // Kill the database once the load is flowing (answers are coming back) and requests are
    // in flight at that moment: conditions, not a head start that a slow runner outgrows.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answered = load.records.lock().unwrap().len() - first_record;
        if (answered >= 10 && load.in_flight.load(Ordering::SeqCst) >= 2)
            || Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    // Kill the database with requests in flight.
    let killed_at = Instant::now();
    let db_exit = tokio::task::block_in_place(|| db.stop(signal));

    // While it is down: live stays 200, ready turns 503 (problem+json with Retry-After).
    let live = Answer::read(app.get("/health/live").await).await.unwrap();
    assert_eq!(live.status, 200, "live during outage: {live:?}");
    let ready = Answer::read(app.get("/health/ready").await).await.unwrap();
    assert!(ready.is_unavailable(), "ready during outage: {ready:?}");
    tokio::time::sleep((killed_at + DB_TIMEOUT * 2).saturating_duration_since(Instant::now()))
        .await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status(), 200);

    // Bring it back on the same port and data directory; the app must recover by itself.
    tokio::task::block_in_place(|| db.restart());
    let restarted_at = Instant::now();
    let recovery = wait_ready(&app.client, &app.address, Duration::from_secs(30)).await;
    let ready_at = Instant::now();
    // Keep the load on until a registration started after the restart has succeeded (or the
    // batch is used up): that is what recovery means to a person.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let registered_since = load.records.lock().unwrap()[first_record..]
            .iter()
            .any(|r| r.started >= ready_at && matches!(&r.answer, Ok(a) if a.status == 201));
        let batch_done = load.queue.lock().unwrap().is_empty();
        if registered_since || batch_done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    load.stop.store(true, Ordering::SeqCst);
    for w in join_all(workers).await {
        w.unwrap();
    }

    let records = load.records.lock().unwrap()[first_record..].to_vec();
    let overlaps = |r: &&Record, from: Instant, to: Instant| r.started < to && r.ended > from;
    let in_flight_at_kill = records
        .iter()
        .filter(|r| overlaps(r, killed_at, killed_at))
        .count();
    let outage: Vec<&Record> = records
        .iter()
        .filter(|r| overlaps(r, killed_at, ready_at))
        .collect();
    let unavailable = records
        .iter()
        .filter(|r| matches!(&r.answer, Ok(a) if a.status == 503))
        .count();
    let first_201_after_restart = records
        .iter()
        .filter(|r| r.started >= restarted_at)
        .filter(|r| matches!(&r.answer, Ok(a) if a.status == 201))
        .map(|r| r.ended - restarted_at)
        .min();
    Figures {
        signal,
        killed_at,
        in_flight_at_kill,
        during_outage: outage.len(),
        unavailable,
        db_exit,
        recovery,
        first_201_after_restart,
        max_latency: records
            .iter()
            .map(Record::latency)
            .max()
            .unwrap_or_default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_outage_under_load_answers_503_recovers_and_loses_nothing() {
    // Durable commits, as the database must run wherever accounts matter: without this flag a
    // SIGKILL loses acknowledged writes (see `durability.rs`).
    let mut db = DbServer::start_with(&["--sync-on-commit"]);
    let timeout = DB_TIMEOUT.as_secs().to_string();
    let app = Arc::new(
        spawn_app_on(
            &db.uri(),
            &[
                ("APP_MONGODB_TIMEOUT_SECS", timeout.as_str()),
                ("APP_CODES_PER_EMAIL_PER_HOUR", "100"),
            ],
        )
        .await,
    );

    // One steady account for the logins, and codes for the registrations, all before the
    // faults start.
    app.sign_up(&person("steady_user", "steady", "steady@example.com"))
        .await;
    let mut prepared: Vec<Prepared> = join_all((0..PER_OUTAGE * SIGNALS.len()).map(|i| {
        let app = app.clone();
        async move {
            let p = Prepared {
                username: format!("outage_{i}"),
                nickname: format!("outage {i}"),
                email: format!("outage{i}@example.com"),
                code: String::new(),
            };
            let code = app
                .request_code(&person(&p.username, &p.nickname, &p.email))
                .await;
            Prepared { code, ..p }
        }
    }))
    .await;
    let load = Arc::new(Load {
        queue: Mutex::new(VecDeque::new()),
        retry: Mutex::new(vec![]),
        records: Mutex::new(vec![]),
        stop: AtomicBool::new(false),
        in_flight: std::sync::atomic::AtomicUsize::new(0),
    });

    let mut figures = vec![];
    for signal in SIGNALS {
        let batch = prepared.split_off(prepared.len() - PER_OUTAGE);
        figures.push(one_outage(&app, &mut db, &load, signal, batch).await);
    }

    // Clients retry what got 503, with the same code: the code was not consumed.
    let retries: Vec<Prepared> = std::mem::take(&mut *load.retry.lock().unwrap());
    let mut retried_201 = 0;
    for p in &retries {
        let record = register(&app, p).await;
        let answer = record.answer.clone().expect("retry answered");
        if answer.status == 201 {
            retried_201 += 1;
        }
        load.records.lock().unwrap().push(record);
    }

    let records = load.records.lock().unwrap().clone();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut failures = vec![];
    for r in &records {
        match &r.answer {
            Err(e) => failures.push(format!(
                "{} transport error after {:?}: {e}",
                r.kind,
                r.latency()
            )),
            Ok(a) => {
                *statuses.entry(a.status).or_default() += 1;
                let expected = match r.kind {
                    "register" => a.status == 201 || a.is_unavailable(),
                    _ => a.status == 200 || a.status == 401 || a.is_unavailable(),
                };
                if !expected {
                    failures.push(format!("{} answered {a:?}", r.kind));
                }
                if a.status >= 400 && a.problem_code().is_none() {
                    failures.push(format!("{} answered a non-problem error {a:?}", r.kind));
                }
            }
        }
        if r.latency() > ANSWER_BOUND {
            failures.push(format!("{} took {:?}", r.kind, r.latency()));
        }
    }

    // Exactly the accounts that got a 201 exist.
    let created: BTreeSet<String> = records
        .iter()
        .filter(|r| matches!(&r.answer, Ok(a) if a.status == 201))
        .filter_map(|r| r.username.clone())
        .chain(["steady_user".to_owned()])
        .collect();
    let stored: BTreeSet<String> = app
        .users()
        .await
        .iter()
        .map(|u: &Document| u.get_str("username").unwrap().to_owned())
        .collect();
    let lost: Vec<_> = created.difference(&stored).collect();
    let phantom: Vec<_> = stored.difference(&created).collect();

    for f in &figures {
        eprintln!(
            "OUTAGE (SIG{}): {} requests in flight at the kill, {} in flight during the outage \
             (kill → ready), {} answered 503; database gone {:?} after the signal; ready again \
             {:?} after restart, first 201 {:?} after restart; slowest answer {:?}",
            f.signal,
            f.in_flight_at_kill,
            f.during_outage,
            f.unavailable,
            f.db_exit,
            f.recovery,
            f.first_201_after_restart,
            f.max_latency
        );
    }
    eprintln!(
        "OUTAGE TOTAL: {} requests, statuses {statuses:?}; {} registrations retried after \
         recovery ({} got 201); {} accounts created, {} lost, {} without a 201",
        records.len(),
        retries.len(),
        retried_201,
        created.len(),
        lost.len(),
        phantom.len()
    );

    for name in &lost {
        let r = records.iter().find(|r| {
            r.username.as_ref() == Some(*name) && matches!(&r.answer, Ok(a) if a.status == 201)
        });
        if let Some(r) = r {
            for f in &figures {
                eprintln!(
                    "LOST {name}: 201 answered {:?} after SIG{} was sent (negative: before)",
                    r.ended.checked_duration_since(f.killed_at).map_or_else(
                        || format!("-{:?}", f.killed_at - r.ended),
                        |d| format!("{d:?}")
                    ),
                    f.signal
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad answers: {failures:#?}",
        failures.len()
    );
    assert!(lost.is_empty(), "accounts lost: {lost:?}");
    assert!(
        phantom.is_empty(),
        "accounts that never got a 201: {phantom:?}"
    );
    assert_eq!(
        retried_201,
        retries.len(),
        "every retried registration succeeds"
    );
    for f in &figures {
        assert!(
            f.in_flight_at_kill > 0,
            "nothing was in flight at the kill: {f:?}"
        );
        assert!(f.unavailable > 0, "no request saw the outage: {f:?}");
        assert!(
            f.first_201_after_restart.is_some(),
            "no 201 after restart: {f:?}"
        );
    }
}
