//! The second factor's cryptography: TOTP (RFC 6238 through `totp-rs`), the TOTP secrets
//! encrypted at rest, recovery codes and the tickets of the two-step login. Storage is in
//! `store::mfa`, the HTTP side in `routes::mfa` and `routes::login_mfa`.
//!
//! - A TOTP secret is stored sealed with ChaCha20-Poly1305 under `APP_MFA_ENCRYPTION_KEY`
//!   (a random nonce per encryption, the account id as associated data: a sealed secret copied
//!   into another account's document does not open there).
//! - Recovery codes are stored as HMAC-SHA256 under a key derived from the MFA key: 50 random
//!   bits each are far beyond an online guess, and a database dump alone (without the key)
//!   gives nothing to brute-force offline.
//! - A login ticket is 32 random bytes; only its SHA-256 is stored.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    ChaCha20Poly1305, Key, Nonce,
};
use hmac::Mac;
use mongodb::bson::oid::ObjectId;
use rand::{rngs::OsRng, RngCore};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::config::MfaSettings;

/// RFC 6238 parameters every authenticator app supports.
pub const DIGITS: usize = 6;
pub const STEP_SECS: u64 = 30;
/// Steps of clock skew accepted on either side of the current one.
pub const SKEW_STEPS: u64 = 1;
/// RFC 4226 recommends 160-bit secrets.
const SECRET_BYTES: usize = 20;
/// Codes in a set of recovery codes.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code (5 bits each: 50 bits).
const RECOVERY_CHARS: usize = 10;
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const SEALED_PREFIX: &str = "v1.";
const TICKET_PREFIX: &str = "mfa1_";

/// The keys made from `APP_MFA_ENCRYPTION_KEY`, and the issuer apps show.
pub struct MfaKeys {
    cipher: ChaCha20Poly1305,
    recovery_key: [u8; 32],
    issuer: String,
}

impl MfaKeys {
    pub fn new(settings: &MfaSettings) -> Self {
        let key = settings.key.expose_secret();
        // The recovery-code key is derived with a label of its own (HMAC as a PRF), so the
        // cipher key is never used for anything else.
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
            recovery_key: crate::auth::keys::derive(key, "emailauth recovery codes v1"),
            issuer: settings.issuer.clone(),
        }
    }

    /// Encrypts a TOTP secret of `user`: `v1.` and base64url(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, user: &ObjectId, secret: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &user.bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing a TOTP secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Decrypts what [`MfaKeys::seal`] made for the same `user`. An error means a different
    /// key or a tampered document: an internal error, never a client's.
    pub fn open(&self, user: &ObjectId, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let raw = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|raw| raw.len() > 12)
            .ok_or_else(|| anyhow::anyhow!("a stored TOTP secret is malformed"))?;
        let (nonce, ciphertext) = raw.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &user.bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "a stored TOTP secret does not open (APP_MFA_ENCRYPTION_KEY changed?)"
                )
            })
    }

    /// The stored form of a (normalised) recovery code of `user`: hex HMAC-SHA256.
    pub fn recovery_hash(&self, user: &ObjectId, code: &RecoveryCode) -> String {
        let mut mac = crate::auth::keys::hmac(&self.recovery_key);
        mac.update(&user.bytes());
        mac.update(&[0]);
        mac.update(code.0.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The generator of the secret `sealed` for `user` ([`MfaKeys::seal`]), labelled with the
    /// issuer and `account`.
    pub fn open_totp(&self, user: &ObjectId, sealed: &str, account: &str) -> anyhow::Result<TOTP> {
        self.totp(self.open(user, sealed)?, account)
    }

    /// The `totp-rs` generator for `secret`, labelled with the issuer and `account`.
    pub fn totp(&self, secret: Vec<u8>, account: &str) -> anyhow::Result<TOTP> {
        // `:` separates issuer and account in the URI label; usernames cannot contain it, and
        // the issuer is checked at start-up, but a label must never be able to fail a login.
        let account = account.replace(':', "_");
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            u8::try_from(SKEW_STEPS).unwrap_or(1),
            STEP_SECS,
            secret,
            Some(self.issuer.clone()),
            account,
        )
        .map_err(|e| anyhow::anyhow!("building a TOTP generator: {e}"))
    }
}

/// A fresh random TOTP secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    secret
}

