//! Admin API keys. A key is `adm_` and 64 hex digits (32 random bytes), shown once when it is
//! created; the database keeps only HMAC-SHA256 of it under a key derived from the server's
//! pepper (`APP_CODE_PEPPER`), as the document's `_id`. A presented key is hashed and read by
//! that `_id` (one indexed read, no cache: a revocation counts on every instance from the next
//! request on), and the stored hash compared in constant time. A key is read-only or
//! read-write; it is revoked, never edited. Rotating the pepper invalidates every key.

use hmac::Mac;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::{
    auth::keys::{derive, hmac},
    state::AppState,
    store::ApiKeyDoc,
};

pub const PREFIX: &str = "adm_";
/// Hex digits after the prefix.
const KEY_HEX: usize = 64;

/// A key's name: 1–64 characters of ASCII letters, digits, `-`, `_`, `.`, `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() || name.len() > 64 {
            return Err("a key name has 1 to 64 characters".into());
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
        {
            return Err("a key name has only ASCII letters, digits and - _ . @".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// HMAC-SHA256 of `key`, hex, under the admin-key key derived from `pepper`.
pub fn hash(pepper: &SecretString, key: &str) -> String {
    let secret = derive(
        pepper.expose_secret().as_bytes(),
        "emailauth admin api key v1",
    );
    let mut mac = hmac(&secret);
    mac.update(key.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `presented` has the shape of a key (before any database read).
fn well_formed(presented: &str) -> bool {
    presented
        .strip_prefix(PREFIX)
        .is_some_and(|hex| hex.len() == KEY_HEX && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A new key: `(the key, to show once, its stored document)`.
pub fn generate(state: &AppState, name: &KeyName, read_only: bool) -> (String, ApiKeyDoc) {
    let key = format!("{PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
    let doc = ApiKeyDoc {
        hash: hash(&state.codes.pepper, &key),
        name: name.as_str().to_owned(),
        read_only,
        created_at: state.clock.now(),
        revoked: false,
        revoked_at: None,
    };
    (key, doc)
}

/// The live key `presented` is, if it is one.
pub async fn authenticate(
    state: &AppState,
    presented: &str,
) -> Result<Option<ApiKeyDoc>, mongodb::error::Error> {
    if !well_formed(presented) {
        return Ok(None);
    }
    let hashed = hash(&state.codes.pepper, presented);
    let Some(found) = state.store.find_api_key(&hashed).await? else {
        return Ok(None);
    };
    let same: bool = found.hash.as_bytes().ct_eq(hashed.as_bytes()).into();
    Ok((same && !found.revoked).then_some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert!(KeyName::parse("ops-console").is_ok());
        assert!(KeyName::parse("alice@example.com").is_ok());
        assert!(KeyName::parse("").is_err());
        assert!(KeyName::parse("with space").is_err());
        assert!(KeyName::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn shapes_and_hashes() {
        let key = format!("{PREFIX}{}", "ab".repeat(32));
        assert!(well_formed(&key));
        assert!(!well_formed(&key[1..]));
        assert!(!well_formed(&format!("{key}0")));
        let pepper = SecretString::from("pepper-one");
        assert_eq!(hash(&pepper, &key), hash(&pepper, &key));
        assert_ne!(
            hash(&pepper, &key),
            hash(&SecretString::from("pepper-two"), &key)
        );
        assert_eq!(hash(&pepper, &key).len(), 64);
    }
}
