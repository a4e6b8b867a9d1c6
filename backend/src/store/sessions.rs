//! Sessions: one document per login, read by id on every authenticated request (the `_id`
//! index), rotated with a compare-and-set on the generation so that one refresh token has one
//! successor. Expired sessions are cleaned up in paced batches ahead of the TTL index, and the
//! live ones are counted for the gauge off the request path (both in the upkeep task).

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime},
    error::Error,
};
use serde::{Deserialize, Serialize};
use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use super::{deleted_one, sorted, updated_one, Landed, Store};
use crate::rendezvous::Point;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionDoc {
    /// 16 random bytes, hex: the `sid` of its access tokens and inside its refresh tokens.
    #[serde(rename = "_id")]
    pub id: String,
    pub user_id: ObjectId,
    pub created_at: DateTime,
    /// The login, then every refresh.
    pub last_used_at: DateTime,
    /// The session ends at this time however active it is.
    pub absolute_expires_at: DateTime,
    /// The earlier of the absolute expiry and the idle expiry (last use + idle time): the
    /// moment the session ends unless refreshed first. Every read checks it; a TTL index on it
    /// only cleans up.
    pub expires_at: DateTime,
    /// The client address and `User-Agent` (truncated) at login or last refresh.
    pub ip: String,
    pub user_agent: String,
    /// Generation of the current refresh token (0 at login, +1 per rotation).
    pub generation: i64,
    /// Hex SHA-256 of the current refresh token; the token itself is never stored.
    pub refresh_hash: String,
    /// When the previous refresh token was replaced: it is answered with the current pair
    /// until the grace period after this has passed, and treated as stolen after.
    #[serde(default)]
    pub rotated_at: Option<DateTime>,
    /// Its account was disabled by an operator: the session answers `account_disabled` until
    /// it expires or the account is enabled again (which ends it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// How it was signed in to ([`crate::signin::Method`] names, `password+totp` for two
    /// steps). Absent in sessions started before this field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The last step-up of this session (the password, and the second factor when on, proved
    /// again while signed in): factor changes within `APP_STEP_UP_TTL_SECS` of it need no new
    /// proof. A sign-in never sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stepped_up_at: Option<DateTime>,
}

/// Expired sessions deleted per write by [`Store::sweep_expired_sessions`], and the pause
/// between two such writes (other writes to `sessions` go in between).
pub const SWEEP_BATCH: usize = 200;
pub const SWEEP_PAUSE: Duration = Duration::from_millis(20);

/// Rotations one process has in flight at the database; the rest wait in the process. The
/// local server runs the writes to one collection one at a time and holds it through the
/// commit (with `--sync-on-commit`, through the log's fsync): with sixteen rotations queued at
/// `sessions`, every other write to it (a login, a logout, another instance's) waits behind
/// all of them. Measured on the server alone (16 rotating clients, `--sync-on-commit`): a
/// probe's `update_one {_id}` on `sessions` took 22-26 ms against 2.5-3 ms idle, while the same
/// write to another collection took 2.2-2.6 ms. With a release backend the rotations come fast
/// enough to keep the collection busy however few are in flight, so a write waits behind all
/// of those: with two, 3.6-3.9 times its idle time in `bench scale`; with one, behind one at
/// most. docs/benchmarks.md, "Scale".
pub(super) const ROTATIONS_IN_FLIGHT: usize = 1;

/// The sessions' upkeep takes at most one part in this many of the time (its count over every
/// live session grows with them).
const UPKEEP_SHARE: u32 = 20;

/// The gauge's last reading: `u64::MAX` until the first count.
pub(super) struct LiveSessions(AtomicU64);

impl Default for LiveSessions {
    fn default() -> Self {
        Self(AtomicU64::new(u64::MAX))
    }
}

impl LiveSessions {
    fn get(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|n| *n != u64::MAX)
    }

    fn set(&self, n: u64) {
        self.0.store(n.min(u64::MAX - 1), Ordering::Relaxed);
    }
}

/// What a rotation changes besides the generation.
pub struct Rotation<'a> {
    pub refresh_hash: &'a str,
    pub now: DateTime,
    pub expires_at: DateTime,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

