//! Outbound webhooks, as the Standard Webhooks specification defines them: every account event
//! ([`crate::events`]) is delivered to each endpoint of `APP_WEBHOOK_URLS`, signed, at least
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
pub mod worker;

use std::{sync::Arc, time::Duration};

use anyhow::{bail, Context as _};
use base64::Engine;
use hmac::{Hmac, Mac};
use mongodb::bson::{oid::ObjectId, DateTime};
use secrecy::{ExposeSecret, SecretBox};
use serde::Serialize;
use sha2::Sha256;

use crate::{
    clock::after,
    config::{Environment, Vars},
    state::AppState,
    store::{DeliveryStatus, WebhookDelivery},
};
pub use guard::Policy;

/// Every event type, as receivers see it (`type` of the payload).
pub const EVENT_TYPES: [&str; 12] = [
    "user.created",
    "user.email_changed",
    "user.password_changed",
    "user.deleted",
    "user.disabled",
    "user.enabled",
    "session.created",
    "session.ended",
    "mfa.totp_enabled",
    "mfa.totp_disabled",
    "passkey.added",
    "passkey.removed",
];

/// Largest body sent, in bytes (the specification's receivers may refuse more).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Smallest signing secret, in bytes (the specification: 24 to 64).
pub const MIN_SECRET_BYTES: usize = 24;

/// A signing secret: the bytes after `whsec_`, base64-decoded. Never printed.
#[derive(Clone)]
pub struct SigningKey(Arc<SecretBox<Vec<u8>>>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// `whsec_` + base64 of at least [`MIN_SECRET_BYTES`] bytes; `var` names the variable in
    /// the error.
    pub fn parse(var: &str, raw: &str) -> anyhow::Result<Self> {
        let Some(encoded) = raw.trim().strip_prefix("whsec_") else {
            bail!(
                "{var} must start with `whsec_` followed by base64 (e.g. \
                 `whsec_$(openssl rand -base64 32)`)"
            );
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| {
                anyhow::anyhow!("{var}: the part after `whsec_` is not valid (standard) base64")
            })?;
        if bytes.len() < MIN_SECRET_BYTES {
            bail!(
                "{var} holds {} bytes; at least {MIN_SECRET_BYTES} random bytes are required \
                 (e.g. `whsec_$(openssl rand -base64 32)`)",
                bytes.len()
            );
        }
        Ok(Self(Arc::new(SecretBox::new(Box::new(bytes)))))
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .expect("HMAC takes a key of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        let tag = mac.finalize().into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(tag)
        )
    }
}

/// Which event types are delivered (`APP_WEBHOOK_EVENTS`): exact names, `prefix.*`, or all.
#[derive(Debug, Clone)]
pub struct EventFilter(Option<Vec<String>>);

impl EventFilter {
    fn parse(raw: Option<&str>) -> anyhow::Result<Self> {
        let entries: Vec<String> = list(raw).map(str::to_owned).collect();
        if entries.is_empty() || entries.iter().any(|e| e == "*") {
            return Ok(Self(None));
        }
        for entry in &entries {
            if !EVENT_TYPES.iter().any(|t| matches(entry, t)) {
                bail!(
                    "APP_WEBHOOK_EVENTS: `{entry}` names no event type (known: {})",
                    EVENT_TYPES.join(", ")
                );
            }
        }
        Ok(Self(Some(entries)))
    }

    /// Whether `kind` is delivered.
    pub fn wants(&self, kind: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|entries| entries.iter().any(|e| matches(e, kind)))
    }
}

fn matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(prefix) => kind
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == kind,
    }
}

/// One receiver: its URL, and the label its metrics carry (host and port: a path may hold a
/// token).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: reqwest::Url,
    pub label: String,
}

impl Endpoint {
    /// The key of its queue in `webhook_deliveries`.
    pub fn key(&self) -> &str {
        self.url.as_str()
    }
}

