//! Typed settings: the defaults of [`Vars`], then an optional `.env` file, then `APP_*`
//! environment variables, read through `figment`. Secrets are [`SecretString`]s, which never
//! print.
//!
//! In `development` a missing `APP_JWT_SECRET` / `APP_CODE_PEPPER` is generated once and kept in
//! a git-ignored file (`.dev-secrets.env`), with a loud warning. In `production` the server
//! refuses to start without them. In every mode a secret that *is* given must be at least 32
//! bytes: one token signed with a short key lets anyone brute-force the key offline, and a
//! development server is often reachable by more people than its author thinks.

use anyhow::{bail, Context};
use figment::{
    value::{Dict, Map, Value},
    Figment, Metadata, Profile, Provider,
};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::{collections::HashMap, net::IpAddr, path::PathBuf, time::Duration};

/// Minimum length of the JWT secret and the code pepper, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// Default length of the password-hash queue per hashing thread (`APP_HASH_QUEUE` defaults to
/// this times `APP_HASH_CONCURRENCY`). One argon2id hash at the OWASP parameters takes about
/// 30–70 ms of one core (measured: 68 ms on a busy 2-core machine), so a full queue is one to
/// two seconds of work per thread: a person waits that long at worst in a burst, well within
/// any client's timeout, and anything beyond is a flood that gets a 503 with `Retry-After`
/// at once instead of making every login slower without end.
pub const HASH_QUEUE_PER_THREAD: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[serde(alias = "dev")]
    Development,
    #[serde(alias = "prod")]
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The highest `APP_CODES_PER_EMAIL_PER_HOUR` accepted.
pub const MAX_CODES_PER_EMAIL_PER_HOUR: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for local catchers.
    None,
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub tls: SmtpTls,
    /// Upper bound for one whole send (connect, dialogue, data).
    pub timeout: Duration,
    /// Connections open at once to the server; a send beyond them waits for one.
    pub connections: usize,
}

/// How access tokens are signed (`APP_JWT_ALGORITHM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JwtAlgorithm {
    /// Ed25519 (the default): other services verify with the published public keys.
    #[serde(alias = "eddsa", alias = "Ed25519", alias = "ed25519")]
    EdDSA,
    /// HMAC-SHA256 with `APP_JWT_SECRET`: only for a deployment where nobody else reads the
    /// tokens (a verifier would need the secret, and could then mint tokens too).
    #[serde(alias = "hs256")]
    HS256,
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub algorithm: JwtAlgorithm,
    /// EdDSA: the signing key, a PKCS#8 PEM (`APP_JWT_PRIVATE_KEY`). Unset: derived from
    /// `secret` (so a deployment with only `APP_JWT_SECRET`, and development, sign with Ed25519
    /// too, and rotating the secret rotates the key).
    pub private_key: Option<SecretString>,
    /// EdDSA, after a rotation: the previous public key (SPKI PEM), still accepted and
    /// published until the tokens it signed have expired.
    pub previous_public_key: Option<String>,
    /// HS256: signs new tokens and verifies them. EdDSA without a private key: the key's seed.
    pub secret: SecretString,
    /// After a rotation: still verifies tokens signed before it, until they expire.
    pub previous_secret: Option<SecretString>,
    pub ttl: Duration,
    pub issuer: String,
    pub audience: String,
}

/// What the mails say besides their message.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Templates that replace the built-in ones, by the same relative name (`en/code.html`).
    pub templates_dir: Option<PathBuf>,
    /// Named in every mail.
    pub product_name: String,
    /// Where the notices tell people to turn; unset: "support" without an address.
    pub support_email: Option<String>,
}

/// Sessions: how long a login lasts and how refresh tokens rotate.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// A session ends this long after the login, however active it is.
    pub absolute_ttl: Duration,
    /// …and this long after its last use (login or refresh).
    pub idle_ttl: Duration,
    /// A refresh token already rotated is answered with the session's current pair for this
    /// long (two tabs refreshing at once); presented later, it is taken as stolen and the
    /// whole session ends.
    pub refresh_grace: Duration,
    /// The app's own origin (`https://auth.example.com`), checked against `Origin` when the
    /// refresh token comes in a cookie. Unset: the origin must name the request's own host.
    pub public_origin: Option<String>,
    /// The per-instance cache of sessions behind the bearer check (the `cache` module).
    pub cache: SessionCacheSettings,
    /// Live sessions one account may have; a new sign-in beyond it ends the least recently
    /// used ones.
    pub max_per_account: u32,
}

/// The session cache: how much it holds and how far behind the database it may be trusted.
#[derive(Debug, Clone)]
pub struct SessionCacheSettings {
    /// Sessions (and as many account profiles) kept; 0 turns the cache off (every request
    /// reads the database).
    pub capacity: u64,
    /// How often this instance writes a heartbeat through the change stream.
    pub heartbeat: Duration,
    /// The cache answers only while a heartbeat written at most this long ago has come back
    /// through the stream: the bound on how stale an answer can be.
    pub max_lag: Duration,
}

/// Limits of the email verification flow.
#[derive(Debug, Clone)]
pub struct CodeSettings {
    pub pepper: SecretString,
    pub ttl: Duration,
    pub max_attempts: u32,
    pub resend_cooldown: Duration,
    pub max_per_email_per_hour: u32,
    pub max_per_ip_per_hour: u32,
    /// Wrong code guesses per address per sliding 24 h, across every code and both purposes:
    /// without it each resend would restore `max_attempts` guesses.
    pub max_failures_per_day: u32,
}

/// What the owner is told, and what the activity log keeps.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// `APP_NEW_SIGNIN_ALERTS`: mail the owner when a sign-in comes from a new device on a
    /// new network.
    pub new_sign_in: bool,
    /// How long the "this wasn't me" link of an alert works.
    pub not_me_ttl: Duration,
    /// How long activity-log entries are kept (a TTL index removes them).
    pub activity_retention: Duration,
    /// Where the SPA runs, for links in mails (`APP_PUBLIC_ORIGIN`, else the passkeys' origin).
    pub link_origin: String,
}

/// The WebAuthn relying party (passkeys).
#[derive(Debug, Clone)]
pub struct WebauthnSettings {
    /// The domain credentials are scoped to (`localhost`, `auth.example.com`): a registrable
    /// suffix of the origin's host, never an IP address (browsers refuse those).
    pub rp_id: String,
    /// The exact origin the browser runs the app on; assertions from anywhere else are refused.
    pub rp_origin: webauthn_rs::prelude::Url,
    /// Shown by the authenticator when a passkey is created.
    pub rp_name: String,
    /// A registration or login challenge is single-use and dies this long after it was issued.
    pub challenge_ttl: Duration,
    /// Passkeys one account may have.
    pub passkeys_max: u32,
}
/// The second factor (TOTP and recovery codes) and the second step of a password login.
#[derive(Clone)]
pub struct MfaSettings {
    /// `APP_TOTP_ISSUER`: the name authenticator apps show next to the account.
    pub issuer: String,
    /// `APP_MFA_ENCRYPTION_KEY`: 32 bytes that encrypt the TOTP secrets at rest and key the
    /// recovery-code hashes. Its own key, not the JWT secret: whoever may sign tokens need not
    /// be able to read second factors, and the two rotate on their own schedules.
    pub key: std::sync::Arc<secrecy::SecretBox<[u8; 32]>>,
    /// A ticket of `POST /api/login` lives this long…
    pub ticket_ttl: Duration,
    /// …and allows this many wrong codes.
    pub ticket_max_attempts: u32,
    /// Wrong second-step codes per account and pool (a known device, a known network, every
    /// other client together) within `failure_window`, across every ticket.
    pub max_failures: u32,
    pub failure_window: Duration,
    /// A step-up (the password, and the second factor when on) lets this session change the
    /// account's factors without proving them again for this long.
    pub step_up_ttl: Duration,
}

