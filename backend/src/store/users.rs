use mongodb::{
    bson::{doc, oid::ObjectId, Bson, DateTime, Document},
    error::Error,
};
use serde::{Deserialize, Serialize};

use super::{deleted_one, duplicate_key_index, Store, EMAIL_INDEX, NICKNAME_INDEX, USERNAME_INDEX};
use crate::domain::{nickname_key, NICKNAME_KEY_VERSION};

/// What `/api/nick` shows of an account: the only account data the cache holds (nothing a
/// security decision reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub username: String,
    pub nickname: String,
    pub email: String,
}

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
    /// The language of the signup code, for the mails the account gets later. Documents
    /// written before this field existed read as Korean, the default.
    #[serde(default)]
    pub locale: shared::Locale,
    /// Set by an operator (`backend admin disable`): no login, refresh or access token works.
    /// Absent in documents of accounts never disabled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// The WebAuthn user handle (a random UUID): what a discoverable passkey gives back to
    /// name its account. Random rather than the username, which may be reused after a
    /// deletion and would leak to the authenticator. Set at the first passkey registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn_user_id: Option<String>,
    /// TOTP, when it is on (absent: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<super::TotpDoc>,
    /// The sealed secret of the last `POST /api/mfa/totp/setup` not yet enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_pending: Option<String>,
    /// The last successful sign-in, if the account signed in since this field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in: Option<LastSignIn>,
    /// The session that made that setup (a step-up proved it): only it may enable it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_pending_sid: Option<String>,
    /// A random value replaced whenever the password is changed or reset and whenever the
    /// second factors are reset: device cookies and second-step tickets are bound to it, so
    /// nothing issued under the old credentials proves anything after. Empty in documents
    /// written before this field existed (until their first change).
    #[serde(default)]
    pub credential_epoch: String,
}

/// `users.last_sign_in`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastSignIn {
    pub at: DateTime,
    pub method: String,
    pub ip: String,
}

/// `$set` of a new credential epoch.
fn new_epoch() -> Document {
    doc! { "credential_epoch": crate::auth::device::new_epoch() }
}