/// The time step (Unix seconds / 30) whose code `code` is, within ±[`SKEW_STEPS`] of
/// `now_secs`; `None` when it is none of them. Every candidate is compared (constant time),
/// so the answer's timing does not tell which step matched.
pub fn matching_step(totp: &TOTP, code: &str, now_secs: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now_secs / STEP_SECS;
    let mut found = None;
    for step in current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS {
        let expected = totp.generate(step * STEP_SECS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// A recovery code as typed, normalised: lowercase, without dashes or spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// `None` for anything that cannot be a recovery code (then it is simply wrong).
    pub fn parse(input: &str) -> Option<Self> {
        let normalised: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        (normalised.len() == RECOVERY_CHARS
            && normalised.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then_some(Self(normalised))
    }
}

/// A new set of recovery codes, as shown to the owner (`xxxxx-xxxxx`).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CHARS];
            OsRng.fill_bytes(&mut bytes);
            // 32 divides 256: `b % 32` is uniform.
            let chars: String = bytes
                .iter()
                .map(|b| char::from(RECOVERY_ALPHABET[usize::from(b % 32)]))
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A new login ticket: `mfa1_` and 32 random bytes, base64url.
pub fn new_ticket() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{TICKET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored of a ticket (and of a password hash, to notice that it changed): hex SHA-256.
pub fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> MfaKeys {
        let settings = MfaSettings {
            issuer: "emailauth".into(),
            key: std::sync::Arc::new(secrecy::SecretBox::new(Box::new([7u8; 32]))),
            ticket_ttl: std::time::Duration::from_secs(300),
            ticket_max_attempts: 5,
            max_failures: 10,
            failure_window: std::time::Duration::from_secs(900),
            step_up_ttl: std::time::Duration::from_secs(300),
        };
        MfaKeys::new(&settings)
    }

    #[test]
    fn sealed_secrets_open_only_for_their_account_and_never_repeat() {
        let keys = keys();
        let (a, b) = (ObjectId::new(), ObjectId::new());
        let secret = new_secret();
        let one = keys.seal(&a, &secret).unwrap();
        let two = keys.seal(&a, &secret).unwrap();
        assert_ne!(one, two, "a fresh nonce each time");
        assert_eq!(keys.open(&a, &one).unwrap(), secret);
        assert!(keys.open(&b, &one).is_err(), "bound to the account");
        let mut tampered = one.clone();
        tampered.pop();
        tampered.push(if one.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.open(&a, &tampered).is_err());
    }

    #[test]
    fn codes_match_their_step_within_one_step_of_skew() {
        let keys = keys();
        let totp = keys.totp(new_secret(), "hong").unwrap();
        let now = 1_700_000_000;
        let step = now / STEP_SECS;
        for offset in [-1i64, 0, 1] {
            let t = (now as i64 + offset * STEP_SECS as i64) as u64;
            assert_eq!(
                matching_step(&totp, &totp.generate(t), now),
                Some(t / STEP_SECS)
            );
        }
        for offset in [-2i64, 2] {
            let t = (now as i64 + offset * STEP_SECS as i64) as u64;
            let code = totp.generate(t);
            // A code of another step may collide by chance with one in the window (1 in 10^6).
            let collides = (step - 1..=step + 1).any(|s| totp.generate(s * STEP_SECS) == code);
            assert!(collides || matching_step(&totp, &code, now).is_none());
        }
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
        assert!(totp
            .get_url()
            .starts_with("otpauth://totp/emailauth:hong?secret="));
    }

    #[test]
    fn recovery_codes_are_normalised_and_hashed_per_account() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let keys = keys();
        let user = ObjectId::new();
        let code = &codes[0];
        assert_eq!(code.len(), 11);
        let parsed = RecoveryCode::parse(code).unwrap();
        let typed =
            RecoveryCode::parse(&format!(" {} ", code.to_uppercase().replace('-', " "))).unwrap();
        assert_eq!(parsed, typed);
        assert_eq!(
            keys.recovery_hash(&user, &parsed),
            keys.recovery_hash(&user, &typed)
        );
        assert_ne!(
            keys.recovery_hash(&user, &parsed),
            keys.recovery_hash(&ObjectId::new(), &parsed)
        );
        assert!(RecoveryCode::parse("short").is_none());
        assert!(
            RecoveryCode::parse("abcde-fghi1").is_none(),
            "1 is not base32"
        );
    }
}