impl std::fmt::Debug for MfaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaSettings")
            .field("issuer", &self.issuer)
            .field("key", &"[redacted]")
            .field("ticket_ttl", &self.ticket_ttl)
            .field("ticket_max_attempts", &self.ticket_max_attempts)
            .field("max_failures", &self.max_failures)
            .field("failure_window", &self.failure_window)
            .field("step_up_ttl", &self.step_up_ttl)
            .finish()
    }
}

/// Throttling of authentication attempts.
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Failed logins per account within `login_failure_window` before further attempts wait.
    pub max_login_failures: u32,
    pub login_failure_window: Duration,
    /// Failures per account within `login_failure_window` across every pool (devices,
    /// networks, strangers; logins, second steps and re-authentication together): the
    /// backstop above the per-pool caps.
    pub max_failures_total: u32,
    /// Per client IP token bucket on every auth endpoint: sustained requests per second…
    pub ip_per_second: u32,
    /// …and the burst allowed on top.
    pub ip_burst: u32,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies, load balancers).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Every per-IP limit counts an IPv6 client by its network of this prefix length.
    pub ipv6_prefix: crate::throttle::Ipv6Prefix,
    /// How long a network an account logged in from stays known: its failed logins are
    /// counted apart from strangers', so strangers cannot lock the owner out there.
    pub known_network_ttl: Duration,
    /// Lifetime of the device cookie set on every successful login (same purpose, per client).
    pub device_cookie_ttl: Duration,
    /// Mark the device cookie `Secure` (production, where the API is served over HTTPS).
    pub secure_cookies: bool,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub env: Environment,
    pub host: IpAddr,
    pub port: u16,
    pub mongodb_uri: SecretString,
    pub mongodb_db: String,
    /// How long a request waits for the database before answering 503.
    pub mongodb_timeout: Duration,
    pub smtp: SmtpSettings,
    pub mail_from: String,
    pub mail: MailSettings,
    pub jwt: JwtSettings,
    pub sessions: SessionSettings,
    pub codes: CodeSettings,
    pub mfa: MfaSettings,
    pub throttle: ThrottleSettings,
    /// Origins allowed to call the API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Concurrent argon2 computations (each on its own blocking thread).
    pub hash_concurrency: usize,
    /// Password hashes allowed to wait for a hashing thread; past it, answer 503 at once.
    pub hash_queue: usize,
    /// The built single-page app, served at `/` when the folder exists.
    pub static_dir: PathBuf,
    pub shutdown_grace: Duration,
    /// `json` or `pretty` log lines.
    pub log_json: bool,
    /// Things the operator must see at start-up (e.g. generated development secrets).
    pub warnings: Vec<String>,
    /// How often failed security notices are retried (the outbox worker's period).
    pub outbox_interval: Duration,
    /// How often the live-sessions gauge is counted and expired sessions are cleaned up ahead
    /// of the TTL index (`APP_SESSIONS_UPKEEP_SECS`, default 60): off every request path.
    pub sessions_upkeep_interval: Duration,
    /// Where "now" comes from: the system clock, except in tests that move time forward.
    pub clock: crate::clock::Clock,
    /// Test hook holding requests between a read and its write (inert unless a test arms it).
    pub rendezvous: crate::rendezvous::Rendezvous,
    /// Operating and integration: introspection, metrics (see [`OpsSettings`]).
    pub ops: OpsSettings,
    /// Passkeys: the relying party and the challenges' lifetime.
    pub webauthn: WebauthnSettings,
    /// New-sign-in alerts and the activity log.
    pub alerts: AlertSettings,
    /// Outbound webhooks (`APP_WEBHOOK_*`); `None` without `APP_WEBHOOK_URLS`.
    pub webhooks: Option<crate::webhooks::WebhookSettings>,
}

/// What operators and other services reach besides the public API.
#[derive(Debug, Clone)]
pub struct OpsSettings {
    /// `APP_INTROSPECTION_SECRET`: the bearer secret of `POST /api/token/introspect`. Unset:
    /// the endpoint does not exist (404).
    pub introspection_secret: Option<SecretString>,
    /// `APP_METRICS_ADDR` (default `127.0.0.1`) and `APP_METRICS_PORT` (unset: no metrics
    /// listener; `0`: any free port, for tests): where `GET /metrics` answers, never on the
    /// public listener.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `APP_ADMIN_ADDR` (default `127.0.0.1`) and `APP_ADMIN_PORT` (unset: no admin listener;
    /// `0`: any free port, for tests): where the admin API (`/admin/api/…`) answers, never on
    /// the public listener.
    pub admin_addr: Option<std::net::SocketAddr>,
    /// `APP_ADMIN_CONSOLE_DIR`: the built admin console (`console/dist`), served at `/admin`
    /// on the admin listener.
    pub admin_console_dir: PathBuf,
}

/// Every `APP_*` variable with its type and default: the one declaration of the configuration.
/// Field `foo_bar` is read from `APP_FOO_BAR`; an unset or empty variable keeps the default.
/// [`Settings::from_vars`] turns it into [`Settings`] (secrets, cross-checks, derived values),
/// and a test holds the table of `docs/configuration.md` to these names and defaults.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Vars {
    pub env: Environment,
    pub host: IpAddr,
    pub port: u16,
    pub mongodb_uri: String,
    pub mongodb_db: String,
    pub mongodb_timeout_secs: u64,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_username: Option<String>,
    #[serde(skip_serializing)]
    pub smtp_password: Option<String>,
    pub smtp_tls: SmtpTls,
    pub smtp_timeout_secs: u64,
    pub smtp_connections: u32,
    pub mail_from: String,
    pub product_name: String,
    pub support_email: Option<String>,
    pub mail_templates_dir: Option<PathBuf>,
    pub outbox_interval_secs: u64,
    pub sessions_upkeep_secs: u64,
    #[serde(skip_serializing)]
    pub jwt_secret: Option<String>,
    #[serde(skip_serializing)]
    pub jwt_previous_secret: Option<String>,
    pub jwt_algorithm: JwtAlgorithm,
    /// EdDSA signing key, PKCS#8 PEM; unset: derived from the JWT secret.
    #[serde(skip_serializing)]
    pub jwt_private_key: Option<String>,
    /// EdDSA, after a rotation: the previous public key (SPKI PEM).
    pub jwt_previous_public_key: Option<String>,
    pub jwt_ttl_secs: u64,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub session_ttl_secs: u64,
    pub session_idle_secs: u64,
    pub refresh_grace_secs: u64,
    pub session_cache_capacity: u64,
    pub session_cache_heartbeat_ms: u64,
    pub session_cache_max_lag_ms: u64,
    pub public_origin: Option<String>,
    #[serde(skip_serializing)]
    pub code_pepper: Option<String>,
    pub code_ttl_secs: u64,
    pub code_max_attempts: u32,
    pub code_max_failures_per_day: u32,
    pub resend_cooldown_secs: u64,
    pub codes_per_email_per_hour: u32,
    pub codes_per_ip_per_hour: u32,
    pub login_max_failures: u32,
    pub login_failure_window_secs: u64,
    pub login_device_ttl_secs: u64,
    pub login_known_network_ttl_secs: u64,
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// Comma-separated addresses or networks.
    pub trusted_proxies: Option<String>,
    pub ipv6_prefix: crate::throttle::Ipv6Prefix,
    /// Comma-separated origins.
    pub cors_origins: Option<String>,
    /// Unset: the number of cores.
    pub hash_concurrency: Option<usize>,
    /// Unset: [`HASH_QUEUE_PER_THREAD`] × the hashing threads.
    pub hash_queue: Option<usize>,
    pub static_dir: PathBuf,
    pub shutdown_grace_secs: u64,
    /// Unset: `json` in production, `pretty` otherwise.
    pub log_format: Option<LogFormat>,
    /// Where development secrets are generated and kept.
    pub dev_secrets_file: PathBuf,
    /// Bearer secret of `POST /api/token/introspect`; unset: no such endpoint.
    #[serde(skip_serializing)]
    pub introspection_secret: Option<String>,
    /// Unset: no metrics listener; `0`: any free port (tests).
    pub metrics_port: Option<u16>,
    pub metrics_addr: IpAddr,
    /// Unset: no admin listener; `0`: any free port (tests).
    pub admin_port: Option<u16>,
    pub admin_addr: IpAddr,
    pub admin_console_dir: PathBuf,
    pub webauthn_rp_id: String,
    pub webauthn_rp_origin: String,
    pub webauthn_rp_name: String,
    pub webauthn_challenge_ttl_secs: u64,
    pub totp_issuer: String,
    /// 32 bytes, hex or base64; development generates one.
    #[serde(skip_serializing)]
    pub mfa_encryption_key: Option<String>,
    pub mfa_ticket_ttl_secs: u64,
    pub mfa_ticket_max_attempts: u32,
    pub mfa_max_failures: u32,
    pub mfa_failure_window_secs: u64,
    pub step_up_ttl_secs: u64,
    pub passkeys_max: u32,
    pub sessions_max: u32,
    pub login_max_failures_total: u32,
    pub new_signin_alerts: bool,
    pub not_me_ttl_secs: u64,
    pub activity_retention_days: u64,
    /// Comma-separated endpoint URLs; unset: no webhooks.
    pub webhook_urls: Option<String>,
    /// `whsec_` + base64 of at least 24 bytes.
    #[serde(skip_serializing)]
    pub webhook_secret: Option<String>,
    /// During a rotation: the secret receivers knew before (both signatures are sent).
    #[serde(skip_serializing)]
    pub webhook_previous_secret: Option<String>,
    /// Comma-separated event types (`user.created`, `session.*`); unset: every type.
    pub webhook_events: Option<String>,
    /// Comma-separated hosts, addresses or networks that production may deliver to although
    /// they are loopback, private, link-local or metadata addresses.
    pub webhook_allow_private: Option<String>,
    pub webhook_timeout_ms: u64,
    pub webhook_retry_base_ms: u64,
    pub webhook_retry_max_secs: u64,
    pub webhook_retry_for_secs: u64,
    pub webhook_poll_ms: u64,
}

