use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

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
}

/// Signs and verifies HS256 tokens. Verification pins the algorithm (so `alg: none` or an RS/HS
/// confusion is refused) and requires `exp`, `nbf`, `iss` and `aud`, with no leeway: the same
/// server issues and checks, so there is no clock skew to forgive.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl JwtKeys {
    pub fn new(settings: &JwtSettings) -> Self {
        let secret = settings.secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: settings.ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user_id: &str) -> anyhow::Result<String> {
        let now = now_secs();
        self.sign(&Claims {
            sub: user_id.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl.as_secs(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        })
    }

    /// Signs arbitrary claims (tests use this to forge expired or foreign-audience tokens).
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&JwtSettings {
            secret: SecretString::from(secret),
            ttl: Duration::from_secs(3600),
            issuer: "iss".into(),
            audience: "aud".into(),
        })
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip() {
        let k = keys(SECRET);
        let token = k.issue("abc").unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!(claims.sub, "abc");
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn refuses_other_keys_tampering_expiry_audience_and_alg_none() {
        let k = keys(SECRET);
        let token = k.issue("abc").unwrap();
        assert!(keys("another-secret-0123456789abcdefxx")
            .verify(&token)
            .is_none());

        // Flip one character of the signature.
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(k.verify(std::str::from_utf8(&tampered).unwrap()).is_none());

        let now = now_secs();
        let base = Claims {
            sub: "abc".into(),
            iat: now - 100,
            nbf: now - 100,
            exp: now - 1,
            iss: "iss".into(),
            aud: "aud".into(),
        };
        assert!(k.verify(&k.sign(&base).unwrap()).is_none(), "expired");
        let future = Claims {
            nbf: now + 100,
            exp: now + 200,
            ..base.clone()
        };
        assert!(
            k.verify(&k.sign(&future).unwrap()).is_none(),
            "not yet valid"
        );
        let foreign = Claims {
            aud: "other".into(),
            exp: now + 100,
            ..base.clone()
        };
        assert!(k.verify(&k.sign(&foreign).unwrap()).is_none(), "audience");
        let issuer = Claims {
            iss: "other".into(),
            exp: now + 100,
            ..base.clone()
        };
        assert!(k.verify(&k.sign(&issuer).unwrap()).is_none(), "issuer");

        // alg: none with the original claims and no signature.
        use base64_url as b64;
        let payload = token.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{}.",
            b64::encode(br#"{"alg":"none","typ":"JWT"}"#),
            payload
        );
        assert!(k.verify(&none).is_none(), "alg none");
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
