use std::time::Duration;

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};

use crate::config::{JwtAlgorithm, JwtSettings};

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

/// An Ed25519 public key as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    pub kid: String,
    /// The 32 raw public key bytes.
    pub x: [u8; 32],
}

impl PublicJwk {
    fn new(x: [u8; 32]) -> Self {
        Self {
            kid: thumbprint(&x),
            x,
        }
    }

    /// The RFC 7517 JSON form (`kty: OKP`, `crv: Ed25519`, RFC 8037).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.x),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }
}

/// Signs and verifies access tokens: EdDSA (Ed25519) by default, so that other services can
/// check them with the public keys of `/.well-known/jwks.json` and never hold a secret; HS256
/// for a deployment where only this service reads its tokens. Every token names its key
/// (`kid`: the RFC 7638 thumbprint of an Ed25519 key, or a hash of the HS256 secret, so it
/// reveals nothing); the server signs with the current key and verifies with the current or
/// the previous one, so the key can be rotated without logging everyone out.
/// Verification pins the algorithm (so `alg: none` or an RS/HS confusion is refused) and
/// requires `exp`, `nbf`, `iss`, `aud` and `sub`, with no leeway: the same servers issue and
/// check, so there is no clock skew to forgive. The time checks use the caller's "now" (the
/// state's injected clock), not the library's own reading of the system clock.
#[derive(Clone)]
pub struct JwtKeys {
    algorithm: Algorithm,
    kid: String,
    encoding: EncodingKey,
    verifying: std::sync::Arc<Vec<VerifyingKey>>,
    /// EdDSA: the current key first, then the previous ones. Empty for HS256.
    public: std::sync::Arc<Vec<PublicJwk>>,
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

/// The RFC 7638 JWK thumbprint of an Ed25519 public key: SHA-256 over the required members in
/// lexicographic order, base64url. Any JOSE library computes the same.
fn thumbprint(x: &[u8; 32]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(x)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// DER prefix of a PKCS#8 v1 Ed25519 private key (RFC 8410); the 32-byte seed follows.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32-byte key follows.
const SPKI_ED25519_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// An Ed25519 signing key: its PKCS#8 DER (what `jsonwebtoken` signs with) and public key.
pub struct Ed25519Key {
    pkcs8: Vec<u8>,
    public: [u8; 32],
}

impl Ed25519Key {
    fn from_pkcs8(pkcs8: Vec<u8>) -> anyhow::Result<Self> {
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
            .map_err(|e| anyhow::anyhow!("not an Ed25519 PKCS#8 key: {e}"))?;
        let public = <[u8; 32]>::try_from(ring::signature::KeyPair::public_key(&pair).as_ref())?;
        Ok(Self { pkcs8, public })
    }

    /// A `-----BEGIN PRIVATE KEY-----` PEM (`openssl genpkey -algorithm ed25519`).
    pub fn from_pem(pem: &str) -> anyhow::Result<Self> {
        Self::from_pkcs8(pem_body(pem, "PRIVATE KEY")?)
    }

    /// The key whose seed is derived from an HS256-grade secret: a deployment that only sets
    /// `APP_JWT_SECRET` (and development, where that secret is generated) still signs with
    /// Ed25519, and rotating the secret rotates the key.
    pub fn derived_from(secret: &SecretString) -> Self {
        let seed = Sha256::new()
            .chain_update(b"emailauth ed25519 seed\0")
            .chain_update(secret.expose_secret().as_bytes())
            .finalize();
        let mut pkcs8 = PKCS8_ED25519_PREFIX.to_vec();
        pkcs8.extend_from_slice(&seed);
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed)
            .expect("any 32 bytes are an Ed25519 seed");
        let mut public = [0u8; 32];
        public.copy_from_slice(ring::signature::KeyPair::public_key(&pair).as_ref());
        Self { pkcs8, public }
    }

    /// The public key as a `-----BEGIN PUBLIC KEY-----` PEM, for `APP_JWT_PREVIOUS_PUBLIC_KEY`.
    pub fn public_pem(&self) -> String {
        let mut der = SPKI_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&self.public);
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }
}

