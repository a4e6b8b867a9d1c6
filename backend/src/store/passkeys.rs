//! Passkeys and the WebAuthn challenges that register and use them.
//!
//! A passkey document keeps `webauthn-rs`'s `Passkey` as JSON (its public key, sign counter
//! and backup state) next to what the app queries: the credential id (unique index, so one
//! authenticator credential belongs to one account), the owner, and the sign counter as a
//! number so that its update can be conditional. A challenge document keeps the ceremony
//! state `webauthn-rs` needs to finish, under a random id; `finish` takes it with a
//! `delete_one` whose count says which request removed it, so each challenge is used at most
//! once, by one instance.

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime},
    error::Error,
};
use serde::{Deserialize, Serialize};

use super::{deleted_one, duplicate_key_index, sorted, updated_one, Landed, Store};
use crate::rendezvous::Point;

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

/// A WebAuthn ceremony's state. A login challenge lives under its random id; a registration
/// challenge lives in its account's one slot (`register <account id>`), with the random id as
/// `nonce`: a new registration replaces the pending one, so an account has at most one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeDoc {
    #[serde(rename = "_id")]
    pub id: String,
    /// The random challenge id the client was given, when `id` is an account's slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
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
    /// The account has its maximum of passkeys.
    TooMany,
    Db(Error),
}

/// The `_id` of an account's registration challenge slot.
pub fn registration_slot(user_id: ObjectId) -> String {
    format!("register {}", user_id.to_hex())
}

