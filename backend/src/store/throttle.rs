//! Limits that every API instance shares: a per-address document with the resend cooldown and
//! the address's recent mails (its hourly cap), a log of events (mails per client IP, failed
//! logins, wrong codes) counted over sliding windows, and the networks each account has logged
//! in from.

use std::time::Duration;

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    error::Error,
};

use super::{deleted_one, duplicate_key_index, Store};
use crate::clock::{after as add, before as sub};

/// What an event-log entry counts against.
#[derive(Debug, Clone, Copy)]
pub enum EventKind {
    /// A mail requested from a client address (key: IP).
    MailFromIp,
    /// A failed (or in-progress) password check (a login, or a re-authentication) from a
    /// client the account does not know (key: normalised username, so that an unknown username
    /// has a pool too): every stranger shares this pool.
    LoginFailure,
    /// The same from a device that proved it signed in to the account before, under its
    /// current credentials (key: `<account id> <device id>`).
    LoginFailureFromDevice,
    /// The same from a network the account signed in from before (key:
    /// `<account id> <network key>`).
    LoginFailureFromNetwork,
    /// A wrong (or in-progress) code guess, signup and reset alike (key: normalised email).
    CodeFailure,
    /// A wrong (or in-progress) second factor (a second step, a step-up, turning TOTP on or
    /// off) from a client the account does not know, across every ticket (key: account id).
    MfaFailure,
    /// The same from a known device of the account (key: `<account id> <device id>`).
    MfaFailureFromDevice,
    /// The same from a known network of the account (key: `<account id> <network key>`).
    MfaFailureFromNetwork,
    /// Every failure above of one account, whatever its pool (key: account id): the backstop.
    FailureBackstop,
    /// A wrong admin API key (key: the client's rate key).
    AdminKeyFailure,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::MailFromIp => "mail_from_ip",
            EventKind::LoginFailure => "login_failure",
            EventKind::LoginFailureFromDevice => "login_failure_device",
            EventKind::LoginFailureFromNetwork => "login_failure_network",
            EventKind::CodeFailure => "code_failure",
            EventKind::MfaFailure => "mfa_failure",
            EventKind::MfaFailureFromDevice => "mfa_failure_device",
            EventKind::MfaFailureFromNetwork => "mfa_failure_network",
            EventKind::FailureBackstop => "failure_total",
            EventKind::AdminKeyFailure => "admin_key_failure",
        }
    }
}

/// A held cooldown lock for one address, with this send already counted against the address's
/// hourly cap. Give it back with [`Store::release_send_lock`] when nothing was sent, so a failed
/// attempt costs the person no waiting and no mail of the cap.
#[derive(Debug)]
pub struct SendLock {
    email_key: String,
    until: DateTime,
    /// This send's entry in the address's log of recent sends.
    entry: ObjectId,
    /// Whether taking the lock created the address's document.
    created: bool,
}

pub enum LockOutcome {
    Acquired(SendLock),
    /// Another send for this address happened recently; free again at this time.
    Cooldown(DateTime),
    /// The address had its cap of mails within the window; the oldest of them leaves it at
    /// this time.
    Capped(DateTime),
}

/// The per-address cap kept in the address's cooldown document: at most `max` mails within
/// `window`.
#[derive(Debug, Clone, Copy)]
pub struct AddressCap {
    pub window: Duration,
    pub max: u64,
}

/// Tries of [`Store::acquire_send_lock`] when the document changes between a refused write and
/// the read that says why.
const LOCK_TRIES: usize = 3;

