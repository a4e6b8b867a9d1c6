//! TOTP state on the account document, and the tickets of the two-step login. Every change is
//! one conditional update: a time step is used at most once (`last_step < step`), a recovery
//! code is pulled at most once (the match names it), a ticket's attempts only grow below the
//! limit (a compare-and-set on the count read), and a ticket is consumed by the one request
//! whose `delete_one` removed it.

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    error::Error,
};
use serde::{Deserialize, Serialize};

use super::{
    compare_and_set, delete_of_user, deleted_one, take_attempt, updated_one, Landed, Store,
};

/// `users.totp`: present exactly while TOTP is on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TotpDoc {
    /// The sealed secret ([`crate::mfa::MfaKeys::seal`]).
    pub secret: String,
    /// The last time step accepted (Unix seconds / 30): older and equal steps are refused.
    pub last_step: i64,
    /// HMACs of the unused recovery codes ([`crate::mfa::MfaKeys::recovery_hash`]).
    pub recovery_codes: Vec<String>,
    pub enabled_at: DateTime,
}

/// `mfa_tickets`: the second step a right password bought.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaTicketDoc {
    /// Hex SHA-256 of the ticket; the ticket itself is never stored.
    #[serde(rename = "_id")]
    pub id: String,
    pub user_id: ObjectId,
    /// The account's credential epoch when the first factor was proved: a password reset or
    /// change (which replaces it) kills the ticket.
    pub epoch: String,
    /// How the first factor was proved ([`crate::signin::Method`]).
    pub first: String,
    /// Wrong codes so far.
    pub attempts: i64,
    pub created_at: DateTime,
    pub expires_at: DateTime,
    /// Whatever a second-step method must keep between its start and finish (the WebAuthn
    /// authentication state of the passkey method), set by [`Store::set_mfa_ticket_state`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Document>,
}

impl Store {
    /// Stores the sealed secret of a new setup made by session `sid`, replacing an earlier
    /// pending one. `false` when TOTP is already on (or the account is gone).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "set_totp_pending"))]
    pub async fn set_totp_pending(
        &self,
        user: ObjectId,
        sealed: &str,
        sid: &str,
    ) -> Result<bool, Error> {
        updated_one(
            &self.users,
            doc! { "_id": user, "totp": { "$exists": false } },
            doc! { "$set": { "totp_pending": sealed, "totp_pending_sid": sid } },
            Landed::Matched,
        )
        .await
    }

    /// Turns TOTP on with the pending secret `sealed` (only if it is still the pending one and
    /// TOTP is off), the step of the code that proved it as used, and the recovery codes.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "enable_totp"))]
    pub async fn enable_totp(
        &self,
        user: ObjectId,
        sealed: &str,
        step: i64,
        recovery_codes: Vec<String>,
        now: DateTime,
    ) -> Result<bool, Error> {
        updated_one(
            &self.users,
            doc! { "_id": user, "totp": { "$exists": false }, "totp_pending": sealed },
            doc! {
                "$set": { "totp": {
                    "secret": sealed, "last_step": step,
                    "recovery_codes": recovery_codes, "enabled_at": now,
                } },
                "$unset": { "totp_pending": "", "totp_pending_sid": "" },
            },
            Landed::Modified,
        )
        .await
    }

    /// Marks `step` used if it is later than every step used before: `false` for a replay
    /// (or TOTP off meanwhile).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "use_totp_step"))]
    pub async fn use_totp_step(&self, user: ObjectId, step: i64) -> Result<bool, Error> {
        updated_one(
            &self.users,
            doc! { "_id": user, "totp.last_step": { "$lt": step } },
            doc! { "$set": { "totp.last_step": step } },
            Landed::Modified,
        )
        .await
    }

    /// Removes the recovery code with this hash: `true` for the one request that did.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "use_recovery_code"))]
    pub async fn use_recovery_code(&self, user: ObjectId, hash: &str) -> Result<bool, Error> {
        updated_one(
            &self.users,
            doc! { "_id": user, "totp.recovery_codes": hash },
            doc! { "$pull": { "totp.recovery_codes": hash } },
            Landed::Modified,
        )
        .await
    }

    /// Replaces the recovery codes (the old ones stop working); `false` when TOTP is off.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "replace_recovery_codes"))]
    pub async fn replace_recovery_codes(
        &self,
        user: ObjectId,
        hashes: Vec<String>,
    ) -> Result<bool, Error> {
        updated_one(
            &self.users,
            doc! { "_id": user, "totp": { "$exists": true } },
            doc! { "$set": { "totp.recovery_codes": hashes } },
            Landed::Matched,
        )
        .await
    }

