use shared::{rules, ErrorCode};
use validator::ValidateEmail;

/// A syntactically valid address of at most 254 bytes with no whitespace or control
/// characters (so it can never inject a mail header). Kept as typed for sending; compared,
/// hashed and made unique through [`EmailAddress::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: String) -> Result<Self, ErrorCode> {
        rules::check_email(&raw)?;
        if !raw.validate_email() {
            return Err(ErrorCode::InvalidFormat);
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// NFC + lowercase: `Gildong@Example.com` and `gildong@example.com` are one address.
    pub fn key(&self) -> String {
        rules::normalize_email(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_and_invalid() {
        assert!(EmailAddress::parse("gildong@example.com".into()).is_ok());
        assert!(EmailAddress::parse("first.last+tag@sub.example.co.kr".into()).is_ok());
        assert_eq!(
            EmailAddress::parse("a@b@c.com".into()),
            Err(ErrorCode::InvalidFormat)
        );
        assert_eq!(
            EmailAddress::parse("a..b@example.com".into()),
            Err(ErrorCode::InvalidFormat)
        );
        assert_eq!(
            EmailAddress::parse("a@example.com\r\nBcc: x@example.com".into()),
            Err(ErrorCode::InvalidCharacters)
        );
        assert_eq!(
            EmailAddress::parse("a@example.com\n".into()),
            Err(ErrorCode::InvalidCharacters)
        );
    }

    #[test]
    fn keys_fold_case() {
        let a = EmailAddress::parse("GilDong@Example.COM".into()).unwrap();
        assert_eq!(a.key(), "gildong@example.com");
        assert_eq!(a.as_str(), "GilDong@Example.COM");
    }

    proptest! {
        #[test]
        fn parsed_addresses_are_header_safe(s in any::<String>()) {
            if let Ok(e) = EmailAddress::parse(s) {
                prop_assert!(!e.as_str().contains(['\r', '\n', ' ', '\t', '<', '>']));
                prop_assert!(e.as_str().len() <= 254);
            }
        }

        #[test]
        fn ordinary_addresses_parse(local in "[a-z0-9]{1,20}", domain in "[a-z]{1,20}", tld in "[a-z]{2,6}") {
            let raw = format!("{local}@{domain}.{tld}");
            prop_assert!(EmailAddress::parse(raw).is_ok());
        }
    }
}
