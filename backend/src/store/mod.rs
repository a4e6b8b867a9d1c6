//! MongoDB storage. Uniqueness lives in unique indexes, counters change through atomic
//! conditional updates, and every query checks expiry itself (TTL indexes only clean up).
//!
//! Every hot write is a shape both MongoDB and the local server answer through an index,
//! whatever the size of the collection (docs/database.md): a filter whose first key is `_id`
//! (or one indexed field) followed by plain field conditions, never a top-level `$or`/`$and`
//! and never `findAndModify`. A change that depends on what it read is a compare-and-set: read
//! by `_id`, then `update_one({_id, <every field read and relied on>})`, read again when it
//! matched nothing ([`compare_and_set`], [`cas_rounds`] times at most); a removal that must
//! happen once is a `delete_one` and its `deleted_count`. Counts over a whole collection run
//! off the request path.

mod activity;
mod admin;
pub mod cache;
mod changes;
mod codes;
mod mfa;
mod not_me;
mod outbox;
mod passkeys;
mod sessions;
mod throttle;
mod users;
mod webhooks;

use std::{ops::AddAssign, time::Duration};

use anyhow::Context;
use mongodb::{
    bson::{doc, oid::ObjectId, Document},
    error::{Error, ErrorKind, WriteFailure},
    options::{ClientOptions, IndexOptions, ReadPreference, SelectionCriteria, WriteConcern},
    Client, Collection, Database, IndexModel,
};
use secrecy::ExposeSecret;

pub use admin::{
    prefix_range, search_filters, search_sort, ApiKeyDoc, AuditDoc, SearchKeys, UserCursor,
    CREATED_INDEX,
};
pub use changes::{HEARTBEATS, SESSIONS, USERS};
pub use codes::CodeDoc;
pub use mfa::{MfaTicketDoc, TotpDoc};
pub use not_me::NotMeLink;
pub use outbox::OutboxDoc;
pub use passkeys::{
    registration_slot, ChallengeDoc, ChallengePurpose, PasskeyDoc, PasskeyInsertError,
};
pub use sessions::{Rotation, SessionDoc};
pub use throttle::{
    pooled_key, seconds_until, AccountKeys, AddressCap, Admission, EventKind, Limit, LockOutcome,
    SendLock,
};
pub use users::{
    InsertError, KeysTaken, LastSignIn, NewUser, Profile, RemovedFactors, UniqueField, UserDoc,
};
pub use webhooks::{DeliveryStatus, WebhookDelivery};

/// Handles to the collections, sharing one client (one connection pool) for the process.
#[derive(Clone)]
pub struct Store {
    db: Database,
    users: Collection<UserDoc>,
    signup_codes: Collection<CodeDoc>,
    reset_codes: Collection<CodeDoc>,
    email_change_codes: Collection<CodeDoc>,
    sign_in_codes: Collection<CodeDoc>,
    send_locks: Collection<mongodb::bson::Document>,
    events: Collection<mongodb::bson::Document>,
    known_networks: Collection<mongodb::bson::Document>,
    sessions: Collection<SessionDoc>,
    outbox: Collection<OutboxDoc>,
    heartbeats: Collection<mongodb::bson::Document>,
    /// The session cache this instance keeps coherent with its own writes (none in `backend
    /// admin`, whose changes reach the servers through their change streams).
    cache: Option<std::sync::Arc<cache::AuthCache>>,
    mfa_tickets: Collection<MfaTicketDoc>,
    webhook_deliveries: Collection<WebhookDelivery>,
    activity: Collection<mongodb::bson::Document>,
    not_me_links: Collection<mongodb::bson::Document>,
    passkeys: Collection<PasskeyDoc>,
    challenges: Collection<ChallengeDoc>,
    admin_keys: Collection<ApiKeyDoc>,
    admin_audit: Collection<AuditDoc>,
    daily_counts: Collection<mongodb::bson::Document>,
    /// Test hook between a compare-and-set's read and its write (inert outside tests).
    rendezvous: crate::rendezvous::Rendezvous,
    /// The last count of live sessions ([`Store::run_sessions_upkeep`]), for the gauge.
    live_sessions: std::sync::Arc<sessions::LiveSessions>,
    /// Rotations of this process in flight at the database ([`sessions::ROTATIONS_IN_FLIGHT`]).
    rotations: std::sync::Arc<tokio::sync::Semaphore>,
}

pub const USERNAME_INDEX: &str = "username_key_unique";
pub const NICKNAME_INDEX: &str = "nickname_key_unique";
pub const EMAIL_INDEX: &str = "email_key_unique";