impl Store {
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_session"))]
    pub async fn insert_session(&self, session: &SessionDoc) -> Result<(), Error> {
        self.sessions.insert_one(session).await.map(|_| ())
    }

    /// The session `sid` of `user_id` if it has not ended by `now`: the one read behind every
    /// authenticated request.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_live_session"))]
    ///
    /// Through the session cache when this instance keeps one and may trust it (see
    /// [`crate::store::cache`]); the same conditions are checked on a cached session.
    pub async fn find_live_session(
        &self,
        sid: &str,
        user_id: ObjectId,
        now: DateTime,
    ) -> Result<Option<SessionDoc>, Error> {
        let live = |session: &SessionDoc| session.user_id == user_id && session.expires_at > now;
        let Some(cache) = self.cache() else {
            return self
                .sessions
                .find_one(doc! { "_id": sid, "user_id": user_id, "expires_at": { "$gt": now } })
                .await;
        };
        if let Some(session) = cache.session(sid) {
            return Ok(live(&session).then(|| (*session).clone()));
        }
        let seq = cache.before_read();
        let found = self.find_session(sid).await?;
        Ok(found.filter(|session| {
            let live = live(session);
            if live {
                cache.keep_session(seq, session);
            }
            live
        }))
    }

    /// The session `sid`, ended or not (a refresh decides what to do with it).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_session"))]
    pub async fn find_session(&self, sid: &str) -> Result<Option<SessionDoc>, Error> {
        self.sessions.find_one(doc! { "_id": sid }).await
    }

    /// Moves `session`, as the refresh read it, from its generation to the next, if the
    /// database still has it at that generation, live at `rotation.now` and not disabled. Of
    /// concurrent rotations from one generation exactly one gets the updated session; the
    /// others get `None`.
    ///
    /// A compare-and-set on `generation` (served by the `_id` index at any size, where a
    /// find-and-modify is not on the local server), on the session the refresh already read:
    /// the one update that matches is the rotation, and what it returns is that session with
    /// the rotation's changes. No second read: the fields the answer is made of (the account,
    /// the expiry, the generation) are the ones the update either pins or sets.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "rotate_session"))]
    pub async fn rotate_session(
        &self,
        session: SessionDoc,
        rotation: Rotation<'_>,
    ) -> Result<Option<SessionDoc>, Error> {
        let sid = session.id.clone();
        let rotated = self.compare_and_rotate(session, rotation).await;
        self.forget_session(&sid);
        rotated
    }

    async fn compare_and_rotate(
        &self,
        mut session: SessionDoc,
        rotation: Rotation<'_>,
    ) -> Result<Option<SessionDoc>, Error> {
        let from = session.generation;
        if session.expires_at <= rotation.now || session.disabled {
            return Ok(None);
        }
        self.rendezvous.pass(Point::RotateSession).await;
        // Never closed, so a permit always comes.
        let _permit = self.rotations.acquire().await;
        let moved = self
            .sessions
            .update_one(
                doc! {
                    "_id": &session.id, "generation": from, "expires_at": { "$gt": rotation.now },
                    "disabled": { "$ne": true },
                },
                doc! { "$set": {
                    "generation": from + 1,
                    "refresh_hash": rotation.refresh_hash,
                    "rotated_at": rotation.now,
                    "last_used_at": rotation.now,
                    "expires_at": rotation.expires_at,
                    "ip": rotation.ip,
                    "user_agent": rotation.user_agent,
                } },
            )
            .await?;
        if moved.matched_count != 1 {
            return Ok(None);
        }
        session.generation = from + 1;
        session.refresh_hash = rotation.refresh_hash.to_owned();
        session.rotated_at = Some(rotation.now);
        session.last_used_at = rotation.now;
        session.expires_at = rotation.expires_at;
        session.ip = rotation.ip.to_owned();
        session.user_agent = rotation.user_agent.to_owned();
        Ok(Some(session))
    }

