//! Refresh tokens: `rt1_` and the unpadded base64url of the session id (16 bytes), the
//! token's generation (8 bytes, big-endian) and an HMAC-SHA256 tag over both (32 bytes), under
//! a key of its own derived from the code pepper with a distinct label.
//!
//! Why derived rather than drawn at random and looked up by hash: when two tabs refresh with
//! the same token at once, the loser must get the session's *current* pair back (the grace
//! period), and the server keeps only hashes. A derived token can be recomputed from the
//! session id and its current generation, so nothing that could be replayed is ever stored:
//! the session records the hash of its current token and the generation, nothing more. Each
//! token carries 256 bits no one without the key can predict, and knowing one generation's
//! token tells nothing about the next one's tag.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const PREFIX: &str = "rt1_";
pub const SESSION_ID_BYTES: usize = 16;
const TAG_BYTES: usize = 32;
const RAW_BYTES: usize = SESSION_ID_BYTES + 8 + TAG_BYTES;

/// What a refresh token names, once its tag checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshClaim {
    /// The session id, hex.
    pub sid: String,
    pub generation: u64,
}

/// Makes and checks refresh tokens.
#[derive(Clone)]
pub struct RefreshKeys {
    key: [u8; 32],
}

impl RefreshKeys {
    pub fn new(pepper: &SecretString) -> Self {
        Self {
            key: super::keys::derive(
                pepper.expose_secret().as_bytes(),
                "emailauth refresh token key v1",
            ),
        }
    }

    fn mac(&self, sid: &[u8; SESSION_ID_BYTES], generation: u64) -> Hmac<Sha256> {
        let mut mac = super::keys::hmac(&self.key);
        mac.update(sid);
        mac.update(&generation.to_be_bytes());
        mac
    }

    /// The refresh token of generation `generation` of session `sid` (hex); `None` when `sid`
    /// is not a session id.
    pub fn token(&self, sid: &str, generation: u64) -> Option<String> {
        let id: [u8; SESSION_ID_BYTES] = hex::decode(sid).ok()?.try_into().ok()?;
        let tag = self.mac(&id, generation).finalize().into_bytes();
        let mut raw = Vec::with_capacity(RAW_BYTES);
        raw.extend_from_slice(&id);
        raw.extend_from_slice(&generation.to_be_bytes());
        raw.extend_from_slice(&tag);
        Some(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)))
    }

    /// What `token` names, when it is one of ours; the tag is compared in constant time.
    /// Anything else (tampered, truncated, another key's, garbage) is `None`.
    pub fn check(&self, token: &str) -> Option<RefreshClaim> {
        let body = token.strip_prefix(PREFIX)?;
        if body.len() > 2 * RAW_BYTES {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(body).ok()?;
        if raw.len() != RAW_BYTES {
            return None;
        }
        let (id, rest) = raw.split_at(SESSION_ID_BYTES);
        let (generation, tag) = rest.split_at(8);
        let id: [u8; SESSION_ID_BYTES] = id.try_into().ok()?;
        let generation = u64::from_be_bytes(generation.try_into().ok()?);
        self.mac(&id, generation).verify_slice(tag).ok()?;
        Some(RefreshClaim {
            sid: hex::encode(id),
            generation,
        })
    }
}

/// The hash a session keeps of its current refresh token (hex SHA-256).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh session id: 16 random bytes, hex.
pub fn new_session_id() -> String {
    let mut id = [0u8; SESSION_ID_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
    hex::encode(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pepper: &str) -> RefreshKeys {
        RefreshKeys::new(&SecretString::from(pepper))
    }

    const PEPPER: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip_and_every_generation_differs() {
        let k = keys(PEPPER);
        let sid = new_session_id();
        let first = k.token(&sid, 0).unwrap();
        let second = k.token(&sid, 1).unwrap();
        assert!(first.starts_with("rt1_"));
        assert_ne!(first, second);
        assert_eq!(
            k.check(&first),
            Some(RefreshClaim {
                sid: sid.clone(),
                generation: 0
            })
        );
        assert_eq!(k.check(&second).unwrap().generation, 1);
        // At least 256 bits of tag, plus the id and the generation.
        let raw = URL_SAFE_NO_PAD.decode(&first[4..]).unwrap();
        assert_eq!(raw.len(), 56);
        assert_eq!(k.token(&sid, 0).unwrap(), first, "recomputable");
    }

    #[test]
    fn refuses_other_keys_tampering_truncation_and_garbage() {
        let k = keys(PEPPER);
        let sid = new_session_id();
        let token = k.token(&sid, 7).unwrap();
        assert!(keys("another-pepper-0123456789abcdef01")
            .check(&token)
            .is_none());
        // Change the generation without the key: the tag no longer matches.
        let mut raw = URL_SAFE_NO_PAD.decode(&token[4..]).unwrap();
        raw[SESSION_ID_BYTES + 7] ^= 1;
        let forged = format!("rt1_{}", URL_SAFE_NO_PAD.encode(&raw));
        assert!(k.check(&forged).is_none());
        assert!(k.check(&token[..token.len() - 2]).is_none());
        assert!(k.check(&token[4..]).is_none(), "prefix required");
        for garbage in [
            "",
            "rt1_",
            "rt1_!!!!",
            "eyJhbGciOi.x.y",
            &"A".repeat(10_000),
        ] {
            assert!(k.check(garbage).is_none(), "{garbage}");
        }
        assert!(k.token("not hex", 0).is_none());
        assert_eq!(token_hash(&token).len(), 64);
        assert_ne!(token_hash(&token), token_hash(&k.token(&sid, 8).unwrap()));
    }
}
