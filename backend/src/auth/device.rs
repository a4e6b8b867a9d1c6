//! The login device cookie (OWASP's "device cookies" against account lock-out): proof that
//! this client has logged in to this account before, so that its failed logins are counted
//! apart from everyone else's and a stranger's guessing cannot lock the owner out.
//!
//! The value is `<device id>.<tag>`: 16 random bytes in hex, and an HMAC-SHA256 over the id
//! and the account's username key under a key of its own, derived from the code pepper with a
//! distinct label (a tag can never pass for a code MAC, nor one account's cookie for
//! another's). The server keeps no state for it: a valid tag is the whole proof.

use actix_web::{http::header, HttpRequest};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

pub const DEVICE_COOKIE: &str = "emailauth_device";

/// Bytes of randomness in a device id (hex-encoded in the cookie).
const ID_BYTES: usize = 16;

/// Signs and checks device cookies.
#[derive(Clone)]
pub struct DeviceKeys {
    key: [u8; 32],
}

impl DeviceKeys {
    pub fn new(pepper: &SecretString) -> Self {
        let mut derive = hmac_with(pepper.expose_secret().as_bytes());
        derive.update(b"emailauth login device cookie key v1");
        Self {
            key: derive.finalize().into_bytes().into(),
        }
    }

    /// The device id comes first: it has a fixed length, so no choice of username can make
    /// two different (id, account) pairs feed the MAC the same bytes.
    fn mac(&self, account: &str, id: &str) -> Hmac<Sha256> {
        let mut mac = hmac_with(&self.key);
        mac.update(id.as_bytes());
        mac.update(account.as_bytes());
        mac
    }

    /// A cookie value for a new device of `account`.
    pub fn issue(&self, account: &str) -> String {
        let mut id = [0u8; ID_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut id);
        self.sign(account, &hex::encode(id))
    }

    /// The cookie value for device `id` of `account` (to renew a known device's cookie).
    pub fn sign(&self, account: &str, id: &str) -> String {
        let tag = self.mac(account, id).finalize().into_bytes();
        format!("{id}.{}", hex::encode(tag))
    }

    /// The device id in `value` when it is a device cookie of `account`; the tag is compared
    /// in constant time. Anything else (another account's cookie, a tampered or truncated
    /// one, garbage) is `None`.
    pub fn verify(&self, account: &str, value: &str) -> Option<String> {
        let (id, tag) = value.split_once('.')?;
        let well_formed = id.len() == 2 * ID_BYTES
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        self.mac(account, id).verify_slice(&tag).ok()?;
        Some(id.to_owned())
    }
}

fn hmac_with(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

/// Every value the client sent for the device cookie (a browser may hold more than one, e.g.
/// from different paths); the caller takes the first that verifies.
pub fn device_cookies(req: &HttpRequest) -> impl Iterator<Item = &str> {
    cookie_values(req, DEVICE_COOKIE)
}

/// Every value the client sent for the cookie `wanted`, in order.
pub fn cookie_values<'a>(req: &'a HttpRequest, wanted: &'a str) -> impl Iterator<Item = &'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(name, _)| *name == wanted)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

/// The `Set-Cookie` value for a device cookie: sent back only to `/api/login`, out of reach of
/// scripts (`HttpOnly`) and of other sites' requests (`SameSite=Strict`).
pub fn set_device_cookie(value: &str, max_age: std::time::Duration, secure: bool) -> String {
    format!(
        "{DEVICE_COOKIE}={value}; Max-Age={}; Path=/api/login; HttpOnly; SameSite=Strict{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn keys(pepper: &str) -> DeviceKeys {
        DeviceKeys::new(&SecretString::from(pepper))
    }

    const PEPPER: &str = "pepper-one-0123456789abcdef012345";

    #[test]
    fn a_cookie_proves_its_account_only_and_survives_no_tampering() {
        let k = keys(PEPPER);
        let value = k.issue("gildong");
        let id = k.verify("gildong", &value).expect("own cookie verifies");
        assert_eq!(id.len(), 32);
        assert_eq!(k.sign("gildong", &id), value, "renewal keeps the value");
        assert_ne!(k.issue("gildong"), value, "fresh ids");

        assert_eq!(k.verify("other", &value), None, "another account");
        assert_eq!(
            keys("pepper-two-0123456789abcdef012345").verify("gildong", &value),
            None,
            "another pepper"
        );
        // Flip one character of the id, then of the tag.
        for at in [0, value.len() - 1] {
            let mut bytes = value.clone().into_bytes();
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert_eq!(k.verify("gildong", &tampered), None, "{tampered}");
        }
        let (id_part, tag) = value.split_once('.').unwrap();
        assert_eq!(k.verify("gildong", id_part), None, "no tag");
        assert_eq!(k.verify("gildong", &format!("{id_part}.")), None);
        assert_eq!(
            k.verify("gildong", &format!("{id_part}.{}", &tag[..62])),
            None
        );
        assert_eq!(
            k.verify("gildong", &format!("{}.{tag}", id_part.to_uppercase())),
            None,
            "only the canonical form"
        );
        assert_eq!(k.verify("gildong", ""), None);
        assert_eq!(k.verify("gildong", "."), None);
    }

    #[test]
    fn the_mac_key_is_not_the_pepper() {
        // A tag made with the bare pepper as the key is not a valid cookie.
        let id = "00112233445566778899aabbccddeeff";
        let mut mac = hmac_with(PEPPER.as_bytes());
        mac.update(id.as_bytes());
        mac.update(b"gildong");
        let forged = format!("{id}.{}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(keys(PEPPER).verify("gildong", &forged), None);
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let req = TestRequest::default()
            .insert_header((header::COOKIE, "a=1; emailauth_device=first"))
            .append_header((header::COOKIE, "emailauth_device=\"second\"; b=2"))
            .to_http_request();
        assert_eq!(
            device_cookies(&req).collect::<Vec<_>>(),
            ["first", "second"]
        );
        let none = TestRequest::default().to_http_request();
        assert_eq!(device_cookies(&none).count(), 0);
    }

    #[test]
    fn the_cookie_is_scoped_to_login_and_secure_when_asked() {
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(
            set_device_cookie("v", day, false),
            "emailauth_device=v; Max-Age=86400; Path=/api/login; HttpOnly; SameSite=Strict"
        );
        assert!(set_device_cookie("v", day, true).ends_with("; Secure"));
    }
}