impl Store {
    /// Builds the client. This does not touch the network: the driver connects lazily, so the
    /// process starts (and reports not-ready) while the database is down.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "connect"))]
    pub async fn connect(
        uri: &secrecy::SecretString,
        db: &str,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut options = ClientOptions::parse(uri.expose_secret())
            .await
            .context("APP_MONGODB_URI is not a valid MongoDB connection string")?;
        options.app_name = Some("emailauth-backend".into());
        // Correctness needs every decision read from, and every write acknowledged by, the
        // majority-backed primary: a code, an attempt counter or an account acknowledged by
        // one node only could be rolled back by a failover. The URI may not weaken this.
        options.write_concern = Some(WriteConcern::majority());
        options.selection_criteria =
            Some(SelectionCriteria::ReadPreference(ReadPreference::Primary));
        options.server_selection_timeout = Some(timeout);
        options.connect_timeout = Some(timeout);
        let client = Client::with_options(options).context("building the MongoDB client")?;
        Ok(Self::with_database(client.database(db)))
    }

    fn with_database(db: Database) -> Self {
        Self {
            users: db.collection(USERS),
            signup_codes: db.collection("verification_codes"),
            reset_codes: db.collection("reset_codes"),
            email_change_codes: db.collection("email_change_codes"),
            sign_in_codes: db.collection("sign_in_codes"),
            send_locks: db.collection("send_locks"),
            events: db.collection("throttle_events"),
            known_networks: db.collection("known_networks"),
            sessions: db.collection(SESSIONS),
            outbox: db.collection("mail_outbox"),
            heartbeats: db.collection(HEARTBEATS),
            cache: None,
            mfa_tickets: db.collection("mfa_tickets"),
            webhook_deliveries: db.collection("webhook_deliveries"),
            activity: db.collection("activity"),
            not_me_links: db.collection("not_me_links"),
            passkeys: db.collection("passkeys"),
            challenges: db.collection("webauthn_challenges"),
            admin_keys: db.collection("admin_keys"),
            admin_audit: db.collection("admin_audit"),
            daily_counts: db.collection("daily_counts"),
            live_sessions: Default::default(),
            rotations: std::sync::Arc::new(tokio::sync::Semaphore::new(
                sessions::ROTATIONS_IN_FLIGHT,
            )),
            rendezvous: Default::default(),
            db,
        }
    }

    /// A store on `db` as it is, whatever client it came from (the store-shape tests watch
    /// the commands of their own client). [`Store::connect`] is the way in for the app.
    pub fn on_database(db: Database) -> Self {
        Self::with_database(db)
    }

    /// This store, keeping `cache` coherent with its writes and reading through it.
    pub fn with_cache(mut self, cache: std::sync::Arc<cache::AuthCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// This store, holding requests where `rendezvous` is armed (tests only).
    pub fn with_rendezvous(mut self, rendezvous: crate::rendezvous::Rendezvous) -> Self {
        self.rendezvous = rendezvous;
        self
    }

    /// The test hook between reads and writes; inert outside tests.
    pub fn rendezvous(&self) -> &crate::rendezvous::Rendezvous {
        &self.rendezvous
    }

    pub fn cache(&self) -> Option<&cache::AuthCache> {
        self.cache.as_deref()
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Answers when the database answers a `ping`.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "ping"))]
    pub async fn ping(&self) -> Result<(), Error> {
        self.db.run_command(doc! { "ping": 1 }).await.map(|_| ())
    }

    /// Every index the store asks the database for, one row per collection: the queries of
    /// each file are served by the rows of its collections (the `_id` index comes with each).
    fn index_table(&self) -> [(&str, Vec<IndexModel>); 19] {
        [
            (
                self.users.name(),
                vec![
                    unique(doc! { "username_key": 1 }, USERNAME_INDEX),
                    unique(doc! { "nickname_key": 1 }, NICKNAME_INDEX),
                    unique(doc! { "email_key": 1 }, EMAIL_INDEX),
                    // The admin search's newest-first paging.
                    index(doc! { "created_at": -1, "_id": -1 }, admin::CREATED_INDEX),
                ],
            ),
            (self.signup_codes.name(), vec![expiry()]),
            (self.reset_codes.name(), vec![expiry()]),
            (
                self.email_change_codes.name(),
                // An account deletion removes the pending email changes naming its address.
                vec![expiry(), index(doc! { "address_key": 1 }, "address_key")],
            ),
            (self.sign_in_codes.name(), vec![expiry()]),
            (self.send_locks.name(), vec![expiry()]),
            (
                self.events.name(),
                vec![
                    expiry(),
                    index(doc! { "kind": 1, "key": 1, "at": 1 }, "kind_key_at"),
                ],
            ),
            (self.known_networks.name(), vec![expiry()]),
            (self.heartbeats.name(), vec![expiry()]),
            (
                self.sessions.name(),
                vec![
                    expiry(),
                    index(doc! { "user_id": 1, "last_used_at": -1 }, "user_last_used"),
                ],
            ),
            (
                self.outbox.name(),
                vec![expiry(), index(doc! { "next_at": 1 }, "next_at")],
            ),
            (
                self.passkeys.name(),
                vec![
                    unique(doc! { "credential_id": 1 }, passkeys::CREDENTIAL_INDEX),
                    index(doc! { "user_id": 1, "created_at": -1 }, "user_created"),
                ],
            ),
            (self.challenges.name(), vec![expiry()]),
            (
                self.activity.name(),
                vec![
                    index(doc! { "user_id": 1, "_id": -1 }, "user_id_id"),
                    expiry(),
                ],
            ),
            (
                self.not_me_links.name(),
                vec![expiry(), index(doc! { "user_id": 1 }, "user_id")],
            ),
            (
                self.webhook_deliveries.name(),
                vec![
                    index(doc! { "queue": 1, "created_at": 1 }, "queue_created"),
                    index(doc! { "status": 1, "created_at": -1 }, "status_created"),
                    expiry(),
                ],
            ),
            (
                self.admin_keys.name(),
                vec![unique(doc! { "name": 1 }, "name_unique")],
            ),
            (
                self.admin_audit.name(),
                vec![index(doc! { "at": -1, "_id": -1 }, "at_id")],
            ),
            (
                self.mfa_tickets.name(),
                vec![expiry(), index(doc! { "user_id": 1 }, "user_id")],
            ),
        ]
    }

    /// Creates the indexes of [`Store::index_table`], then brings documents stored under an
    /// older scheme up to date ([`Store::migrate_send_locks`], [`Store::migrate_nickname_keys`]).
    /// Idempotent: creating an index that already exists with the same definition is a no-op
    /// and a migrated document is not touched again, so every instance may run this at
    /// start-up.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "ensure_indexes"))]
    pub async fn ensure_indexes(&self) -> Result<(), Error> {
        for (collection, indexes) in self.index_table() {
            self.db
                .collection::<mongodb::bson::Document>(collection)
                .create_indexes(indexes)
                .await?;
        }
        // After the table: the send locks' migration lists that collection's indexes (so it
        // must exist), and a look-alike collision in the nickname migration is refused by the
        // unique index.
        self.migrate_send_locks().await?;
        self.migrate_nickname_keys().await?;
        Ok(())
    }
}