impl Store {
    /// Takes the address's cooldown lock until `now + cooldown` and counts this send against
    /// its hourly cap, in one atomic write to one document per address:
    /// `{ _id: <email key>, until, sent: [{ at, id }, …], expires_at }`, where `sent` keeps the
    /// address's latest `cap.max` sends, newest first. The filter matches only when the lock
    /// has expired and the cap has room: no `max`-th entry, or one out of the window (both
    /// say "`$not` within the window" of that one field). When the document exists and does
    /// not match, the upsert collides with it on `_id` (duplicate key), so of any number of
    /// concurrent callers on any number of instances exactly the admissible ones win, and
    /// never more than `max` within a window.
    ///
    /// One write instead of a lock, an event and a count: the mail path's durable writes are
    /// what bounds its throughput. The filter is plain field conditions (no `$or`) and the
    /// write an `update`, not a `findAndModify`: the local database server scans the whole
    /// collection for either (measured: 15–40 ms a call at 20,000 addresses, against 0.7 ms).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "acquire_send_lock"))]
    pub async fn acquire_send_lock(
        &self,
        email_key: &str,
        now: DateTime,
        cooldown: Duration,
        cap: AddressCap,
    ) -> Result<LockOutcome, Error> {
        if cap.max == 0 {
            return Ok(LockOutcome::Capped(add(now, cap.window)));
        }
        let until = add(now, cooldown);
        let keep = i64::try_from(cap.max).unwrap_or(i64::MAX);
        let oldest_counted = format!("sent.{}.at", cap.max - 1);
        for _ in 0..LOCK_TRIES {
            let entry = ObjectId::new();
            let result = self
                .send_locks
                .update_one(
                    doc! {
                        "_id": email_key,
                        "until": { "$lte": now },
                        &oldest_counted: { "$not": { "$gt": sub(now, cap.window) } },
                    },
                    doc! {
                        "$set": { "until": until },
                        "$push": { "sent": {
                            "$each": [{ "at": now, "id": entry }],
                            "$sort": { "at": -1 },
                            "$slice": keep,
                        } },
                        // Kept while the lock or any counted send still matters.
                        "$max": { "expires_at": add(now, cap.window.max(cooldown)) },
                    },
                )
                .upsert(true)
                .await;
            match result {
                Ok(done) => {
                    return Ok(LockOutcome::Acquired(SendLock {
                        email_key: email_key.to_owned(),
                        until,
                        entry,
                        created: done.upserted_id.is_some(),
                    }))
                }
                Err(e) if duplicate_key_index(&e).is_some() => {
                    let held = self.send_locks.find_one(doc! { "_id": email_key }).await?;
                    if let Some(refusal) = held.and_then(|held| why_refused(&held, now, cap)) {
                        return Ok(refusal);
                    }
                    // Changed between the write and the read (released, or swept): again.
                }
                Err(e) => return Err(e),
            }
        }
        // Contended past every try: the person may try again in a second.
        Ok(LockOutcome::Cooldown(add(now, Duration::from_secs(1))))
    }

    /// Gives the lock back: this send leaves the address's count, and the cooldown is free
    /// again (it was expired when the lock was taken), unless another send holds it by now.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "release_send_lock"))]
    pub async fn release_send_lock(&self, lock: SendLock) -> Result<(), Error> {
        let SendLock {
            email_key,
            until,
            entry,
            created,
        } = lock;
        let ours = doc! { "_id": &email_key, "until": until };
        if created {
            // If nothing else counted since, the document goes as it came.
            let mut alone = ours.clone();
            alone.insert("sent", doc! { "$size": 1 });
            if deleted_one(&self.send_locks, alone).await? {
                return Ok(());
            }
        }
        let restored = self
            .send_locks
            .update_one(
                ours,
                doc! {
                    "$set": { "until": DateTime::MIN },
                    "$pull": { "sent": { "id": entry } },
                },
            )
            .await?;
        if restored.matched_count == 0 {
            // A later send holds the cooldown (possible only with no cooldown): its lock stays,
            // this send still leaves the count.
            self.send_locks
                .update_one(
                    doc! { "_id": &email_key },
                    doc! { "$pull": { "sent": { "id": entry } } },
                )
                .await?;
        }
        Ok(())
    }

    /// The sliding-window limiter of the event-log limits (mails per client IP, logins, code
    /// guesses): records this attempt, then counts the attempts within `limit.window` (this one
    /// included). At most `limit.max` are admitted. A refused attempt is forgotten again (it
    /// does not extend the wait) and says when the oldest attempt leaves the window.
    /// Record-then-count, so concurrent attempts can never together get more than `max`
    /// admitted.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "admit"))]
    pub async fn admit(&self, limit: Limit, key: &str, now: DateTime) -> Result<Admission, Error> {
        let attempt = self
            .record_event(limit.kind, key, now, limit.window)
            .await?;
        let count = self
            .events_in_window(limit.kind, key, now, limit.window, limit.max + 1)
            .await?;
        if count <= limit.max {
            return Ok(Admission::Admitted(attempt));
        }
        if let Err(e) = self.forget_event(attempt).await {
            tracing::warn!(error = %e, kind = limit.kind.as_str(), "could not undo a refused attempt");
        }
        Ok(Admission::Refused {
            retry_after: self.retry_after(limit, key, now).await?,
        })
    }

    /// Whether one more attempt would be admitted now, without recording one: for a limit
    /// that is asked before work whose own attempt is recorded elsewhere (a code mail asks
    /// whether the address's guesses are used up). `Some(retry_after)` when it would not.
    pub async fn peek(&self, limit: Limit, key: &str, now: DateTime) -> Result<Option<u64>, Error> {
        let count = self
            .events_in_window(limit.kind, key, now, limit.window, limit.max)
            .await?;
        if count < limit.max {
            return Ok(None);
        }
        self.retry_after(limit, key, now).await.map(Some)
    }