impl Default for Vars {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            mongodb_uri: "mongodb://127.0.0.1:27017".into(),
            mongodb_db: "emailauth".into(),
            mongodb_timeout_secs: 5,
            smtp_host: "127.0.0.1".into(),
            smtp_port: 1025,
            smtp_username: None,
            smtp_password: None,
            smtp_tls: SmtpTls::None,
            smtp_timeout_secs: 10,
            smtp_connections: 16,
            mail_from: "Email Auth <no-reply@example.com>".into(),
            product_name: "Email Auth".into(),
            support_email: None,
            mail_templates_dir: None,
            outbox_interval_secs: 30,
            sessions_upkeep_secs: 60,
            jwt_secret: None,
            jwt_previous_secret: None,
            jwt_algorithm: JwtAlgorithm::EdDSA,
            jwt_private_key: None,
            jwt_previous_public_key: None,
            jwt_ttl_secs: 900,
            jwt_issuer: "emailauth".into(),
            jwt_audience: "emailauth-api".into(),
            session_ttl_secs: 30 * 24 * 3600,
            session_idle_secs: 7 * 24 * 3600,
            refresh_grace_secs: 10,
            session_cache_capacity: 100_000,
            session_cache_heartbeat_ms: 100,
            session_cache_max_lag_ms: 300,
            public_origin: None,
            code_pepper: None,
            code_ttl_secs: 600,
            code_max_attempts: 5,
            code_max_failures_per_day: 20,
            resend_cooldown_secs: 60,
            codes_per_email_per_hour: 5,
            codes_per_ip_per_hour: 30,
            login_max_failures: 10,
            login_failure_window_secs: 900,
            login_device_ttl_secs: 365 * 24 * 3600,
            login_known_network_ttl_secs: 90 * 24 * 3600,
            rate_limit_per_second: 5,
            rate_limit_burst: 30,
            trusted_proxies: None,
            ipv6_prefix: crate::throttle::Ipv6Prefix::default(),
            cors_origins: None,
            hash_concurrency: None,
            hash_queue: None,
            static_dir: "frontend/dist".into(),
            shutdown_grace_secs: 30,
            log_format: None,
            dev_secrets_file: ".dev-secrets.env".into(),
            introspection_secret: None,
            metrics_port: None,
            metrics_addr: IpAddr::from([127, 0, 0, 1]),
            admin_port: None,
            admin_addr: IpAddr::from([127, 0, 0, 1]),
            admin_console_dir: "console/dist".into(),
            webauthn_rp_id: "localhost".into(),
            webauthn_rp_origin: "http://localhost:8080".into(),
            webauthn_rp_name: "emailauth".into(),
            webauthn_challenge_ttl_secs: 300,
            totp_issuer: "emailauth".into(),
            mfa_encryption_key: None,
            mfa_ticket_ttl_secs: 300,
            mfa_ticket_max_attempts: 5,
            mfa_max_failures: 10,
            mfa_failure_window_secs: 900,
            step_up_ttl_secs: 300,
            passkeys_max: 20,
            sessions_max: 100,
            login_max_failures_total: 50,
            new_signin_alerts: true,
            not_me_ttl_secs: 7 * 24 * 3600,
            activity_retention_days: 90,
            webhook_urls: None,
            webhook_secret: None,
            webhook_previous_secret: None,
            webhook_events: None,
            webhook_allow_private: None,
            webhook_timeout_ms: 10_000,
            webhook_retry_base_ms: 30_000,
            webhook_retry_max_secs: 3600,
            webhook_retry_for_secs: 3 * 24 * 3600,
            webhook_poll_ms: 1000,
        }
    }
}

/// The prefix of every variable.
pub const PREFIX: &str = "APP_";

/// `APP_*` variables as a figment provider. Every value stays a string (figment's own `Env`
/// would read `APP_SMTP_PASSWORD=12345678` as a number); numbers and booleans are read from
/// them by [`Figment::extract_lossy`].
struct AppVars<'a>(&'a HashMap<String, String>);

impl Provider for AppVars<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named("APP_* environment variables")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = self
            .0
            .iter()
            .filter_map(|(key, value)| {
                let name = key.strip_prefix(PREFIX)?;
                let value = value.trim();
                (!value.is_empty()).then(|| (name.to_ascii_lowercase(), Value::from(value)))
            })
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

impl Vars {
    /// Defaults overlaid with `vars`. Errors name the variable: `APP_PORT: invalid type …`.
    pub fn from_map(vars: &HashMap<String, String>) -> anyhow::Result<Self> {
        Figment::new()
            .merge(AppVars(vars))
            .extract_lossy()
            .map_err(|errors: figment::Error| {
                let lines: Vec<String> = errors
                    .into_iter()
                    .map(|e| {
                        let name = e.path.join("_").to_ascii_uppercase();
                        format!("{PREFIX}{name}: {}", e.kind)
                    })
                    .collect();
                anyhow::anyhow!(lines.join("; "))
            })
    }
}