    /// Turns TOTP off (secret, recovery codes and any pending setup go); `false` when it was
    /// off already.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "disable_totp"))]
    pub async fn disable_totp(&self, user: ObjectId) -> Result<bool, Error> {
        updated_one(
            &self.users,
            doc! { "_id": user, "totp": { "$exists": true } },
            doc! { "$unset": { "totp": "", "totp_pending": "", "totp_pending_sid": "" } },
            Landed::Modified,
        )
        .await
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_mfa_ticket"))]
    pub async fn insert_mfa_ticket(&self, ticket: &MfaTicketDoc) -> Result<(), Error> {
        self.mfa_tickets.insert_one(ticket).await.map(|_| ())
    }

    /// The ticket with this id while it is alive: not expired and not exhausted.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "find_mfa_ticket"))]
    pub async fn find_live_mfa_ticket(
        &self,
        id: &str,
        now: DateTime,
        max_attempts: u32,
    ) -> Result<Option<MfaTicketDoc>, Error> {
        self.mfa_tickets
            .find_one(live_ticket(id, now, max_attempts))
            .await
    }

    /// Counts a wrong code against a live ticket; the ticket after it, or `None` when it was
    /// no longer alive (expired, used, or exhausted by concurrent guesses).
    ///
    /// A compare-and-set on the attempts read (the `_id` index at any size): every increment
    /// starts from a count below `max_attempts`, so concurrent failures never pass it.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "fail_mfa_ticket"))]
    pub async fn fail_mfa_ticket(
        &self,
        id: &str,
        now: DateTime,
        max_attempts: u32,
    ) -> Result<Option<MfaTicketDoc>, Error> {
        compare_and_set(
            max_attempts,
            "fail_mfa_ticket",
            async || self.find_live_mfa_ticket(id, now, max_attempts).await,
            async |ticket: &mut MfaTicketDoc| {
                let pinned = read_ticket(ticket, now);
                take_attempt(&self.mfa_tickets, pinned, &mut ticket.attempts).await
            },
        )
        .await
    }

    /// Consumes a live ticket: `Some` for exactly one request.
    ///
    /// Read, then deleted with the attempts read pinned (`delete_one` and its count, by `_id`):
    /// the one request whose delete removed it gets it, as it was removed.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "consume_mfa_ticket"))]
    pub async fn consume_mfa_ticket(
        &self,
        id: &str,
        now: DateTime,
        max_attempts: u32,
    ) -> Result<Option<MfaTicketDoc>, Error> {
        compare_and_set(
            max_attempts,
            "consume_mfa_ticket",
            async || self.find_live_mfa_ticket(id, now, max_attempts).await,
            async |ticket: &mut MfaTicketDoc| {
                deleted_one(&self.mfa_tickets, read_ticket(ticket, now)).await
            },
        )
        .await
    }

    /// Every ticket of a deleted account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_mfa_tickets_of"))]
    pub async fn delete_mfa_tickets_of(&self, user: ObjectId) -> Result<u64, Error> {
        delete_of_user(&self.mfa_tickets, user).await
    }

    /// Keeps `state` on a live ticket (a method's own data between its start and finish, such
    /// as the WebAuthn authentication state); `false` when the ticket is not alive.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "set_mfa_ticket_state"))]
    pub async fn set_mfa_ticket_state(
        &self,
        id: &str,
        now: DateTime,
        max_attempts: u32,
        state: Document,
    ) -> Result<bool, Error> {
        updated_one(
            &self.mfa_tickets,
            live_ticket(id, now, max_attempts),
            doc! { "$set": { "state": state } },
            Landed::Matched,
        )
        .await
    }
}

/// `ticket` as it was read, still unexpired at `now`: its attempts pinned (they change with
/// every failure; nothing else on a ticket changes but its method state).
fn read_ticket(ticket: &MfaTicketDoc, now: DateTime) -> Document {
    doc! {
        "_id": &ticket.id,
        "attempts": ticket.attempts,
        "expires_at": { "$gt": now },
    }
}

fn live_ticket(id: &str, now: DateTime, max_attempts: u32) -> Document {
    doc! {
        "_id": id,
        "expires_at": { "$gt": now },
        "attempts": { "$lt": i64::from(max_attempts) },
    }
}
