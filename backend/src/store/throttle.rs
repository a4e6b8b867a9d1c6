//! Limits that every API instance shares: a per-address cooldown lock, a log of events
//! (mails sent, failed logins, wrong codes) counted over sliding windows, and the networks each
//! account has logged in from.

use std::time::Duration;

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    error::Error,
    options::ReturnDocument,
};

use super::{duplicate_key_index, Store};

/// What an event-log entry counts against.
#[derive(Debug, Clone, Copy)]
pub enum EventKind {
    /// A mail sent to an address (key: normalised email).
    MailToAddress,
    /// A mail requested from a client address (key: IP).
    MailFromIp,
    /// A failed (or in-progress) login from a client the account does not know (key:
    /// normalised username): every stranger shares this pool.
    LoginFailure,
    /// A failed (or in-progress) login from a device that proved it logged in to the account
    /// before (key: `<username key> <device id>`).
    LoginFailureFromDevice,
    /// A failed (or in-progress) login from a network the account logged in from before (key:
    /// `<username key> <network key>`).
    LoginFailureFromNetwork,
    /// A wrong (or in-progress) code guess, signup and reset alike (key: normalised email).
    CodeFailure,
    /// A wrong (or in-progress) second-step code of a login, or of turning TOTP off, across
    /// every ticket (key: account id, hex).
    MfaFailure,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::MailToAddress => "mail_to_address",
            EventKind::MailFromIp => "mail_from_ip",
            EventKind::LoginFailure => "login_failure",
            EventKind::LoginFailureFromDevice => "login_failure_device",
            EventKind::LoginFailureFromNetwork => "login_failure_network",
            EventKind::CodeFailure => "code_failure",
            EventKind::MfaFailure => "mfa_failure",
        }
    }
}

/// A held cooldown lock for one address. Give it back with [`Store::release_send_lock`] when
/// nothing was sent, so a failed attempt costs the person no waiting.
#[derive(Debug)]
pub struct SendLock {
    email_key: String,
    until: DateTime,
    previous_until: Option<DateTime>,
}

pub enum LockOutcome {
    Acquired(SendLock),
    /// Another send for this address happened recently; free again at this time.
    Cooldown(DateTime),
}

fn add(t: DateTime, d: Duration) -> DateTime {
    DateTime::from_millis(t.timestamp_millis() + d.as_millis() as i64)
}

fn sub(t: DateTime, d: Duration) -> DateTime {
    DateTime::from_millis(t.timestamp_millis() - d.as_millis() as i64)
}

impl Store {
    /// Takes the address's cooldown lock until `now + cooldown`, atomically: the filter matches
    /// only an expired lock, and when a live lock exists the upsert collides with it on `_id`
    /// (duplicate key), so of any number of concurrent callers exactly one wins.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "acquire_send_lock"))]
    pub async fn acquire_send_lock(
        &self,
        email_key: &str,
        now: DateTime,
        cooldown: Duration,
    ) -> Result<LockOutcome, Error> {
        let until = add(now, cooldown);
        let result = self
            .send_locks
            .find_one_and_update(
                doc! { "_id": email_key, "until": { "$lte": now } },
                doc! { "$set": { "until": until } },
            )
            .upsert(true)
            .return_document(ReturnDocument::Before)
            .await;
        match result {
            Ok(previous) => Ok(LockOutcome::Acquired(SendLock {
                email_key: email_key.to_owned(),
                until,
                previous_until: previous.and_then(|d| d.get_datetime("until").ok().copied()),
            })),
            Err(e) if duplicate_key_index(&e).is_some() => {
                let held = self.send_locks.find_one(doc! { "_id": email_key }).await?;
                let free_at = held
                    .and_then(|d| d.get_datetime("until").ok().copied())
                    .unwrap_or(until);
                Ok(LockOutcome::Cooldown(free_at))
            }
            Err(e) => Err(e),
        }
    }

    /// Gives the lock back, restoring the state before it was taken.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "release_send_lock"))]
    pub async fn release_send_lock(&self, lock: SendLock) -> Result<(), Error> {
        let ours = doc! { "_id": &lock.email_key, "until": lock.until };
        match lock.previous_until {
            Some(previous) => self
                .send_locks
                .update_one(ours, doc! { "$set": { "until": previous } })
                .await
                .map(|_| ()),
            None => self.send_locks.delete_one(ours).await.map(|_| ()),
        }
    }