impl Store {
    /// The account's WebAuthn user handle, set now if it has none yet. Conditional on it
    /// being unset, so two first registrations at once agree on one handle. `None` when the
    /// account is gone.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "webauthn_user_id"))]
    pub async fn webauthn_user_id(&self, user_id: ObjectId) -> Result<Option<String>, Error> {
        let users = &self.users;
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

    /// Stores a new passkey unless its account would then have more than `max`. Insert, then
    /// count (as `Store::admit` does): concurrent registrations can never together pass the
    /// cap; one that finds the account over it takes its own passkey back.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_passkey"))]
    pub async fn insert_passkey(
        &self,
        passkey: &PasskeyDoc,
        max: u32,
    ) -> Result<(), PasskeyInsertError> {
        match self.passkeys.insert_one(passkey).await {
            Ok(_) => {}
            Err(e) if duplicate_key_index(&e).is_some() => return Err(PasskeyInsertError::Taken),
            Err(e) => return Err(PasskeyInsertError::Db(e)),
        }
        let count = self
            .passkeys
            .count_documents(doc! { "user_id": passkey.user_id })
            .limit(u64::from(max) + 1)
            .await
            .map_err(PasskeyInsertError::Db)?;
        if count > u64::from(max) {
            self.passkeys
                .delete_one(doc! { "_id": passkey.id })
                .await
                .map_err(PasskeyInsertError::Db)?;
            return Err(PasskeyInsertError::TooMany);
        }
        Ok(())
    }

    /// The passkey `id` of `user_id`, if it has it.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "passkey_of"))]
    pub async fn passkey_of(
        &self,
        user_id: ObjectId,
        id: ObjectId,
    ) -> Result<Option<PasskeyDoc>, Error> {
        self.passkeys
            .find_one(doc! { "_id": id, "user_id": user_id })
            .await
    }

    /// The account's passkeys, newest first.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "passkeys_of"))]
    pub async fn passkeys_of(&self, user_id: ObjectId) -> Result<Vec<PasskeyDoc>, Error> {
        let newest_first = doc! { "created_at": -1, "_id": -1 };
        sorted(
            &self.passkeys,
            doc! { "user_id": user_id },
            newest_first,
            None,
        )
        .await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "count_passkeys"))]
    pub async fn count_passkeys(&self, user_id: ObjectId) -> Result<u64, Error> {
        super::count_of_user(&self.passkeys, user_id).await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_passkey"))]
    pub async fn find_passkey(&self, credential_id: &str) -> Result<Option<PasskeyDoc>, Error> {
        self.passkeys
            .find_one(doc! { "credential_id": credential_id })
            .await
    }

    /// Deletes one passkey of `user_id`; whether there was one (another account's is not).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_passkey"))]
    pub async fn delete_passkey(&self, user_id: ObjectId, id: ObjectId) -> Result<bool, Error> {
        deleted_one(&self.passkeys, doc! { "_id": id, "user_id": user_id }).await
    }

    /// Every passkey of a deleted account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_passkeys_of"))]
    pub async fn delete_passkeys_of(&self, user_id: ObjectId) -> Result<u64, Error> {
        super::delete_of_user(&self.passkeys, user_id).await
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
        self.rendezvous.pass(Point::RecordPasskeyUse).await;
        let mut filter = doc! { "_id": id };
        if sign_count > 0 {
            filter.insert("sign_count", doc! { "$lt": i64::from(sign_count) });
        }
        // `{_id, sign_count}`: a conditional update on the `_id` index.
        let update = doc! { "$set": {
            "sign_count": i64::from(sign_count),
            "passkey": passkey,
            "last_used_at": now,
        } };
        updated_one(&self.passkeys, filter, update, Landed::Matched).await
    }

    /// Keeps a ceremony's state: a registration's in its account's slot (replacing a pending
    /// one), a login's under its own id.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_challenge"))]
    pub async fn insert_challenge(&self, challenge: &ChallengeDoc) -> Result<(), Error> {
        if challenge.nonce.is_some() {
            let replaced = self
                .challenges
                .replace_one(doc! { "_id": &challenge.id }, challenge)
                .upsert(true)
                .await;
            return match replaced {
                // Two registrations starting at once: the other upsert created the slot.
                Err(e) if duplicate_key_index(&e).is_some() => self
                    .challenges
                    .replace_one(doc! { "_id": &challenge.id }, challenge)
                    .await
                    .map(|_| ()),
                other => other.map(|_| ()),
            };
        }
        self.challenges.insert_one(challenge).await.map(|_| ())
    }

    /// The pending registration challenge of a deleted account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_challenges_of"))]
    pub async fn delete_challenges_of(&self, user_id: ObjectId) -> Result<(), Error> {
        self.challenges
            .delete_one(doc! { "_id": registration_slot(user_id) })
            .await
            .map(|_| ())
    }

    /// How many challenges are pending for `user_id` (at most one: its slot).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "count_challenges_of"))]
    pub async fn count_challenges_of(&self, user_id: ObjectId) -> Result<u64, Error> {
        super::count_of_user(&self.challenges, user_id).await
    }

    /// Takes the challenge `id` if it is unexpired, of `purpose` and (for a registration) of
    /// `user_id`: read, then deleted with the same conditions (a `delete_one` on the `_id`
    /// index), and only the request whose delete removed it gets it, so it is used once. A
    /// challenge is never changed, only replaced under a new nonce (which the delete names).
    /// `None` for anything else.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "take_challenge"))]
    pub async fn take_challenge(
        &self,
        id: &str,
        purpose: ChallengePurpose,
        user_id: Option<ObjectId>,
        now: DateTime,
    ) -> Result<Option<ChallengeDoc>, Error> {
        let filter = match (purpose, user_id) {
            (ChallengePurpose::Register, Some(user_id)) => doc! {
                "_id": registration_slot(user_id), "nonce": id, "purpose": "register",
                "user_id": user_id, "expires_at": { "$gt": now },
            },
            (ChallengePurpose::Register, None) => return Ok(None),
            (ChallengePurpose::Login, _) => {
                doc! { "_id": id, "purpose": "login", "expires_at": { "$gt": now } }
            }
        };
        let Some(challenge) = self.challenges.find_one(filter.clone()).await? else {
            return Ok(None);
        };
        Ok(deleted_one(&self.challenges, filter)
            .await?
            .then_some(challenge))
    }
}
