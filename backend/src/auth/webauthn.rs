//! The WebAuthn relying party of the passkeys: a key holder like `JwtKeys`, built once from the
//! settings (the ceremonies that use it are in `passkeys`).

use std::time::Duration;

use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::config::WebauthnSettings;

/// The relying party and how long its challenges live.
pub struct RelyingParty {
    pub webauthn: Webauthn,
    pub challenge_ttl: Duration,
    /// Passkeys one account may have (`APP_PASSKEYS_MAX`).
    pub passkeys_max: u32,
}

impl RelyingParty {
    pub fn new(settings: &WebauthnSettings) -> anyhow::Result<Self> {
        // The browser gives up when the server would: the options' `timeout` is the TTL.
        let webauthn = WebauthnBuilder::new(&settings.rp_id, &settings.rp_origin)
            .and_then(|b| {
                b.rp_name(&settings.rp_name)
                    .timeout(settings.challenge_ttl)
                    .build()
            })
            .map_err(|e| anyhow::anyhow!("WebAuthn relying party: {e}"))?;
        Ok(Self {
            webauthn,
            challenge_ttl: settings.challenge_ttl,
            passkeys_max: settings.passkeys_max,
        })
    }
}