    /// Seconds until the oldest attempt leaves the window.
    async fn retry_after(&self, limit: Limit, key: &str, now: DateTime) -> Result<u64, Error> {
        let free_at = self
            .window_frees_at(limit.kind, key, now, limit.window)
            .await?;
        Ok(free_at.map_or(limit.window.as_secs(), |t| seconds_until(now, t)))
    }

    /// Logs one event against `key`, kept for `window` (the limit's period).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "record_event"))]
    pub async fn record_event(
        &self,
        kind: EventKind,
        key: &str,
        now: DateTime,
        window: Duration,
    ) -> Result<ObjectId, Error> {
        let id = ObjectId::new();
        let entry: Document = doc! {
            "_id": id, "kind": kind.as_str(), "key": key, "at": now, "expires_at": add(now, window),
        };
        self.events.insert_one(entry).await?;
        Ok(id)
    }

    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "forget_event"))]
    pub async fn forget_event(&self, id: ObjectId) -> Result<(), Error> {
        self.events.delete_one(doc! { "_id": id }).await.map(|_| ())
    }

    /// Forgets every event of this kind for `key` (a successful login clears its failures).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "clear_events"))]
    pub async fn clear_events(&self, kind: EventKind, key: &str) -> Result<(), Error> {
        self.events
            .delete_many(doc! { "kind": kind.as_str(), "key": key })
            .await
            .map(|_| ())
    }

    /// Events logged against `key` within `window` before `now`, counted up to `stop_at`: a
    /// limit needs to know only whether the count passed it, and a key with a long log (a
    /// busy network under a generous cap) then costs no more than the cap.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "events_in_window"))]
    pub async fn events_in_window(
        &self,
        kind: EventKind,
        key: &str,
        now: DateTime,
        window: Duration,
        stop_at: u64,
    ) -> Result<u64, Error> {
        self.events
            .count_documents(
                doc! { "kind": kind.as_str(), "key": key, "at": { "$gt": sub(now, window) } },
            )
            .limit(stop_at)
            .await
    }

    /// When the oldest event in the window leaves it (asked only when refusing, for
    /// `Retry-After`).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "window_frees_at"))]
    pub async fn window_frees_at(
        &self,
        kind: EventKind,
        key: &str,
        now: DateTime,
        window: Duration,
    ) -> Result<Option<DateTime>, Error> {
        Ok(self
            .events
            .find_one(doc! { "kind": kind.as_str(), "key": key, "at": { "$gt": sub(now, window) } })
            .sort(doc! { "at": 1 })
            .await?
            .and_then(|d| d.get_datetime("at").ok().copied())
            .map(|at| add(at, window)))
    }
}

/// Why the address's document refuses a send now, if it still does: the cooldown, or a full
/// cap (with when the oldest send that counts leaves the window). `None` when it would admit.
fn why_refused(held: &Document, now: DateTime, cap: AddressCap) -> Option<LockOutcome> {
    if let Ok(until) = held.get_datetime("until") {
        if *until > now {
            return Some(LockOutcome::Cooldown(*until));
        }
    }
    let max = usize::try_from(cap.max).unwrap_or(usize::MAX);
    // `sent` is newest first; the newest `max` count.
    let oldest_counted = *held
        .get_array("sent")
        .ok()?
        .get(max.checked_sub(1)?)?
        .as_document()?
        .get_datetime("at")
        .ok()?;
    let free_at = add(oldest_counted, cap.window);
    (free_at > now).then_some(LockOutcome::Capped(free_at))
}

/// A sliding-window limit: at most `max` events of `kind` per key within `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub kind: EventKind,
    pub window: Duration,
    pub max: u64,
}

/// What [`Store::admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead; the recorded attempt (forget it if the attempt turns out not to count).
    Admitted(ObjectId),
    /// Over the limit: wait this many seconds.
    Refused { retry_after: u64 },
}

/// Whole seconds from `now` until `then`, rounded up, at least 1.
pub fn seconds_until(now: DateTime, then: DateTime) -> u64 {
    let millis = then
        .timestamp_millis()
        .saturating_sub(now.timestamp_millis())
        .max(0) as u64;
    millis.div_ceil(1000).max(1)
}

/// The `_id` of a known network: the account id (24 hex digits) and the network in text form.
fn known_network_id(account: ObjectId, network: &str) -> String {
    format!("{} {network}", account.to_hex())
}

