//! What the admin surface stores and reads: its API keys (`admin_keys`, each stored only as the
//! HMAC of the key), the audit trail (`admin_audit`), the daily counts (`daily_counts`, one
//! document per UTC day, incremented as sign-ups and sign-ins happen), and the account search.
//!
//! Every read here is served by an index: a key by `_id` (its hash), the audit trail by `at_id`
//! (newest first), the daily counts by a narrow `_id` range, the search by a range on one of the
//! accounts' unique lowercase keys (`username_key`, `nickname_key`, `email_key`) — a prefix
//! `p` is the range `[p, p + U+10FFFF)` — and the unfiltered list by `created_at_id`.

use futures_util::TryStreamExt;
use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    error::Error,
};
use serde::{Deserialize, Serialize};

use super::{duplicate_key_index, sorted, updated_one, Landed, Store, UserDoc};

/// `admin_keys`: one document per admin API key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKeyDoc {
    /// Hex HMAC-SHA256 of the key (`crate::admin::keys`); the key itself is never stored.
    #[serde(rename = "_id")]
    pub hash: String,
    /// Unique, never reused (a revoked key keeps its name in the audit trail).
    pub name: String,
    pub read_only: bool,
    pub created_at: DateTime,
    pub revoked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime>,
}

/// `admin_audit`: one document per write through the admin API or the command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub at: DateTime,
    pub key_name: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub client: String,
}

/// Where a page of accounts starts: after the account created at `created_at` with id `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserCursor {
    pub created_at: DateTime,
    pub id: ObjectId,
}

impl UserCursor {
    pub fn of(user: &UserDoc) -> Self {
        Self {
            created_at: user.created_at,
            id: user.id,
        }
    }

    /// Whether `user` comes after this cursor, newest first.
    fn precedes(&self, user: &UserDoc) -> bool {
        (user.created_at, user.id) < (self.created_at, self.id)
    }
}

/// The prefixes an account search looks for, one per unique key field.
pub struct SearchKeys {
    pub username_key: String,
    pub nickname_key: String,
    pub email_key: String,
}

impl SearchKeys {
    /// What `q` is a prefix of in each key field (keyed as the accounts' own keys are);
    /// `None` for an empty `q` (every account).
    pub fn of(q: &str) -> Option<Self> {
        let q = q.trim();
        (!q.is_empty()).then(|| Self {
            username_key: q.to_ascii_lowercase(),
            nickname_key: crate::domain::nickname_key(&shared::rules::normalize_nickname(q)),
            email_key: shared::rules::normalize_email(q),
        })
    }
}

/// The order of every account list: newest first.
pub fn search_sort() -> Document {
    doc! { "created_at": -1, "_id": -1 }
}

/// The queries of one search page: one range on one unique key per prefix of `keys` (or, with
/// none, every account through `created_at_id`), bounded by the cursor's time. What
/// [`Store::search_users`] runs, and what the tests `explain`.
pub fn search_filters(keys: Option<&SearchKeys>, after: Option<UserCursor>) -> Vec<Document> {
    let bound = |mut filter: Document| {
        if let Some(after) = after {
            filter.insert("created_at", doc! { "$lte": after.created_at });
        }
        filter
    };
    match keys {
        Some(keys) => [
            ("username_key", &keys.username_key),
            ("nickname_key", &keys.nickname_key),
            ("email_key", &keys.email_key),
        ]
        .into_iter()
        .filter(|(_, prefix)| !prefix.is_empty())
        .map(|(field, prefix)| bound(doc! { field: prefix_range(prefix) }))
        .collect(),
        None => vec![bound(Document::new())],
    }
}

pub const CREATED_INDEX: &str = "created_at_id";

