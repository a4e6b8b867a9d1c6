use mongodb::{
    bson::{doc, oid::ObjectId, Bson, DateTime, Document},
    error::Error,
};
use serde::{Deserialize, Serialize};

use super::{duplicate_key_index, Store, EMAIL_INDEX, NICKNAME_INDEX, USERNAME_INDEX};
use crate::domain::{nickname_key, NICKNAME_KEY_VERSION};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// As the person typed it.
    pub username: String,
    /// Lowercase: the unique key.
    pub username_key: String,
    pub nickname: String,
    /// [`crate::domain::nickname_key`] of `nickname`: the unique key.
    pub nickname_key: String,
    /// The scheme `nickname_key` was computed with; absent (0) in documents written before
    /// there were versions. [`Store::migrate_nickname_keys`] brings old ones up to date.
    #[serde(default)]
    pub nickname_key_v: i32,
    pub email: String,
    pub email_key: String,
    /// PHC string, `$argon2id$…`.
    pub password_hash: String,
    pub created_at: DateTime,
    /// Carried in every token as `ver`; raising it (log out everywhere, password reset)
    /// invalidates every token issued before.
    #[serde(default)]
    pub token_version: i64,
    /// Tokens logged out one by one, each kept until the token itself expires: read with the
    /// user on every authenticated request, so a revocation costs no extra query.
    #[serde(default)]
    pub revoked_tokens: Vec<RevokedToken>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokedToken {
    pub jti: String,
    /// When the token expires anyway; the entry may be dropped after that.
    pub exp: DateTime,
}

impl UserDoc {
    /// Whether the token with this id was logged out.
    pub fn has_revoked(&self, jti: &str) -> bool {
        self.revoked_tokens.iter().any(|t| t.jti == jti)
    }
}

/// Live revocations kept on one user. Past this, logging out ends every session of the user
/// instead (a token version bump), so the document read on every request stays small.
pub const MAX_REVOKED_TOKENS: usize = 128;

pub struct NewUser {
    pub username: String,
    pub username_key: String,
    pub nickname: String,
    pub nickname_key: String,
    pub email: String,
    pub email_key: String,
    pub password_hash: String,
}

/// Which unique index refused an insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Username,
    Nickname,
    Email,
}

pub enum InsertError {
    Duplicate(UniqueField),
    Db(Error),
}

impl Store {
    pub async fn find_user_by_id(&self, id: &str) -> Result<Option<UserDoc>, Error> {
        let Ok(oid) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        self.users.find_one(doc! { "_id": oid }).await
    }

    pub async fn find_user_by_email_key(&self, key: &str) -> Result<Option<UserDoc>, Error> {
        self.users.find_one(doc! { "email_key": key }).await
    }

    /// Invalidates every token issued so far for this user.
    pub async fn revoke_tokens(&self, id: ObjectId) -> Result<(), Error> {
        self.users
            .update_one(
                doc! { "_id": id },
                doc! { "$inc": { "token_version": 1_i64 } },
            )
            .await
            .map(|_| ())
    }

    /// Revokes the one token `jti` (valid until `exp`), leaving the user's other tokens alone,
    /// and drops entries of tokens that have expired by `now`. When the user already holds
    /// [`MAX_REVOKED_TOKENS`] live entries, every token is revoked instead and the list starts
    /// afresh: never less than what was asked.
    pub async fn revoke_token(
        &self,
        id: ObjectId,
        jti: &str,
        exp: DateTime,
        now: DateTime,
    ) -> Result<(), Error> {
        // Pruning and adding are two writes: one update may not both $pull from and $push to
        // the same array. Each is atomic, and the prune removes only dead entries.
        self.users
            .update_one(
                doc! { "_id": id },
                doc! { "$pull": { "revoked_tokens": { "exp": { "$lte": now } } } },
            )
            .await?;
        let full = format!("revoked_tokens.{}", MAX_REVOKED_TOKENS - 1);
        let pushed = self
            .users
            .update_one(
                doc! { "_id": id, full: { "$exists": false } },
                doc! { "$push": { "revoked_tokens": { "jti": jti, "exp": exp } } },
            )
            .await?;
        if pushed.matched_count == 0 {
            self.users
                .update_one(
                    doc! { "_id": id },
                    doc! {
                        "$inc": { "token_version": 1_i64 },
                        "$set": { "revoked_tokens": [] },
                    },
                )
                .await?;
        }
        Ok(())
    }

