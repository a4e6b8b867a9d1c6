//! Passkeys and the WebAuthn challenges that register and use them.
//!
//! A passkey document keeps `webauthn-rs`'s `Passkey` as JSON (its public key, sign counter
//! and backup state) next to what the app queries: the credential id (unique index, so one
//! authenticator credential belongs to one account), the owner, and the sign counter as a
//! number so that its update can be conditional. A challenge document keeps the ceremony
//! state `webauthn-rs` needs to finish, under a random id; `finish` takes it with one
//! find-and-delete, so each challenge is used at most once, by one instance.

use futures_util::TryStreamExt;
use mongodb::{
    bson::{doc, oid::ObjectId, DateTime},
    error::Error,
    options::{IndexOptions, ReturnDocument},
    Collection, IndexModel,
};
use serde::{Deserialize, Serialize};

use super::{duplicate_key_index, Store};

/// Index name of the unique credential id.
pub const CREDENTIAL_INDEX: &str = "credential_id_unique";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasskeyDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    /// The credential id, unpadded base64url.
    pub credential_id: String,
    /// The account's WebAuthn user handle when this was registered: a discoverable login
    /// must present the same.
    pub user_handle: String,
    pub name: String,
    pub created_at: DateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime>,
    /// The authenticator's signature counter as last accepted (0: it keeps none).
    pub sign_count: i64,
    /// `webauthn_rs::prelude::Passkey`, serialized as JSON.
    pub passkey: String,
}

/// What a challenge is for: a `finish` takes only a challenge of its own purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengePurpose {
    Register,
    Login,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub purpose: ChallengePurpose,
    /// The account registering (registration only): nobody else can finish it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<ObjectId>,
    /// The `webauthn-rs` ceremony state, serialized as JSON.
    pub state: String,
    pub expires_at: DateTime,
}

/// Why a passkey could not be stored.
pub enum PasskeyInsertError {
    /// The credential id is registered already (to this account or another).
    Taken,
    Db(Error),
}

impl Store {
    fn passkeys(&self) -> Collection<PasskeyDoc> {
        self.database().collection("passkeys")
    }

    fn challenges(&self) -> Collection<ChallengeDoc> {
        self.database().collection("webauthn_challenges")
    }

    /// The indexes of both collections (part of [`Store::ensure_indexes`]).
    pub(super) async fn ensure_passkey_indexes(&self) -> Result<(), Error> {
        self.passkeys()
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "credential_id": 1 })
                    .options(
                        IndexOptions::builder()
                            .unique(true)
                            .name(CREDENTIAL_INDEX.to_owned())
                            .build(),
                    )
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "user_id": 1, "created_at": -1 })
                    .options(
                        IndexOptions::builder()
                            .name("user_created".to_owned())
                            .build(),
                    )
                    .build(),
            ])
            .await?;
        self.challenges()
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "expires_at": 1 })
                    .options(
                        IndexOptions::builder()
                            .expire_after(std::time::Duration::ZERO)
                            .name("expires_at_ttl".to_owned())
                            .build(),
                    )
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// The account's WebAuthn user handle, set now if it has none yet. Conditional on it
    /// being unset, so two first registrations at once agree on one handle. `None` when the
    /// account is gone.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "webauthn_user_id"))]
    pub async fn webauthn_user_id(&self, user_id: ObjectId) -> Result<Option<String>, Error> {
        let users = self.database().collection::<super::UserDoc>("users");
        let fresh = uuid::Uuid::new_v4().to_string();
        users
            .update_one(
                doc! { "_id": user_id, "webauthn_user_id": { "$exists": false } },
                doc! { "$set": { "webauthn_user_id": &fresh } },
            )
            .await?;
        Ok(users
            .find_one(doc! { "_id": user_id })
            .await?
            .and_then(|u| u.webauthn_user_id))
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_passkey"))]
    pub async fn insert_passkey(&self, passkey: &PasskeyDoc) -> Result<(), PasskeyInsertError> {
        match self.passkeys().insert_one(passkey).await {
            Ok(_) => Ok(()),
            Err(e) if duplicate_key_index(&e).is_some() => Err(PasskeyInsertError::Taken),
            Err(e) => Err(PasskeyInsertError::Db(e)),
        }
    }

    /// The account's passkeys, newest first.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "passkeys_of"))]
    pub async fn passkeys_of(&self, user_id: ObjectId) -> Result<Vec<PasskeyDoc>, Error> {
        self.passkeys()
            .find(doc! { "user_id": user_id })
            .sort(doc! { "created_at": -1, "_id": -1 })
            .await?
            .try_collect()
            .await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "count_passkeys"))]
    pub async fn count_passkeys(&self, user_id: ObjectId) -> Result<u64, Error> {
        self.passkeys()
            .count_documents(doc! { "user_id": user_id })
            .await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_passkey"))]
    pub async fn find_passkey(&self, credential_id: &str) -> Result<Option<PasskeyDoc>, Error> {
        self.passkeys()
            .find_one(doc! { "credential_id": credential_id })
            .await
    }

    /// Deletes one passkey of `user_id`; whether there was one (another account's is not).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_passkey"))]
    pub async fn delete_passkey(&self, user_id: ObjectId, id: ObjectId) -> Result<bool, Error> {
        let deleted = self
            .passkeys()
            .delete_one(doc! { "_id": id, "user_id": user_id })
            .await?;
        Ok(deleted.deleted_count == 1)
    }

    /// Every passkey of a deleted account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_passkeys_of"))]
    pub async fn delete_passkeys_of(&self, user_id: ObjectId) -> Result<u64, Error> {
        Ok(self
            .passkeys()
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }

    /// Records a successful assertion: the new counter and backup state (`passkey`), and when.
    /// Conditional on the stored counter being below the new one whenever the authenticator
    /// counts: of two assertions with the same counter (a replay racing the original, or a
    /// cloned key) only one lands. `false` when this one did not (or the passkey is gone).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "record_passkey_use"))]
    pub async fn record_passkey_use(
        &self,
        id: ObjectId,
        sign_count: u32,
        passkey: &str,
        now: DateTime,
    ) -> Result<bool, Error> {
        let mut filter = doc! { "_id": id };
        if sign_count > 0 {
            filter.insert("sign_count", doc! { "$lt": i64::from(sign_count) });
        }
        let updated = self
            .passkeys()
            .find_one_and_update(
                filter,
                doc! { "$set": {
                    "sign_count": i64::from(sign_count),
                    "passkey": passkey,
                    "last_used_at": now,
                } },
            )
            .return_document(ReturnDocument::After)
            .await?;
        Ok(updated.is_some())
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_challenge"))]
    pub async fn insert_challenge(&self, challenge: &ChallengeDoc) -> Result<(), Error> {
        self.challenges().insert_one(challenge).await.map(|_| ())
    }

    /// Takes the challenge `id` if it is unexpired, of `purpose` and (for a registration) of
    /// `user_id`: deleted in the same step, so it is used once. `None` for anything else.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "take_challenge"))]
    pub async fn take_challenge(
        &self,
        id: &str,
        purpose: ChallengePurpose,
        user_id: Option<ObjectId>,
        now: DateTime,
    ) -> Result<Option<ChallengeDoc>, Error> {
        let purpose = match purpose {
            ChallengePurpose::Register => "register",
            ChallengePurpose::Login => "login",
        };
        let mut filter = doc! { "_id": id, "purpose": purpose, "expires_at": { "$gt": now } };
        if let Some(user_id) = user_id {
            filter.insert("user_id", user_id);
        }
        self.challenges().find_one_and_delete(filter).await
    }
}
