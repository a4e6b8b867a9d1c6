//! The activity log (`activity`): one document per account event (`crate::events::activity`),
//! read newest first per account through the `user_at` index, gone after the retention by a
//! TTL index on `expires_at`.

use mongodb::{
    bson::{doc, oid::ObjectId, Document},
    error::Error,
    options::IndexOptions,
    Collection, IndexModel,
};

use super::Store;

/// Days an entry is kept (`expires_at` is set from it when the entry is written).
pub const RETENTION_DAYS: u64 = 90;

impl Store {
    fn activity(&self) -> Collection<Document> {
        self.database().collection("activity")
    }

    /// The indexes of the activity log (part of [`Store::ensure_indexes`]).
    pub(super) async fn ensure_activity_indexes(&self) -> Result<(), Error> {
        self.activity()
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "user_id": 1, "at": -1, "_id": -1 })
                    .options(IndexOptions::builder().name("user_at".to_owned()).build())
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "expires_at": 1 })
                    .options(
                        IndexOptions::builder()
                            .expire_after(std::time::Duration::ZERO)
                            .name("expires_at_ttl".to_owned())
                            .build(),
                    )
                    .build(),
            ])
            .await
            .map(|_| ())
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_activity"))]
    pub async fn insert_activity(&self, mut entry: Document) -> Result<(), Error> {
        if !entry.contains_key("expires_at") {
            if let Ok(at) = entry.get_datetime("at") {
                let expires = crate::clock::after(
                    *at,
                    std::time::Duration::from_secs(RETENTION_DAYS * 24 * 3600),
                );
                entry.insert("expires_at", expires);
            }
        }
        self.activity().insert_one(entry).await.map(|_| ())
    }

    /// Every entry of a deleted account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_activity_of"))]
    pub async fn delete_activity_of(&self, user_id: ObjectId) -> Result<u64, Error> {
        Ok(self
            .activity()
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}
