use std::time::Duration;

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::JwtSettings;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user's id (hex ObjectId).
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
    /// The session this token belongs to: the bearer check reads it, so ending the session
    /// refuses the token at once.
    pub sid: String,
    /// This token's own id (128 random bits, hex), for correlating log lines.
    pub jti: String,
}

struct VerifyingKey {
    kid: String,
    key: DecodingKey,
}

/// Signs and verifies HS256 tokens. Every token names its key (`kid`, derived from the secret
/// so it reveals nothing); the server signs with the current key and verifies with the current
/// or the previous one, so `APP_JWT_SECRET` can be rotated without logging everyone out.
/// Verification pins the algorithm (so `alg: none` or an RS/HS confusion is refused) and
/// requires `exp`, `nbf`, `iss`, `aud` and `sub`, with no leeway: the same servers issue and
/// check, so there is no clock skew to forgive. The time checks use the caller's "now" (the
/// state's injected clock), not the library's own reading of the system clock.
#[derive(Clone)]
pub struct JwtKeys {
    kid: String,
    encoding: EncodingKey,
    verifying: std::sync::Arc<Vec<VerifyingKey>>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

/// A key id: the first 8 bytes of SHA-256 over a domain tag and the secret, in hex.
fn key_id(secret: &SecretString) -> String {
    let digest = Sha256::new()
        .chain_update(b"emailauth jwt kid\0")
        .chain_update(secret.expose_secret().as_bytes())
        .finalize();
    hex::encode(&digest[..8])
}

impl JwtKeys {
    pub fn new(settings: &JwtSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Checked in `verify` against the injected clock instead; still required to exist.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let verifying = std::iter::once(&settings.secret)
            .chain(settings.previous_secret.as_ref())
            .map(|secret| VerifyingKey {
                kid: key_id(secret),
                key: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            })
            .collect();
        Self {
            kid: key_id(&settings.secret),
            encoding: EncodingKey::from_secret(settings.secret.expose_secret().as_bytes()),
            verifying: std::sync::Arc::new(verifying),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: settings.ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for `user_id` in session `sid`, valid from `now` (seconds) for the TTL.
    pub fn issue(&self, user_id: &str, sid: &str, now: u64) -> anyhow::Result<String> {
        self.sign(&Claims {
            sub: user_id.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl.as_secs(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sid: sid.to_owned(),
            jti: token_id(),
        })
    }

    /// Signs arbitrary claims with the current key (tests use this to forge expired or
    /// foreign-audience tokens).
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        Ok(encode(&header, claims, &self.encoding)?)
    }

    /// The claims of a token signed by a current or previous key, valid at `now` (seconds).
    pub fn verify(&self, token: &str, now: u64) -> Option<Claims> {
        let kid = decode_header(token).ok()?.kid?;
        let key = self.verifying.iter().find(|k| k.kid == kid)?;
        let claims = decode::<Claims>(token, &key.key, &self.validation)
            .ok()?
            .claims;
        (claims.nbf <= now && now < claims.exp && !claims.sid.is_empty()).then_some(claims)
    }
}

/// A fresh token id: 16 random bytes in hex.
fn token_id() -> String {
    let mut id = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
    hex::encode(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(secret: &str, previous: Option<&str>) -> JwtSettings {
        JwtSettings {
            secret: SecretString::from(secret),
            previous_secret: previous.map(SecretString::from),
            ttl: Duration::from_secs(3600),
            issuer: "iss".into(),
            audience: "aud".into(),
        }
    }

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&settings(secret, None))
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const NEXT: &str = "fedcba9876543210fedcba9876543210";

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn round_trip_with_kid() {
        let k = keys(SECRET);
        let token = k.issue("abc", "s1", NOW).unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(
            header.kid.as_deref(),
            Some(key_id(&SecretString::from(SECRET)).as_str())
        );
        assert!(!header.kid.unwrap().contains("0123456789abcdef"));
        let claims = k.verify(&token, NOW).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("abc", "s1"));
        assert_eq!(claims.exp - claims.iat, 3600);
        assert_eq!(claims.jti.len(), 32);
        let again = k.verify(&k.issue("abc", "s1", NOW).unwrap(), NOW).unwrap();
        assert_ne!(again.jti, claims.jti, "every token has its own id");
    }

    #[test]
    fn validity_follows_the_given_clock() {
        let k = keys(SECRET);
        let token = k.issue("abc", "s1", NOW).unwrap();
        assert!(k.verify(&token, NOW - 1).is_none(), "not before issue");
        assert!(k.verify(&token, NOW + 3599).is_some());
        assert!(k.verify(&token, NOW + 3600).is_none(), "expired at exp");
    }

    #[test]
    fn a_token_without_a_session_is_refused() {
        let k = keys(SECRET);
        let mut claims = k.verify(&k.issue("abc", "s1", NOW).unwrap(), NOW).unwrap();
        claims.sid = String::new();
        assert!(k.verify(&k.sign(&claims).unwrap(), NOW).is_none());
        // A token from before sessions (a `ver` claim, no `sid`) does not even parse.
        let legacy = serde_json::json!({
            "sub": "abc", "iat": NOW, "nbf": NOW, "exp": NOW + 60, "iss": "iss", "aud": "aud",
            "ver": 0, "jti": "x"
        });
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key_id(&SecretString::from(SECRET)));
        let token = encode(
            &header,
            &legacy,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(k.verify(&token, NOW).is_none());
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_and_signs_with_the_new_key() {
        let old = keys(SECRET).issue("abc", "s", NOW).unwrap();
        let rotated = JwtKeys::new(&settings(NEXT, Some(SECRET)));
        assert!(
            rotated.verify(&old, NOW).is_some(),
            "previous key still verifies"
        );
        let new = rotated.issue("abc", "s", NOW).unwrap();
        assert!(
            keys(SECRET).verify(&new, NOW).is_none(),
            "signed with the new key"
        );
        // Once the previous key is dropped, its tokens die.
        assert!(keys(NEXT).verify(&old, NOW).is_none());
    }

    #[test]
    fn refuses_other_keys_tampering_expiry_audience_missing_kid_and_alg_none() {
        let k = keys(SECRET);
        let token = k.issue("abc", "s", NOW).unwrap();
        assert!(keys("another-secret-0123456789abcdefxx")
            .verify(&token, NOW)
            .is_none());

        // Flip one character of the signature.
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(k
            .verify(std::str::from_utf8(&tampered).unwrap(), NOW)
            .is_none());

        let now = NOW;
        let base = Claims {
            sub: "abc".into(),
            iat: now - 100,
            nbf: now - 100,
            exp: now - 1,
            iss: "iss".into(),
            aud: "aud".into(),
            sid: "s".into(),
            jti: "id".into(),
        };
        assert!(k.verify(&k.sign(&base).unwrap(), NOW).is_none(), "expired");
        let future = Claims {
            nbf: now + 100,
            exp: now + 200,
            ..base.clone()
        };
        assert!(
            k.verify(&k.sign(&future).unwrap(), NOW).is_none(),
            "not yet valid"
        );
        let foreign = Claims {
            aud: "other".into(),
            exp: now + 100,
            ..base.clone()
        };
        assert!(
            k.verify(&k.sign(&foreign).unwrap(), NOW).is_none(),
            "audience"
        );
        let issuer = Claims {
            iss: "other".into(),
            exp: now + 100,
            ..base.clone()
        };
        assert!(k.verify(&k.sign(&issuer).unwrap(), NOW).is_none(), "issuer");

        // A valid signature but no kid.
        let no_kid = encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                exp: now + 100,
                ..base.clone()
            },
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(k.verify(&no_kid, NOW).is_none(), "kid required");

        // alg: none with the original claims and no signature.
        use base64_url as b64;
        let payload = token.split('.').nth(1).unwrap();
        let kid = key_id(&SecretString::from(SECRET));
        let header = format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#);
        let none = format!("{}.{}.", b64::encode(header.as_bytes()), payload);
        assert!(k.verify(&none, NOW).is_none(), "alg none");
    }

    /// Minimal unpadded base64url, enough to forge a header in a test.
    mod base64_url {
        pub fn encode(bytes: &[u8]) -> String {
            const T: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [
                    chunk[0],
                    *chunk.get(1).unwrap_or(&0),
                    *chunk.get(2).unwrap_or(&0),
                ];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
