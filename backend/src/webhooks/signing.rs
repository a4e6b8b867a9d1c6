//! The signing secret of the webhooks (`whsec_` + base64) and the Standard Webhooks
//! signature it makes. Knows nothing of the rest of the crate, so that the configuration can
//! parse a secret into it.

use std::sync::Arc;

use anyhow::bail;
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