    /// Sets a new password hash and invalidates every token issued before, in one write.
    pub async fn set_password(&self, id: ObjectId, password_hash: &str) -> Result<(), Error> {
        self.users
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "password_hash": password_hash }, "$inc": { "token_version": 1_i64 } },
            )
            .await
            .map(|_| ())
    }

    pub async fn find_user_by_username_key(&self, key: &str) -> Result<Option<UserDoc>, Error> {
        self.users.find_one(doc! { "username_key": key }).await
    }

    /// Whether an account holds this key in `field` (`username_key`, `nickname_key`,
    /// `email_key`). For friendly early answers only: the unique index decides.
    pub async fn user_exists(&self, field: &str, key: &str) -> Result<bool, Error> {
        Ok(self
            .users
            .count_documents(doc! { field: key })
            .limit(1)
            .await?
            > 0)
    }

    /// Inserts the user; a concurrent or earlier holder of any unique key makes this fail with
    /// [`UniqueField`], decided by the database's unique indexes (never check-then-insert).
    pub async fn insert_user(&self, new: NewUser) -> Result<UserDoc, InsertError> {
        let user = UserDoc {
            id: ObjectId::new(),
            username: new.username,
            username_key: new.username_key,
            nickname: new.nickname,
            nickname_key: new.nickname_key,
            nickname_key_v: NICKNAME_KEY_VERSION,
            email: new.email,
            email_key: new.email_key,
            password_hash: new.password_hash,
            created_at: DateTime::now(),
            token_version: 0,
            revoked_tokens: Vec::new(),
        };
        match self.users.insert_one(&user).await {
            Ok(_) => Ok(user),
            Err(e) => Err(match duplicate_key_index(&e) {
                Some(USERNAME_INDEX) => InsertError::Duplicate(UniqueField::Username),
                Some(NICKNAME_INDEX) => InsertError::Duplicate(UniqueField::Nickname),
                Some(EMAIL_INDEX) => InsertError::Duplicate(UniqueField::Email),
                _ => InsertError::Db(e),
            }),
        }
    }

    /// Recomputes the `nickname_key` of every account stored under an older key scheme (no
    /// `nickname_key_v`, or a lower one), so that look-alikes of existing nicknames are found
    /// by the unique index. Idempotent and safe with several instances starting at once: each
    /// update is conditional on the document still holding the old key and version.
    ///
    /// Oldest accounts first, so that when two existing nicknames turn out to be look-alikes,
    /// the older keeps the key. The newer one cannot take it (the unique index refuses): it is
    /// logged and skipped, keeps its old key and version, and is retried at the next start.
    /// Returns how many documents were brought up to date and how many were skipped.
    pub async fn migrate_nickname_keys(&self) -> Result<(u64, u64), Error> {
        let users = self.users.clone_with_type::<Document>();
        let mut outdated = users
            .find(doc! { "nickname_key_v": { "$ne": NICKNAME_KEY_VERSION } })
            .projection(doc! { "nickname": 1, "nickname_key": 1, "nickname_key_v": 1 })
            .sort(doc! { "_id": 1 })
            .await?;
        let (mut migrated, mut skipped) = (0, 0);
        while outdated.advance().await? {
            let user = outdated.deserialize_current()?;
            let (Ok(id), Ok(nickname)) = (user.get_object_id("_id"), user.get_str("nickname"))
            else {
                let id = user.get("_id").map(ToString::to_string).unwrap_or_default();
                tracing::warn!(user_id = id, "account without a nickname: key not migrated");
                skipped += 1;
                continue;
            };
            let old_key = user.get("nickname_key").cloned().unwrap_or(Bson::Null);
            let old_version = user.get("nickname_key_v").cloned().unwrap_or(Bson::Null);
            let update = users
                .update_one(
                    doc! { "_id": id, "nickname_key": old_key, "nickname_key_v": old_version },
                    doc! { "$set": {
                        "nickname_key": nickname_key(nickname),
                        "nickname_key_v": NICKNAME_KEY_VERSION,
                    } },
                )
                .await;
            match update {
                Ok(_) => migrated += 1,
                Err(e) if duplicate_key_index(&e) == Some(NICKNAME_INDEX) => {
                    tracing::warn!(
                        user_id = %id,
                        "nickname is a look-alike of an older account's: key not migrated"
                    );
                    skipped += 1;
                }
                Err(e) => return Err(e),
            }
        }
        if migrated + skipped > 0 {
            tracing::info!(migrated, skipped, "nickname keys recomputed");
        }
        Ok((migrated, skipped))
    }
}
