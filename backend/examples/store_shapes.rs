//! What each hot store operation costs as its collection grows (issue 32, part 1): the median
//! and p99 of `STORE_BENCH_CALLS` calls (default 200) of the real [`Store`] functions against
//! collections of each size in `STORE_BENCH_SIZES` (default `20000,200000`), seeded directly
//! with `insert_many`. A measurement, not a test: its numbers go to `docs/database.md`.
//!
//! ```text
//! STORE_BENCH_URI=mongodb://127.0.0.1:27024 cargo run --release -p backend --example store_shapes
//! ```
//!
//! `STORE_BENCH_ONLY=outbox` runs the outbox claim alone. `STORE_BENCH_ONLY=ttl` measures instead the write latency on `sessions` while the server's
//! TTL monitor purges 10,000 expired sessions (and, with `STORE_BENCH_SWEEP=1`, while this
//! store's own paced clean-up removes them).

use std::time::{Duration, Instant};

use backend::{
    domain::CodePurpose,
    store::{ChallengePurpose, Rotation, Store},
};
use mongodb::{
    bson::{doc, oid::ObjectId, spec::BinarySubtype, Binary, DateTime, Document},
    Collection, Database,
};

const BATCH: usize = 5_000;

/// Whether `STORE_BENCH_ONLY` (unset: everything but `ttl`) asks for `section`.
fn want(section: &str) -> bool {
    let only = env("STORE_BENCH_ONLY", "");
    only.is_empty() || only == section
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn at(now: DateTime, secs: i64) -> DateTime {
    DateTime::from_millis(now.timestamp_millis() + secs * 1000)
}

fn tag(n: u64) -> Binary {
    Binary {
        subtype: BinarySubtype::Generic,
        bytes: n.to_be_bytes().repeat(4),
    }
}

/// Inserts `n` documents made by `make(i)` in batches.
async fn seed(coll: &Collection<Document>, n: usize, make: impl Fn(usize) -> Document) {
    let mut i = 0;
    while i < n {
        let end = (i + BATCH).min(n);
        coll.insert_many((i..end).map(&make))
            .await
            .expect("seed insert_many");
        i = end;
    }
}

fn session(i: usize, now: DateTime, expires_at: DateTime) -> Document {
    doc! {
        "_id": format!("{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15 + 1),
        "user_id": ObjectId::new(),
        "created_at": now, "last_used_at": now,
        "absolute_expires_at": at(now, 30 * 86_400), "expires_at": expires_at,
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "generation": 0_i64,
        "refresh_hash": format!("{:064x}", i),
        "method": "password",
    }
}

struct Stat {
    median: Duration,
    p99: Duration,
}

fn stat(mut took: Vec<Duration>) -> Stat {
    took.sort();
    let n = took.len();
    Stat {
        median: took[n / 2],
        p99: took[((n * 99) / 100).min(n - 1)],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn time<F, Fut>(calls: usize, mut f: F) -> Stat
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut took = Vec::with_capacity(calls);
    for i in 0..calls {
        let start = Instant::now();
        f(i).await;
        took.push(start.elapsed());
    }
    stat(took)
}

fn report(size: usize, shape: &str, s: &Stat) {
    println!(
        "{size:>7} | {shape:<44} | median {:>10} | p99 {:>10}",
        ms(s.median),
        ms(s.p99)
    );
}

async fn open(uri: &str, name: &str) -> (Store, Database) {
    let store = Store::connect(&uri.to_owned().into(), name, Duration::from_secs(10))
        .await
        .expect("connect");
    store.ensure_indexes().await.expect("indexes");
    let db = store.database().clone();
    (store, db)
}

async fn shapes(uri: &str, size: usize, calls: usize) {
    let name = format!("bench_shapes_{size}_{}", uuid::Uuid::new_v4().simple());
    let (store, db) = open(uri, &name).await;
    let now = DateTime::now();
    let later = at(now, 3_600);
    let raw = |c: &str| db.collection::<Document>(c);

    if !want("sessions") {
        return outbox_only(&store, &db, size, calls, now, later).await;
    }
    // Sessions: `size` live ones; the measured one among them.
    seed(&raw("sessions"), size, |i| session(i, now, later)).await;
    let sid = format!("{:032x}", 7_u128 * 0x9e37_79b9_7f4a_7c15 + 1);
    let user = store
        .find_session(&sid)
        .await
        .unwrap()
        .expect("seeded")
        .user_id;
    let s = time(calls, |i| {
        let (store, sid) = (&store, &sid);
        async move {
            // A refresh: the session read by `_id`, then rotated from what was read.
            let read = store.find_session(sid).await.unwrap().expect("seeded");
            assert_eq!(read.generation, i as i64);
            let rotated = store
                .rotate_session(
                    read,
                    Rotation {
                        refresh_hash: "ab",
                        now,
                        expires_at: later,
                        ip: "203.0.113.8",
                        user_agent: "bench",
                    },
                )
                .await
                .unwrap();
            assert!(rotated.is_some(), "rotation {i}");
        }
    })
    .await;
    report(size, "rotate_session (refresh)", &s);
    let s = time(calls, |_| async {
        assert!(store.record_step_up(&sid, now).await.unwrap());
    })
    .await;
    report(size, "update_one {_id} (record_step_up)", &s);
    let s = time(calls, |_| async {
        assert!(store
            .find_live_session(&sid, user, now)
            .await
            .unwrap()
            .is_some());
    })
    .await;
    report(size, "find_one {_id, ...} (find_live_session)", &s);
    // Writes to `sessions` while another client refreshes in a loop.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rotator = {
        let (store, stop) = (store.clone(), stop.clone());
        let other = format!("{:032x}", 8_u128 * 0x9e37_79b9_7f4a_7c15 + 1);
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let rotation = Rotation {
                    refresh_hash: "cd",
                    now,
                    expires_at: later,
                    ip: "203.0.113.9",
                    user_agent: "bench",
                };
                if let Ok(Some(read)) = store.find_session(&other).await {
                    let _ = store.rotate_session(read, rotation).await;
                }
            }
        })
    };
    let s = time(calls, |_| async {
        assert!(store.record_step_up(&sid, now).await.unwrap());
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    rotator.await.unwrap();
    report(size, "update_one {_id} while refreshes run", &s);
    let count_calls = (calls / 10).max(5);
    let s = time(count_calls, |_| async {
        store.count_live_sessions(now).await.unwrap();
    })
    .await;
    report(size, "count_live_sessions (the count itself)", &s);

    // Codes: `size` codes; attempts on one of them.
    let codes = raw("verification_codes");
    seed(&codes, size, |i| {
        doc! {
            "_id": format!("user{i}@example.com"), "tag": tag(i as u64), "attempts": 0,
            "expires_at": later, "created_at": now, "locale": "ko",
        }
    })
    .await;
    let s = time(calls, |_| async {
        let code = store
            .take_code_attempt(CodePurpose::Signup, "user7@example.com", now, u32::MAX)
            .await
            .unwrap();
        assert!(code.is_some());
    })
    .await;
    report(size, "take_code_attempt", &s);

    // Email-change codes (keyed by account, naming the new address): delete_codes_of.
    seed(&raw("email_change_codes"), size, |i| {
        doc! {
            "_id": format!("{:024x}", i), "address": format!("new{i}@example.com"),
            "address_key": format!("new{i}@example.com"), "tag": tag(i as u64), "attempts": 0,
            "expires_at": later, "created_at": now, "locale": "ko",
        }
    })
    .await;
    let s = time(calls, |i| {
        let store = &store;
        async move {
            store
                .delete_codes_of(&format!("new{i}@example.com"), &format!("{:024x}", i + 1))
                .await
                .unwrap();
        }
    })
    .await;
    report(size, "delete_codes_of", &s);

    // MFA tickets: failures on one, then `calls` consumed.
    let tickets = raw("mfa_tickets");
    let ticket = |i: usize| {
        doc! {
            "_id": format!("{:064x}", i), "user_id": ObjectId::new(), "epoch": "e",
            "first": "password", "attempts": 0_i64, "created_at": now, "expires_at": later,
        }
    };
    seed(&tickets, size + calls, ticket).await;
    let s = time(calls, |_| async {
        let t = store
            .fail_mfa_ticket(&format!("{:064x}", size + calls - 1), now, u32::MAX)
            .await
            .unwrap();
        assert!(t.is_some());
    })
    .await;
    report(size, "fail_mfa_ticket", &s);
    let s = time(calls, |i| {
        let store = &store;
        async move {
            let t = store
                .consume_mfa_ticket(&format!("{:064x}", size + i), now, u32::MAX)
                .await
                .unwrap();
            assert!(t.is_some());
        }
    })
    .await;
    report(size, "consume_mfa_ticket", &s);

    // Passkeys: assertions on one; login challenges taken.
    let passkeys = raw("passkeys");
    let first = ObjectId::new();
    seed(&passkeys, size, |i| {
        doc! {
            "_id": if i == 0 { first } else { ObjectId::new() }, "user_id": ObjectId::new(),
            "credential_id": format!("cred{i}"), "user_handle": "h", "name": "key",
            "created_at": now, "sign_count": 0_i64, "passkey": "{}",
        }
    })
    .await;
    let s = time(calls, |i| {
        let store = &store;
        async move {
            let used = store
                .record_passkey_use(first, i as u32 + 1, "{}", now)
                .await
                .unwrap();
            assert!(used);
        }
    })
    .await;
    report(size, "record_passkey_use", &s);
    seed(&raw("webauthn_challenges"), size + calls, |i| {
        doc! { "_id": format!("c{i}"), "purpose": "login", "state": "{}", "expires_at": later }
    })
    .await;
    let s = time(calls, |i| {
        let store = &store;
        async move {
            let c = store
                .take_challenge(
                    &format!("c{}", size + i),
                    ChallengePurpose::Login,
                    None,
                    now,
                )
                .await
                .unwrap();
            assert!(c.is_some());
        }
    })
    .await;
    report(size, "take_challenge", &s);

    if !want("outbox") {
        db.drop().await.expect("drop");
        return;
    }
    outbox_only(&store, &db, size, calls, now, later).await;
}

async fn outbox_only(
    store: &Store,
    db: &Database,
    size: usize,
    calls: usize,
    now: DateTime,
    later: DateTime,
) {
    let raw = |c: &str| db.collection::<Document>(c);
    // Outbox: `size` notices not yet due (backed off), `calls` due ones claimed.
    seed(&raw("mail_outbox"), size + calls, |i| {
        let next_at = if i < size { later } else { at(now, -60) };
        doc! {
            "_id": ObjectId::new(), "to": format!("user{i}@example.com"), "locale": "ko",
            "notice": { "kind": "password_changed" }, "created_at": now, "attempts": 1,
            "next_at": next_at, "lease_until": next_at, "expires_at": at(now, 86_400),
        }
    })
    .await;
    let s = time(calls, |_| async {
        let claimed = store.claim_outbox(now, later).await.unwrap();
        assert!(claimed.is_some());
    })
    .await;
    report(size, "claim_outbox", &s);

    db.drop().await.expect("drop");
}

/// Write latency on `sessions` while 10,000 expired sessions are cleaned up.
async fn ttl(uri: &str, calls: usize) {
    let name = format!("bench_ttl_{}", uuid::Uuid::new_v4().simple());
    let (store, db) = open(uri, &name).await;
    let admin = db.client().database("admin");
    let now = DateTime::now();
    let sessions = db.collection::<Document>("sessions");
    // 20,000 live sessions, the one written among them.
    seed(&sessions, 20_000, |i| session(i, now, at(now, 3_600))).await;
    let sid = format!("{:032x}", 7_u128 * 0x9e37_79b9_7f4a_7c15 + 1);
    let idle = time(calls, |_| async {
        assert!(store.record_step_up(&sid, now).await.unwrap());
    })
    .await;
    report(20_000, "update_one {_id}, idle", &idle);

    // Keep the monitor off while the expired ones go in, then let it sweep every second.
    admin
        .run_command(doc! { "setParameter": 1, "ttlMonitorEnabled": false })
        .await
        .expect("ttl off");
    seed(&sessions, 10_000, |i| {
        session(100_000 + i, now, at(now, -60))
    })
    .await;
    let sweep = std::env::var("STORE_BENCH_SWEEP").is_ok_and(|v| v == "1");
    let status = || async {
        let s = admin
            .run_command(doc! { "serverStatus": 1 })
            .await
            .expect("serverStatus");
        s.get_document("metrics")
            .and_then(|m| m.get_document("ttl"))
            .map(|t| t.get_i64("deletedDocuments").unwrap_or(0))
            .unwrap_or(0)
    };
    let before = status().await;
    let cleaner = if sweep {
        let store = store.clone();
        Some(tokio::spawn(async move {
            let started = Instant::now();
            let removed = store.sweep_expired_sessions(DateTime::now()).await;
            (removed, started.elapsed())
        }))
    } else {
        admin
            .run_command(doc! { "setParameter": 1, "ttlMonitorSleepSecs": 1 })
            .await
            .expect("ttl every second");
        admin
            .run_command(doc! { "setParameter": 1, "ttlMonitorEnabled": true })
            .await
            .expect("ttl on");
        None
    };
    let mut took = vec![];
    let started = Instant::now();
    loop {
        let t = Instant::now();
        assert!(store.record_step_up(&sid, now).await.unwrap());
        took.push(t.elapsed());
        let done = match &cleaner {
            Some(cleaner) => cleaner.is_finished(),
            None => status().await - before >= 10_000,
        };
        if done || started.elapsed() > Duration::from_secs(180) {
            break;
        }
    }
    let all = started.elapsed();
    if let Some(cleaner) = cleaner {
        let (removed, in_time) = cleaner.await.expect("sweep");
        println!("own clean-up: {removed:?} in {in_time:?}");
    }
    println!(
        "TTL monitor deleted {} documents; {} writes over {all:?}, max {}",
        status().await - before,
        took.len(),
        ms(*took.iter().max().unwrap())
    );
    report(20_000, "update_one {_id}, during the purge", &stat(took));
    admin
        .run_command(
            doc! { "setParameter": 1, "ttlMonitorSleepSecs": 60, "ttlMonitorEnabled": true },
        )
        .await
        .expect("ttl back");
    db.drop().await.expect("drop");
}

#[tokio::main]
async fn main() {
    let uri = env("STORE_BENCH_URI", "mongodb://127.0.0.1:27024");
    let calls: usize = env("STORE_BENCH_CALLS", "200")
        .parse()
        .expect("STORE_BENCH_CALLS");
    if env("STORE_BENCH_ONLY", "") == "ttl" {
        ttl(&uri, calls).await;
        return;
    }
    for size in env("STORE_BENCH_SIZES", "20000,200000").split(',') {
        let size: usize = size.trim().parse().expect("STORE_BENCH_SIZES");
        shapes(&uri, size, calls).await;
    }
}
