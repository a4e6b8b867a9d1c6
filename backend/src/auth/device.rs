//! The device cookie (OWASP's "device cookies" against account lock-out): proof that this
//! client has signed in to this account before, with the account's current credentials, so
//! that its failed attempts are counted apart from everyone else's and a stranger's guessing
//! cannot lock the owner out.
//!
//! The value is `<device id>.<tag>`: 16 random bytes in hex, and an HMAC-SHA256 over the id,
//! the account id and the account's credential epoch under a key of its own, derived from the
//! code pepper with a distinct label (a tag can never pass for a code MAC, nor one account's
//! cookie for another's). The epoch is a random value on the account, replaced whenever its
//! password is changed or reset and whenever its second factors are reset: every cookie issued
//! before then stops proving anything, so a cookie taken by someone who once knew the password
//! buys nothing after the owner changes it, and a cookie of a deleted account proves nothing
//! for whoever registers the name next (another account id). The server keeps no other state
//! for it: a valid tag is the whole proof.

use actix_web::{http::header, HttpRequest};
use hmac::{Hmac, Mac};
use mongodb::bson::oid::ObjectId;
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

/// Whose device a cookie proves: the account and its current credential epoch.
#[derive(Debug, Clone, Copy)]
pub struct DeviceOwner<'a> {
    pub account: &'a ObjectId,
    pub epoch: &'a str,
}

impl DeviceKeys {
    pub fn new(pepper: &SecretString) -> Self {
        Self {
            key: super::keys::derive(
                pepper.expose_secret().as_bytes(),
                "emailauth login device cookie key v2",
            ),
        }
    }

    /// The device id and the account id come first: both have a fixed length, so no epoch can
    /// make two different triples feed the MAC the same bytes.
    fn mac(&self, owner: DeviceOwner<'_>, id: &str) -> Hmac<Sha256> {
        let mut mac = super::keys::hmac(&self.key);
        mac.update(id.as_bytes());
        mac.update(&owner.account.bytes());
        mac.update(owner.epoch.as_bytes());
        mac
    }

    /// A cookie value for a new device of `owner`.
    pub fn issue(&self, owner: DeviceOwner<'_>) -> String {
        let mut id = [0u8; ID_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut id);
        self.sign(owner, &hex::encode(id))
    }

    /// The cookie value for device `id` of `owner` (to renew a known device's cookie).
    pub fn sign(&self, owner: DeviceOwner<'_>, id: &str) -> String {
        let tag = self.mac(owner, id).finalize().into_bytes();
        format!("{id}.{}", hex::encode(tag))
    }

    /// The device id in `value` when it is a device cookie of `owner`; the tag is compared in
    /// constant time. Anything else (another account's cookie, one from before the epoch
    /// changed, a tampered or truncated one, garbage) is `None`.
    pub fn verify(&self, owner: DeviceOwner<'_>, value: &str) -> Option<String> {
        let (id, tag) = value.split_once('.')?;
        let well_formed = id.len() == 2 * ID_BYTES
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        self.mac(owner, id).verify_slice(&tag).ok()?;
        Some(id.to_owned())
    }
}

/// A fresh credential epoch (16 random bytes, hex).
pub fn new_epoch() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
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

/// The `Set-Cookie` value for a device cookie: sent back to the API only (every way of signing
/// in, the second step and re-authentication read it), out of reach of scripts (`HttpOnly`)
/// and of other sites' requests (`SameSite=Strict`).
pub fn set_device_cookie(value: &str, max_age: std::time::Duration, secure: bool) -> String {
    format!(
        "{DEVICE_COOKIE}={value}; Max-Age={}; Path=/api; HttpOnly; SameSite=Strict{}",
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
    fn a_cookie_proves_its_account_and_epoch_only_and_survives_no_tampering() {
        let k = keys(PEPPER);
        let account = ObjectId::new();
        let owner = DeviceOwner {
            account: &account,
            epoch: "e1",
        };
        let value = k.issue(owner);
        let id = k.verify(owner, &value).expect("own cookie verifies");
        assert_eq!(id.len(), 32);
        assert_eq!(k.sign(owner, &id), value, "renewal keeps the value");
        assert_ne!(k.issue(owner), value, "fresh ids");

        let other = ObjectId::new();
        let another_account = DeviceOwner {
            account: &other,
            epoch: "e1",
        };
        assert_eq!(k.verify(another_account, &value), None, "another account");
        let new_epoch = DeviceOwner {
            account: &account,
            epoch: "e2",
        };
        assert_eq!(k.verify(new_epoch, &value), None, "the credentials changed");
        assert_eq!(
            keys("pepper-two-0123456789abcdef012345").verify(owner, &value),
            None,
            "another pepper"
        );
        // Flip one character of the id, then of the tag.
        for at in [0, value.len() - 1] {
            let mut bytes = value.clone().into_bytes();
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert_eq!(k.verify(owner, &tampered), None, "{tampered}");
        }
        let (id_part, tag) = value.split_once('.').unwrap();
        assert_eq!(k.verify(owner, id_part), None, "no tag");
        assert_eq!(k.verify(owner, &format!("{id_part}.")), None);
        assert_eq!(k.verify(owner, &format!("{id_part}.{}", &tag[..62])), None);
        assert_eq!(
            k.verify(owner, &format!("{}.{tag}", id_part.to_uppercase())),
            None,
            "only the canonical form"
        );
        assert_eq!(k.verify(owner, ""), None);
        assert_eq!(k.verify(owner, "."), None);
        assert_ne!(new_epoch_value(), new_epoch_value());
    }

    fn new_epoch_value() -> String {
        new_epoch()
    }

    #[test]
    fn the_mac_key_is_not_the_pepper() {
        // A tag made with the bare pepper as the key is not a valid cookie.
        let account = ObjectId::new();
        let owner = DeviceOwner {
            account: &account,
            epoch: "",
        };
        let id = "00112233445566778899aabbccddeeff";
        let mut mac = super::super::keys::hmac(PEPPER.as_bytes());
        mac.update(id.as_bytes());
        mac.update(&account.bytes());
        let forged = format!("{id}.{}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(keys(PEPPER).verify(owner, &forged), None);
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
    fn the_cookie_is_scoped_to_the_api_and_secure_when_asked() {
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(
            set_device_cookie("v", day, false),
            "emailauth_device=v; Max-Age=86400; Path=/api; HttpOnly; SameSite=Strict"
        );
        assert!(set_device_cookie("v", day, true).ends_with("; Secure"));
    }
}
