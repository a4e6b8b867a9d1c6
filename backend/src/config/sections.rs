//! The typed sections of [`Settings`](super::Settings): what each part of the server is
//! given, already checked and converted (durations, lists, secrets). Built in one place,
//! [`Settings::from_declared`](super::Settings::from_declared).

use std::{path::PathBuf, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

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

impl SmtpSettings {
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.expose_secret())
    }
}
