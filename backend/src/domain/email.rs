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

    /// Addresses of the ordinary shape: local parts with dots and the usual symbols, host names
    /// of one to three labels (digits and hyphens inside), an alphabetic top-level domain.
    fn address() -> impl Strategy<Value = String> {
        (
            "[a-zA-Z0-9]([a-zA-Z0-9_+-]{0,8}[a-zA-Z0-9])?(\\.[a-z0-9]{1,8}){0,2}",
            "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?){0,2}",
            "[a-z]{2,6}",
        )
            .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
    }

    /// Characters that end a header line (CR, LF and every other line or space separator,
    /// NUL), split or close an address in one (`<`, `>`, `,`, `;`, quotes, backslash,
    /// parentheses), or make it a literal (brackets, colon, a second `@`).
    const BREAKERS: [char; 21] = [
        '\r', '\n', '<', '>', '\t', ' ', '\0', '\u{85}', '\u{A0}', '\u{2028}', '\u{2029}', ',',
        ';', '"', '\\', '(', ')', '[', ']', ':', '@',
    ];

    proptest! {
        #[test]
        fn ordinary_addresses_parse(raw in address()) {
            let parsed = EmailAddress::parse(raw.clone());
            prop_assert_eq!(parsed.map(|e| e.as_str().to_owned()), Ok(raw));
        }

        /// Every header-breaking character, anywhere in an otherwise valid address, is refused:
        /// nothing that could end or split a `To:` header ever reaches the mailer.
        #[test]
        fn addresses_with_header_breaking_characters_never_parse(
            raw in address(),
            injections in prop::collection::vec(
                (any::<prop::sample::Index>(), prop::sample::select(&BREAKERS[..])),
                1..=3,
            ),
        ) {
            let mut chars: Vec<char> = raw.chars().collect();
            for (at, c) in injections {
                chars.insert(at.index(chars.len() + 1), c);
            }
            let broken: String = chars.into_iter().collect();
            prop_assert!(
                EmailAddress::parse(broken.clone()).is_err(),
                "{:?} parsed",
                broken
            );
        }
    }
}