    /// Records a step-up of session `sid` at `now`; `false` when the session is gone.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "record_step_up"))]
    pub async fn record_step_up(&self, sid: &str, now: DateTime) -> Result<bool, Error> {
        let update = doc! { "$set": { "stepped_up_at": now } };
        let updated =
            updated_one(&self.sessions, doc! { "_id": sid }, update, Landed::Matched).await;
        self.forget_session(sid);
        updated
    }

    /// Ends the least recently used sessions of `user_id` beyond the newest `keep`; how many.
    /// Read through the `user_last_used` index; each is deleted by id.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "trim_sessions"))]
    pub async fn trim_sessions(&self, user_id: ObjectId, keep: u32) -> Result<u64, Error> {
        let mut beyond = self
            .sessions
            .clone_with_type::<mongodb::bson::Document>()
            .find(doc! { "user_id": user_id })
            .sort(doc! { "last_used_at": -1 })
            .skip(u64::from(keep))
            .projection(doc! { "_id": 1 })
            .await?;
        let mut ended = 0;
        while beyond.advance().await? {
            let Ok(sid) = beyond.current().get_str("_id") else {
                continue;
            };
            let sid = sid.to_owned();
            ended += self
                .sessions
                .delete_one(doc! { "_id": &sid, "user_id": user_id })
                .await?
                .deleted_count;
            self.forget_session(&sid);
        }
        Ok(ended)
    }

    /// Ends session `sid` if it belongs to `user_id`; whether there was one.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_session"))]
    pub async fn delete_session(&self, sid: &str, user_id: ObjectId) -> Result<bool, Error> {
        let deleted = deleted_one(&self.sessions, doc! { "_id": sid, "user_id": user_id }).await;
        self.forget_session(sid);
        deleted
    }

    /// Ends session `sid` whoever it belongs to (a reused refresh token).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "end_session"))]
    pub async fn end_session(&self, sid: &str) -> Result<(), Error> {
        let deleted = self.sessions.delete_one(doc! { "_id": sid }).await;
        self.forget_session(sid);
        deleted.map(|_| ())
    }

    /// Ends every session of `user_id` (but `keep`, if given), refresh tokens included; the ids
    /// of those it listed first (for the events that report them). The delete is by account, so
    /// a session started while this ran ends too, unreported.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "end_sessions_of"))]
    pub async fn end_sessions_of(
        &self,
        user_id: ObjectId,
        keep: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        let mut listed = self
            .sessions
            .clone_with_type::<mongodb::bson::Document>()
            .find(doc! { "user_id": user_id })
            .projection(doc! { "_id": 1 })
            .await?;
        let mut ids = vec![];
        while listed.advance().await? {
            if let Ok(id) = listed.current().get_str("_id") {
                if Some(id) != keep {
                    ids.push(id.to_owned());
                }
            }
        }
        match keep {
            Some(keep) => self.delete_other_sessions(user_id, keep).await?,
            None => self.delete_sessions_of(user_id).await?,
        };
        Ok(ids)
    }

    /// Ends every session of `user_id`, refresh tokens included; how many there were.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_sessions_of"))]
    pub async fn delete_sessions_of(&self, user_id: ObjectId) -> Result<u64, Error> {
        let deleted = super::delete_of_user(&self.sessions, user_id).await;
        self.forget_sessions();
        deleted
    }

    /// Ends every session of `user_id` except `keep_sid`; how many there were.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_other_sessions"))]
    pub async fn delete_other_sessions(
        &self,
        user_id: ObjectId,
        keep_sid: &str,
    ) -> Result<u64, Error> {
        let deleted = self
            .sessions
            .delete_many(doc! { "user_id": user_id, "_id": { "$ne": keep_sid } })
            .await;
        self.forget_sessions();
        Ok(deleted?.deleted_count)
    }