impl Settings {
    /// Reads `.env` (if present) and the process environment.
    pub fn load() -> anyhow::Result<Self> {
        // A missing .env is normal; a broken one is an error worth stopping for. Variables
        // already in the environment win over the file.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(e).context("reading .env"),
        }
        let vars: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with(PREFIX))
            .collect();
        Self::from_vars(&vars)
    }

    /// Builds settings from `APP_*` variables (a map, so tests need no process environment).
    pub fn from_vars(vars: &HashMap<String, String>) -> anyhow::Result<Self> {
        Self::from_declared(Vars::from_map(vars)?)
    }

    /// The checks and derived values that no single variable holds: secrets (generated in
    /// development), plain SMTP only to this host in production, lists, bounds.
    pub fn from_declared(v: Vars) -> anyhow::Result<Self> {
        let env = v.env;
        let mut warnings = Vec::new();
        let (jwt_secret, pepper) = secrets(
            env,
            v.jwt_secret.as_deref(),
            v.code_pepper.as_deref(),
            &v.dev_secrets_file,
            &mut warnings,
        )?;
        let mfa_key = mfa_key(
            env,
            v.mfa_encryption_key.as_deref(),
            &v.dev_secrets_file,
            &mut warnings,
        )?;
        // The issuer is the label's prefix in the otpauth URI (`issuer:account`).
        let issuer = v.totp_issuer.trim().to_owned();
        if issuer.is_empty() || issuer.contains(':') {
            bail!("APP_TOTP_ISSUER: `{issuer}` must be non-empty and contain no `:`");
        }
        // A key that is given must parse: refuse to start rather than fail every login.
        if let Some(pem) = v.jwt_private_key.as_deref() {
            crate::auth::Ed25519Key::from_pem(pem)
                .map_err(|e| anyhow::anyhow!("APP_JWT_PRIVATE_KEY: {e}"))?;
        }
        if let Some(pem) = v.jwt_previous_public_key.as_deref() {
            crate::auth::ed25519_public_from_pem(pem)
                .map_err(|e| anyhow::anyhow!("APP_JWT_PREVIOUS_PUBLIC_KEY: {e}"))?;
        }
        let smtp_host = v.smtp_host.trim();
        // Plain SMTP carries the codes (and the relay password) readable by anyone on the path:
        // in production only to a relay on this very host, which then does its own TLS.
        if env == Environment::Production
            && v.smtp_tls == SmtpTls::None
            && !is_loopback_host(smtp_host)
        {
            bail!(
                "APP_SMTP_TLS=none with APP_SMTP_HOST={smtp_host}: APP_ENV=production sends \
                 mail in plain text only to a relay on this host (127.0.0.1, ::1, localhost); \
                 set APP_SMTP_TLS=starttls (port 587) or tls (465)"
            );
        }
        // The address's recent mails live in its cooldown document, one entry each: a cap in
        // the thousands would make a document every mail rewrites and sorts whole.
        if v.codes_per_email_per_hour > MAX_CODES_PER_EMAIL_PER_HOUR {
            bail!(
                "APP_CODES_PER_EMAIL_PER_HOUR={} is above {MAX_CODES_PER_EMAIL_PER_HOUR}",
                v.codes_per_email_per_hour
            );
        }
        if v.smtp_connections == 0 {
            bail!("APP_SMTP_CONNECTIONS must be at least 1");
        }
        let hash_concurrency = v
            .hash_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .max(1);
        let webauthn = webauthn_settings(&v)?;
        let webhooks = crate::webhooks::WebhookSettings::from_vars(&v)?;
        let secs = Duration::from_secs;
        let public_origin = v.public_origin.as_deref().map(parse_origin).transpose()?;
        Ok(Self {
            env,
            host: v.host,
            port: v.port,
            mongodb_uri: SecretString::from(v.mongodb_uri),
            mongodb_db: v.mongodb_db,
            mongodb_timeout: secs(v.mongodb_timeout_secs),
            smtp: SmtpSettings {
                host: smtp_host.to_owned(),
                port: v.smtp_port,
                username: v.smtp_username,
                password: v.smtp_password.map(SecretString::from),
                tls: v.smtp_tls,
                timeout: secs(v.smtp_timeout_secs),
                connections: usize::try_from(v.smtp_connections).unwrap_or(usize::MAX),
            },
            mail_from: v.mail_from,
            mail: MailSettings {
                templates_dir: v.mail_templates_dir,
                product_name: v.product_name,
                support_email: v.support_email,
            },
            jwt: JwtSettings {
                algorithm: v.jwt_algorithm,
                private_key: v.jwt_private_key.map(SecretString::from),
                previous_public_key: v.jwt_previous_public_key,
                previous_secret: match v.jwt_previous_secret {
                    Some(previous) => {
                        check_strength("APP_JWT_PREVIOUS_SECRET", &previous)?;
                        Some(SecretString::from(previous))
                    }
                    None => None,
                },
                secret: jwt_secret,
                ttl: secs(v.jwt_ttl_secs),
                issuer: v.jwt_issuer,
                audience: v.jwt_audience,
            },
            sessions: SessionSettings {
                absolute_ttl: secs(v.session_ttl_secs),
                idle_ttl: secs(v.session_idle_secs),
                refresh_grace: secs(v.refresh_grace_secs),
                cache: SessionCacheSettings {
                    capacity: v.session_cache_capacity,
                    heartbeat: Duration::from_millis(v.session_cache_heartbeat_ms.max(10)),
                    // At least two heartbeats, or one late beat would distrust the cache.
                    max_lag: Duration::from_millis(
                        v.session_cache_max_lag_ms
                            .max(2 * v.session_cache_heartbeat_ms.max(10)),
                    ),
                },
                public_origin: public_origin.clone(),
                max_per_account: v.sessions_max.max(1),
            },
            codes: CodeSettings {
                pepper,
                ttl: secs(v.code_ttl_secs),
                max_attempts: v.code_max_attempts,
                resend_cooldown: secs(v.resend_cooldown_secs),
                max_per_email_per_hour: v.codes_per_email_per_hour,
                max_per_ip_per_hour: v.codes_per_ip_per_hour,
                max_failures_per_day: v.code_max_failures_per_day,
            },
            mfa: MfaSettings {
                issuer,
                key: mfa_key,
                ticket_ttl: secs(v.mfa_ticket_ttl_secs),
                ticket_max_attempts: v.mfa_ticket_max_attempts.max(1),
                max_failures: v.mfa_max_failures.max(1),
                failure_window: secs(v.mfa_failure_window_secs),
                step_up_ttl: secs(v.step_up_ttl_secs),
            },
            throttle: ThrottleSettings {
                max_login_failures: v.login_max_failures,
                login_failure_window: secs(v.login_failure_window_secs),
                max_failures_total: v.login_max_failures_total.max(1),
                ip_per_second: v.rate_limit_per_second.max(1),
                ip_burst: v.rate_limit_burst.max(1),
                trusted_proxies: list(v.trusted_proxies.as_deref())
                    .map(parse_net)
                    .collect::<anyhow::Result<_>>()?,
                ipv6_prefix: v.ipv6_prefix,
                known_network_ttl: secs(v.login_known_network_ttl_secs),
                device_cookie_ttl: secs(v.login_device_ttl_secs),
                secure_cookies: env == Environment::Production,
            },
            cors_origins: list(v.cors_origins.as_deref()).map(str::to_owned).collect(),
            hash_concurrency,
            hash_queue: v
                .hash_queue
                .unwrap_or(HASH_QUEUE_PER_THREAD * hash_concurrency)
                .max(1),
            static_dir: v.static_dir,
            shutdown_grace: secs(v.shutdown_grace_secs),
            log_json: match v.log_format {
                Some(format) => format == LogFormat::Json,
                None => env == Environment::Production,
            },
            warnings,
            outbox_interval: secs(v.outbox_interval_secs).max(Duration::from_secs(1)),
            sessions_upkeep_interval: secs(v.sessions_upkeep_secs).max(Duration::from_secs(1)),
            clock: crate::clock::Clock::system(),
            rendezvous: Default::default(),
            ops: OpsSettings {
                introspection_secret: match v.introspection_secret {
                    Some(secret) => {
                        // Other services hold it; it must not be guessable offline from a capture.
                        check_strength("APP_INTROSPECTION_SECRET", &secret)?;
                        Some(SecretString::from(secret))
                    }
                    None => None,
                },
                // Loopback by default: the metrics name routes and volumes, not for the world.
                metrics_addr: v
                    .metrics_port
                    .map(|port| std::net::SocketAddr::new(v.metrics_addr, port)),
                // Loopback by default too: the admin API acts on every account.
                admin_addr: v
                    .admin_port
                    .map(|port| std::net::SocketAddr::new(v.admin_addr, port)),
                admin_console_dir: v.admin_console_dir.clone(),
            },
            alerts: AlertSettings {
                new_sign_in: v.new_signin_alerts,
                not_me_ttl: secs(v.not_me_ttl_secs.max(1)),
                activity_retention: secs(v.activity_retention_days.max(1) * 24 * 3600),
                link_origin: public_origin
                    .clone()
                    .unwrap_or_else(|| webauthn.rp_origin.origin().ascii_serialization()),
            },
            webauthn,
            webhooks,
        })
    }
}

