//! The per-instance cache behind the bearer check: sessions by id and account profiles by id,
//! kept coherent by a MongoDB change stream (see [`watcher`]) and trusted only while that
//! stream is known to be live and caught up.
//!
//! The guarantee, in full:
//! - The cache answers only while a heartbeat this instance wrote at most `max_lag` ago (by its
//!   clock) has come back through the change stream. The stream delivers changes in commit
//!   order, so such a heartbeat proves that every change committed before it was written has
//!   been applied here: an answer is never staler than `max_lag`. In practice a change is
//!   applied a few milliseconds after its commit.
//! - While the stream is starting, broken, resuming, or stalled (no heartbeat back in time),
//!   every request reads the database, as without a cache (fail closed). When trust is
//!   (re)gained the cache starts empty.
//! - This instance's own writes are applied to the cache before they are answered, so a
//!   change is seen at once by the instance that made it.
//! - A value read from the database is kept only if no change was applied while it was being
//!   read (the sequence number below); otherwise the next request reads again.
//! - A session's own expiry is checked on every hit, as the database query does.

pub mod watcher;

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::SeqCst},
        Arc, Mutex,
    },
    time::Duration,
};

use mongodb::bson::{oid::ObjectId, DateTime};
use tokio::sync::{watch, Notify};

use super::{Profile, SessionDoc, Store};
use crate::{clock::Clock, config::SessionCacheSettings};

/// A running instance's cache with the store that feeds it.
#[derive(Clone)]
pub struct Handle {
    pub cache: Arc<AuthCache>,
    pub store: Store,
}

impl Handle {
    /// Whether every change committed before this call has been applied (within 10 s): see
    /// [`watcher::caught_up`].
    pub async fn caught_up(&self) -> bool {
        watcher::caught_up(&self.cache, &self.store, Duration::from_secs(10)).await
    }
}

pub struct AuthCache {
    sessions: moka::sync::Cache<String, Arc<SessionDoc>>,
    profiles: moka::sync::Cache<ObjectId, Arc<Profile>>,
    /// Bumped before every eviction and every change of trust: a read that saw it move while
    /// it was at the database does not keep its value.
    seq: AtomicU64,
    /// Clock milliseconds until which the cache may answer; 0: not trusted.
    trusted_until: AtomicI64,
    max_lag: Duration,
    heartbeat: Duration,
    clock: Clock,
    /// This instance's heartbeat document id.
    instance: String,
    /// Heartbeats written: (number, clock milliseconds when it was written).
    sent: Mutex<VecDeque<(i64, i64)>>,
    next_beat: AtomicI64,
    /// The highest heartbeat number seen back through the stream.
    seen: watch::Sender<i64>,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Fault injection for tests: the watcher stops reading the stream while set.
    stalled: AtomicBool,
    unstalled: Notify,
    /// Set while the watcher is parked by [`AuthCache::inject_stall`].
    parked: AtomicBool,
    /// Fault injection for tests: the watcher drops its stream as if it had failed.
    broken: AtomicBool,
}