impl Store {
    /// The cooldown document of an address also holds its recent sends (the hourly cap), which
    /// outlive the cooldown: it expires by `expires_at`, no longer by `until`. Drops the old
    /// TTL index on `until` (it would delete the sends with the cooldown) and gives documents
    /// written before `expires_at` existed an hour, the cap's window. Idempotent.
    async fn migrate_send_locks(&self) -> Result<(), Error> {
        const OLD_TTL: &str = "until_ttl";
        const INDEX_NOT_FOUND: i32 = 27;
        if self
            .send_locks
            .list_index_names()
            .await?
            .iter()
            .any(|name| name == OLD_TTL)
        {
            match self.send_locks.drop_index(OLD_TTL).await {
                // Another instance starting beside this one dropped it first.
                Err(e) if matches!(&*e.kind, ErrorKind::Command(c) if c.code == INDEX_NOT_FOUND) => {
                }
                other => other?,
            }
        }
        let in_an_hour = mongodb::bson::DateTime::from_millis(
            mongodb::bson::DateTime::now().timestamp_millis() + 3_600_000,
        );
        self.send_locks
            .update_many(
                doc! { "expires_at": { "$exists": false } },
                doc! { "$set": { "expires_at": in_an_hour } },
            )
            .await?;
        Ok(())
    }
}

/// How many rounds of read-then-compare-and-set a change over a counter capped at `cap` tries.
/// Each lost round means another writer changed the document (took an attempt, replaced it),
/// and the counter can only be taken `cap` times, so a handful more than `cap` rounds is
/// enough for any real contention; beyond it the change gives up with [`Contended`].
pub(crate) fn cas_rounds(cap: u32) -> u32 {
    cap.saturating_add(4).min(64)
}

/// The compare-and-set of a document whose counter is capped at `cap`: `read` it as it is now
/// (`None`: nothing to change, the answer), then `write` it conditioned on what was read
/// (`true`: it landed, and the document as written is the answer); a lost round reads again,
/// [`cas_rounds`] times at most, then [`contended`] names `operation`.
async fn compare_and_set<T>(
    cap: u32,
    operation: &'static str,
    mut read: impl AsyncFnMut() -> Result<Option<T>, Error>,
    mut write: impl AsyncFnMut(&mut T) -> Result<bool, Error>,
) -> Result<Option<T>, Error> {
    for _ in 0..cas_rounds(cap) {
        let Some(mut found) = read().await? else {
            return Ok(None);
        };
        if write(&mut found).await? {
            return Ok(Some(found));
        }
    }
    Err(contended(operation))
}

