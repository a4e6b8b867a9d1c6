use shared::{rules, ErrorCode};
use validator::ValidateEmail;

/// A syntactically valid address of at most 254 bytes with no whitespace, control or
/// header-special characters (so it can never inject a mail header), whose domain is a host
/// name and never an IP address (`x@[10.0.0.5]`, `x@127.0.0.1`: the relay would deliver to a
/// host of the client's choosing). Kept as typed for sending; compared, hashed and made unique
/// through [`EmailAddress::key`].
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
    use shared::strategies::{address, with_breakers};

    #[test]
    fn valid_and_invalid() {
        assert!(EmailAddress::parse("gildong@example.com".into()).is_ok());
        assert!(EmailAddress::parse("first.last+tag@sub.example.co.kr".into()).is_ok());
        for (raw, refused) in [
            ("a@b@c.com", ErrorCode::InvalidFormat),
            ("a..b@example.com", ErrorCode::InvalidFormat),
            (
                "a@example.com\r\nBcc: x@example.com",
                ErrorCode::InvalidCharacters,
            ),
            ("a@example.com\n", ErrorCode::InvalidCharacters),
        ] {
            assert_eq!(EmailAddress::parse(raw.into()), Err(refused), "{raw:?}");
        }
    }

    #[test]
    fn ip_literal_domains_are_invalid_format() {
        // Each of these passes the full address syntax on its own (IP literals are valid
        // RFC 5321 domains): the shared rule refuses them first.
        for raw in [
            "x@[10.0.0.5]",
            "x@127.0.0.1",
            "x@[IPv6:::1]",
            "x@[::1]",
            "x@[IPv6:2001:db8::1]",
            "x@192.168.0.1",
            "x@0x7f.0.0.1",
            "x@\u{FF11}\u{FF12}\u{FF17}.\u{FF10}.\u{FF10}.\u{FF11}",
        ] {
            assert_eq!(
                EmailAddress::parse(raw.into()),
                Err(ErrorCode::InvalidFormat),
                "{raw}"
            );
        }
        assert!(EmailAddress::parse("x@123.example.com".into()).is_ok());
    }

    #[test]
    fn keys_fold_case() {
        let a = EmailAddress::parse("GilDong@Example.COM".into()).unwrap();
        assert_eq!(a.key(), "gildong@example.com");
        assert_eq!(a.as_str(), "GilDong@Example.COM");
    }

    proptest! {
        #[test]
        fn ordinary_addresses_parse(raw in address()) {
            let parsed = EmailAddress::parse(raw.clone());
            prop_assert_eq!(parsed.map(|e| e.as_str().to_owned()), Ok(raw));
        }

        /// Every header-breaking character, anywhere in an otherwise valid address, is refused:
        /// nothing that could end or split a `To:` header ever reaches the mailer.
        #[test]
        fn addresses_with_header_breaking_characters_never_parse(broken in with_breakers()) {
            prop_assert!(
                EmailAddress::parse(broken.clone()).is_err(),
                "{:?} parsed",
                broken
            );
        }
    }
}