    /// The sliding-window limiter every per-key limit shares: records this attempt, then
    /// counts the attempts within `limit.window` (this one included). At most `limit.max`
    /// are admitted. A refused attempt is forgotten again (it does not extend the wait) and
    /// says when the oldest attempt leaves the window. Record-then-count, so concurrent
    /// attempts can never together get more than `max` admitted.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "admit"))]
    pub async fn admit(&self, limit: Limit, key: &str, now: DateTime) -> Result<Admission, Error> {
        let attempt = self
            .record_event(limit.kind, key, now, limit.window)
            .await?;
        let count = self
            .events_in_window(limit.kind, key, now, limit.window)
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
            .events_in_window(limit.kind, key, now, limit.window)
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

    /// Events logged against `key` within `window` before `now`.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "events_in_window"))]
    pub async fn events_in_window(
        &self,
        kind: EventKind,
        key: &str,
        now: DateTime,
        window: Duration,
    ) -> Result<u64, Error> {
        self.events
            .count_documents(
                doc! { "kind": kind.as_str(), "key": key, "at": { "$gt": sub(now, window) } },
            )
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

/// The `_id` of a known network: the suffix is an address or network in text form, which has
/// no space, so the pair splits unambiguously at the last space whatever the username holds.
fn known_network_id(account: &str, network: &str) -> String {
    format!("{account} {network}")
}

impl Store {
    /// Remembers that `account` logged in successfully from `network`, until `now + ttl`
    /// (renewed by every success from there).
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "remember_network"))]
    pub async fn remember_network(
        &self,
        account: &str,
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
            // Two concurrent first logins from one network: the other upsert inserted it.
            Err(e) if duplicate_key_index(&e).is_some() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Whether `account` logged in successfully from `network` within its memory.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "is_known_network"))]
    pub async fn is_known_network(
        &self,
        account: &str,
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
}

impl Store {
    /// Forgets everything the limits remember about a deleted account: its failed logins (all
    /// pools), the networks it logged in from, and the mails, wrong codes and cooldown of its
    /// address. The per-IP records name no account and stay.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_account_records"))]
    pub async fn delete_account_records(
        &self,
        username_key: &str,
        email_key: &str,
    ) -> Result<(), Error> {
        self.clear_account_throttles(username_key, email_key)
            .await?;
        self.known_networks
            .delete_many(doc! { "_id": account_pooled(username_key) })
            .await?;
        Ok(())
    }

    /// Lifts every limit on one account (`backend admin clear-throttles --account`): its
    /// failed logins (all pools), and the mails, wrong codes and resend cooldown of its
    /// address. The networks it is known from stay (they are trust, not a limit). How many
    /// records went.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "clear_account_throttles"))]
    pub async fn clear_account_throttles(
        &self,
        username_key: &str,
        email_key: &str,
    ) -> Result<u64, Error> {
        let events = self
            .events
            .delete_many(doc! { "$or": [
                { "kind": EventKind::LoginFailure.as_str(), "key": username_key },
                { "kind": { "$in": [
                    EventKind::LoginFailureFromDevice.as_str(),
                    EventKind::LoginFailureFromNetwork.as_str(),
                ] }, "key": account_pooled(username_key) },
                { "kind": { "$in": [
                    EventKind::MailToAddress.as_str(),
                    EventKind::CodeFailure.as_str(),
                ] }, "key": email_key },
            ] })
            .await?;
        let locks = self
            .send_locks
            .delete_many(doc! { "_id": email_key })
            .await?;
        Ok(events.deleted_count + locks.deleted_count)
    }

    /// Lifts the shared per-address limit on code mails for one client rate key (`backend
    /// admin clear-throttles --ip`). The in-memory per-IP token bucket of each running instance
    /// refills on its own within seconds. How many records went.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "clear_ip_throttles"))]
    pub async fn clear_ip_throttles(&self, rate_key: &str) -> Result<u64, Error> {
        let events = self
            .events
            .delete_many(doc! { "kind": EventKind::MailFromIp.as_str(), "key": rate_key })
            .await?;
        Ok(events.deleted_count)
    }
}

/// Keys `<username key> <device or network>`: every string from "<key> " up to, not
/// including, "<key>!" (the character after the space), an index-friendly range.
fn account_pooled(username_key: &str) -> mongodb::bson::Document {
    doc! { "$gte": format!("{username_key} "), "$lt": format!("{username_key}!") }
}