    /// How many sessions are live at `now`: a count over every live session, so never on a
    /// request path (and never per scrape): [`Store::run_sessions_upkeep`] takes it at most
    /// once a period and the gauge reads [`Store::live_sessions`].
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "count_live_sessions"))]
    pub async fn count_live_sessions(&self, now: DateTime) -> Result<u64, Error> {
        self.sessions
            .count_documents(doc! { "expires_at": { "$gt": now } })
            .await
    }

    /// Deletes the sessions that expired before `now`, [`SWEEP_BATCH`] at a time with a pause
    /// between batches; how many. Their ids are read through the `expires_at` index (one
    /// read, lock-free on the local server) and each batch is one `delete_many` by an `_id`
    /// list (with the expiry checked again), so no write holds the collection for long: the
    /// server's own TTL purge deletes everything expired in one write that stalls every other
    /// write to `sessions` meanwhile (docs/database.md). The TTL index stays as the backstop.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "sweep_expired_sessions"))]
    pub async fn sweep_expired_sessions(&self, now: DateTime) -> Result<u64, Error> {
        let expired = doc! { "expires_at": { "$lt": now } };
        let mut ids = self
            .sessions
            .clone_with_type::<mongodb::bson::Document>()
            .find(expired)
            .projection(doc! { "_id": 1 })
            .batch_size(SWEEP_BATCH as u32)
            .await?;
        let mut removed = 0;
        let mut batch = Vec::with_capacity(SWEEP_BATCH);
        loop {
            let more = ids.advance().await?;
            if more {
                if let Ok(id) = ids.current().get_str("_id") {
                    batch.push(id.to_owned());
                }
            }
            if batch.len() == SWEEP_BATCH || (!more && !batch.is_empty()) {
                removed += self
                    .sessions
                    .delete_many(doc! {
                        "_id": { "$in": std::mem::take(&mut batch) },
                        "expires_at": { "$lt": now },
                    })
                    .await?
                    .deleted_count;
                if more {
                    tokio::time::sleep(SWEEP_PAUSE).await;
                }
            }
            if !more {
                return Ok(removed);
            }
        }
    }

    /// The last count of live sessions taken by [`Store::run_sessions_upkeep`]; `None` before
    /// the first.
    pub fn live_sessions(&self) -> Option<u64> {
        self.live_sessions.get()
    }

    /// One round of upkeep at `now`: expired sessions cleaned up in paced batches
    /// ([`Store::sweep_expired_sessions`]), then the live ones counted for the gauge.
    pub async fn sessions_upkeep(&self, now: DateTime) -> Result<u64, Error> {
        self.sweep_expired_sessions(now).await?;
        let live = self.count_live_sessions(now).await?;
        self.live_sessions.set(live);
        Ok(live)
    }

    /// The sessions' upkeep every `every`, off the request path, for as long as the process
    /// runs; a round that fails is logged and the next one tries again. A round starts no
    /// sooner than [`UPKEEP_SHARE`] times the length of the one before after it: the count
    /// grows with the live sessions (5-7 s on the local server at a million), and it must
    /// not take a growing share of the database from the requests.
    pub async fn run_sessions_upkeep(self, clock: crate::clock::Clock, every: Duration) {
        loop {
            let started = tokio::time::Instant::now();
            if let Err(e) = self.sessions_upkeep(clock.now()).await {
                tracing::warn!(error = %e, "sessions upkeep failed; the gauge keeps its last reading");
            }
            let took = started.elapsed();
            tokio::time::sleep_until(started + every.max(took.saturating_mul(UPKEEP_SHARE))).await;
        }
    }

    /// The live sessions of `user_id` at `now`, most recently used first.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "list_sessions"))]
    pub async fn list_sessions(
        &self,
        user_id: ObjectId,
        now: DateTime,
    ) -> Result<Vec<SessionDoc>, Error> {
        let live = doc! { "user_id": user_id, "expires_at": { "$gt": now } };
        sorted(&self.sessions, live, doc! { "last_used_at": -1 }, None).await
    }

    /// This instance's own session writes reach its cache before they are answered (even a
    /// write that failed may have been applied), so it never answers with what it just changed.
    pub(super) fn forget_session(&self, sid: &str) {
        if let Some(cache) = self.cache() {
            cache.forget_session(sid);
        }
    }

    /// For writes to several sessions at once.
    pub(super) fn forget_sessions(&self) {
        if let Some(cache) = self.cache() {
            cache.forget_all_sessions();
        }
    }
}