/// `APP_WEBHOOK_*`, checked.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub endpoints: Vec<Endpoint>,
    pub secret: SigningKey,
    pub previous_secret: Option<SigningKey>,
    pub events: EventFilter,
    pub policy: Policy,
    /// A 2xx must arrive within this, connection included.
    pub timeout: Duration,
    /// The first retry waits this long; each next one twice as long…
    pub retry_base: Duration,
    /// …but never more than this…
    pub retry_max: Duration,
    /// …until this long after the event, when the delivery is marked failed.
    pub retry_for: Duration,
    /// How often each worker looks for deliveries queued by other instances (its own are
    /// woken at once).
    pub poll: Duration,
}

impl WebhookSettings {
    /// `None` without `APP_WEBHOOK_URLS`; an error (naming the variable) for anything wrong.
    pub fn from_vars(v: &Vars) -> anyhow::Result<Option<Self>> {
        let production = v.env == Environment::Production;
        let policy = Policy::parse(production, v.webhook_allow_private.as_deref())?;
        let secret = v
            .webhook_secret
            .as_deref()
            .map(|s| SigningKey::parse("APP_WEBHOOK_SECRET", s))
            .transpose()?;
        let previous_secret = v
            .webhook_previous_secret
            .as_deref()
            .map(|s| SigningKey::parse("APP_WEBHOOK_PREVIOUS_SECRET", s))
            .transpose()?;
        let events = EventFilter::parse(v.webhook_events.as_deref())?;
        let endpoints = list(v.webhook_urls.as_deref())
            .map(|raw| endpoint(raw, production, &policy))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if endpoints.is_empty() {
            return Ok(None);
        }
        let Some(secret) = secret else {
            bail!(
                "APP_WEBHOOK_URLS is set but APP_WEBHOOK_SECRET is not: every delivery is signed \
                 (`whsec_` + base64 of at least {MIN_SECRET_BYTES} random bytes, e.g. \
                 `whsec_$(openssl rand -base64 32)`)"
            );
        };
        let mut keys: Vec<&str> = endpoints.iter().map(Endpoint::key).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            bail!("APP_WEBHOOK_URLS names one URL twice");
        }
        if v.webhook_timeout_ms == 0 {
            bail!("APP_WEBHOOK_TIMEOUT_MS must be at least 1");
        }
        Ok(Some(Self {
            endpoints,
            secret,
            previous_secret,
            events,
            policy,
            timeout: Duration::from_millis(v.webhook_timeout_ms),
            retry_base: Duration::from_millis(v.webhook_retry_base_ms),
            retry_max: Duration::from_secs(v.webhook_retry_max_secs),
            retry_for: Duration::from_secs(v.webhook_retry_for_secs),
            poll: Duration::from_millis(v.webhook_poll_ms.max(10)),
        }))
    }

    /// The wait after the `attempts`-th failed attempt: base, 2 × base, 4 × base, … at most
    /// `retry_max`.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
        self.retry_base
            .saturating_mul(1u32 << doublings)
            .min(self.retry_max)
    }

    /// How long an instance holds an attempt before another may take it over (it crashed):
    /// twice the attempt's own bound, and 5 s for the database writes around it.
    pub fn lease(&self) -> Duration {
        self.timeout.saturating_mul(2) + Duration::from_secs(5)
    }
}