impl Store {
    /// Stores a new key; `false` when its name is taken (the unique index decides).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_api_key"))]
    pub async fn insert_api_key(&self, key: &ApiKeyDoc) -> Result<bool, Error> {
        match self.admin_keys.insert_one(key).await {
            Ok(_) => Ok(true),
            Err(e) if duplicate_key_index(&e).is_some() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The key whose hash is `hash` (one `_id` read: no cache, so a revocation counts on every
    /// instance from the next request on).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_api_key"))]
    pub async fn find_api_key(&self, hash: &str) -> Result<Option<ApiKeyDoc>, Error> {
        self.admin_keys.find_one(doc! { "_id": hash }).await
    }

    /// Every key, oldest first.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "list_api_keys"))]
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyDoc>, Error> {
        sorted(&self.admin_keys, doc! {}, doc! { "created_at": 1 }, None).await
    }

    /// Revokes the live key named `name`; whether there was one.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "revoke_api_key"))]
    pub async fn revoke_api_key(&self, name: &str, now: DateTime) -> Result<bool, Error> {
        updated_one(
            &self.admin_keys,
            doc! { "name": name, "revoked": false },
            doc! { "$set": { "revoked": true, "revoked_at": now } },
            Landed::Modified,
        )
        .await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_audit"))]
    pub async fn insert_audit(&self, entry: &AuditDoc) -> Result<(), Error> {
        self.admin_audit.insert_one(entry).await.map(|_| ())
    }

    /// Up to `limit` audit entries, newest first (by time, then id), after the entry
    /// `(at, id)` of `after` if given. One range on the `at_id` index.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "audit_page"))]
    pub async fn audit_page(
        &self,
        after: Option<(DateTime, ObjectId)>,
        limit: usize,
    ) -> Result<Vec<AuditDoc>, Error> {
        let filter = match after {
            Some((at, _)) => doc! { "at": { "$lte": at } },
            None => doc! {},
        };
        let mut cursor = self
            .admin_audit
            .find(filter)
            .sort(doc! { "at": -1, "_id": -1 })
            .await?;
        let mut page = vec![];
        while page.len() < limit && cursor.advance().await? {
            let entry: AuditDoc = cursor.deserialize_current()?;
            if after.is_some_and(|after| (entry.at, entry.id) >= after) {
                continue;
            }
            page.push(entry);
        }
        Ok(page)
    }

    /// Counts one `field` (`sign_ups`, `sign_ins`) on UTC day `day` (`YYYY-MM-DD`).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "count_day"))]
    pub async fn count_day(&self, day: &str, field: &str) -> Result<(), Error> {
        let counts = &self.daily_counts;
        let count = || {
            counts
                .update_one(doc! { "_id": day }, doc! { "$inc": { field: 1_i64 } })
                .upsert(true)
        };
        match count().await {
            // Two first counts of a day raced to create its document: the loser increments it.
            Err(e) if duplicate_key_index(&e).is_some() => count().await.map(|_| ()),
            other => other.map(|_| ()),
        }
    }

    /// The daily counts from day `first` (`YYYY-MM-DD`) on.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "days_since"))]
    pub async fn days_since(&self, first: &str) -> Result<Vec<Document>, Error> {
        self.daily_counts
            .find(doc! { "_id": { "$gte": first } })
            .await?
            .try_collect()
            .await
    }

    /// How many accounts exist, from the collection's metadata (no scan).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "count_accounts"))]
    pub async fn count_accounts(&self) -> Result<u64, Error> {
        self.users.estimated_document_count().await
    }

    /// Up to `limit` accounts, newest first, after `after`: those whose username, nickname or
    /// email key starts with the matching prefix of `keys`, or every account without `keys`.
    /// Each prefix is one range on its unique index; at most `limit` accounts are taken from
    /// each, and the three lists merged.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "search_users"))]
    pub async fn search_users(
        &self,
        keys: Option<&SearchKeys>,
        after: Option<UserCursor>,
        limit: usize,
    ) -> Result<Vec<UserDoc>, Error> {
        let filters = search_filters(keys, after);
        let mut found: Vec<UserDoc> = vec![];
        for filter in filters {
            let mut cursor = self.users.find(filter).sort(search_sort()).await?;
            let mut taken = 0;
            while taken < limit && cursor.advance().await? {
                let user = cursor.deserialize_current()?;
                if after.is_some_and(|after| !after.precedes(&user)) {
                    continue;
                }
                taken += 1;
                if !found.iter().any(|f| f.id == user.id) {
                    found.push(user);
                }
            }
        }
        found.sort_by_key(|user| std::cmp::Reverse((user.created_at, user.id)));
        found.truncate(limit);
        Ok(found)
    }

    /// When the account last changed its address, if its activity log still says.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "last_email_change"))]
    pub async fn last_email_change(&self, user_id: ObjectId) -> Result<Option<DateTime>, Error> {
        Ok(self
            .database()
            .collection::<Document>("activity")
            .find_one(doc! { "user_id": user_id, "kind": "email_changed" })
            .sort(doc! { "at": -1, "_id": -1 })
            .await?
            .and_then(|entry| entry.get_datetime("at").ok().copied()))
    }
}

/// Every string that starts with `prefix`, as an index range: `[prefix, prefix + U+10FFFF)`.
/// Keys compare by their UTF-8 bytes, and no character sorts after U+10FFFF.
pub fn prefix_range(prefix: &str) -> Document {
    doc! { "$gte": prefix, "$lt": format!("{prefix}\u{10FFFF}") }
}