/// The relying party, checked as `webauthn-rs` checks it (the origin's host must be the id or
/// under it; no IP addresses): a wrong value stops the start instead of failing every passkey.
fn webauthn_settings(v: &Vars) -> anyhow::Result<WebauthnSettings> {
    let rp_id = v.webauthn_rp_id.trim().to_ascii_lowercase();
    let rp_origin = webauthn_rs::prelude::Url::parse(v.webauthn_rp_origin.trim()).map_err(|e| {
        anyhow::anyhow!(
            "APP_WEBAUTHN_RP_ORIGIN: `{}` is not an origin like https://auth.example.com ({e})",
            v.webauthn_rp_origin
        )
    })?;
    if rp_id.parse::<IpAddr>().is_ok() {
        bail!(
            "APP_WEBAUTHN_RP_ID: `{rp_id}` is an IP address, which browsers refuse as a WebAuthn \
             relying party id; use a domain (`localhost` in development)"
        );
    }
    webauthn_rs::WebauthnBuilder::new(&rp_id, &rp_origin).map_err(|e| {
        anyhow::anyhow!(
            "APP_WEBAUTHN_RP_ID `{rp_id}` does not fit APP_WEBAUTHN_RP_ORIGIN `{rp_origin}` \
             (the origin's host must be the id or a subdomain of it): {e}"
        )
    })?;
    Ok(WebauthnSettings {
        rp_id,
        rp_origin,
        rp_name: v.webauthn_rp_name.clone(),
        challenge_ttl: Duration::from_secs(v.webauthn_challenge_ttl_secs.max(1)),
        passkeys_max: v.passkeys_max.max(1),
    })
}

/// The items of a comma-separated list, trimmed, empty ones skipped.
fn list(raw: Option<&str>) -> impl Iterator<Item = &str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An address (`10.0.0.1`) or a network (`10.0.0.0/8`).
fn parse_net(raw: &str) -> anyhow::Result<ipnet::IpNet> {
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            anyhow::anyhow!("APP_TRUSTED_PROXIES: `{raw}` is not an IP address or network")
        })
}

/// `scheme://host[:port]` with nothing after it, as browsers send in `Origin`.
fn parse_origin(raw: &str) -> anyhow::Result<String> {
    let origin = raw.trim().trim_end_matches('/');
    let valid = origin.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https")
            && !rest.is_empty()
            && !rest.contains(['/', '?', '#', '@'])
    });
    if !valid {
        bail!("APP_PUBLIC_ORIGIN: `{raw}` is not an origin like https://auth.example.com");
    }
    Ok(origin.to_ascii_lowercase())
}

/// The JWT secret and the code pepper: from the environment, or (development only) from the
/// generated local file.
fn secrets(
    env: Environment,
    jwt: Option<&str>,
    pepper: Option<&str>,
    dev_secrets_file: &std::path::Path,
    warnings: &mut Vec<String>,
) -> anyhow::Result<(SecretString, SecretString)> {
    // A secret that is given is checked whether or not the other one is.
    if let Some(jwt) = jwt {
        check_strength("APP_JWT_SECRET", jwt)?;
    }
    if let Some(pepper) = pepper {
        check_strength("APP_CODE_PEPPER", pepper)?;
    }
    if let (Some(jwt), Some(pepper)) = (jwt, pepper) {
        return Ok((SecretString::from(jwt), SecretString::from(pepper)));
    }
    if env == Environment::Production {
        bail!(
            "APP_ENV=production requires APP_JWT_SECRET and APP_CODE_PEPPER \
             (each at least {MIN_SECRET_BYTES} bytes, e.g. `openssl rand -base64 48`)"
        );
    }
    let path = dev_secrets_file;
    let stored = read_dev_secrets(path)?;
    let (jwt_value, pepper_value) = match (jwt, pepper, stored) {
        (j, p, Some((sj, sp))) => {
            // Generated ones are 64 characters; a hand-edited file is held to the same rule.
            let from_file = |key: &str| format!("{key} in {}", path.display());
            check_strength(&from_file("APP_JWT_SECRET"), &sj)?;
            check_strength(&from_file("APP_CODE_PEPPER"), &sp)?;
            (j.map_or(sj, str::to_owned), p.map_or(sp, str::to_owned))
        }
        (j, p, None) => {
            let sj = random_secret();
            let sp = random_secret();
            write_dev_secrets(path, &sj, &sp)?;
            (j.map_or(sj, str::to_owned), p.map_or(sp, str::to_owned))
        }
    };
    warnings.push(format!(
        "!!! DEVELOPMENT SECRETS: APP_JWT_SECRET/APP_CODE_PEPPER not set; using generated values \
         from {}. Never run like this in production (APP_ENV=production refuses to). !!!",
        path.display()
    ));
    Ok((
        SecretString::from(jwt_value),
        SecretString::from(pepper_value),
    ))
}

/// The name of the MFA key in the development secrets file.
const MFA_KEY_VAR: &str = "APP_MFA_ENCRYPTION_KEY";

/// `APP_MFA_ENCRYPTION_KEY`: given (checked), or in development read from / appended to the
/// generated secrets file; production refuses to start without it.
fn mfa_key(
    env: Environment,
    given: Option<&str>,
    dev_secrets_file: &std::path::Path,
    warnings: &mut Vec<String>,
) -> anyhow::Result<std::sync::Arc<secrecy::SecretBox<[u8; 32]>>> {
    if let Some(given) = given {
        return parse_mfa_key(given)
            .map(|k| std::sync::Arc::new(secrecy::SecretBox::new(Box::new(k))));
    }
    if env == Environment::Production {
        bail!(
            "APP_ENV=production requires {MFA_KEY_VAR} (32 random bytes as hex or base64, \
             e.g. `openssl rand -hex 32`); it encrypts the TOTP secrets"
        );
    }
    let path = dev_secrets_file;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let stored = text.lines().find_map(|line| match line.split_once('=') {
        Some((MFA_KEY_VAR, v)) => Some(v.trim().to_owned()),
        _ => None,
    });
    let key = match stored {
        Some(stored) => parse_mfa_key(&stored)
            .with_context(|| format!("{MFA_KEY_VAR} in {}", path.display()))?,
        None => {
            // Appended, so that a file from before this key existed keeps its other secrets.
            let value = random_secret();
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.append(true).create(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .with_context(|| format!("writing {}", path.display()))?;
            writeln!(file, "{MFA_KEY_VAR}={value}")?;
            parse_mfa_key(&value)?
        }
    };
    warnings.push(format!(
        "!!! DEVELOPMENT SECRETS: {MFA_KEY_VAR} not set; using a generated key from {}. \
         Never run like this in production (APP_ENV=production refuses to). !!!",
        path.display()
    ));
    Ok(std::sync::Arc::new(secrecy::SecretBox::new(Box::new(key))))
}

/// Exactly 32 bytes, written as 64 hex digits or as base64 (standard or URL-safe, padded or
/// not). Anything else is refused: a short key would be a weak one.
fn parse_mfa_key(raw: &str) -> anyhow::Result<[u8; 32]> {
    use base64::Engine;
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(raw).ok()
    } else {
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        engines.iter().find_map(|e| e.decode(raw).ok())
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{MFA_KEY_VAR} must be exactly 32 bytes, as 64 hex digits or base64 \
                 (e.g. `openssl rand -hex 32`)"
            )
        })
}

/// Refuses a secret shorter than [`MIN_SECRET_BYTES`], in every environment, naming `key`.
fn check_strength(key: &str, value: &str) -> anyhow::Result<()> {
    if value.len() >= MIN_SECRET_BYTES {
        return Ok(());
    }
    bail!(
        "{key} is {} bytes; at least {MIN_SECRET_BYTES} are required \
         (e.g. `openssl rand -base64 48`)",
        value.len()
    )
}

