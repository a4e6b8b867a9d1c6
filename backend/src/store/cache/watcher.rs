//! Keeps an [`AuthCache`] coherent: one change stream on the database (sessions, accounts and
//! heartbeats, in commit order) evicts what changed, and a heartbeat written every
//! `APP_SESSION_CACHE_HEARTBEAT_MS` and seen back through the same stream tells how far the
//! stream has caught up. Any error, an invalidated stream or a heartbeat late by more than
//! `APP_SESSION_CACHE_MAX_LAG_MS` makes requests read the database until the stream has
//! proved itself again.

use std::{
    pin::pin,
    sync::{atomic::Ordering::SeqCst, Arc},
    time::Duration,
};

use mongodb::{
    bson::{Bson, Document},
    change_stream::{
        event::{ChangeStreamEvent, OperationType},
        ChangeStream,
    },
};

use super::AuthCache;
use crate::store::{Store, HEARTBEATS, SESSIONS, USERS};

/// Starts the heartbeat and the stream follower for `cache` on `store`.
pub fn spawn(cache: Arc<AuthCache>, store: Store) {
    tokio::spawn(beat_forever(cache.clone(), store.clone()));
    tokio::spawn(follow_forever(cache, store));
}

/// Writes the next heartbeat; its number.
async fn beat(cache: &AuthCache, store: &Store) -> Result<i64, mongodb::error::Error> {
    let (n, now) = cache.next_heartbeat();
    store.beat(&cache.instance, n, now).await?;
    Ok(n)
}

async fn beat_forever(cache: Arc<AuthCache>, store: Store) {
    let mut tick = tokio::time::interval(cache.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = beat(&cache, &store).await {
            // The cache stops answering by itself when beats stop coming back.
            tracing::debug!(error = %e, "session cache heartbeat not written");
        }
    }
}

/// Whether every change committed before this call has been applied to `cache` (within
/// `timeout`): writes a heartbeat and waits until the stream brings it back. What the
/// scale-out tests use to know that a change made on another instance has arrived.
pub async fn caught_up(cache: &AuthCache, store: &Store, timeout: Duration) -> bool {
    let Ok(n) = beat(cache, store).await else {
        return false;
    };
    let mut seen = cache.seen.subscribe();
    let back = tokio::time::timeout(timeout, seen.wait_for(|seen| *seen >= n)).await;
    matches!(back, Ok(Ok(_)))
}

async fn follow_forever(cache: Arc<AuthCache>, store: Store) {
    let mut delay = Duration::from_millis(100);
    loop {
        let reason = match store.watch_auth_changes().await {
            Ok(stream) => {
                tracing::info!("session cache: change stream open");
                delay = Duration::from_millis(100);
                follow(&cache, stream).await
            }
            Err(e) => format!("opening the change stream failed: {e}"),
        };
        cache.distrust();
        tracing::warn!(
            reason,
            retry_in_ms = delay.as_millis() as u64,
            "session cache off: every request reads the database until the change stream is back"
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Applies the stream's events until it fails; why it stopped.
async fn follow(
    cache: &AuthCache,
    mut stream: ChangeStream<ChangeStreamEvent<Document>>,
) -> String {
    let opened_after = cache.last_heartbeat();
    let mut fresh = true;
    loop {
        if cache.broken.swap(false, SeqCst) {
            return "stream broken (injected)".into();
        }
        if cache.stalled.load(SeqCst) {
            let mut unstalled = pin!(cache.unstalled.notified());
            unstalled.as_mut().enable();
            if cache.stalled.load(SeqCst) && !cache.broken.load(SeqCst) {
                cache.parked.store(true, SeqCst);
                unstalled.await;
                cache.parked.store(false, SeqCst);
            }
            continue;
        }
        // Returns at the latest after the stream's await time (an empty batch), so the flags
        // above are looked at often.
        match stream.next_if_any().await {
            Ok(Some(event)) => {
                if let Err(reason) = apply(cache, &event, opened_after, &mut fresh) {
                    return reason;
                }
            }
            Ok(None) => {}
            Err(e) => return format!("change stream failed: {e}"),
        }
    }
}

/// One event: evict what it changed, or note a heartbeat of ours.
fn apply(
    cache: &AuthCache,
    event: &ChangeStreamEvent<Document>,
    opened_after: i64,
    fresh: &mut bool,
) -> Result<(), String> {
    match event.operation_type {
        OperationType::Insert
        | OperationType::Update
        | OperationType::Replace
        | OperationType::Delete => {}
        // Dropped or renamed collections, an invalidated stream, or anything unknown: what
        // the cache holds can no longer be vouched for.
        ref other => return Err(format!("change stream event {other:?}")),
    }
    let collection = event.ns.as_ref().and_then(|ns| ns.coll.as_deref());
    let id = event.document_key.as_ref().and_then(|key| key.get("_id"));
    match (collection, id) {
        (Some(SESSIONS), Some(Bson::String(sid))) => cache.forget_session(sid),
        (Some(USERS), Some(Bson::ObjectId(user_id))) => cache.forget_profile(*user_id),
        (Some(HEARTBEATS), Some(Bson::String(instance))) if *instance == cache.instance => {
            let n = event
                .update_description
                .as_ref()
                .and_then(|update| update.updated_fields.get("n"))
                .or_else(|| event.full_document.as_ref().and_then(|doc| doc.get("n")));
            if let Some(Bson::Int64(n)) = n {
                if *n > opened_after {
                    cache.heartbeat_seen(*n, *fresh);
                    *fresh = false;
                }
            }
        }
        (Some(HEARTBEATS), _) => {}
        // A document of ours with an id of another type is not one we cache; but a session or
        // account we cannot name must not stay cached.
        (Some(SESSIONS), _) => cache.forget_all_sessions(),
        (Some(USERS), _) => cache.forget_all_profiles(),
        _ => {}
    }
    Ok(())
}
