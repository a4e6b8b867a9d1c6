//! The change stream behind the session cache ([`crate::store::cache`]) and the heartbeats that tell
//! how far it has caught up.

use std::time::Duration;

use mongodb::{
    bson::{doc, DateTime, Document},
    change_stream::{event::ChangeStreamEvent, ChangeStream},
    error::Error,
};

use super::Store;

pub const SESSIONS: &str = "sessions";
pub const USERS: &str = "users";
pub const HEARTBEATS: &str = "cache_heartbeats";

/// A heartbeat document outlives its instance by this long (then the TTL index drops it).
const HEARTBEAT_TTL: Duration = Duration::from_secs(3600);

impl Store {
    /// One stream over sessions, accounts and heartbeats: one stream, so that their events
    /// come in commit order and a heartbeat vouches for every change before it. The server
    /// answers an empty batch after 100 ms without changes, so the follower wakes up often.
    /// A MongoDB without a replica set refuses change streams: the caller then never trusts
    /// its cache.
    pub async fn watch_auth_changes(
        &self,
    ) -> Result<ChangeStream<ChangeStreamEvent<Document>>, Error> {
        self.db
            .watch()
            .pipeline([doc! { "$match": { "ns.coll": { "$in": [SESSIONS, USERS, HEARTBEATS] } } }])
            .max_await_time(Duration::from_millis(100))
            .await
    }

    /// Writes heartbeat `n` of `instance`.
    pub async fn beat(&self, instance: &str, n: i64, now: DateTime) -> Result<(), Error> {
        let expires_at = DateTime::from_millis(
            now.timestamp_millis()
                .saturating_add(HEARTBEAT_TTL.as_millis() as i64),
        );
        self.heartbeats
            .update_one(
                doc! { "_id": instance },
                doc! { "$set": { "n": n, "expires_at": expires_at } },
            )
            .upsert(true)
            .await
            .map(|_| ())
    }
}
