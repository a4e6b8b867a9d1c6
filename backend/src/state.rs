//! The state every handler shares. Its own module so that routes, extractors and middleware
//! depend on it and not on `startup`, which wires them all together.

use std::{
    path::PathBuf,
    sync::{atomic::AtomicBool, Arc},
};

use crate::{
    auth::{CodeMac, DeviceKeys, JwtKeys, PasswordHasher, RefreshKeys, RelyingParty},
    clock::Clock,
    config::{CodeSettings, MfaSettings, SessionSettings, ThrottleSettings},
    mail::Mailer,
    store::Store,
    throttle::{IpLimiter, TrustedProxies},
};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    pub store: Store,
    pub mailer: Mailer,
    pub hasher: PasswordHasher,
    pub code_mac: CodeMac,
    pub jwt: JwtKeys,
    pub refresh: RefreshKeys,
    pub sessions: SessionSettings,
    /// "Now" for every decision on time (an adjustable clock in tests).
    pub clock: Clock,
    pub codes: CodeSettings,
    /// The second factor's limits, and the keys made from `APP_MFA_ENCRYPTION_KEY`.
    pub mfa: MfaSettings,
    pub mfa_keys: crate::mfa::MfaKeys,
    pub throttle: ThrottleSettings,
    pub proxies: TrustedProxies,
    pub ip_limiter: IpLimiter,
    pub static_dir: PathBuf,
    /// Set once the indexes exist (created in the background, retried until the database
    /// answers).
    pub indexes_ready: Arc<AtomicBool>,
    /// `APP_INTROSPECTION_SECRET`; unset: no introspection endpoint.
    pub introspection_secret: Option<secrecy::SecretString>,
    /// The WebAuthn relying party of the passkeys.
    pub webauthn: RelyingParty,
    /// Signs and checks device cookies (derived from the code pepper once).
    pub device_keys: DeviceKeys,
    /// New-sign-in alerts and the activity log's retention.
    pub alerts: crate::config::AlertSettings,
    /// Work run after the answer (`events::deferred`).
    pub deferred: crate::events::deferred::Deferred<AppState>,
    /// Outbound webhooks (`APP_WEBHOOK_URLS`); `None`: no events leave.
    pub webhooks: Option<Arc<crate::webhooks::Webhooks>>,
}