/// `true` for an SMTP host that is this machine: `localhost` or a loopback address
/// (127.0.0.0/8, `::1`, also written `[::1]` or IPv4-mapped).
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn read_dev_secrets(path: &std::path::Path) -> anyhow::Result<Option<(String, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut jwt = None;
    let mut pepper = None;
    for line in text.lines() {
        match line.split_once('=') {
            Some(("APP_JWT_SECRET", v)) => jwt = Some(v.trim().to_owned()),
            Some(("APP_CODE_PEPPER", v)) => pepper = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    Ok(jwt.zip(pepper))
}

fn write_dev_secrets(path: &std::path::Path, jwt: &str, pepper: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(
        file,
        "# Generated development secrets (git-ignored). Delete to rotate.\n\
         APP_JWT_SECRET={jwt}\nAPP_CODE_PEPPER={pepper}"
    )?;
    Ok(())
}

impl SmtpSettings {
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pairs` as variables, with a valid `APP_MFA_ENCRYPTION_KEY` unless `pairs` names it
    /// (an empty value: unset).
    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("APP_MFA_ENCRYPTION_KEY".into())
            .or_insert_with(|| MFA_KEY.into());
        map
    }

    const STRONG: &str = "0123456789abcdef0123456789abcdef";
    const MFA_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn with_secrets(extra: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let mut pairs = vec![("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)];
        pairs.extend_from_slice(extra);
        Settings::from_vars(&vars(&pairs))
    }

    #[test]
    fn session_defaults_and_overrides() {
        let s = with_secrets(&[]).unwrap();
        assert_eq!(s.jwt.ttl, Duration::from_secs(15 * 60));
        assert_eq!(s.sessions.absolute_ttl, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(s.sessions.idle_ttl, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(s.sessions.refresh_grace, Duration::from_secs(10));
        assert_eq!(s.sessions.public_origin, None);
        assert_eq!(s.mail.product_name, "Email Auth");
        assert_eq!(
            (s.mail.templates_dir.clone(), s.mail.support_email.clone()),
            (None, None)
        );
        assert_eq!(s.outbox_interval, Duration::from_secs(30));
        assert_eq!(s.sessions_upkeep_interval, Duration::from_secs(60));
        let s = with_secrets(&[
            ("APP_SESSION_TTL_SECS", "100"),
            ("APP_SESSION_IDLE_SECS", "50"),
            ("APP_REFRESH_GRACE_SECS", "0"),
            ("APP_PUBLIC_ORIGIN", "https://Auth.Example.com/"),
        ])
        .unwrap();
        assert_eq!(s.sessions.absolute_ttl, Duration::from_secs(100));
        assert_eq!(s.sessions.idle_ttl, Duration::from_secs(50));
        assert_eq!(s.sessions.refresh_grace, Duration::ZERO);
        assert_eq!(
            s.sessions.public_origin.as_deref(),
            Some("https://auth.example.com")
        );
        for bad in [
            "auth.example.com",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://u@x",
        ] {
            let err = with_secrets(&[("APP_PUBLIC_ORIGIN", bad)]).unwrap_err();
            assert!(
                err.to_string().contains("APP_PUBLIC_ORIGIN"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn production_refuses_missing_secrets() {
        let err = Settings::from_vars(&vars(&[("APP_ENV", "production")])).unwrap_err();
        assert!(err.to_string().contains("APP_JWT_SECRET"), "{err}");
    }

    #[test]
    fn production_refuses_weak_secrets() {
        let err = Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", "short"),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[test]
    fn short_secrets_are_refused_in_every_mode() {
        for env in ["development", "production"] {
            for key in [
                "APP_JWT_SECRET",
                "APP_CODE_PEPPER",
                "APP_JWT_PREVIOUS_SECRET",
            ] {
                let mut v = vars(&[
                    ("APP_ENV", env),
                    ("APP_JWT_SECRET", STRONG),
                    ("APP_CODE_PEPPER", STRONG),
                    ("APP_SMTP_TLS", "starttls"),
                ]);
                v.insert(key.into(), "short".into());
                let err = Settings::from_vars(&v).unwrap_err().to_string();
                assert!(err.contains(key), "{env} {key}: {err}");
                assert!(err.contains("at least 32"), "{env} {key}: {err}");
                // One byte short is still short; exactly 32 is enough.
                v.insert(key.into(), STRONG[..31].into());
                assert!(Settings::from_vars(&v).is_err(), "{env} {key}: 31 bytes");
                v.insert(key.into(), STRONG.into());
                assert!(Settings::from_vars(&v).is_ok(), "{env} {key}: 32 bytes");
            }
        }
    }

    #[test]
    fn a_short_secret_is_refused_even_when_the_other_is_generated() {
        let dir = std::env::temp_dir().join(format!("devsecrets-{}", uuid::Uuid::new_v4()));
        let file = dir.join("secrets.env");
        for (key, other) in [
            ("APP_JWT_SECRET", "APP_CODE_PEPPER"),
            ("APP_CODE_PEPPER", "APP_JWT_SECRET"),
        ] {
            let err = Settings::from_vars(&vars(&[
                ("APP_DEV_SECRETS_FILE", file.to_str().unwrap()),
                (key, "secret"),
            ]))
            .unwrap_err()
            .to_string();
            assert!(err.contains(key) && !err.contains(other), "{err}");
        }
        assert!(
            !file.exists(),
            "nothing generated for a refused configuration"
        );
    }

    #[test]
    fn a_short_secret_in_the_development_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("devsecrets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secrets.env");
        std::fs::write(
            &file,
            format!("APP_JWT_SECRET=short\nAPP_CODE_PEPPER={STRONG}\n"),
        )
        .unwrap();
        let err = Settings::from_vars(&vars(&[("APP_DEV_SECRETS_FILE", file.to_str().unwrap())]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_JWT_SECRET"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_cap_per_address_is_at_most_a_thousand() {
        let ok = with_secrets(&[("APP_CODES_PER_EMAIL_PER_HOUR", "1000")]).unwrap();
        assert_eq!(ok.codes.max_per_email_per_hour, 1000);
        let err = with_secrets(&[("APP_CODES_PER_EMAIL_PER_HOUR", "1001")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_CODES_PER_EMAIL_PER_HOUR"), "{err}");
    }

    #[test]
    fn smtp_connections_default_to_16_and_must_be_at_least_one() {
        assert_eq!(with_secrets(&[]).unwrap().smtp.connections, 16);
        let four = with_secrets(&[("APP_SMTP_CONNECTIONS", "4")]).unwrap();
        assert_eq!(four.smtp.connections, 4);
        let err = with_secrets(&[("APP_SMTP_CONNECTIONS", "0")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_SMTP_CONNECTIONS"), "{err}");
    }

    #[test]
    fn production_sends_plain_smtp_only_to_this_host() {
        let with = |env: &str, host: &str, tls: &str| {
            Settings::from_vars(&vars(&[
                ("APP_ENV", env),
                ("APP_JWT_SECRET", STRONG),
                ("APP_CODE_PEPPER", STRONG),
                ("APP_SMTP_HOST", host),
                ("APP_SMTP_TLS", tls),
            ]))
        };
        for remote in [
            "smtp.example.com",
            "10.0.0.5",
            "2001:db8::25",
            "localhost.example.com",
        ] {
            let err = with("production", remote, "none").unwrap_err().to_string();
            assert!(
                err.contains("APP_SMTP_TLS") && err.contains("APP_SMTP_HOST"),
                "{remote}: {err}"
            );
            assert!(with("production", remote, "starttls").is_ok(), "{remote}");
            assert!(with("production", remote, "tls").is_ok(), "{remote}");
            assert!(with("development", remote, "none").is_ok(), "{remote}");
        }
        for local in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
            "localhost",
            "LocalHost.",
        ] {
            let s = with("production", local, "none").unwrap_or_else(|e| panic!("{local}: {e}"));
            assert_eq!(s.smtp.host, local);
            assert!(s.warnings.is_empty(), "{local}: {:?}", s.warnings);
        }
        // The default host is loopback: production with the defaults starts.
        assert!(Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .is_ok());
    }

    #[test]
    fn the_hash_queue_scales_with_the_hashing_threads() {
        let with = |extra: &[(&str, &str)]| {
            let mut v = vars(&[("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)]);
            v.extend(vars(extra));
            Settings::from_vars(&v)
        };
        let s = with(&[("APP_HASH_CONCURRENCY", "3")]).unwrap();
        assert_eq!(s.hash_queue, 3 * HASH_QUEUE_PER_THREAD);
        let s = with(&[("APP_HASH_CONCURRENCY", "3"), ("APP_HASH_QUEUE", "5")]).unwrap();
        assert_eq!((s.hash_concurrency, s.hash_queue), (3, 5));
        assert_eq!(with(&[("APP_HASH_QUEUE", "0")]).unwrap().hash_queue, 1);
        let err = with(&[("APP_HASH_QUEUE", "many")]).unwrap_err();
        assert!(err.to_string().contains("APP_HASH_QUEUE"), "{err}");
    }

    #[test]
    fn production_accepts_strong_secrets_and_defaults_to_json_logs() {
        let s = Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
            ("APP_SMTP_TLS", "starttls"),
            ("APP_PORT", "9000"),
        ]))
        .unwrap();
        assert_eq!(s.port, 9000);
        assert_eq!(s.smtp.tls, SmtpTls::StartTls);
        assert!(s.log_json);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn development_generates_secrets_once_and_warns() {
        let dir = std::env::temp_dir().join(format!("devsecrets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secrets.env");
        let v = vars(&[("APP_DEV_SECRETS_FILE", file.to_str().unwrap())]);
        let first = Settings::from_vars(&v).unwrap();
        let second = Settings::from_vars(&v).unwrap();
        assert_eq!(
            first.jwt.secret.expose_secret(),
            second.jwt.secret.expose_secret()
        );
        assert_eq!(first.jwt.secret.expose_secret().len(), 64);
        assert_ne!(
            first.jwt.secret.expose_secret(),
            first.codes.pepper.expose_secret()
        );
        assert!(first
            .warnings
            .iter()
            .any(|w| w.contains("DEVELOPMENT SECRETS")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn secrets_never_print() {
        let s = Settings::from_vars(&vars(&[
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains(STRONG));
    }

    #[test]
    fn trusted_proxies_and_cors_origins_are_lists() {
        let s = Settings::from_vars(&vars(&[
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
            ("APP_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,::1"),
            ("APP_CORS_ORIGINS", "https://app.example.com"),
        ]))
        .unwrap();
        assert_eq!(s.throttle.trusted_proxies.len(), 3);
        assert!(s.throttle.trusted_proxies[1].contains(&"192.168.4.5".parse::<IpAddr>().unwrap()));
        assert_eq!(s.cors_origins, vec!["https://app.example.com".to_owned()]);
        let err = Settings::from_vars(&vars(&[
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
            ("APP_TRUSTED_PROXIES", "proxy.example.com"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("APP_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn the_ipv6_prefix_defaults_to_64_and_is_bounded() {
        let with = |prefix: Option<&str>| {
            let mut v = vars(&[("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)]);
            if let Some(p) = prefix {
                v.insert("APP_IPV6_PREFIX".into(), p.into());
            }
            Settings::from_vars(&v)
        };
        assert_eq!(with(None).unwrap().throttle.ipv6_prefix.bits(), 64);
        assert_eq!(with(Some("56")).unwrap().throttle.ipv6_prefix.bits(), 56);
        assert_eq!(with(Some("128")).unwrap().throttle.ipv6_prefix.bits(), 128);
        for bad in ["31", "129", "0", "64bits"] {
            let err = with(Some(bad)).unwrap_err().to_string();
            assert!(
                err.contains("APP_IPV6_PREFIX") && err.contains("between 32 and 128"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn login_trust_lifetimes_default_and_parse_and_cookies_are_secure_in_production() {
        let s = Settings::from_vars(&vars(&[
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap();
        assert_eq!(s.throttle.known_network_ttl, Duration::from_secs(7_776_000));
        assert_eq!(
            s.throttle.device_cookie_ttl,
            Duration::from_secs(31_536_000)
        );
        assert!(!s.throttle.secure_cookies);
        let s = Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
            ("APP_SMTP_TLS", "starttls"),
            ("APP_LOGIN_KNOWN_NETWORK_TTL_SECS", "60"),
            ("APP_LOGIN_DEVICE_TTL_SECS", "120"),
        ]))
        .unwrap();
        assert_eq!(s.throttle.known_network_ttl, Duration::from_secs(60));
        assert_eq!(s.throttle.device_cookie_ttl, Duration::from_secs(120));
        assert!(s.throttle.secure_cookies);
        let err = Settings::from_vars(&vars(&[
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
            ("APP_LOGIN_DEVICE_TTL_SECS", "a year"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("APP_LOGIN_DEVICE_TTL_SECS"),
            "{err}"
        );
    }

    #[test]
    fn the_daily_cap_on_wrong_codes_defaults_to_twenty_and_is_configurable() {
        let strong = [("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)];
        let s = Settings::from_vars(&vars(&strong)).unwrap();
        assert_eq!(s.codes.max_failures_per_day, 20);
        let mut set = strong.to_vec();
        set.push(("APP_CODE_MAX_FAILURES_PER_DAY", "7"));
        let s = Settings::from_vars(&vars(&set)).unwrap();
        assert_eq!(s.codes.max_failures_per_day, 7);
        set.push(("APP_CODE_MAX_FAILURES_PER_DAY", "many"));
        let err = Settings::from_vars(&vars(&set)).unwrap_err();
        assert!(
            err.to_string().contains("APP_CODE_MAX_FAILURES_PER_DAY"),
            "{err}"
        );
    }

    #[test]
    fn ops_settings_default_off_and_parse() {
        let s = with_secrets(&[]).unwrap();
        assert!(s.ops.introspection_secret.is_none());
        assert_eq!(
            s.ops.metrics_addr, None,
            "no metrics listener unless a port is set"
        );
        assert_eq!(
            s.ops.admin_addr, None,
            "no admin listener unless a port is set"
        );
        let admin = with_secrets(&[("APP_ADMIN_PORT", "9200")]).unwrap();
        assert_eq!(
            admin.ops.admin_addr,
            Some("127.0.0.1:9200".parse().unwrap())
        );
        assert_eq!(s.jwt.algorithm, JwtAlgorithm::EdDSA);
        let s = with_secrets(&[
            ("APP_INTROSPECTION_SECRET", STRONG),
            ("APP_METRICS_PORT", "9100"),
            ("APP_JWT_ALGORITHM", "HS256"),
        ])
        .unwrap();
        assert_eq!(
            s.ops
                .introspection_secret
                .as_ref()
                .map(|v| v.expose_secret().to_owned()),
            Some(STRONG.to_owned())
        );
        assert_eq!(s.ops.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(s.jwt.algorithm, JwtAlgorithm::HS256);
        let s = with_secrets(&[("APP_METRICS_PORT", "0"), ("APP_METRICS_ADDR", "::")]).unwrap();
        assert_eq!(s.ops.metrics_addr, Some("[::]:0".parse().unwrap()));
        for (key, value, named) in [
            (
                "APP_INTROSPECTION_SECRET",
                "short",
                "APP_INTROSPECTION_SECRET",
            ),
            ("APP_METRICS_PORT", "metrics", "APP_METRICS_PORT"),
            ("APP_JWT_ALGORITHM", "RS256", "APP_JWT_ALGORITHM"),
            ("APP_JWT_PRIVATE_KEY", "not a pem", "APP_JWT_PRIVATE_KEY"),
            (
                "APP_JWT_PREVIOUS_PUBLIC_KEY",
                "not a pem",
                "APP_JWT_PREVIOUS_PUBLIC_KEY",
            ),
        ] {
            let err = with_secrets(&[(key, value), ("APP_METRICS_ADDR", "127.0.0.1")])
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{key}: {err}");
        }
    }

    #[test]
    fn the_webauthn_relying_party_defaults_to_localhost_and_is_checked() {
        let s = with_secrets(&[]).unwrap();
        assert_eq!(s.webauthn.rp_id, "localhost");
        assert_eq!(s.webauthn.rp_origin.as_str(), "http://localhost:8080/");
        assert_eq!(s.webauthn.rp_name, "emailauth");
        assert_eq!(s.webauthn.challenge_ttl, Duration::from_secs(300));
        let s = with_secrets(&[
            ("APP_WEBAUTHN_RP_ID", "Example.com"),
            ("APP_WEBAUTHN_RP_ORIGIN", "https://auth.example.com"),
            ("APP_WEBAUTHN_RP_NAME", "Example"),
            ("APP_WEBAUTHN_CHALLENGE_TTL_SECS", "60"),
        ])
        .unwrap();
        assert_eq!(s.webauthn.rp_id, "example.com");
        assert_eq!(s.webauthn.rp_name, "Example");
        assert_eq!(s.webauthn.challenge_ttl, Duration::from_secs(60));
        for (id, origin) in [
            ("127.0.0.1", "http://127.0.0.1:8080"),
            ("example.com", "https://example.org"),
            ("localhost", "not an origin"),
        ] {
            let err = with_secrets(&[
                ("APP_WEBAUTHN_RP_ID", id),
                ("APP_WEBAUTHN_RP_ORIGIN", origin),
            ])
            .unwrap_err()
            .to_string();
            assert!(err.contains("APP_WEBAUTHN_RP_"), "{id} {origin}: {err}");
        }
    }

    #[test]
    fn mfa_settings_defaults_key_formats_and_production_refusal() {
        let s = with_secrets(&[]).unwrap();
        assert_eq!(s.mfa.issuer, "emailauth");
        assert_eq!(s.mfa.ticket_ttl, Duration::from_secs(300));
        assert_eq!(s.mfa.ticket_max_attempts, 5);
        assert_eq!(s.mfa.max_failures, 10);
        assert_eq!(s.mfa.failure_window, Duration::from_secs(900));
        assert!(
            !format!("{:?}", s.mfa).contains("0011"),
            "the key never prints"
        );
        let expected: Vec<u8> = (0..32u8).map(|i| (i % 16) * 17).collect();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&expected);
        let s = with_secrets(&[
            ("APP_MFA_ENCRYPTION_KEY", b64.as_str()),
            ("APP_TOTP_ISSUER", "Example Corp"),
            ("APP_MFA_TICKET_TTL_SECS", "60"),
        ])
        .unwrap();
        assert_eq!(s.mfa.key.expose_secret().as_slice(), expected.as_slice());
        assert_eq!(s.mfa.issuer, "Example Corp");
        assert_eq!(s.mfa.ticket_ttl, Duration::from_secs(60));
        for bad in [
            "short",
            STRONG,
            "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ] {
            let err = with_secrets(&[("APP_MFA_ENCRYPTION_KEY", bad)]).unwrap_err();
            assert!(
                err.to_string().contains("APP_MFA_ENCRYPTION_KEY"),
                "{bad}: {err}"
            );
        }
        let err = with_secrets(&[("APP_TOTP_ISSUER", "a:b")]).unwrap_err();
        assert!(err.to_string().contains("APP_TOTP_ISSUER"), "{err}");
        // Production: the JWT secret and pepper alone are not enough.
        let err = Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
            ("APP_MFA_ENCRYPTION_KEY", ""),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("APP_MFA_ENCRYPTION_KEY"), "{err}");
    }

    #[test]
    fn development_generates_the_mfa_key_once_next_to_the_other_secrets() {
        let dir = std::env::temp_dir().join(format!("mfa-dev-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(".dev-secrets.env");
        // A file from before the key existed: the key is appended, the rest kept.
        std::fs::write(
            &file,
            format!("APP_JWT_SECRET={STRONG}\nAPP_CODE_PEPPER={STRONG}\n"),
        )
        .unwrap();
        let path = file.to_string_lossy().into_owned();
        let load = || {
            Settings::from_vars(&vars(&[
                ("APP_DEV_SECRETS_FILE", path.as_str()),
                ("APP_MFA_ENCRYPTION_KEY", ""),
            ]))
            .unwrap()
        };
        let first = load();
        let second = load();
        assert_eq!(
            first.mfa.key.expose_secret(),
            second.mfa.key.expose_secret()
        );
        assert!(first
            .warnings
            .iter()
            .any(|w| w.contains("APP_MFA_ENCRYPTION_KEY")));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(&format!("APP_JWT_SECRET={STRONG}")), "{text}");
        assert_eq!(text.matches("APP_MFA_ENCRYPTION_KEY=").count(), 1, "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let err = Settings::from_vars(&vars(&[
            ("APP_PORT", "eighty"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("APP_PORT"), "{err}");
        let err = Settings::from_vars(&vars(&[
            ("APP_SMTP_TLS", "ssl"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("APP_SMTP_TLS"), "{err}");
    }

    /// The configuration table of `docs/configuration.md` is held to [`Vars`]: every variable
    /// has a row, every concrete default is the one written there, and no row names a variable
    /// that does not exist.
    #[test]
    fn the_docs_table_lists_every_variable_with_its_default() {
        let page = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/configuration.md"
        ))
        .unwrap();
        // `| `APP_A` / `APP_B` | `x` / `y` | what it does |` → (names, defaults column)
        let rows: Vec<(Vec<String>, &str)> = page
            .lines()
            .filter(|line| line.starts_with("| `APP_"))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let names = cells[1]
                    .split('/')
                    .map(|name| name.trim().trim_matches('`').to_owned())
                    .collect();
                (names, cells[2])
            })
            .collect();
        let serde_json::Value::Object(defaults) = serde_json::to_value(Vars::default()).unwrap()
        else {
            panic!("Vars serialises as a map");
        };
        // Skipped when serialising, so that no secret is ever written out.
        let secrets = [
            "smtp_password",
            "jwt_secret",
            "jwt_previous_secret",
            "jwt_private_key",
            "code_pepper",
            "introspection_secret",
            "mfa_encryption_key",
            "webhook_secret",
            "webhook_previous_secret",
        ];
        let mut known: Vec<String> = secrets.iter().map(|k| k.to_string()).collect();
        for (key, default) in &defaults {
            let name = format!("{PREFIX}{}", key.to_ascii_uppercase());
            known.push(key.clone());
            let row = rows.iter().find(|(names, _)| names.contains(&name));
            let Some((_, written)) = row else {
                panic!("docs/configuration.md has no row for {name}");
            };
            let default = match default {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            assert!(
                written.contains(&format!("`{default}`")),
                "docs/configuration.md gives {name} the default {written}, the code `{default}`"
            );
        }
        for secret in secrets {
            let name = format!("{PREFIX}{}", secret.to_ascii_uppercase());
            assert!(
                rows.iter().any(|(names, _)| names.contains(&name)),
                "{name}"
            );
            let set = vars(&[(name.as_str(), STRONG)]);
            assert!(Vars::from_map(&set).is_ok(), "{name} is read");
        }
        for (names, _) in &rows {
            for name in names {
                let key = name.trim_start_matches(PREFIX).to_ascii_lowercase();
                assert!(
                    known.contains(&key),
                    "docs/configuration.md lists {name}, which is not read"
                );
            }
        }
    }

    #[test]
    fn numbers_that_look_like_text_and_text_that_looks_like_numbers() {
        // A numeric password stays text; an empty variable is unset.
        let s = with_secrets(&[
            ("APP_SMTP_PASSWORD", "12345678"),
            ("APP_MONGODB_DB", "2026"),
            ("APP_SUPPORT_EMAIL", "  "),
            ("APP_LOG_FORMAT", "json"),
            ("APP_ENV", "dev"),
        ])
        .unwrap();
        assert_eq!(s.smtp.password(), Some("12345678"));
        assert_eq!(s.mongodb_db, "2026");
        assert_eq!(s.mail.support_email, None);
        assert!(s.log_json);
        assert_eq!(s.env, Environment::Development);
        let err = with_secrets(&[("APP_LOG_FORMAT", "xml")]).unwrap_err();
        assert!(err.to_string().contains("APP_LOG_FORMAT"), "{err}");
    }
}
