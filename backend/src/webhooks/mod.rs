//! Outbound webhooks, as the Standard Webhooks specification defines them: every account event
//! (told by `events::emit`) is delivered to each endpoint of `APP_WEBHOOK_URLS`, signed, at least
//! once.
//!
//! The rule: an event is written to `webhook_deliveries` (one document per event × endpoint)
//! in the request that made the change, before the answer; nothing else is ever the source of
//! a delivery. Each endpoint is its own queue, delivered in the order of creation by one worker
//! task per endpoint and instance ([`worker`]): one slow or dead receiver never holds up
//! another, and a delivery that keeps failing holds back the later ones of its endpoint only.
//! An attempt is taken by compare-and-set on the document's lease (never `findAndModify`), so
//! two instances never both make one attempt. A 2xx answer within the timeout is success;
//! anything else is retried with exponential back-off until the retry period ends, then the
//! delivery is marked failed, counted, and listed by `backend admin webhooks failed`.
//!
//! In production an endpoint may not be (or resolve to) a loopback, private, link-local or
//! metadata address unless `APP_WEBHOOK_ALLOW_PRIVATE` lists it ([`guard`]); the resolved
//! address is checked at every connection, so a name that changes its answer later is caught.

pub mod guard;
pub mod operator;
pub mod signing;
pub mod worker;

use std::{sync::Arc, time::Duration};

use anyhow::{bail, Context as _};
use mongodb::bson::{oid::ObjectId, DateTime};
use serde::Serialize;

pub use crate::config::webhooks::{Endpoint, EventFilter, WebhookSettings, EVENT_TYPES};
use crate::{
    clock::after,
    store::{DeliveryStatus, Store, WebhookDelivery},
};
pub use guard::Policy;
pub use signing::{SigningKey, MIN_SECRET_BYTES};

/// Largest body sent, in bytes (the specification's receivers may refuse more).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// What the running process needs to deliver: the settings, an HTTP client that follows no
/// redirect and connects only where the policy permits, and a wake-up per endpoint.
pub struct Webhooks {
    pub settings: WebhookSettings,
    client: reqwest::Client,
    wake: Vec<tokio::sync::Notify>,
}

impl Webhooks {
    pub fn new(settings: WebhookSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .no_proxy()
            .user_agent(concat!("emailauth-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(guard::GuardedResolver::new(
                settings.policy.clone(),
            )))
            .build()
            .context("building the webhook HTTP client")?;
        let wake = settings
            .endpoints
            .iter()
            .map(|_| tokio::sync::Notify::new())
            .collect();
        Ok(Self {
            settings,
            client,
            wake,
        })
    }

    /// Queues one event of `kind` at `at` with `data` for every endpoint (in `store`, due
    /// `now`), and wakes this instance's workers.
    pub async fn enqueue(
        &self,
        store: &Store,
        now: DateTime,
        kind: &'static str,
        at: DateTime,
        data: serde_json::Value,
    ) -> anyhow::Result<()> {
        if !self.settings.events.wants(kind) {
            return Ok(());
        }
        let event = ObjectId::new();
        let body = serde_json::json!({
            "type": kind,
            "timestamp": at.try_to_rfc3339_string().context("event time")?,
            "data": data,
        })
        .to_string();
        if body.len() > MAX_BODY_BYTES {
            bail!(
                "a {kind} payload of {} bytes is above {MAX_BODY_BYTES}",
                body.len()
            );
        }
        let give_up_at = after(at, self.settings.retry_for);
        let docs: Vec<WebhookDelivery> = self
            .settings
            .endpoints
            .iter()
            .map(|endpoint| WebhookDelivery {
                id: ObjectId::new(),
                event_id: format!("msg_{}", event.to_hex()),
                kind: kind.to_owned(),
                endpoint: endpoint.key().to_owned(),
                queue: Some(endpoint.key().to_owned()),
                status: DeliveryStatus::Pending,
                body: body.clone(),
                created_at: at,
                attempts: 0,
                next_at: now,
                lease_until: now,
                give_up_at,
                expires_at: after(give_up_at, KEEP_FINISHED),
                last_error: None,
                last_status: None,
                finished_at: None,
            })
            .collect();
        store.insert_webhook_deliveries(&docs).await?;
        metrics::counter!("webhook_events_total", "type" => kind).increment(1);
        self.wake_all();
        Ok(())
    }

    /// Wakes this instance's workers (a delivery is due now).
    pub fn wake_all(&self) {
        for wake in &self.wake {
            wake.notify_one();
        }
    }
}

/// How long a delivered or failed delivery stays listed (a TTL index then removes it).
pub const KEEP_FINISHED: Duration = Duration::from_secs(30 * 24 * 3600);

/// A delivery as an operator sees it (`backend admin webhooks …`, the admin API): ids,
/// state, last error; not its body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliverySummary {
    /// The delivery (one event to one endpoint): what `retry` takes.
    pub id: String,
    /// The event's `webhook-id`, shared by its deliveries to every endpoint.
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub endpoint: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub created_at: String,
    pub next_at: Option<String>,
    pub finished_at: Option<String>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

impl From<&WebhookDelivery> for DeliverySummary {
    fn from(d: &WebhookDelivery) -> Self {
        let text = |t: DateTime| t.try_to_rfc3339_string().unwrap_or_default();
        Self {
            id: d.id.to_hex(),
            event_id: d.event_id.clone(),
            kind: d.kind.clone(),
            endpoint: shown(&d.endpoint),
            status: d.status,
            attempts: d.attempts,
            created_at: text(d.created_at),
            next_at: (d.status == DeliveryStatus::Pending).then(|| text(d.next_at)),
            finished_at: d.finished_at.map(text),
            last_status: d.last_status,
            last_error: d.last_error.clone(),
        }
    }
}

/// An endpoint URL as operators see it: a password in it masked.
fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_an_endpoint_is_never_shown() {
        assert_eq!(
            shown("https://hook:s3cret@hooks.example.com/in"),
            "https://hook:***@hooks.example.com/in"
        );
        assert_eq!(
            shown("https://hooks.example.com/in"),
            "https://hooks.example.com/in"
        );
    }
}