pub struct NewUser {
    pub username: String,
    pub username_key: String,
    pub nickname: String,
    pub nickname_key: String,
    pub email: String,
    pub email_key: String,
    pub password_hash: String,
    pub locale: shared::Locale,
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
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_user_by_id"))]
    pub async fn find_user_by_id(&self, id: &str) -> Result<Option<UserDoc>, Error> {
        let Ok(oid) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        self.users.find_one(doc! { "_id": oid }).await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_user_by_email_key"))]
    pub async fn find_user_by_email_key(&self, key: &str) -> Result<Option<UserDoc>, Error> {
        self.users.find_one(doc! { "email_key": key }).await
    }

    /// Sets a new password hash and a new credential epoch, then ends every session of the
    /// user (their refresh tokens too) and forgets the networks it signed in from: whoever knew
    /// the old password is out everywhere, and nothing they were given still counts as the
    /// owner's.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "set_password"))]
    /// The ids of the sessions it ended.
    pub async fn set_password(
        &self,
        id: ObjectId,
        password_hash: &str,
    ) -> Result<Vec<String>, Error> {
        let mut set = new_epoch();
        set.insert("password_hash", password_hash);
        self.users
            .update_one(doc! { "_id": id }, doc! { "$set": set })
            .await?;
        self.forget_profile(id);
        let ended = self.end_sessions_of(id, None).await?;
        self.forget_networks_of(id).await?;
        Ok(ended)
    }

    /// Records a successful sign-in (for "last sign-in", and to tell a first sign-in from a
    /// new device's).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "record_sign_in"))]
    pub async fn record_sign_in(
        &self,
        id: ObjectId,
        at: DateTime,
        method: &str,
        ip: &str,
    ) -> Result<(), Error> {
        self.users
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "last_sign_in": { "at": at, "method": method, "ip": ip } } },
            )
            .await?;
        Ok(())
    }

    /// Removes every second factor of the account (TOTP, its recovery codes, a pending setup,
    /// every passkey) and replaces its credential epoch; how many passkeys went. `None` when
    /// the account is gone.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "reset_second_factors"))]
    pub async fn reset_second_factors(
        &self,
        id: ObjectId,
    ) -> Result<Option<RemovedFactors>, Error> {
        let before = self.users.find_one(doc! { "_id": id }).await?;
        let Some(before) = before else {
            return Ok(None);
        };
        self.users
            .update_one(
                doc! { "_id": id },
                doc! {
                    "$set": new_epoch(),
                    "$unset": { "totp": "", "totp_pending": "", "totp_pending_sid": "" },
                },
            )
            .await?;
        self.forget_profile(id);
        let passkeys = self.delete_passkeys_of(id).await?;
        Ok(Some(RemovedFactors {
            totp: before.totp.is_some(),
            passkeys,
        }))
    }

    /// Replaces the password hash `old_hash` with `new_hash`, then ends every session of the
    /// user except `keep_sid` (the one that proved the old password). Conditional on the hash
    /// still being the one that was verified, so of two concurrent changes only one lands;
    /// the ids of the sessions it ended when this one did (`None`: it did not).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "change_password"))]
    pub async fn change_password(
        &self,
        id: ObjectId,
        old_hash: &str,
        new_hash: &str,
        keep_sid: &str,
    ) -> Result<Option<Vec<String>>, Error> {
        let mut set = new_epoch();
        set.insert("password_hash", new_hash);
        let updated = self
            .users
            .update_one(
                doc! { "_id": id, "password_hash": old_hash },
                doc! { "$set": set },
            )
            .await?;
        if updated.matched_count == 0 {
            return Ok(None);
        }
        self.forget_profile(id);
        let ended = self.end_sessions_of(id, Some(keep_sid)).await?;
        self.forget_networks_of(id).await?;
        Ok(Some(ended))
    }

    /// Moves the account to a new address, conditional on the address it was read with. The
    /// unique index on `email_key` decides a race with a signup or another change to the same
    /// address: `Ok(Some(false))` then, nothing changed (only `email_key` changes here, so any
    /// duplicate key is the address). `None` when the account is gone or moved meanwhile.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "change_email"))]
    pub async fn change_email(
        &self,
        user: &UserDoc,
        email: &str,
        email_key: &str,
    ) -> Result<Option<bool>, Error> {
        let updated = self
            .users
            .update_one(
                doc! { "_id": user.id, "email_key": &user.email_key },
                doc! { "$set": { "email": email, "email_key": email_key } },
            )
            .await;
        self.forget_profile(user.id);
        match updated {
            Ok(r) if r.matched_count == 0 => Ok(None),
            Ok(_) => Ok(Some(true)),
            Err(e) if duplicate_key_index(&e).is_some() => Ok(Some(false)),
            Err(e) => Err(e),
        }
    }

    /// Disables the account, then marks every session of it disabled (each then refuses its
    /// access and refresh tokens with `account_disabled`: the bearer check reads the session
    /// anyway, so this costs it no extra read). The account first: a login that read it before
    /// starts its session before the sessions are marked, or reads it again after and gives up
    /// (see the login). `None` when there is no such account, else how many sessions.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "disable_user"))]
    pub async fn disable_user(&self, id: ObjectId) -> Result<Option<u64>, Error> {
        let updated = self
            .users
            .update_one(doc! { "_id": id }, doc! { "$set": { "disabled": true } })
            .await?;
        if updated.matched_count == 0 {
            return Ok(None);
        }
        let marked = self
            .sessions
            .update_many(
                doc! { "user_id": id },
                doc! { "$set": { "disabled": true } },
            )
            .await;
        self.forget_sessions();
        Ok(Some(marked?.modified_count))
    }

    /// Enables the account again. The sessions frozen by the disabling are ended, not revived:
    /// whoever held them signs in again. `None` when there is no such account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "enable_user"))]
    pub async fn enable_user(&self, id: ObjectId) -> Result<Option<u64>, Error> {
        let updated = self
            .users
            .update_one(doc! { "_id": id }, doc! { "$unset": { "disabled": "" } })
            .await?;
        if updated.matched_count == 0 {
            return Ok(None);
        }
        let ended = self
            .sessions
            .delete_many(doc! { "user_id": id, "disabled": true })
            .await;
        self.forget_sessions();
        Ok(Some(ended?.deleted_count))
    }

    /// Deletes the account document; whether there was one.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_user"))]
    pub async fn delete_user(&self, id: ObjectId) -> Result<bool, Error> {
        let deleted = deleted_one(&self.users, doc! { "_id": id }).await;
        self.forget_profile(id);
        deleted
    }

    /// What `GET /api/nick` shows of account `id`: through the session cache when this
    /// instance keeps one and may trust it.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_profile"))]
    pub async fn find_profile(&self, id: ObjectId) -> Result<Option<Profile>, Error> {
        let profile = |user: UserDoc| Profile {
            username: user.username,
            nickname: user.nickname,
            email: user.email,
        };
        let Some(cache) = self.cache() else {
            return Ok(self.find_user_by_id(&id.to_hex()).await?.map(profile));
        };
        if let Some(cached) = cache.profile(id) {
            return Ok(Some((*cached).clone()));
        }
        let seq = cache.before_read();
        let found = self.users.find_one(doc! { "_id": id }).await?.map(profile);
        if let Some(found) = &found {
            cache.keep_profile(seq, id, found.clone());
        }
        Ok(found)
    }

    fn forget_profile(&self, id: ObjectId) {
        if let Some(cache) = self.cache() {
            cache.forget_profile(id);
        }
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_user_by_username_key"))]
    pub async fn find_user_by_username_key(&self, key: &str) -> Result<Option<UserDoc>, Error> {
        self.users.find_one(doc! { "username_key": key }).await
    }

    /// Whether an account holds this key in `field` (`username_key`, `nickname_key`,
    /// `email_key`). For friendly early answers only: the unique index decides.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "user_exists"))]
    pub async fn user_exists(&self, field: &str, key: &str) -> Result<bool, Error> {
        Ok(self
            .users
            .count_documents(doc! { field: key })
            .limit(1)
            .await?
            > 0)
    }

    /// Which of a signup's three keys an account already holds, in one indexed query (each
    /// `$or` branch uses its field's unique index) instead of three round trips. For friendly
    /// early answers only: the unique indexes decide at insert.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "signup_keys_taken"))]
    pub async fn signup_keys_taken(
        &self,
        username_key: &str,
        nickname_key: &str,
        email_key: &str,
    ) -> Result<KeysTaken, Error> {
        let mut holders = self
            .users
            .clone_with_type::<mongodb::bson::Document>()
            .find(doc! { "$or": [
                { "username_key": username_key },
                { "nickname_key": nickname_key },
                { "email_key": email_key },
            ] })
            .projection(doc! { "_id": 0, "username_key": 1, "nickname_key": 1, "email_key": 1 })
            // At most one account per key: three documents say everything.
            .limit(3)
            .await?;
        let mut taken = KeysTaken::default();
        while holders.advance().await? {
            let holder = holders.current();
            let holds = |field: &str, key: &str| holder.get_str(field).ok() == Some(key);
            taken.username |= holds("username_key", username_key);
            taken.nickname |= holds("nickname_key", nickname_key);
            taken.email |= holds("email_key", email_key);
        }
        Ok(taken)
    }

    /// Inserts the user; a concurrent or earlier holder of any unique key makes this fail with
    /// [`UniqueField`], decided by the database's unique indexes (never check-then-insert).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_user"))]
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
            locale: new.locale,
            disabled: false,
            webauthn_user_id: None,
            totp: None,
            totp_pending: None,
            totp_pending_sid: None,
            credential_epoch: crate::auth::device::new_epoch(),
            last_sign_in: None,
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
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "migrate_nickname_keys"))]
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

/// What [`Store::reset_second_factors`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RemovedFactors {
    pub totp: bool,
    pub passkeys: u64,
}

impl RemovedFactors {
    pub fn any(&self) -> bool {
        self.totp || self.passkeys > 0
    }
}

/// What [`Store::signup_keys_taken`] found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KeysTaken {
    pub username: bool,
    pub nickname: bool,
    pub email: bool,
}
