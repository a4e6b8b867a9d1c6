use mongodb::{
    bson::{doc, spec::BinarySubtype, Binary, DateTime},
    error::Error,
};
use serde::{Deserialize, Serialize};
use shared::Locale;

use super::{take_attempt, Store};
use crate::domain::CodePurpose;

/// The live verification code of one address. Only the HMAC tag is stored, never the code.
///
/// When a notice was mailed instead of a code (a signup for a registered address, a reset for
/// an unknown one), a decoy is stored in its place: the same document whose tag is random
/// bytes, which no code's HMAC can ever equal. Guesses against it then take attempts and are
/// answered exactly like guesses against a real code, so the code step tells nobody whether
/// the address has an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeDoc {
    /// The normalised email address; for [`CodePurpose::EmailChange`], the account's id (hex).
    #[serde(rename = "_id")]
    pub email_key: String,
    /// For [`CodePurpose::EmailChange`]: the new address as typed, which the code was mailed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// For [`CodePurpose::EmailChange`]: the normalised new address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_key: Option<String>,
    pub tag: Binary,
    /// Guesses evaluated so far (reserved before each comparison).
    pub attempts: i32,
    pub expires_at: DateTime,
    pub created_at: DateTime,
    /// The language of the request that mailed it, for the mails that follow its use.
    /// Documents written before this field existed read as Korean, the default.
    #[serde(default)]
    pub locale: Locale,
}

fn binary(bytes: Vec<u8>) -> Binary {
    Binary {
        subtype: BinarySubtype::Generic,
        bytes,
    }
}

impl Store {
    fn codes(&self, purpose: CodePurpose) -> &mongodb::Collection<CodeDoc> {
        match purpose {
            CodePurpose::Signup => &self.signup_codes,
            CodePurpose::PasswordReset => &self.reset_codes,
            CodePurpose::EmailChange => &self.email_change_codes,
            CodePurpose::SignIn => &self.sign_in_codes,
        }
    }

    /// Stores a new code (or decoy) under `email_key` (the address, or for an email change the
    /// account id, with the new address in `address`: `(as typed, normalised)`), replacing any
    /// earlier one (so at most one code per address, or per account, is ever valid).
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "put_code"))]
    pub async fn put_code(
        &self,
        purpose: CodePurpose,
        email_key: &str,
        address: Option<(&str, &str)>,
        tag: Vec<u8>,
        locale: Locale,
        now: DateTime,
        expires_at: DateTime,
    ) -> Result<(), Error> {
        let code = CodeDoc {
            email_key: email_key.to_owned(),
            address: address.map(|(typed, _)| typed.to_owned()),
            address_key: address.map(|(_, key)| key.to_owned()),
            tag: binary(tag),
            attempts: 0,
            expires_at,
            created_at: now,
            locale,
        };
        self.codes(purpose)
            .replace_one(doc! { "_id": email_key }, &code)
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Atomically takes one of the code's attempts, if it is live (not expired, attempts left).
    /// Returns the code after the increment; `None` means there is no live code. Because the
    /// attempt is taken before the comparison, concurrent guessers can never evaluate more than
    /// `max_attempts` guesses in total.
    ///
    /// A compare-and-set (served by the `_id` index at any size): the live code is read, then
    /// its attempts go from the value read to one more only if the document still holds that
    /// tag, expiry and count, so a code replaced meanwhile never lends an attempt and every
    /// increment starts from a count below `max_attempts`. A lost round reads again.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "take_code_attempt"))]
    pub async fn take_code_attempt(
        &self,
        purpose: CodePurpose,
        email_key: &str,
        now: DateTime,
        max_attempts: u32,
    ) -> Result<Option<CodeDoc>, Error> {
        let codes = self.codes(purpose);
        super::compare_and_set(
            max_attempts,
            "take_code_attempt",
            async || {
                codes
                    .find_one(doc! {
                        "_id": email_key,
                        "expires_at": { "$gt": now },
                        "attempts": { "$lt": i64::from(max_attempts) },
                    })
                    .await
            },
            async |code: &mut CodeDoc| {
                let pinned = doc! {
                    "_id": email_key,
                    "tag": &code.tag,
                    "expires_at": code.expires_at,
                    "attempts": code.attempts,
                };
                take_attempt(codes, pinned, &mut code.attempts).await
            },
        )
        .await
    }

    /// Gives back an attempt that matched but whose registration failed for another reason
    /// (e.g. the username was taken meanwhile), so a right code is not burnt by a conflict.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "return_code_attempt"))]
    pub async fn return_code_attempt(
        &self,
        purpose: CodePurpose,
        code: &CodeDoc,
    ) -> Result<(), Error> {
        self.codes(purpose)
            .update_one(
                doc! { "_id": &code.email_key, "tag": &code.tag, "attempts": { "$gt": 0 } },
                doc! { "$inc": { "attempts": -1 } },
            )
            .await
            .map(|_| ())
    }

    /// Removes this exact code (single use); a newer code for the address is left alone.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_code"))]
    pub async fn delete_code(&self, purpose: CodePurpose, code: &CodeDoc) -> Result<(), Error> {
        self.codes(purpose)
            .delete_one(doc! { "_id": &code.email_key, "tag": &code.tag })
            .await
            .map(|_| ())
    }

    /// The live code stored under `key`, without taking an attempt (an email change reads where
    /// its code went before redeeming it).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_live_code"))]
    pub async fn find_live_code(
        &self,
        purpose: CodePurpose,
        key: &str,
        now: DateTime,
    ) -> Result<Option<CodeDoc>, Error> {
        self.codes(purpose)
            .find_one(doc! { "_id": key, "expires_at": { "$gt": now } })
            .await
    }

    /// Deletes every code of a deleted account: the signup, reset and sign-in codes of its address, its
    /// own pending email change, and any email-change code (or decoy) naming its address.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_codes_of"))]
    pub async fn delete_codes_of(&self, email_key: &str, user_key: &str) -> Result<(), Error> {
        for codes in [&self.signup_codes, &self.reset_codes, &self.sign_in_codes] {
            codes.delete_many(doc! { "_id": email_key }).await?;
        }
        // One delete per branch (each served by its index), never an `$or`.
        self.email_change_codes
            .delete_many(doc! { "_id": user_key })
            .await?;
        self.email_change_codes
            .delete_many(doc! { "address_key": email_key })
            .await?;
        Ok(())
    }
}