/// The 32 raw bytes of a `-----BEGIN PUBLIC KEY-----` Ed25519 PEM.
pub fn ed25519_public_from_pem(pem: &str) -> anyhow::Result<[u8; 32]> {
    let der = pem_body(pem, "PUBLIC KEY")?;
    match der.strip_prefix(&SPKI_ED25519_PREFIX[..]) {
        Some(key) => Ok(<[u8; 32]>::try_from(key)?),
        None => anyhow::bail!("not an Ed25519 public key (SubjectPublicKeyInfo)"),
    }
}

/// The DER inside a PEM block of `label`. Accepts `\n` written as the two characters `\` `n`
/// (how a multi-line value often ends up in an environment variable or `.env` file).
fn pem_body(pem: &str, label: &str) -> anyhow::Result<Vec<u8>> {
    let pem = pem.replace("\\n", "\n");
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let inner = pem
        .split_once(&begin)
        .and_then(|(_, rest)| rest.split_once(&end))
        .map(|(body, _)| body)
        .ok_or_else(|| anyhow::anyhow!("not a PEM block `{begin}`"))?;
    let b64: String = inner.split_whitespace().collect();
    STANDARD
        .decode(b64)
        .map_err(|e| anyhow::anyhow!("PEM body is not base64: {e}"))
}

