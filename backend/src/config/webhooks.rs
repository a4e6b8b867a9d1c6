//! `APP_WEBHOOK_*`: where account events are delivered, signed with which secret, which
//! types, and the retry schedule; checked at start-up, each error naming its variable.

use std::time::Duration;

use anyhow::bail;

use super::{Environment, Vars};
use crate::webhooks::guard::{self, Policy};
use crate::webhooks::signing::{SigningKey, MIN_SECRET_BYTES};

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
