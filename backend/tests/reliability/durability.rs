//! What the database server promises about acknowledged writes when it is killed: the
//! property the "no account lost" guarantee stands on. Writers insert continuously with a
//! given write concern; the server is SIGKILLed; after a restart every acknowledged document
//! must be there.
//!
//! Measured on secantusd-rs 0.5.3-beta.193: without `--sync-on-commit` a SIGKILL loses a few
//! percent of the writes acknowledged in the last moments, with `j: true` too; with it,
//! none. So the server must run with `--sync-on-commit` wherever accounts matter.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use mongodb::{
    bson::{doc, Document},
    options::{Acknowledgment, WriteConcern},
    Client,
};

use crate::support::DbServer;

/// Returns (acknowledged, missing after the restart).
async fn acknowledged_then_killed(
    server_args: &[&str],
    journal: bool,
    signal: &str,
) -> (usize, Vec<i64>) {
    let mut db = DbServer::start_with(server_args);
    let uri = format!("{}/?serverSelectionTimeoutMS=1000", db.uri());
    let client = Client::with_uri_str(&uri).await.unwrap();
    let concern = WriteConcern::builder()
        .w(Acknowledgment::Majority)
        .journal(journal)
        .build();
    let docs = client
        .database("durability")
        .collection_with_options::<Document>(
            "docs",
            mongodb::options::CollectionOptions::builder()
                .write_concern(concern)
                .build(),
        );
    docs.insert_one(doc! {"n": -1_i64}).await.unwrap();
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8_i64)
        .map(|w| {
            let docs = docs.clone();
            let acked = acked.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut i = 0_i64;
                while !stop.load(Ordering::SeqCst) {
                    let n = w * 1_000_000 + i;
                    if docs.insert_one(doc! {"n": n}).await.is_ok() {
                        acked.lock().unwrap().push(n);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    // Kill once writes are flowing (a few hundred acknowledged), not after a guessed delay.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 300 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::task::block_in_place(|| db.stop(signal));
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    tokio::task::block_in_place(|| db.restart());
    let client = Client::with_uri_str(db.uri()).await.unwrap();
    let docs = client.database("durability").collection::<Document>("docs");
    let acked = acked.lock().unwrap().clone();
    let stored: std::collections::HashSet<i64> = crate::support::documents(docs.find(doc! {}))
        .await
        .iter()
        .map(|d| d.get_i64("n").unwrap())
        .collect();
    let missing = acked
        .iter()
        .copied()
        .filter(|n| !stored.contains(n))
        .collect();
    (acked.len(), missing)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill() {
    for (args, journal, signal) in [
        (&[][..], false, "TERM"),
        (&[][..], false, "KILL"),
        (&[][..], true, "KILL"),
        (&["--sync-on-commit"][..], false, "KILL"),
        (&["--sync-on-commit"][..], true, "KILL"),
    ] {
        let (acked, missing) = acknowledged_then_killed(args, journal, signal).await;
        eprintln!(
            "DURABILITY (server {args:?}, w: majority, j: {journal}, SIG{signal}): {acked} \
             inserts acknowledged, {} missing after restart",
            missing.len()
        );
        if args.contains(&"--sync-on-commit") || signal == "TERM" {
            assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
        }
    }
}