impl AuthCache {
    /// `None` when the configured capacity is 0 (cache off).
    pub fn new(settings: &SessionCacheSettings, clock: Clock) -> Option<Arc<Self>> {
        if settings.capacity == 0 {
            return None;
        }
        fn build<K, V>(capacity: u64) -> moka::sync::Cache<K, V>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            moka::sync::Cache::builder()
                .max_capacity(capacity)
                // A safety net only: coherence comes from the stream.
                .time_to_live(Duration::from_secs(600))
                .build()
        }
        Some(Arc::new(Self {
            sessions: build(settings.capacity),
            profiles: build(settings.capacity),
            seq: AtomicU64::new(0),
            trusted_until: AtomicI64::new(0),
            max_lag: settings.max_lag,
            heartbeat: settings.heartbeat,
            clock,
            instance: format!("{:032x}", rand::random::<u128>()),
            sent: Mutex::new(VecDeque::new()),
            next_beat: AtomicI64::new(0),
            seen: watch::Sender::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
            unstalled: Notify::new(),
            parked: AtomicBool::new(false),
            broken: AtomicBool::new(false),
        }))
    }

    /// Whether the cache may answer now.
    pub fn is_trusted(&self) -> bool {
        self.clock.now_millis() < self.trusted_until.load(SeqCst)
    }

    /// The cached session `sid`, when the cache may answer and holds it.
    pub fn session(&self, sid: &str) -> Option<Arc<SessionDoc>> {
        if !self.is_trusted() {
            return None;
        }
        let found = self.sessions.get(sid);
        self.count(found.is_some());
        found
    }

    pub fn profile(&self, user_id: ObjectId) -> Option<Arc<Profile>> {
        if !self.is_trusted() {
            return None;
        }
        let found = self.profiles.get(&user_id);
        self.count(found.is_some());
        found
    }

    fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, SeqCst);
        metrics::counter!("session_cache_lookups_total", "result" => if hit { "hit" } else { "miss" })
            .increment(1);
    }

    /// The sequence number to hand back to [`AuthCache::keep_session`] /
    /// [`AuthCache::keep_profile`]: take it before reading the database.
    pub fn before_read(&self) -> u64 {
        self.seq.load(SeqCst)
    }

    /// Keeps a session read from the database since `seq`, unless a change was applied
    /// meanwhile. Inserted first, checked after: an eviction racing the insert either comes
    /// after it (and removes it) or bumped the sequence before it (and this removes it).
    pub fn keep_session(&self, seq: u64, session: &SessionDoc) {
        let key = session.id.clone();
        self.sessions.insert(key.clone(), Arc::new(session.clone()));
        if self.seq.load(SeqCst) != seq {
            self.sessions.invalidate(&key);
        }
    }

    pub fn keep_profile(&self, seq: u64, user_id: ObjectId, profile: Profile) {
        self.profiles.insert(user_id, Arc::new(profile));
        if self.seq.load(SeqCst) != seq {
            self.profiles.invalidate(&user_id);
        }
    }

    pub fn forget_session(&self, sid: &str) {
        self.seq.fetch_add(1, SeqCst);
        self.sessions.invalidate(sid);
    }

    pub fn forget_profile(&self, user_id: ObjectId) {
        self.seq.fetch_add(1, SeqCst);
        self.profiles.invalidate(&user_id);
    }

    /// Drops every session (a change to many at once: all of an account's).
    pub fn forget_all_sessions(&self) {
        self.seq.fetch_add(1, SeqCst);
        self.sessions.invalidate_all();
    }

    /// Drops every profile (a change to an account the stream could not name).
    fn forget_all_profiles(&self) {
        self.seq.fetch_add(1, SeqCst);
        self.profiles.invalidate_all();
    }

    /// Drops everything held.
    fn forget_everything(&self) {
        self.forget_all_sessions();
        self.forget_all_profiles();
    }

    /// Stops answering (the stream failed): requests read the database until trust is
    /// regained, which starts from an empty cache.
    fn distrust(&self) {
        self.trusted_until.store(0, SeqCst);
        self.forget_everything();
        metrics::gauge!("session_cache_trusted").set(0.0);
    }

    /// The next heartbeat: its number, recorded with the time it is written.
    fn next_heartbeat(&self) -> (i64, DateTime) {
        let n = self.next_beat.fetch_add(1, SeqCst) + 1;
        let now = self.clock.now();
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        sent.push_back((n, now.timestamp_millis()));
        // Beats whose writes failed never come back; keep the queue bounded.
        while sent.len() > 1024 {
            sent.pop_front();
        }
        (n, now)
    }

    /// The number of the last heartbeat written so far. A stream opened now can prove nothing
    /// with a heartbeat up to this one: it may have been committed before the stream opened.
    fn last_heartbeat(&self) -> i64 {
        self.next_beat.load(SeqCst)
    }

    /// Heartbeat `n` came back through a stream that opened before it was written (a `fresh`
    /// stream: the first since it was opened). Everything committed before it was written has
    /// been applied.
    fn heartbeat_seen(&self, n: i64, fresh: bool) {
        let written_at = {
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            let mut written_at = None;
            while let Some(&(m, at)) = sent.front() {
                if m > n {
                    break;
                }
                sent.pop_front();
                if m == n {
                    written_at = Some(at);
                }
            }
            written_at
        };
        let Some(written_at) = written_at else {
            return;
        };
        if fresh {
            // Whatever was kept before this stream was open may have missed changes.
            self.forget_everything();
        }
        let until = written_at.saturating_add(self.max_lag.as_millis() as i64);
        if self.trusted_until.fetch_max(until, SeqCst) == 0 {
            metrics::gauge!("session_cache_trusted").set(1.0);
        }
        self.seen.send_if_modified(|seen| {
            let newer = n > *seen;
            if newer {
                *seen = n;
            }
            newer
        });
    }

    /// Cache lookups answered from memory and from the database since the start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (self.hits.load(SeqCst), self.misses.load(SeqCst))
    }

    /// Whether session `sid` is held (trusted or not): for tests that must tell a refusal by
    /// eviction from one by the database.
    pub fn holds_session(&self, sid: &str) -> bool {
        self.sessions.contains_key(sid)
    }

    /// Fault injection: the watcher stops reading its stream (a stalled stream) until called
    /// with `false`.
    pub fn inject_stall(&self, stalled: bool) {
        self.stalled.store(stalled, SeqCst);
        if !stalled {
            self.unstalled.notify_waiters();
        }
    }

    /// Whether the watcher is parked by [`AuthCache::inject_stall`] (reads nothing more).
    pub fn is_parked(&self) -> bool {
        self.parked.load(SeqCst)
    }

    /// Fault injection: the watcher drops its stream as if it had failed, and opens another.
    pub fn inject_break(&self) {
        self.broken.store(true, SeqCst);
        self.unstalled.notify_waiters();
    }
}
