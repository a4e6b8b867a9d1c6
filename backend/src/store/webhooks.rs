//! `webhook_deliveries`: one document per event × endpoint. While pending it carries `queue`
//! (its endpoint), the key of the indexed query that finds an endpoint's oldest deliveries;
//! delivered or failed, `queue` is removed and a TTL on `expires_at` cleans up later. Every
//! change is an `update_one` by `_id` with plain conditions on the fields last read
//! (compare-and-set): no `findAndModify`, which the local database server runs as a scan of
//! the collection under its write lock.

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime},
    error::Error,
};
use serde::{Deserialize, Serialize};

use super::{sorted, updated_one, Landed, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or its next one.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// The retry period ended without a 2xx.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookDelivery {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// The `webhook-id` header: one per event, the same for every endpoint and attempt.
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The endpoint's URL.
    pub endpoint: String,
    /// The endpoint's URL while pending; absent once finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    pub status: DeliveryStatus,
    /// The JSON body exactly as signed and sent.
    pub body: String,
    /// When the event happened: the order of the endpoint's queue.
    pub created_at: DateTime,
    /// Attempts started so far.
    pub attempts: i32,
    /// Not before this time (back-off).
    pub next_at: DateTime,
    /// While an instance is attempting it, until this time.
    pub lease_until: DateTime,
    /// A failed attempt whose next one would come after this marks the delivery failed.
    pub give_up_at: DateTime,
    /// Removed by a TTL index after this time.
    pub expires_at: DateTime,
    #[serde(default)]
    pub last_error: Option<String>,
    /// The HTTP status of the last answer, if there was one.
    #[serde(default)]
    pub last_status: Option<i32>,
    #[serde(default)]
    pub finished_at: Option<DateTime>,
}

impl Store {
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_webhook_deliveries"))]
    pub async fn insert_webhook_deliveries(&self, docs: &[WebhookDelivery]) -> Result<(), Error> {
        if docs.is_empty() {
            return Ok(());
        }
        self.webhook_deliveries.insert_many(docs).await.map(|_| ())
    }

    /// The oldest `limit` pending deliveries to `endpoint`, oldest first.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "webhook_queue_head"))]
    pub async fn webhook_queue_head(
        &self,
        endpoint: &str,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, Error> {
        let (filter, sort) = (
            doc! { "queue": endpoint },
            doc! { "created_at": 1, "_id": 1 },
        );
        sorted(&self.webhook_deliveries, filter, sort, Some(limit)).await
    }

    /// Takes the next attempt of `d` (as read) until `lease_until`: `true` for exactly one
    /// caller, whatever the number of instances.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "claim_webhook"))]
    pub async fn claim_webhook(
        &self,
        d: &WebhookDelivery,
        lease_until: DateTime,
    ) -> Result<bool, Error> {
        updated_one(
            &self.webhook_deliveries,
            doc! {
                "_id": d.id,
                "queue": &d.endpoint,
                "attempts": d.attempts,
                "lease_until": d.lease_until,
                "next_at": d.next_at,
            },
            doc! { "$set": { "lease_until": lease_until }, "$inc": { "attempts": 1 } },
            Landed::Modified,
        )
        .await
    }

    /// Finishes attempt `attempts` of delivery `id` (still under the lease `lease_until`) as
    /// `status` (delivered or failed). `false`: the lease was lost meanwhile.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "finish_webhook"))]
    pub async fn finish_webhook(
        &self,
        id: ObjectId,
        attempts: i32,
        lease_until: DateTime,
        status: DeliveryStatus,
        now: DateTime,
        expires_at: DateTime,
        http_status: Option<i32>,
        error: Option<&str>,
    ) -> Result<bool, Error> {
        updated_one(
            &self.webhook_deliveries,
            doc! { "_id": id, "attempts": attempts, "lease_until": lease_until },
            doc! {
                "$set": {
                    "status": status.as_str(),
                    "finished_at": now,
                    "expires_at": expires_at,
                    "last_status": http_status,
                    "last_error": error,
                },
                "$unset": { "queue": "" },
            },
            Landed::Modified,
        )
        .await
    }

    /// Attempt `attempts` of `id` failed: the next one is due at `next_at`.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "release_webhook"))]
    pub async fn release_webhook(
        &self,
        id: ObjectId,
        attempts: i32,
        lease_until: DateTime,
        next_at: DateTime,
        http_status: Option<i32>,
        error: &str,
    ) -> Result<bool, Error> {
        updated_one(
            &self.webhook_deliveries,
            doc! { "_id": id, "attempts": attempts, "lease_until": lease_until },
            doc! { "$set": {
                "next_at": next_at,
                "lease_until": next_at,
                "last_status": http_status,
                "last_error": error,
            } },
            Landed::Modified,
        )
        .await
    }

    /// Pending deliveries to `endpoint`.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "count_webhook_queue"))]
    pub async fn count_webhook_queue(&self, endpoint: &str) -> Result<u64, Error> {
        self.webhook_deliveries
            .count_documents(doc! { "queue": endpoint })
            .await
    }

    /// The newest `limit` deliveries in `status`.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "list_webhook_deliveries"))]
    pub async fn list_webhook_deliveries(
        &self,
        status: DeliveryStatus,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, Error> {
        let filter = doc! { "status": status.as_str() };
        let sort = doc! { "created_at": -1, "_id": -1 };
        sorted(&self.webhook_deliveries, filter, sort, Some(limit)).await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_webhook_delivery"))]
    pub async fn find_webhook_delivery(
        &self,
        id: ObjectId,
    ) -> Result<Option<WebhookDelivery>, Error> {
        self.webhook_deliveries.find_one(doc! { "_id": id }).await
    }

    /// Failed delivery `d` (as read) pending again, due `now`, with attempts counted anew.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "requeue_webhook"))]
    pub async fn requeue_webhook(
        &self,
        d: &WebhookDelivery,
        now: DateTime,
        give_up_at: DateTime,
        expires_at: DateTime,
    ) -> Result<bool, Error> {
        updated_one(
            &self.webhook_deliveries,
            doc! { "_id": d.id, "status": "failed", "attempts": d.attempts },
            doc! { "$set": {
                "status": "pending",
                "queue": &d.endpoint,
                "attempts": 0,
                "next_at": now,
                "lease_until": now,
                "give_up_at": give_up_at,
                "expires_at": expires_at,
                "finished_at": null,
            } },
            Landed::Modified,
        )
        .await
    }
}
