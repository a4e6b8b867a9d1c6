//! Security notices (password changed, email changed, account deleted, second factor turned
//! off): they always go out. They neither wait for nor consume a resend cooldown or an hourly
//! cap, so nobody can suppress them by requesting codes first. Each is written to the outbox
//! before the change is answered and sent right after; a failed send is logged and retried by
//! the outbox worker of any instance, and is never a reason to undo the change.

use std::time::Duration;

use crate::clock::after as later;
use mongodb::bson::{oid::ObjectId, DateTime};
use shared::Locale;

use crate::{
    domain::EmailAddress,
    mail::{Mailer, Notice},
    state::AppState,
    store::{OutboxDoc, Store},
};

/// How long an instance holds a notice it is sending before another may take it.
const LEASE: Duration = Duration::from_secs(60);
/// After this, a notice that never went out is given up (logged at every failure).
const GIVE_UP_AFTER: Duration = Duration::from_secs(2 * 24 * 3600);

/// Back-off after the `attempts`-th failed send: 30 s, 1 min, 2 min, … at most an hour.
fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::from_secs((30u64 << exp).min(3600))
}

/// Queues `notice` for `to` and sends it now, in the background: the caller's answer does not
/// wait on the mail server. Only the outbox write is awaited, so that a notice is never lost
/// with the process; if even that fails, the send is still tried once and the failure logged.
pub async fn deliver(state: &AppState, to: &EmailAddress, locale: Locale, notice: Notice) {
    let now = state.clock.now();
    let kind = notice.kind();
    let body = match mongodb::bson::to_document(&notice) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(event = "notice_failed", kind, error = %e, "notice not serialisable");
            return;
        }
    };
    let doc = OutboxDoc {
        id: ObjectId::new(),
        to: to.as_str().to_owned(),
        locale,
        notice: body,
        created_at: now,
        attempts: 1,
        next_at: now,
        lease_until: later(now, LEASE),
        expires_at: later(now, GIVE_UP_AFTER),
    };
    let queued = match state.store.insert_outbox(&doc).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(event = "notice_not_queued", kind, error = %e, "notice not queued; sending once");
            false
        }
    };
    let (store, mailer, clock) = (
        state.store.clone(),
        state.mailer.clone(),
        state.clock.clone(),
    );
    tokio::spawn(async move {
        let sent = send(&mailer, &doc).await;
        if !queued {
            return;
        }
        let result = if sent {
            store.delete_outbox(doc.id).await
        } else {
            store
                .release_outbox(doc.id, later(clock.now(), backoff(doc.attempts)))
                .await
        };
        if let Err(e) = result {
            tracing::warn!(event = "outbox_update_failed", error = %e, "outbox not updated");
        }
    });
}

/// [`deliver`] to the account's own address in its language.
pub async fn notify(state: &AppState, user: &crate::store::UserDoc, notice: Notice) {
    match EmailAddress::parse(user.email.clone()) {
        Ok(to) => deliver(state, &to, user.locale, notice).await,
        Err(_) => {
            tracing::warn!(event = "notice_failed", user_id = %user.id, kind = notice.kind(), "stored address unparsable")
        }
    }
}

/// Sends one queued notice; whether the mail server accepted it.
async fn send(mailer: &Mailer, doc: &OutboxDoc) -> bool {
    let notice: Notice = match mongodb::bson::from_document(doc.notice.clone()) {
        Ok(notice) => notice,
        Err(e) => {
            tracing::error!(event = "notice_failed", error = %e, "unreadable notice in the outbox");
            return false;
        }
    };
    let kind = notice.kind();
    let Ok(to) = EmailAddress::parse(doc.to.clone()) else {
        tracing::error!(
            event = "notice_failed",
            kind,
            "unparsable address in the outbox"
        );
        return false;
    };
    match mailer
        .send_notice(&to, &notice, doc.created_at, doc.locale)
        .await
    {
        Ok(()) => {
            tracing::info!(
                event = "notice_sent",
                kind,
                attempts = doc.attempts,
                "security notice sent"
            );
            true
        }
        Err(e) => {
            tracing::warn!(event = "mail_failed", kind, attempts = doc.attempts, error = %e, "security notice not sent; will retry");
            false
        }
    }
}

/// Sends every due notice whose lease lapsed, one at a time; how many went out.
pub async fn drain(store: &Store, mailer: &Mailer, now: DateTime) -> u64 {
    let mut sent = 0;
    loop {
        let claimed = match store.claim_outbox(now, later(now, LEASE)).await {
            Ok(Some(doc)) => doc,
            Ok(None) => return sent,
            Err(e) => {
                tracing::warn!(event = "outbox_unavailable", error = %e, "outbox not read");
                return sent;
            }
        };
        let result = if send(mailer, &claimed).await {
            sent += 1;
            store.delete_outbox(claimed.id).await
        } else {
            store
                .release_outbox(claimed.id, later(now, backoff(claimed.attempts)))
                .await
        };
        if let Err(e) = result {
            tracing::warn!(event = "outbox_update_failed", error = %e, "outbox not updated");
            return sent;
        }
    }
}

/// The outbox worker: retries failed notices every `every`.
pub async fn run_outbox(state: actix_web::web::Data<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        drain(&state.store, &state.mailer, state.clock.now()).await;
    }
}

/// `n***@example.com`: enough for the owner to recognise an address, not to harvest it.
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_the_first_letter_and_the_domain() {
        assert_eq!(mask_email("nick@example.com"), "n***@example.com");
        assert_eq!(mask_email("길동@example.com"), "길***@example.com");
        assert_eq!(mask_email("a@b.c"), "a***@b.c");
        assert_eq!(mask_email("nonsense"), "***");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for (attempt, wait) in [(1, 30), (2, 60), (8, 3600), (100, 3600)] {
            assert_eq!(backoff(attempt), Duration::from_secs(wait), "{attempt}");
        }
    }
}
