//! Every hot store operation stays flat in the size of its collection (issue 32): each one runs
//! against collections of 20,000 documents shaped like the backend's own (the login path's
//! among them), and every command it sends, watched through the driver's command events, must
//! - never be a `findAndModify` (the local server writes it through a collection scan under the
//!   collection's write lock, whatever its filter);
//! - have a filter whose first key is `_id` or the leading field of one of the collection's
//!   indexes, with no top-level `$` operator (`$or`, `$and`, ...): the shape the local server
//!   routes through an index (docs/database.md);
//! - be explained by the server (`explain`, `executionStats`) as examining at most
//!   [`BOUND`] index keys and documents, not the collection.
//!
//! Why both: `secantusd-rs` reports no count of what it examined (`serverStatus` has
//! `opcounters` but no `metrics.document` or `queryExecutor`), and its `explain` is mongod's
//! plan computed by mongod's rules, not a measurement of its own storage layer (its source says
//! so). So `explain` proves the shape bounded on MongoDB, and the routing rule proves it
//! bounded on the local server. The checker is shown to catch each kind of scan first.

use std::sync::{Arc, Mutex};

use backend::{
    domain::CodePurpose,
    store::{Admission, ChallengePurpose, EventKind, Limit, Rotation, Store},
};
use mongodb::{
    bson::{doc, oid::ObjectId, spec::BinarySubtype, Binary, Bson, DateTime, Document},
    event::{command::CommandEvent, EventHandler},
    options::ClientOptions,
    Collection, Database,
};

use crate::helpers::mongodb_uri;

/// Documents in each collection.
const SIZE: usize = 20_000;
/// Index keys, and documents, one command may examine.
const BOUND: i64 = 100;

type Log = Arc<Mutex<Vec<(String, Document)>>>;

struct Watched {
    store: Store,
    db: Database,
    log: Log,
    now: DateTime,
}

fn at(now: DateTime, secs: i64) -> DateTime {
    DateTime::from_millis(now.timestamp_millis() + secs * 1000)
}

fn sid(i: usize) -> String {
    format!("{i:032x}")
}

/// The id of seeded account `i`.
fn user_id(i: usize) -> ObjectId {
    let mut bytes = [0x5c; 12];
    bytes[4..].copy_from_slice(&(i as u64).to_be_bytes());
    ObjectId::from_bytes(bytes)
}

async fn seed(coll: Collection<Document>, make: impl Fn(usize) -> Document) {
    for start in (0..SIZE).step_by(5_000) {
        coll.insert_many((start..(start + 5_000).min(SIZE)).map(&make))
            .await
            .expect("seed");
    }
}

/// A fresh database with its indexes and 20,000 documents in each hot collection; a store on
/// a client whose commands are logged.
async fn watched() -> Watched {
    let log: Log = Arc::default();
    let mut options = ClientOptions::parse(mongodb_uri()).await.unwrap();
    let sink = log.clone();
    options.command_event_handler = Some(EventHandler::callback(move |e: CommandEvent| {
        if let CommandEvent::Started(s) = e {
            sink.lock().unwrap().push((s.command_name, s.command));
        }
    }));
    let client = mongodb::Client::with_options(options).unwrap();
    let db = client.database(&format!("test_{}", uuid::Uuid::new_v4().simple()));
    let store = Store::on_database(db.clone());
    store.ensure_indexes().await.unwrap();
    let now = DateTime::now();
    let later = at(now, 3_600);
    let tag = |i: usize| Binary {
        subtype: BinarySubtype::Generic,
        bytes: (i as u64).to_be_bytes().repeat(4),
    };
    let raw = |name: &str| db.collection::<Document>(name);
    tokio::join!(
        // Sessions: the last 50 end in half an hour (the sweep is run as of an hour from now,
        // so that the server's TTL monitor leaves them to it).
        seed(raw("sessions"), |i| doc! {
            "_id": sid(i), "user_id": ObjectId::new(), "created_at": now, "last_used_at": now,
            "absolute_expires_at": at(now, 86_400),
            "expires_at": if i >= SIZE - 50 { at(now, 1_800) } else { at(now, 7_200) },
            "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "generation": 0_i64,
            "refresh_hash": format!("{i:064x}"), "method": "password",
        }),
        seed(raw("verification_codes"), |i| doc! {
            "_id": format!("user{i}@example.com"), "tag": tag(i), "attempts": 0,
            "expires_at": later, "created_at": now, "locale": "ko",
        }),
        seed(raw("email_change_codes"), |i| doc! {
            "_id": format!("{i:024x}"), "address": format!("new{i}@example.com"),
            "address_key": format!("new{i}@example.com"), "tag": tag(i), "attempts": 0,
            "expires_at": later, "created_at": now, "locale": "ko",
        }),
        seed(raw("mfa_tickets"), |i| doc! {
            "_id": format!("{i:064x}"), "user_id": ObjectId::new(), "epoch": "e",
            "first": "password", "attempts": 0_i64, "created_at": now, "expires_at": later,
        }),
        seed(raw("passkeys"), |i| doc! {
            "_id": ObjectId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (i >> 8) as u8, i as u8]),
            "user_id": ObjectId::new(), "credential_id": format!("cred{i}"), "user_handle": "h",
            "name": "key", "created_at": now, "sign_count": 0_i64, "passkey": "{}",
        }),
        seed(raw("webauthn_challenges"), |i| doc! {
            "_id": format!("c{i}"), "purpose": "login", "state": "{}", "expires_at": later,
        }),
        // The login path's collections: accounts (only their unique keys: nothing here reads
        // one back whole), failed-login events, and the networks accounts signed in from.
        seed(raw("users"), |i| doc! {
            "_id": user_id(i), "username_key": format!("user{i}"),
            "nickname_key": format!("nick{i}"), "email_key": format!("user{i}@example.com"),
        }),
        seed(raw("throttle_events"), |i| doc! {
            "_id": ObjectId::new(), "kind": "login_failure", "key": format!("user{i}"),
            "at": now, "expires_at": later,
        }),
        seed(raw("known_networks"), |i| doc! {
            "_id": format!("{} 203.0.113.0", user_id(i).to_hex()), "expires_at": later,
        }),
        // The outbox: everything backed off but the last 5, which are due.
        seed(raw("mail_outbox"), |i| {
            let next_at = if i >= SIZE - 5 { at(now, -60) } else { later };
            doc! {
                "_id": ObjectId::new(), "to": format!("user{i}@example.com"), "locale": "ko",
                "notice": { "kind": "password_changed" }, "created_at": now, "attempts": 1,
                "next_at": next_at, "lease_until": next_at, "expires_at": at(now, 86_400),
            }
        }),
    );
    Watched {
        store,
        db,
        log,
        now,
    }
}