impl Store {
    /// Remembers that `account` signed in successfully from `network`, until `now + ttl`
    /// (renewed by every success from there).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "remember_network"))]
    pub async fn remember_network(
        &self,
        account: ObjectId,
        network: &str,
        now: DateTime,
        ttl: Duration,
    ) -> Result<(), Error> {
        let result = self
            .known_networks
            .update_one(
                doc! { "_id": known_network_id(account, network) },
                doc! { "$set": { "expires_at": add(now, ttl) } },
            )
            .upsert(true)
            .await;
        match result {
            // Two concurrent first sign-ins from one network: the other upsert inserted it.
            Err(e) if duplicate_key_index(&e).is_some() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Whether `account` signed in successfully from `network` within its memory.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "is_known_network"))]
    pub async fn is_known_network(
        &self,
        account: ObjectId,
        network: &str,
        now: DateTime,
    ) -> Result<bool, Error> {
        Ok(self
            .known_networks
            .count_documents(
                doc! { "_id": known_network_id(account, network), "expires_at": { "$gt": now } },
            )
            .limit(1)
            .await?
            > 0)
    }

    /// Forgets every network `account` signed in from (a password change or reset: whoever
    /// knew the old password may have signed in from them).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "forget_networks_of"))]
    pub async fn forget_networks_of(&self, account: ObjectId) -> Result<(), Error> {
        self.known_networks
            .delete_many(doc! { "_id": account_pooled(account) })
            .await
            .map(|_| ())
    }
}

/// Whose limit records [`Store::clear_account_throttles`] lifts.
#[derive(Debug, Clone, Copy)]
pub struct AccountKeys<'a> {
    pub id: ObjectId,
    pub username_key: &'a str,
    pub email_key: &'a str,
}

impl Store {
    /// Forgets everything the limits remember about a deleted account: its failures (every
    /// pool, the backstop), the networks it signed in from, and the mails, wrong codes and
    /// cooldown of its address. The per-IP records name no account and stay.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_account_records"))]
    pub async fn delete_account_records(&self, account: AccountKeys<'_>) -> Result<(), Error> {
        self.clear_account_throttles(account).await?;
        self.forget_networks_of(account.id).await
    }

    /// Lifts every limit on one account (`backend admin clear-throttles --account`): its
    /// failed logins and second steps (every pool, and the backstop), and the wrong codes,
    /// resend cooldown and hourly mail cap of its address (one document, with the address's
    /// recent sends). The networks it is known from stay (they are trust, not a limit). One
    /// indexed delete per kind of key (no `$or`, which the local server serves by a scan). How
    /// many records went.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "clear_account_throttles"))]
    pub async fn clear_account_throttles(&self, account: AccountKeys<'_>) -> Result<u64, Error> {
        let id = account.id.to_hex();
        let filters = [
            doc! { "kind": EventKind::LoginFailure.as_str(), "key": account.username_key },
            doc! {
                "kind": { "$in": [
                    EventKind::LoginFailureFromDevice.as_str(),
                    EventKind::LoginFailureFromNetwork.as_str(),
                    EventKind::MfaFailureFromDevice.as_str(),
                    EventKind::MfaFailureFromNetwork.as_str(),
                ] },
                "key": account_pooled(account.id),
            },
            doc! {
                "kind": { "$in": [EventKind::MfaFailure.as_str(), EventKind::FailureBackstop.as_str()] },
                "key": &id,
            },
            doc! { "kind": EventKind::CodeFailure.as_str(), "key": account.email_key },
        ];
        let mut deleted = 0;
        for filter in filters {
            deleted += self.events.delete_many(filter).await?.deleted_count;
        }
        deleted += self
            .send_locks
            .delete_many(doc! { "_id": account.email_key })
            .await?
            .deleted_count;
        Ok(deleted)
    }

    /// Lifts the shared per-address limits for one client rate key (`backend admin
    /// clear-throttles --ip`): code mails, and wrong admin API keys. The in-memory per-IP token bucket of each running instance
    /// refills on its own within seconds. How many records went.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "clear_ip_throttles"))]
    pub async fn clear_ip_throttles(&self, rate_key: &str) -> Result<u64, Error> {
        let events = self
            .events
            .delete_many(doc! {
                "kind": { "$in": [EventKind::MailFromIp.as_str(), EventKind::AdminKeyFailure.as_str()] },
                "key": rate_key,
            })
            .await?;
        Ok(events.deleted_count)
    }
}

/// Keys `<account id> <device or network>`: every string from "<id> " up to, not including,
/// "<id>!" (the character after the space), an index-friendly range.
fn account_pooled(account: ObjectId) -> mongodb::bson::Document {
    let id = account.to_hex();
    doc! { "$gte": format!("{id} "), "$lt": format!("{id}!") }
}

/// The key of an account's device or network pool: `<account id> <device id or network>`.
pub fn pooled_key(account: ObjectId, member: &str) -> String {
    format!("{} {member}", account.to_hex())
}
