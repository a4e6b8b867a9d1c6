//! The security-notice outbox: a notice is written here before the change it reports is
//! answered, and deleted once the mail server accepted it. A send that fails stays, to be
//! retried by any instance (a lease keeps two instances from sending it at once).

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime},
    error::Error,
};
use serde::{Deserialize, Serialize};

use super::Store;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub to: String,
    pub locale: shared::Locale,
    /// What to tell, with its values ([`crate::notices::Notice`]).
    pub notice: mongodb::bson::Document,
    pub created_at: DateTime,
    /// Sends tried so far.
    pub attempts: i32,
    /// Not before this time (back-off after a failure).
    pub next_at: DateTime,
    /// While an instance is sending it, until this time.
    pub lease_until: DateTime,
    /// Given up (and cleaned up by a TTL index) after this time.
    pub expires_at: DateTime,
}

/// Due notices read per round trip by [`Store::claim_outbox`].
const CLAIM_BATCH: u32 = 8;

impl Store {
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_outbox"))]
    pub async fn insert_outbox(&self, doc: &OutboxDoc) -> Result<(), Error> {
        self.outbox.insert_one(doc).await.map(|_| ())
    }

    /// Takes one due notice whose lease has lapsed, leasing it until `lease_until`; `None`
    /// when there is none (or every one seen was taken by another instance first).
    ///
    /// The due notices whose lease lapsed are read through the `next_at` index (the filter
    /// leaves `expires_at` out, so no planner reads that index's range of every notice
    /// instead), a few at a time, and the first unexpired one is leased by a compare-and-set on
    /// what was read
    /// (`attempts`, `lease_until`, `next_at`, by `_id`): the one instance whose update matched
    /// holds the lease; the others move on to the next.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "claim_outbox"))]
    pub async fn claim_outbox(
        &self,
        now: DateTime,
        lease_until: DateTime,
    ) -> Result<Option<OutboxDoc>, Error> {
        let mut due = self
            .outbox
            .find(doc! { "next_at": { "$lte": now }, "lease_until": { "$lte": now } })
            .batch_size(CLAIM_BATCH)
            .await?;
        while due.advance().await? {
            let mut notice = due.deserialize_current()?;
            if notice.lease_until > now || notice.expires_at <= now {
                continue;
            }
            let leased = self
                .outbox
                .update_one(
                    doc! {
                        "_id": notice.id,
                        "attempts": notice.attempts,
                        "lease_until": notice.lease_until,
                        "next_at": notice.next_at,
                    },
                    doc! { "$set": { "lease_until": lease_until }, "$inc": { "attempts": 1 } },
                )
                .await?;
            if leased.matched_count == 1 {
                notice.lease_until = lease_until;
                notice.attempts += 1;
                return Ok(Some(notice));
            }
        }
        Ok(None)
    }

    /// Sent: gone.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_outbox"))]
    pub async fn delete_outbox(&self, id: ObjectId) -> Result<(), Error> {
        self.outbox.delete_one(doc! { "_id": id }).await.map(|_| ())
    }

    /// Not sent: try again at `next_at`, by whichever instance comes first.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "release_outbox"))]
    pub async fn release_outbox(&self, id: ObjectId, next_at: DateTime) -> Result<(), Error> {
        self.outbox
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "next_at": next_at, "lease_until": next_at } },
            )
            .await
            .map(|_| ())
    }

    /// Drops every queued notice to `to` (an account being deleted: its goodbye is queued
    /// after this).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_outbox_to"))]
    pub async fn delete_outbox_to(&self, to: &str) -> Result<(), Error> {
        self.outbox.delete_many(doc! { "to": to }).await.map(|_| ())
    }

    /// Notices to `to` still waiting in the outbox (sent ones are deleted).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "outbox_pending_to"))]
    pub async fn outbox_pending_to(&self, to: &str) -> Result<u64, Error> {
        self.outbox.count_documents(doc! { "to": to }).await
    }
}