impl JwtKeys {
    pub fn new(settings: &JwtSettings) -> anyhow::Result<Self> {
        let algorithm = match settings.algorithm {
            JwtAlgorithm::EdDSA => Algorithm::EdDSA,
            JwtAlgorithm::HS256 => Algorithm::HS256,
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        // Checked in `verify` against the injected clock instead; still required to exist.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let (kid, encoding, verifying, public) = match settings.algorithm {
            JwtAlgorithm::HS256 => {
                let verifying = std::iter::once(&settings.secret)
                    .chain(settings.previous_secret.as_ref())
                    .map(|secret| VerifyingKey {
                        kid: key_id(secret),
                        key: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
                    })
                    .collect();
                (
                    key_id(&settings.secret),
                    EncodingKey::from_secret(settings.secret.expose_secret().as_bytes()),
                    verifying,
                    Vec::new(),
                )
            }
            JwtAlgorithm::EdDSA => {
                let current = match &settings.private_key {
                    Some(pem) => Ed25519Key::from_pem(pem.expose_secret())?,
                    None => Ed25519Key::derived_from(&settings.secret),
                };
                let mut public = vec![PublicJwk::new(current.public)];
                if let Some(pem) = &settings.previous_public_key {
                    public.push(PublicJwk::new(ed25519_public_from_pem(pem)?));
                }
                if let Some(previous) = &settings.previous_secret {
                    public.push(PublicJwk::new(Ed25519Key::derived_from(previous).public));
                }
                public.dedup_by(|a, b| a.kid == b.kid);
                let verifying = public
                    .iter()
                    .map(|jwk| VerifyingKey {
                        kid: jwk.kid.clone(),
                        key: DecodingKey::from_ed_der(&jwk.x),
                    })
                    .collect();
                (
                    public[0].kid.clone(),
                    EncodingKey::from_ed_der(&current.pkcs8),
                    verifying,
                    public,
                )
            }
        };
        Ok(Self {
            algorithm,
            kid,
            encoding,
            verifying: std::sync::Arc::new(verifying),
            public: std::sync::Arc::new(public),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: settings.ttl,
        })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The public keys that verify our tokens, current first (none with HS256).
    pub fn public_keys(&self) -> &[PublicJwk] {
        &self.public
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
        let mut header = Header::new(self.algorithm);
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
            algorithm: JwtAlgorithm::HS256,
            private_key: None,
            previous_public_key: None,
            secret: SecretString::from(secret),
            previous_secret: previous.map(SecretString::from),
            ttl: Duration::from_secs(3600),
            issuer: "iss".into(),
            audience: "aud".into(),
        }
    }

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&settings(secret, None)).unwrap()
    }

    fn ed_settings(private: Option<&str>, previous: Option<&str>) -> JwtSettings {
        JwtSettings {
            algorithm: JwtAlgorithm::EdDSA,
            private_key: private.map(SecretString::from),
            previous_public_key: previous.map(str::to_owned),
            ..settings(SECRET, None)
        }
    }

    /// `openssl genpkey -algorithm ed25519` (RFC 8032 test vector 1's seed).
    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----";

    #[test]
    fn eddsa_signs_with_the_configured_key_and_names_it_by_thumbprint() {
        let k = JwtKeys::new(&ed_settings(Some(PEM), None)).unwrap();
        let token = k.issue("abc", "s1", NOW).unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        // RFC 8037's example key: its public key and RFC 7638 thumbprint (appendix A.3).
        let jwk = &k.public_keys()[0];
        assert_eq!(
            URL_SAFE_NO_PAD.encode(jwk.x),
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(jwk.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assert_eq!(header.kid.as_deref(), Some(jwk.kid.as_str()));
        assert_eq!(k.verify(&token, NOW).unwrap().sid, "s1");
        // An HS256 token with the same claims (a confusion attempt) is refused.
        assert!(k
            .verify(&keys(SECRET).issue("abc", "s1", NOW).unwrap(), NOW)
            .is_none());
    }

    #[test]
    fn eddsa_rotation_verifies_the_previous_public_key_until_it_is_dropped() {
        let old = JwtKeys::new(&ed_settings(None, None)).unwrap();
        let old_token = old.issue("abc", "s", NOW).unwrap();
        let previous = Ed25519Key::derived_from(&SecretString::from(SECRET)).public_pem();
        let rotated = JwtKeys::new(&ed_settings(Some(PEM), Some(&previous))).unwrap();
        assert_eq!(rotated.public_keys().len(), 2);
        assert_eq!(rotated.public_keys()[1], old.public_keys()[0]);
        assert!(
            rotated.verify(&old_token, NOW).is_some(),
            "previous key verifies"
        );
        let new = rotated.issue("abc", "s", NOW).unwrap();
        assert!(old.verify(&new, NOW).is_none(), "signed with the new key");
        let dropped = JwtKeys::new(&ed_settings(Some(PEM), None)).unwrap();
        assert!(dropped.verify(&old_token, NOW).is_none());
        assert!(Ed25519Key::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .is_err());
        assert!(ed25519_public_from_pem(PEM).is_err());
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
        let rotated = JwtKeys::new(&settings(NEXT, Some(SECRET))).unwrap();
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

    /// Algorithm confusion: an attacker who knows the published public key (and guesses the
    /// secret the key is derived from is not theirs) signs HS256 with the key's own bytes,
    /// or with the JWT secret, under the EdDSA key's `kid`. Both are refused: the verifier
    /// accepts only the configured algorithm.
    #[test]
    fn an_eddsa_verifier_refuses_hs256_tokens_under_its_kid() {
        let k = JwtKeys::new(&ed_settings(None, None)).unwrap();
        let good = k.issue("abc", "s", NOW).unwrap();
        let claims = k.verify(&good, NOW).expect("its own token verifies");
        let public = &k.public_keys()[0];
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(public.kid.clone());
        for secret in [public.x.as_slice(), SECRET.as_bytes()] {
            let forged = encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap();
            assert!(k.verify(&forged, NOW).is_none());
        }
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
        // Unexpired claims with one thing changed.
        let live_but = |change: &dyn Fn(&mut Claims)| {
            let mut claims = Claims {
                exp: now + 100,
                ..base.clone()
            };
            change(&mut claims);
            claims
        };
        for (claims, refused) in [
            (base.clone(), "expired"),
            (
                live_but(&|c| (c.nbf, c.exp) = (now + 100, now + 200)),
                "not yet valid",
            ),
            (live_but(&|c| c.aud = "other".into()), "audience"),
            (live_but(&|c| c.iss = "other".into()), "issuer"),
        ] {
            assert!(
                k.verify(&k.sign(&claims).unwrap(), NOW).is_none(),
                "{refused}"
            );
        }

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