/// A URL of `APP_WEBHOOK_URLS`: https, or http to this machine outside production; in
/// production not an address the policy refuses.
fn endpoint(raw: &str, production: bool, policy: &Policy) -> anyhow::Result<Endpoint> {
    let url = reqwest::Url::parse(raw)
        .map_err(|e| anyhow::anyhow!("APP_WEBHOOK_URLS: `{raw}` is not a URL ({e})"))?;
    let host_text = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| anyhow::anyhow!("APP_WEBHOOK_URLS: `{raw}` has no host"))?
        .to_ascii_lowercase();
    let ip = guard::literal_ip(&host_text);
    match url.scheme() {
        "https" => {}
        "http" if !production && guard::is_loopback_host(&host_text, ip) => {}
        "http" => bail!(
            "APP_WEBHOOK_URLS: `{raw}` is plain http; only https is allowed{}",
            if production {
                " in production"
            } else {
                " (http only to this machine: localhost, 127.0.0.1, ::1)"
            }
        ),
        other => bail!("APP_WEBHOOK_URLS: `{raw}` has scheme `{other}`; use https"),
    }
    if url.fragment().is_some() {
        bail!("APP_WEBHOOK_URLS: `{raw}` has a fragment, which is never sent");
    }
    if let Some(ip) = ip {
        if !policy.permits(&host_text, ip) {
            bail!(
                "APP_WEBHOOK_URLS: `{raw}` is a loopback, private, link-local or metadata \
                 address, refused in production; list it in APP_WEBHOOK_ALLOW_PRIVATE if it \
                 is meant"
            );
        }
    }
    let label = match url.port() {
        Some(port) => format!("{host_text}:{port}"),
        None => host_text,
    };
    Ok(Endpoint { url, label })
}

