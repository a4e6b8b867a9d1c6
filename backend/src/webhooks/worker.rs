//! The delivery workers: one task per endpoint in every instance. A worker reads the oldest
//! pending deliveries of its endpoint (an indexed query), and takes them strictly in that
//! order: each attempt is claimed by compare-and-set ([`Store::claim_webhook`]); a claim lost
//! to another instance, a delivery not yet due, or a failed attempt ends the round, so a
//! delivery is attempted only once every older one of its endpoint is finished. The worker is
//! woken at once when its own instance queues an event, and polls for the others'.
//!
//! "Now" is the state's clock (tests move it instead of waiting out a back-off); the attempt's
//! timeout is real time.

use std::time::{Duration, Instant};

use actix_web::web;
use mongodb::bson::DateTime;

use super::{guard, Webhooks, KEEP_FINISHED};
use crate::{
    clock::after,
    state::AppState,
    store::{DeliveryStatus, Store, WebhookDelivery},
};

/// Deliveries read per query of an endpoint's queue.
const BATCH: i64 = 50;
/// A worker whose queue's head is not due re-reads it at least this often (another instance
/// may have finished it, an operator re-queued an older one).
const RECHECK: Duration = Duration::from_secs(30);
/// After the database failed a read, the worker waits this long (or for a wake-up).
const UNAVAILABLE_PAUSE: Duration = Duration::from_secs(5);
/// Queue depth is counted at most this often.
const COUNT_EVERY: Duration = Duration::from_secs(10);

/// Starts the workers of every configured endpoint.
pub fn spawn(state: web::Data<AppState>) {
    let Some(hooks) = state.webhooks.clone() else {
        return;
    };
    for index in 0..hooks.settings.endpoints.len() {
        tokio::spawn(run(state.clone(), hooks.clone(), index));
    }
}

/// Why a round ended: the head is not due before `until`, or there is nothing to do.
struct Wait {
    until: Option<DateTime>,
    read_at: Instant,
}

async fn run(state: web::Data<AppState>, hooks: std::sync::Arc<Webhooks>, index: usize) {
    let endpoint = &hooks.settings.endpoints[index];
    let mut wait: Option<Wait> = None;
    let mut counted: Option<Instant> = None;
    loop {
        let mut pause = hooks.settings.poll;
        let now = state.clock.now();
        let skip = wait.as_ref().is_some_and(|w| {
            w.until.is_some_and(|until| now < until) && w.read_at.elapsed() < RECHECK
        });
        if !skip {
            wait = match drain(&state, &hooks, index).await {
                Ok(until) => Some(Wait {
                    until,
                    read_at: Instant::now(),
                }),
                Err(e) => {
                    tracing::warn!(event = "webhook_queue_unavailable", endpoint = %endpoint.label, error = %e, "webhook queue not read");
                    // The database is away: look again in a while, not at every poll.
                    pause = pause.max(UNAVAILABLE_PAUSE);
                    None
                }
            };
        }
        if counted.is_none_or(|t| t.elapsed() >= COUNT_EVERY) {
            counted = Some(Instant::now());
            match state.store.count_webhook_queue(endpoint.key()).await {
                Ok(n) => {
                    metrics::gauge!("webhook_queue_depth", "endpoint" => endpoint.label.clone())
                        .set(n as f64)
                }
                Err(e) => tracing::warn!(error = %e, "counting the webhook queue failed"),
            }
        }
        tokio::select! {
            () = hooks.wake[index].notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Delivers the due head of the endpoint's queue, and what follows it, in order. `Ok(Some(t))`:
/// the head backs off until `t`; `Ok(None)`: the queue is empty or another instance holds it.
async fn drain(
    state: &AppState,
    hooks: &Webhooks,
    index: usize,
) -> Result<Option<DateTime>, mongodb::error::Error> {
    let endpoint = &hooks.settings.endpoints[index];
    let age = |head: Option<&WebhookDelivery>, now: DateTime| {
        let seconds = head.map_or(0.0, |d| {
            (now.timestamp_millis() - d.created_at.timestamp_millis()).max(0) as f64 / 1000.0
        });
        metrics::gauge!("webhook_oldest_pending_seconds", "endpoint" => endpoint.label.clone())
            .set(seconds);
    };
    loop {
        let batch = state
            .store
            .webhook_queue_head(endpoint.key(), BATCH)
            .await?;
        age(batch.first(), state.clock.now());
        if batch.is_empty() {
            return Ok(None);
        }
        for doc in &batch {
            let now = state.clock.now();
            if doc.next_at > now {
                // Backing off: nothing of this queue can go before then.
                return Ok(Some(doc.next_at));
            }
            if doc.lease_until > now {
                // Another instance is attempting it (and goes on with the queue); look again at
                // the next wake-up or poll.
                return Ok(None);
            }
            let lease_until = after(now, hooks.settings.lease());
            if !state.store.claim_webhook(doc, lease_until).await? {
                // Another instance took it (and goes on with the queue).
                return Ok(None);
            }
            let attempts = doc.attempts + 1;
            let outcome = attempt(state, hooks, index, doc).await;
            let done = settle(
                &state.store,
                hooks,
                doc,
                attempts,
                lease_until,
                &outcome,
                state.clock.now(),
            )
            .await?;
            if let Some(next_at) = done {
                return Ok(Some(next_at));
            }
        }
    }
}

/// What one attempt came to.
#[derive(Debug)]
enum Outcome {
    /// A 2xx.
    Delivered(u16),
    /// Any other status (a redirect among them: never followed).
    Refused(u16),
    Timeout,
    /// No connection, or it broke.
    Unreachable(String),
    /// The policy refused every address of the endpoint.
    Blocked(String),
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Delivered(_) => "delivered",
            Outcome::Refused(s) if (300..400).contains(s) => "redirect",
            Outcome::Refused(_) => "http_error",
            Outcome::Timeout => "timeout",
            Outcome::Unreachable(_) => "unreachable",
            Outcome::Blocked(_) => "blocked",
        }
    }

    fn status(&self) -> Option<i32> {
        match self {
            Outcome::Delivered(s) | Outcome::Refused(s) => Some(i32::from(*s)),
            _ => None,
        }
    }

    fn error(&self) -> String {
        match self {
            Outcome::Delivered(s) => format!("HTTP {s}"),
            Outcome::Refused(s) if (300..400).contains(s) => {
                format!("HTTP {s}: a redirect, not followed")
            }
            Outcome::Refused(s) => format!("HTTP {s}"),
            Outcome::Timeout => "no answer within the timeout".to_owned(),
            Outcome::Unreachable(e) => format!("connection failed: {e}"),
            Outcome::Blocked(e) => e.clone(),
        }
    }
}

/// One signed POST of `doc`, bounded by the timeout.
async fn attempt(
    state: &AppState,
    hooks: &Webhooks,
    index: usize,
    doc: &WebhookDelivery,
) -> Outcome {
    let settings = &hooks.settings;
    let endpoint = &settings.endpoints[index];
    let started = Instant::now();
    let outcome = 'attempt: {
        let host = endpoint.url.host_str().unwrap_or_default();
        if let Some(ip) = guard::literal_ip(host) {
            if !settings.policy.permits(host, ip) {
                break 'attempt Outcome::Blocked(guard::Blocked(host.to_owned()).to_string());
            }
        }
        let timestamp = state.clock.now_secs();
        let mut signatures = settings.secret.sign(&doc.event_id, timestamp, &doc.body);
        if let Some(previous) = &settings.previous_secret {
            signatures.push(' ');
            signatures.push_str(&previous.sign(&doc.event_id, timestamp, &doc.body));
        }
        let request = hooks
            .client
            .post(endpoint.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &doc.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures)
            .body(doc.body.clone())
            .send();
        match tokio::time::timeout(settings.timeout, request).await {
            Err(_) => Outcome::Timeout,
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                if response.status().is_success() {
                    Outcome::Delivered(status)
                } else {
                    Outcome::Refused(status)
                }
            }
            Ok(Err(e)) if e.is_timeout() => Outcome::Timeout,
            Ok(Err(e)) => match blocked(&e) {
                Some(b) => Outcome::Blocked(b.to_string()),
                None => Outcome::Unreachable(chain(&e.without_url())),
            },
        }
    };
    let took = started.elapsed();
    metrics::histogram!("webhook_attempt_duration_seconds").record(took.as_secs_f64());
    metrics::counter!("webhook_attempts_total", "type" => doc.kind.clone(), "outcome" => outcome.label())
        .increment(1);
    outcome
}

