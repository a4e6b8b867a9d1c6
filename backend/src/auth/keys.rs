//! Key derivation. Every key the server makes from a configured secret is
//! HMAC-SHA256(secret, label), one label per purpose, so that no key ever serves two purposes
//! (a device-cookie tag can never pass for a refresh-token tag or a code MAC). The JWT signing
//! seed and key id keep the derivation they were first deployed with (`jwt.rs`): changing it
//! would invalidate every token in flight.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// An HMAC-SHA256 instance keyed with `key`.
pub fn hmac(key: &[u8]) -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// The 32-byte key for `label` derived from `secret`.
pub fn derive(secret: &[u8], label: &str) -> [u8; 32] {
    let mut mac = hmac(secret);
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_separate_keys_and_derivation_is_stable() {
        let a = derive(b"secret", "emailauth one v1");
        assert_eq!(a, derive(b"secret", "emailauth one v1"));
        assert_ne!(a, derive(b"secret", "emailauth two v1"));
        assert_ne!(a, derive(b"other secret", "emailauth one v1"));
        // Known answer: HMAC-SHA256(key = "key", "The quick brown fox jumps over the lazy dog").
        assert_eq!(
            hex::encode(derive(
                b"key",
                "The quick brown fox jumps over the lazy dog"
            )),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