/// The items of a comma-separated list, trimmed, empty ones skipped.
fn list(raw: Option<&str>) -> impl Iterator<Item = &str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

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

    /// Queues one event of `kind` at `at` with `data` for every endpoint, and wakes this
    /// instance's workers.
    pub async fn enqueue(
        &self,
        state: &AppState,
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
        let now = state.clock.now();
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
        state.store.insert_webhook_deliveries(&docs).await?;
        metrics::counter!("webhook_events_total", "type" => kind).increment(1);
        for wake in &self.wake {
            wake.notify_one();
        }
        Ok(())
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

/// The newest `limit` deliveries in `status` (at most 1000).
pub async fn list_deliveries(
    state: &AppState,
    status: DeliveryStatus,
    limit: u32,
) -> Result<Vec<DeliverySummary>, mongodb::error::Error> {
    let docs = state
        .store
        .list_webhook_deliveries(status, i64::from(limit.clamp(1, 1000)))
        .await?;
    Ok(docs.iter().map(DeliverySummary::from).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("`{0}` is not a delivery id (24 hex digits)")]
    InvalidId(String),
    #[error("no delivery has the id `{0}`")]
    NotFound(String),
    #[error("delivery `{0}` is {1:?}, not failed: only a failed delivery is re-queued")]
    NotFailed(String, DeliveryStatus),
    #[error("the delivery changed meanwhile; try again")]
    Conflict,
    #[error(transparent)]
    Database(#[from] mongodb::error::Error),
}

/// Puts failed delivery `id` back in its endpoint's queue, due now, with a new retry period;
/// as the oldest of its queue it goes first. Its `webhook-id` stays: a receiver that did
/// process it after all deduplicates.
pub async fn retry(state: &AppState, id: &str) -> Result<DeliverySummary, RetryError> {
    let oid = ObjectId::parse_str(id.trim()).map_err(|_| RetryError::InvalidId(id.to_owned()))?;
    let doc = state
        .store
        .find_webhook_delivery(oid)
        .await?
        .ok_or_else(|| RetryError::NotFound(id.to_owned()))?;
    if doc.status != DeliveryStatus::Failed {
        return Err(RetryError::NotFailed(id.to_owned(), doc.status));
    }
    let retry_for = state
        .webhooks
        .as_ref()
        .map_or(Duration::from_secs(3 * 24 * 3600), |w| w.settings.retry_for);
    let now = state.clock.now();
    let give_up_at = after(now, retry_for);
    if !state
        .store
        .requeue_webhook(&doc, now, give_up_at, after(give_up_at, KEEP_FINISHED))
        .await?
    {
        return Err(RetryError::Conflict);
    }
    let requeued = state
        .store
        .find_webhook_delivery(oid)
        .await?
        .ok_or_else(|| RetryError::NotFound(id.to_owned()))?;
    if let Some(hooks) = &state.webhooks {
        for wake in &hooks.wake {
            wake.notify_one();
        }
    }
    Ok(DeliverySummary::from(&requeued))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<Option<WebhookSettings>> {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WebhookSettings::from_vars(&Vars::from_map(&map)?)
    }

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn the_signature_is_the_specifications_example() {
        // The Standard Webhooks specification's own test vector.
        let key = SigningKey::parse("X", SECRET).unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            key.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn bad_configuration_is_refused_with_the_variable_named() {
        assert!(settings(&[]).unwrap().is_none());
        let err = |pairs: &[(&str, &str)]| settings(pairs).unwrap_err().to_string();
        let url = ("APP_WEBHOOK_URLS", "https://hooks.example.com/in");
        assert!(err(&[url]).contains("APP_WEBHOOK_SECRET"));
        for bad in ["plain", "whsec_!!!", "whsec_c2hvcnQ="] {
            let e = err(&[url, ("APP_WEBHOOK_SECRET", bad)]);
            assert!(e.contains("APP_WEBHOOK_SECRET"), "{bad}: {e}");
        }
        let e = err(&[
            url,
            ("APP_WEBHOOK_SECRET", SECRET),
            ("APP_WEBHOOK_PREVIOUS_SECRET", "whsec_c2hvcnQ="),
        ]);
        assert!(e.contains("APP_WEBHOOK_PREVIOUS_SECRET"), "{e}");
        let e = err(&[
            url,
            ("APP_WEBHOOK_SECRET", SECRET),
            ("APP_WEBHOOK_EVENTS", "user.created,user.exploded"),
        ]);
        assert!(e.contains("user.exploded"), "{e}");
        for bad in [
            "http://hooks.example.com/in",
            "ftp://hooks.example.com",
            "not a url",
        ] {
            let e = err(&[("APP_WEBHOOK_URLS", bad), ("APP_WEBHOOK_SECRET", SECRET)]);
            assert!(e.contains("APP_WEBHOOK_URLS"), "{bad}: {e}");
        }
        // http to this machine outside production only.
        let local = ("APP_WEBHOOK_URLS", "http://127.0.0.1:9/in");
        assert!(settings(&[local, ("APP_WEBHOOK_SECRET", SECRET)])
            .unwrap()
            .is_some());
        let prod = [("APP_ENV", "production"), ("APP_WEBHOOK_SECRET", SECRET)];
        let e = err(&[&prod[..], &[local]].concat());
        assert!(e.contains("http"), "{e}");
        for private in [
            "https://127.0.0.1/in",
            "https://10.1.2.3/in",
            "https://169.254.169.254/latest",
            "https://[::1]/in",
            "https://[fd00:ec2::254]/",
            "https://100.100.100.200/",
        ] {
            let e = err(&[&prod[..], &[("APP_WEBHOOK_URLS", private)]].concat());
            assert!(e.contains("APP_WEBHOOK_ALLOW_PRIVATE"), "{private}: {e}");
        }
        let allowed = settings(
            &[
                &prod[..],
                &[
                    ("APP_WEBHOOK_URLS", "https://10.1.2.3/in"),
                    ("APP_WEBHOOK_ALLOW_PRIVATE", "10.0.0.0/8"),
                ],
            ]
            .concat(),
        )
        .unwrap();
        assert!(allowed.is_some());
    }

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

    #[test]
    fn the_filter_takes_names_and_prefixes_and_the_backoff_doubles_to_its_cap() {
        let s = settings(&[
            (
                "APP_WEBHOOK_URLS",
                "https://a.example.com, https://b.example.com/x",
            ),
            ("APP_WEBHOOK_SECRET", SECRET),
            ("APP_WEBHOOK_EVENTS", "user.created, session.*"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(s.endpoints.len(), 2);
        assert!(s.events.wants("user.created") && s.events.wants("session.ended"));
        assert!(!s.events.wants("user.deleted") && !s.events.wants("sessionx.y"));
        let secs = |n| s.backoff(n).as_secs();
        assert_eq!(
            [secs(1), secs(2), secs(3), secs(7), secs(8), secs(100)],
            [30, 60, 120, 1920, 3600, 3600]
        );
        assert_eq!(s.retry_for, Duration::from_secs(3 * 24 * 3600));
        assert_eq!(s.timeout, Duration::from_secs(10));
    }
}