/// What says that a conditional `update_one` did its work.
#[derive(Debug, Clone, Copy)]
enum Landed {
    /// The filter matched a document (an update that found the value already there counts).
    Matched,
    /// It matched and changed one (a conditional update that lost, or found the value already
    /// there, did not).
    Modified,
}

/// `update_one(filter, update)` on `coll`: whether it `landed`.
async fn updated_one<T: Send + Sync>(
    coll: &Collection<T>,
    filter: Document,
    update: Document,
    landed: Landed,
) -> Result<bool, Error> {
    let result = coll.update_one(filter, update).await?;
    let count = match landed {
        Landed::Matched => result.matched_count,
        Landed::Modified => result.modified_count,
    };
    Ok(count == 1)
}

/// `delete_one(filter)` on `coll`: whether this call deleted the document (of concurrent
/// deletes of one document, exactly one gets `true`).
async fn deleted_one<T: Send + Sync>(
    coll: &Collection<T>,
    filter: Document,
) -> Result<bool, Error> {
    Ok(coll.delete_one(filter).await?.deleted_count == 1)
}

/// `update_one(pinned, {$inc: {attempts: 1}})` on `coll`: whether the document as read
/// (`pinned`) took the attempt; if it did, `attempts` (the count read) counts it too.
async fn take_attempt<T: Send + Sync, N: AddAssign + From<u8>>(
    coll: &Collection<T>,
    pinned: Document,
    attempts: &mut N,
) -> Result<bool, Error> {
    let update = doc! { "$inc": { "attempts": 1 } };
    let taken = updated_one(coll, pinned, update, Landed::Matched).await?;
    if taken {
        *attempts += N::from(1);
    }
    Ok(taken)
}

/// `delete_many({user_id})` on `coll`: every document of a deleted account; how many.
async fn delete_of_user<T: Send + Sync>(
    coll: &Collection<T>,
    user_id: ObjectId,
) -> Result<u64, Error> {
    Ok(coll
        .delete_many(doc! { "user_id": user_id })
        .await?
        .deleted_count)
}

/// `count_documents({user_id})` on `coll`: how many documents the account has.
async fn count_of_user<T: Send + Sync>(
    coll: &Collection<T>,
    user_id: ObjectId,
) -> Result<u64, Error> {
    coll.count_documents(doc! { "user_id": user_id }).await
}

/// `find(filter).sort(sort)`, at most `limit` documents if given, read whole: the store's
/// lists (an account's sessions or passkeys, a page of its activity, a webhook queue).
async fn sorted<T>(
    coll: &Collection<T>,
    filter: Document,
    sort: Document,
    limit: Option<i64>,
) -> Result<Vec<T>, Error>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    use futures_util::TryStreamExt;
    let mut find = coll.find(filter).sort(sort);
    if let Some(limit) = limit {
        find = find.limit(limit);
    }
    find.await?.try_collect().await
}

/// A compare-and-set lost more rounds in a row than any real contention explains (its
/// document was replaced or changed each time it was read). Surfaces as a database error.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{0}: the document changed under every compare-and-set")]
pub struct Contended(pub &'static str);

pub(crate) fn contended(operation: &'static str) -> Error {
    tracing::warn!(
        operation,
        "compare-and-set gave up after losing every round"
    );
    Error::custom(Contended(operation))
}

/// `true` when the error means the database could not be reached (answer 503), rather than
/// that it refused the operation.
pub fn is_unavailable(e: &Error) -> bool {
    matches!(
        *e.kind,
        ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
    ) || e.contains_label("RetryableWriteError")
}

/// The index name of a duplicate-key (11000) write error, if this is one.
pub(crate) fn duplicate_key_index(e: &Error) -> Option<&str> {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000 => Some(
            [USERNAME_INDEX, NICKNAME_INDEX, EMAIL_INDEX, "_id_"]
                .into_iter()
                .find(|name| w.message.contains(name))
                .unwrap_or(""),
        ),
        ErrorKind::Command(c) if c.code == 11000 => Some(""),
        _ => None,
    }
}

/// An index on `keys` named `name`.
pub(crate) fn index(keys: mongodb::bson::Document, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_owned()).build())
        .build()
}

/// A unique index on `keys` named `name`.
pub(crate) fn unique(keys: mongodb::bson::Document, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .unique(true)
                .name(name.to_owned())
                .build(),
        )
        .build()
}

/// The TTL index every expiring collection has: a document goes once its `expires_at` passes.
pub(crate) fn expiry() -> IndexModel {
    IndexModel::builder()
        .keys(doc! { "expires_at": 1 })
        .options(
            IndexOptions::builder()
                .expire_after(Duration::ZERO)
                .name("expires_at_ttl".to_owned())
                .build(),
        )
        .build()
}