/// The policy's refusal inside a client error, if that is what it is.
fn blocked(e: &reqwest::Error) -> Option<&guard::Blocked> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(b) = err.downcast_ref::<guard::Blocked>() {
            return Some(b);
        }
        source = err.source();
    }
    None
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    text
}

/// Records the outcome of attempt `attempts`. `Some(next_at)`: the delivery waits for its
/// next attempt (the queue waits with it); `None`: it is finished (delivered or failed) and
/// the next one may go.
async fn settle(
    store: &Store,
    hooks: &Webhooks,
    doc: &WebhookDelivery,
    attempts: i32,
    lease_until: DateTime,
    outcome: &Outcome,
    now: DateTime,
) -> Result<Option<DateTime>, mongodb::error::Error> {
    let kind = doc.kind.clone();
    let log = |kept: bool| {
        if !kept {
            tracing::warn!(event = "webhook_lease_lost", delivery = %doc.id, "a webhook attempt outlived its lease");
        }
    };
    if let Outcome::Delivered(status) = outcome {
        let kept = store
            .finish_webhook(
                doc.id,
                attempts,
                lease_until,
                DeliveryStatus::Delivered,
                now,
                after(now, KEEP_FINISHED),
                Some(i32::from(*status)),
                None,
            )
            .await?;
        log(kept);
        metrics::counter!("webhook_deliveries_total", "type" => kind, "outcome" => "delivered")
            .increment(1);
        tracing::info!(event = "webhook_delivered", delivery = %doc.id, webhook_id = %doc.event_id, kind = %doc.kind, attempts, "webhook delivered");
        return Ok(None);
    }
    let error = outcome.error();
    let next_at = after(now, hooks.settings.backoff(attempts));
    if next_at > doc.give_up_at {
        let kept = store
            .finish_webhook(
                doc.id,
                attempts,
                lease_until,
                DeliveryStatus::Failed,
                now,
                after(now, KEEP_FINISHED),
                outcome.status(),
                Some(&error),
            )
            .await?;
        log(kept);
        metrics::counter!("webhook_deliveries_total", "type" => kind, "outcome" => "failed")
            .increment(1);
        tracing::error!(event = "webhook_failed", delivery = %doc.id, webhook_id = %doc.event_id, kind = %doc.kind, attempts, error = %error, "webhook given up");
        return Ok(None);
    }
    let kept = store
        .release_webhook(
            doc.id,
            attempts,
            lease_until,
            next_at,
            outcome.status(),
            &error,
        )
        .await?;
    log(kept);
    tracing::warn!(event = "webhook_retry", delivery = %doc.id, webhook_id = %doc.event_id, kind = %doc.kind, attempts, outcome = outcome.label(), error = %error, "webhook not delivered; will retry");
    Ok(Some(next_at))
}