/// The filters of a command: `(collection, filter)` per statement.
fn filters(name: &str, command: &Document) -> Vec<(String, Document)> {
    let coll = command.get_str(name).unwrap_or_default().to_owned();
    let statements = |key: &str| -> Vec<(String, Document)> {
        command
            .get_array(key)
            .map(|all| {
                all.iter()
                    .filter_map(Bson::as_document)
                    .map(|s| {
                        (
                            coll.clone(),
                            s.get_document("q").cloned().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    match name {
        "find" => vec![(
            coll.clone(),
            command.get_document("filter").cloned().unwrap_or_default(),
        )],
        "update" => statements("updates"),
        "delete" => statements("deletes"),
        "aggregate" => command
            .get_array("pipeline")
            .ok()
            .and_then(|p| p.first())
            .and_then(Bson::as_document)
            .and_then(|s| s.get_document("$match").ok())
            .map(|m| vec![(coll.clone(), m.clone())])
            .unwrap_or_else(|| vec![(coll.clone(), Document::new())]),
        "count" => vec![(
            coll.clone(),
            command.get_document("query").cloned().unwrap_or_default(),
        )],
        _ => vec![],
    }
}

/// The largest value of `key` anywhere in `reply`.
fn largest(reply: &Bson, key: &str) -> i64 {
    match reply {
        Bson::Document(d) => d
            .iter()
            .map(|(k, v)| {
                let own = if k == key {
                    v.as_i64()
                        .or(v.as_i32().map(i64::from))
                        .or(v.as_f64().map(|f| f as i64))
                        .unwrap_or(0)
                } else {
                    0
                };
                own.max(largest(v, key))
            })
            .max()
            .unwrap_or(0),
        Bson::Array(a) => a.iter().map(|v| largest(v, key)).max().unwrap_or(0),
        _ => 0,
    }
}

impl Watched {
    fn take(&self) -> Vec<(String, Document)> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    /// The leading field of each index of `coll`.
    async fn leading_fields(&self, coll: &str) -> Vec<String> {
        let names = self
            .db
            .collection::<Document>(coll)
            .list_indexes()
            .await
            .unwrap();
        use futures_util::TryStreamExt;
        let indexes: Vec<_> = names.try_collect().await.unwrap();
        indexes
            .iter()
            .filter_map(|i| i.keys.keys().next().cloned())
            .collect()
    }

    /// What is wrong with the commands logged since the last call (every data command the
    /// operation sent), or nothing.
    async fn faults(&self) -> Vec<String> {
        let mut faults = vec![];
        let commands = self.take();
        let mut data_commands = 0;
        for (name, command) in commands {
            if !matches!(
                name.as_str(),
                "find" | "update" | "delete" | "aggregate" | "count" | "distinct" | "findAndModify"
            ) {
                continue;
            }
            data_commands += 1;
            if name == "findAndModify" {
                faults.push(format!("findAndModify: {command}"));
                continue;
            }
            for (coll, filter) in filters(&name, &command) {
                let leading = self.leading_fields(&coll).await;
                match filter.keys().next() {
                    None => faults.push(format!("{name} {coll}: empty filter")),
                    Some(first) if !leading.contains(first) => faults.push(format!(
                        "{name} {coll}: first key {first} leads no index ({filter})"
                    )),
                    _ => {}
                }
                if let Some(op) = filter.keys().find(|k| k.starts_with('$')) {
                    faults.push(format!("{name} {coll}: top-level {op} ({filter})"));
                }
            }
            let mut inner = command.clone();
            for key in [
                "$db",
                "lsid",
                "$clusterTime",
                "txnNumber",
                "writeConcern",
                "readConcern",
                "$readPreference",
                "cursor",
            ] {
                inner.remove(key);
            }
            if name == "aggregate" {
                inner.insert("cursor", doc! {});
            }
            match self
                .db
                .run_command(doc! { "explain": inner, "verbosity": "executionStats" })
                .await
            {
                Ok(plan) => {
                    let plan = Bson::Document(plan);
                    let keys = largest(&plan, "totalKeysExamined");
                    let docs = largest(&plan, "totalDocsExamined");
                    if keys > BOUND || docs > BOUND {
                        faults.push(format!(
                            "{name}: explain examines {keys} keys and {docs} documents: {command}"
                        ));
                    }
                }
                Err(e) => faults.push(format!("{name}: explain failed: {e}")),
            }
        }
        // The checker's own commands are not the operation's.
        self.take();
        if data_commands == 0 {
            faults.push("no command seen".into());
        }
        if data_commands > 12 {
            faults.push(format!("{data_commands} commands for one operation"));
        }
        faults
    }

    async fn assert_bounded(&self, operation: &str) {
        let faults = self.faults().await;
        assert!(faults.is_empty(), "{operation}: {faults:#?}");
    }
}

#[tokio::test]
async fn the_checker_catches_a_find_and_modify_an_or_and_a_count_over_the_collection() {
    let w = watched().await;
    let sessions = w.db.collection::<Document>("sessions");
    w.take();
    sessions
        .find_one_and_update(doc! { "_id": sid(1) }, doc! { "$inc": { "generation": 1 } })
        .await
        .unwrap();
    assert!(w
        .faults()
        .await
        .iter()
        .any(|f| f.starts_with("findAndModify")));
    w.db.collection::<Document>("email_change_codes")
        .delete_many(doc! { "$or": [ { "_id": "x" }, { "address_key": "y" } ] })
        .await
        .unwrap();
    assert!(w.faults().await.iter().any(|f| f.contains("top-level $or")));
    // The gauge's count: the reason it runs off the request path.
    w.store.count_live_sessions(w.now).await.unwrap();
    let faults = w.faults().await;
    assert!(
        faults.iter().any(|f| f.contains("explain examines")),
        "{faults:?}"
    );
}

#[tokio::test]
async fn every_hot_store_operation_examines_a_bounded_number_of_documents() {
    let w = watched().await;
    let now = w.now;
    let later = at(now, 3_600);
    w.take();

    // Sessions.
    let session = w.store.find_session(&sid(7)).await.unwrap().unwrap();
    w.assert_bounded("find_session").await;
    assert!(w
        .store
        .find_live_session(&sid(7), session.user_id, now)
        .await
        .unwrap()
        .is_some());
    w.assert_bounded("find_live_session").await;
    let rotation = || Rotation {
        refresh_hash: "ab",
        now,
        expires_at: later,
        ip: "203.0.113.8",
        user_agent: "test",
    };
    let rotated = w
        .store
        .rotate_session(session.clone(), rotation())
        .await
        .unwrap();
    assert_eq!(rotated.map(|s| s.generation), Some(1));
    w.assert_bounded("rotate_session").await;
    assert!(w
        .store
        .rotate_session(session.clone(), rotation())
        .await
        .unwrap()
        .is_none());
    w.assert_bounded("rotate_session from a spent generation")
        .await;
    assert!(w.store.record_step_up(&sid(7), now).await.unwrap());
    w.assert_bounded("record_step_up").await;
    assert_eq!(
        w.store
            .list_sessions(session.user_id, now)
            .await
            .unwrap()
            .len(),
        1
    );
    w.assert_bounded("list_sessions").await;
    assert_eq!(w.store.trim_sessions(session.user_id, 5).await.unwrap(), 0);
    w.assert_bounded("trim_sessions").await;
    assert!(w
        .store
        .delete_session(&sid(8), ObjectId::new())
        .await
        .is_ok());
    w.assert_bounded("delete_session").await;
    assert_eq!(
        w.store
            .sweep_expired_sessions(at(now, 3_600))
            .await
            .unwrap(),
        50
    );
    w.assert_bounded("sweep_expired_sessions").await;
    let other = w.store.find_session(&sid(9)).await.unwrap().unwrap();
    w.take();
    assert_eq!(
        w.store.end_sessions_of(other.user_id, None).await.unwrap(),
        vec![sid(9)]
    );
    w.assert_bounded("end_sessions_of").await;

    // The login path (issue 32): the account by its name, the pools' failure counts, the
    // known networks, the sign-in record, the outbox's delete after a notice is sent.
    assert!(w
        .store
        .find_user_by_username_key("nobody")
        .await
        .unwrap()
        .is_none());
    w.assert_bounded("find_user_by_username_key").await;
    let (account, network) = (user_id(7), "203.0.113.0");
    assert!(w
        .store
        .is_known_network(account, network, now)
        .await
        .unwrap());
    w.assert_bounded("is_known_network").await;
    let limit = Limit {
        kind: EventKind::LoginFailure,
        window: std::time::Duration::from_secs(900),
        max: 5,
    };
    let Admission::Admitted(attempt) = w.store.admit(limit, "user7", now).await.unwrap() else {
        panic!("two failures of user7 are under the cap of 5");
    };
    w.assert_bounded("admit").await;
    w.store.forget_event(attempt).await.unwrap();
    w.assert_bounded("forget_event").await;
    w.store
        .clear_events(EventKind::LoginFailure, "user7")
        .await
        .unwrap();
    w.assert_bounded("clear_events").await;
    w.store
        .remember_network(account, network, now, std::time::Duration::from_secs(3_600))
        .await
        .unwrap();
    w.assert_bounded("remember_network").await;
    w.store
        .record_sign_in(account, now, "password", "203.0.113.7")
        .await
        .unwrap();
    w.assert_bounded("record_sign_in").await;
    w.store.delete_outbox(ObjectId::new()).await.unwrap();
    w.assert_bounded("delete_outbox").await;

    // Codes.
    let code = w
        .store
        .take_code_attempt(CodePurpose::Signup, "user7@example.com", now, 5)
        .await
        .unwrap();
    assert_eq!(code.as_ref().map(|c| c.attempts), Some(1));
    w.assert_bounded("take_code_attempt").await;
    let code = code.unwrap();
    w.store
        .return_code_attempt(CodePurpose::Signup, &code)
        .await
        .unwrap();
    w.assert_bounded("return_code_attempt").await;
    w.store
        .delete_code(CodePurpose::Signup, &code)
        .await
        .unwrap();
    w.assert_bounded("delete_code").await;
    w.store
        .delete_codes_of("new7@example.com", &format!("{:024x}", 8))
        .await
        .unwrap();
    w.assert_bounded("delete_codes_of").await;

    // MFA tickets.
    let ticket = format!("{:064x}", 7);
    let failed = w.store.fail_mfa_ticket(&ticket, now, 5).await.unwrap();
    assert_eq!(failed.map(|t| t.attempts), Some(1));
    w.assert_bounded("fail_mfa_ticket").await;
    let consumed = w.store.consume_mfa_ticket(&ticket, now, 5).await.unwrap();
    assert!(consumed.is_some());
    w.assert_bounded("consume_mfa_ticket").await;
    let consumed = w.store.consume_mfa_ticket(&ticket, now, 5).await.unwrap();
    assert!(consumed.is_none());
    w.assert_bounded("consume_mfa_ticket of a used ticket")
        .await;

    // Passkeys and challenges.
    let passkey = ObjectId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    assert!(w
        .store
        .record_passkey_use(passkey, 3, "{}", now)
        .await
        .unwrap());
    w.assert_bounded("record_passkey_use").await;
    assert!(!w
        .store
        .record_passkey_use(passkey, 3, "{}", now)
        .await
        .unwrap());
    w.assert_bounded("record_passkey_use replayed").await;
    assert!(w
        .store
        .take_challenge("c7", ChallengePurpose::Login, None, now)
        .await
        .unwrap()
        .is_some());
    w.assert_bounded("take_challenge").await;

    // The outbox: the five due notices, then none.
    for _ in 0..5 {
        assert!(w.store.claim_outbox(now, later).await.unwrap().is_some());
        w.assert_bounded("claim_outbox").await;
    }
    assert!(w.store.claim_outbox(now, later).await.unwrap().is_none());
    w.assert_bounded("claim_outbox with nothing due").await;

    w.db.drop().await.unwrap();
}
