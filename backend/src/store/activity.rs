//! The activity log (`activity`): one document per account event (`crate::events::activity`),
//! read newest first per account through the `user_id_id` index (an `ObjectId` grows with
//! the time it was made, so `_id` order is the order of writing), gone after the retention
//! (`APP_ACTIVITY_RETENTION_DAYS`) by a TTL index on `expires_at`.

use mongodb::{
    bson::{doc, oid::ObjectId, Document},
    error::Error,
};

use super::{sorted, Store};

impl Store {
    /// Writes `entry` (with its `expires_at` already set).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_activity"))]
    pub async fn insert_activity(&self, entry: Document) -> Result<(), Error> {
        self.activity.insert_one(entry).await.map(|_| ())
    }

    /// At most `limit` entries of `user_id` older than `before` (all when `None`), newest
    /// first.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "list_activity"))]
    pub async fn list_activity(
        &self,
        user_id: ObjectId,
        before: Option<ObjectId>,
        limit: u32,
    ) -> Result<Vec<Document>, Error> {
        let filter = match before {
            Some(before) => doc! { "user_id": user_id, "_id": { "$lt": before } },
            None => doc! { "user_id": user_id },
        };
        let newest_first = doc! { "_id": -1 };
        sorted(&self.activity, filter, newest_first, Some(i64::from(limit))).await
    }

    /// Every entry of a deleted account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_activity_of"))]
    pub async fn delete_activity_of(&self, user_id: ObjectId) -> Result<u64, Error> {
        super::delete_of_user(&self.activity, user_id).await
    }
}
