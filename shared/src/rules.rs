//! Input rules, one definition for both sides: the server's domain types parse with these, the
//! client checks forms with the same functions before it sends anything.
//!
//! Every check returns the field-level [`ErrorCode`] of the first rule that fails.

use crate::problem::ErrorCode;

/// Unicode normalization: NFC, NFKC, and whether a text is in NFKC already. Without the
/// `unicode-tables` feature (the WASM client) the text is taken as it comes and counts as NFKC:
/// the caller has normalized it already and checked the NFKC rule itself (with the browser's
/// `normalize`), and the server, which has the tables, catches a fullwidth address literal the
/// client let through.
#[cfg(feature = "unicode-tables")]
mod normalize {
    use unicode_normalization::UnicodeNormalization;

    pub fn nfc(s: &str) -> String {
        s.nfc().collect()
    }

    pub fn nfkc(s: &str) -> String {
        s.nfkc().collect()
    }

    pub use unicode_normalization::is_nfkc;
}

#[cfg(not(feature = "unicode-tables"))]
mod normalize {
    pub fn nfc(s: &str) -> String {
        s.to_owned()
    }

    pub use nfc as nfkc;

    pub fn is_nfkc(_: &str) -> bool {
        true
    }
}

use normalize::{is_nfkc, nfc, nfkc};

/// Username length in ASCII characters.
pub const USERNAME_MIN_LEN: usize = 3;
pub const USERNAME_MAX_LEN: usize = 20;
/// Nickname length in Unicode characters, after NFC and trimming.
pub const NICKNAME_MIN_LEN: usize = 2;
pub const NICKNAME_MAX_LEN: usize = 20;
/// Email length in bytes (RFC 5321 path limit).
pub const EMAIL_MAX_BYTES: usize = 254;
/// Local part length in bytes (RFC 5321).
pub const EMAIL_LOCAL_MAX_BYTES: usize = 64;
/// Password length in Unicode characters.
pub const PASSWORD_MIN_LEN: usize = 8;
pub const PASSWORD_MAX_LEN: usize = 128;
/// Digits in a verification code.
pub const CODE_LEN: usize = 6;

/// Characters that render as nothing but count as letters (Hangul fillers): refused in
/// nicknames so that nobody can register an invisible or look-alike-blank name.
const INVISIBLE_LETTERS: [char; 4] = ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}'];

/// `true` for the characters a username may contain.
pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Usernames: 3–20 ASCII letters, digits or `_`.
pub fn check_username(raw: &str) -> Result<(), ErrorCode> {
    if raw.is_empty() {
        return Err(ErrorCode::Required);
    }
    if !raw.chars().all(is_username_char) {
        return Err(ErrorCode::InvalidCharacters);
    }
    length(raw.len(), USERNAME_MIN_LEN, USERNAME_MAX_LEN)
}

/// The form a nickname is stored and compared in: Unicode NFC, surrounding whitespace removed.
pub fn normalize_nickname(raw: &str) -> String {
    nfc(raw).trim().to_owned()
}

/// Scripts whose letters pass for one another (Latin a/o/p, Cyrillic а/о/р, Greek ο/ρ): a
/// nickname may use any one of them, but not mix them, so "pаypal" (Cyrillic а) cannot pose
/// as "paypal".
fn confusable_script(c: char) -> Option<u8> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Some(0),
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(1),
        '\u{0400}'..='\u{052F}' | '\u{2DE0}'..='\u{2DFF}' | '\u{A640}'..='\u{A69F}' => Some(2),
        _ => None,
    }
}

/// `true` for the characters a nickname may contain besides single inner spaces.
pub fn is_nickname_char(c: char) -> bool {
    c.is_alphanumeric() && !INVISIBLE_LETTERS.contains(&c)
}

/// Nicknames, checked on their [`normalize_nickname`] form: 2–20 characters, letters and
/// digits of any script, single spaces between words; no control, format (zero-width) or
/// invisible characters.
pub fn check_nickname(normalized: &str) -> Result<(), ErrorCode> {
    if normalized.is_empty() {
        return Err(ErrorCode::Required);
    }
    // No compatibility forms that imitate plain letters (fullwidth, mathematical, circled).
    if !is_nfkc(normalized) {
        return Err(ErrorCode::InvalidCharacters);
    }
    let mut scripts = normalized.chars().filter_map(confusable_script);
    if let Some(first) = scripts.next() {
        if scripts.any(|s| s != first) {
            return Err(ErrorCode::InvalidCharacters);
        }
    }
    let mut previous_space = false;
    for c in normalized.chars() {
        if c == ' ' {
            if previous_space {
                return Err(ErrorCode::InvalidCharacters);
            }
            previous_space = true;
        } else if is_nickname_char(c) {
            previous_space = false;
        } else {
            return Err(ErrorCode::InvalidCharacters);
        }
    }
    length(
        normalized.chars().count(),
        NICKNAME_MIN_LEN,
        NICKNAME_MAX_LEN,
    )
}

/// Characters that end or split an address in a mail header (`To: a@b.c, x@y.z`,
/// `<a@b.c>`, comments in parentheses, quoted strings): never part of an address we accept.
/// `[`, `]` and `:` are refused too, as the syntax of address literals (see [`check_email`]).
const HEADER_SPECIALS: [char; 8] = ['<', '>', ',', ';', '"', '\\', '(', ')'];

/// The shape every email address must have: at most 254 bytes, no whitespace, control or
/// header-special characters (no header injection), one `@` with a local part of at most 64
/// bytes and a dotted host name. The server additionally applies full address-syntax
/// validation.
///
/// The domain must be a name, never an address: `x@[10.0.0.5]`, `x@[IPv6:::1]`,
/// `x@127.0.0.1` (or `x@0x7f.1`, or in fullwidth digits) would have the relay deliver to
/// whatever host the client names, inside our network included, so they are `invalid_format`.
pub fn check_email(raw: &str) -> Result<(), ErrorCode> {
    if raw.is_empty() {
        return Err(ErrorCode::Required);
    }
    if raw.len() > EMAIL_MAX_BYTES {
        return Err(ErrorCode::TooLong);
    }
    if raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || HEADER_SPECIALS.contains(&c))
    {
        return Err(ErrorCode::InvalidCharacters);
    }
    let Some((local, domain)) = raw.split_once('@') else {
        return Err(ErrorCode::InvalidFormat);
    };
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
        && !is_address_literal(domain);
    let local_ok = !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX_BYTES
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.contains(['[', ']', ':']);
    if !local_ok || !domain_ok {
        return Err(ErrorCode::InvalidFormat);
    }
    Ok(())
}

/// `true` when an email domain is, or would be read as, an IP address: a bracketed literal
/// (`[10.0.0.5]`, `[IPv6:::1]`), anything with a colon (IPv6), or a name whose last label is a
/// number (`127.0.0.1`, `10.1`, `0x7f.0.0.1`: the forms `inet_aton` and URL parsers take for
/// IPv4; no top-level domain is numeric). Checked after NFKC and with the full stops that IDNA
/// maps to `.`, so `１２７.０.０.１` or `127。0。0。1` are caught as well.
fn is_address_literal(domain: &str) -> bool {
    let folded: String = nfkc(domain)
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
            c => c,
        })
        .collect();
    if folded.contains(['[', ']', ':']) {
        return true;
    }
    let last = folded
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or("");
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|digits| digits.chars().all(|c| c.is_ascii_hexdigit()));
    hex || (!last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
}

/// The form an email address is compared, hashed and stored in for uniqueness: NFC, lowercase,
/// NFC again (lowercasing can leave combining marks out of canonical order, e.g. `İ` → `i̇`, so
/// that two canonically equivalent addresses would get different keys).
pub fn normalize_email(raw: &str) -> String {
    nfc(&nfc(raw).to_lowercase())
}

/// Shortest username or email local part that a password may not contain: shorter ones
/// (`a@…`) would forbid ordinary passwords.
pub const PERSONAL_PART_MIN_LEN: usize = 3;

/// Passwords: 8–128 Unicode characters, and not containing the username or the email
/// address's local part (compared case-insensitively). The server also refuses the most common
/// passwords (`common_password`), a list too large to ship to the browser.
pub fn check_password(password: &str, username: &str, email: &str) -> Result<(), ErrorCode> {
    if password.is_empty() {
        return Err(ErrorCode::Required);
    }
    length(password.chars().count(), PASSWORD_MIN_LEN, PASSWORD_MAX_LEN)?;
    let lowered = password.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    let contains = |part: &str| {
        part.chars().count() >= PERSONAL_PART_MIN_LEN && lowered.contains(&part.to_lowercase())
    };
    if contains(username) || contains(local_part) {
        return Err(ErrorCode::WeakPassword);
    }
    Ok(())
}

/// Verification codes: exactly six ASCII digits.
pub fn check_code(raw: &str) -> Result<(), ErrorCode> {
    if raw.is_empty() {
        return Err(ErrorCode::Required);
    }
    if raw.len() != CODE_LEN || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ErrorCode::InvalidFormat);
    }
    Ok(())
}

fn length(len: usize, min: usize, max: usize) -> Result<(), ErrorCode> {
    if len < min {
        Err(ErrorCode::TooShort)
    } else if len > max {
        Err(ErrorCode::TooLong)
    } else {
        Ok(())
    }
}

// The rules as the server has them (the tables on, as by default).
#[cfg(all(test, feature = "unicode-tables"))]
mod tests {
    use super::*;
    use crate::strategies::{address, two_sided, with_breakers};
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn usernames() {
        let too_long = "a".repeat(21);
        for (raw, expected) in [
            ("abc", Ok(())),
            ("Hong_Gildong_2024", Ok(())),
            ("", Err(ErrorCode::Required)),
            ("ab", Err(ErrorCode::TooShort)),
            (&too_long, Err(ErrorCode::TooLong)),
            ("홍길동", Err(ErrorCode::InvalidCharacters)),
            ("a b c", Err(ErrorCode::InvalidCharacters)),
            // Cyrillic 'а' looks like Latin 'a'.
            ("\u{430}dmin", Err(ErrorCode::InvalidCharacters)),
        ] {
            assert_eq!(check_username(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn nicknames() {
        let too_long = "가".repeat(21);
        for (raw, expected) in [
            ("길동", Ok(())),
            ("  홍 길동  ", Ok(())),
            ("Kim 2", Ok(())),
            ("가", Err(ErrorCode::TooShort)),
            ("   ", Err(ErrorCode::Required)),
            (&too_long, Err(ErrorCode::TooLong)),
            ("a  b", Err(ErrorCode::InvalidCharacters)),
            ("ab\u{200B}c", Err(ErrorCode::InvalidCharacters)),
            ("ab\u{200D}c", Err(ErrorCode::InvalidCharacters)),
            ("ab\u{FEFF}", Err(ErrorCode::InvalidCharacters)),
            ("ab\ncd", Err(ErrorCode::InvalidCharacters)),
            ("\u{3164}\u{3164}", Err(ErrorCode::InvalidCharacters)),
            ("a<b>", Err(ErrorCode::InvalidCharacters)),
            // Look-alikes: mixed Latin/Cyrillic, fullwidth, mathematical bold.
            ("p\u{430}ypal", Err(ErrorCode::InvalidCharacters)),
            ("\u{FF50}\u{FF41}ypal", Err(ErrorCode::InvalidCharacters)),
            ("\u{1D429}\u{1D41A}ypal", Err(ErrorCode::InvalidCharacters)),
            // One script at a time is fine, and so is Hangul next to Latin.
            ("Иван", Ok(())),
            ("길동 Kim", Ok(())),
        ] {
            assert_eq!(
                check_nickname(&normalize_nickname(raw)),
                expected,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn email_keys_are_stable() {
        // Lowercasing İ yields i + U+0307, which must be reordered after the following U+0596.
        let once = normalize_email("x\u{130}\u{596}@example.com");
        assert_eq!(normalize_email(&once), once);
    }

    #[test]
    fn nickname_length_counts_composed_hangul() {
        // 20 syllables typed as decomposed jamo (60 code points) compose to 20 characters.
        let decomposed: String = "한".repeat(20).nfd().collect();
        assert_eq!(decomposed.chars().count(), 60);
        assert_eq!(check_nickname(&normalize_nickname(&decomposed)), Ok(()));
    }

    #[test]
    fn emails() {
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        let long_local = format!("{}@example.com", "a".repeat(65));
        for (raw, expected) in [
            ("a@example.com", Ok(())),
            ("", Err(ErrorCode::Required)),
            ("no-at.example.com", Err(ErrorCode::InvalidFormat)),
            ("a@b@example.com", Err(ErrorCode::InvalidFormat)),
            ("a@localhost", Err(ErrorCode::InvalidFormat)),
            ("a@ex..com", Err(ErrorCode::InvalidFormat)),
            ("a..b@example.com", Err(ErrorCode::InvalidFormat)),
            (".a@example.com", Err(ErrorCode::InvalidFormat)),
            (
                "a@example.com\r\nBcc: victim@example.com",
                Err(ErrorCode::InvalidCharacters),
            ),
            (" a@example.com", Err(ErrorCode::InvalidCharacters)),
            (&long, Err(ErrorCode::TooLong)),
            (&long_local, Err(ErrorCode::InvalidFormat)),
        ] {
            assert_eq!(check_email(raw), expected, "{raw:?}");
        }
        for specials in [
            "a<b@example.com",
            "<a@example.com>",
            "a@example.com>",
            "a,b@example.com",
            "a@example.com,b@example.com",
            "a;b@example.com",
            "\"ab\"@example.com",
            "a\\b@example.com",
            "a(comment)@example.com",
        ] {
            assert_eq!(
                check_email(specials),
                Err(ErrorCode::InvalidCharacters),
                "{specials}"
            );
        }
    }

    #[test]
    fn ip_literal_domains_are_refused() {
        for literal in [
            "x@[10.0.0.5]",
            "x@127.0.0.1",
            "x@10.0.0.5",
            "x@1.2.3.4.5",
            "x@10.1",
            "x@0x7f.0.0.1",
            "x@0x7F.1",
            "x@localhost.0x",
            "x@example.123",
            "x@[IPv6:::1]",
            "x@[IPv6:2001:db8::1]",
            "x@[::1]",
            "x@::1",
            "x@::ffff:127.0.0.1",
            "x@[127.0.0.1",
            "x@127.0.0.1]",
            // Fullwidth digits and stops that IDNA maps to ASCII.
            "x@\u{FF11}\u{FF12}\u{FF17}.\u{FF10}.\u{FF10}.\u{FF11}",
            "x@127\u{FF0E}0\u{FF0E}0\u{FF0E}1",
            "x@example\u{3002}123",
            "x[1]@example.com",
            "x:y@example.com",
        ] {
            assert_eq!(
                check_email(literal),
                Err(ErrorCode::InvalidFormat),
                "{literal}"
            );
        }
        // Names that merely contain digits are names.
        for name in [
            "x@123.example.com",
            "x@1a.example.com",
            "x@example.co.kr",
            "x@mail.0x7f.com",
            "x@example.museum",
            "x@xn--9n2bp8q.xn--9t4b11yi5a",
            "x@\u{4F8B}\u{3048}.jp",
        ] {
            assert_eq!(check_email(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn passwords() {
        let too_long = "가".repeat(129);
        for (password, username, email, expected) in [
            ("correct horse", "user", "u@example.com", Ok(())),
            ("", "user", "u@example.com", Err(ErrorCode::Required)),
            ("short", "user", "u@example.com", Err(ErrorCode::TooShort)),
            // Eight Hangul syllables are 24 bytes but 8 characters: long enough.
            ("가나다라마바사아", "user", "u@x.com", Ok(())),
            (&too_long, "u", "u@x.com", Err(ErrorCode::TooLong)),
            (
                "Hong_Gildong",
                "hong_gildong",
                "u@x.com",
                Err(ErrorCode::WeakPassword),
            ),
            (
                "my-Hong_Gildong-2024",
                "hong_gildong",
                "u@x.com",
                Err(ErrorCode::WeakPassword),
            ),
            (
                "GilDong@Example.com",
                "someone",
                "gildong@example.com",
                Err(ErrorCode::WeakPassword),
            ),
            // One- and two-letter local parts are too short to forbid anything.
            ("u and me forever", "someone", "u@example.com", Ok(())),
        ] {
            assert_eq!(
                check_password(password, username, email),
                expected,
                "{password}"
            );
        }
    }

    #[test]
    fn codes() {
        assert_eq!(check_code("012345"), Ok(()));
        assert_eq!(check_code(""), Err(ErrorCode::Required));
        assert_eq!(check_code("12345"), Err(ErrorCode::InvalidFormat));
        assert_eq!(check_code("1234567"), Err(ErrorCode::InvalidFormat));
        assert_eq!(check_code("12a456"), Err(ErrorCode::InvalidFormat));
        assert_eq!(check_code("١٢٣٤٥٦"), Err(ErrorCode::InvalidFormat));
    }

    #[test]
    fn error_codes_serialize_as_their_wire_names() {
        for code in [
            ErrorCode::UsernameTaken,
            ErrorCode::ResendCooldown,
            ErrorCode::WeakPassword,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    /// Nickname candidates: mostly plausible (Hangul, Latin and digits, a space inside,
    /// spaces around), some with one character the rule refuses or too long, some anything at
    /// all; so that both sides of the rule are reached often.
    fn nickname_candidates() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[가-힣]{2,8}( [가-힣]{1,6})?",
            2 => "[a-zA-Z0-9]{2,10}( [a-zA-Z]{1,6})?",
            1 => "  [가-힣a-z]{2,8}\\t? ",
            2 => "[가-힣]{1,4}[\\x00-\\x1f\\x7f\u{200b}\u{202e}\u{3164}!@#<>][가-힣]{1,4}",
            1 => "[가-힣]{21,25}",
            2 => any::<String>(),
        ]
    }

    /// Accepted nicknames come out normalised and clean, and enough candidates reach each side
    /// of the rule (a property guarded by `if accepted` proves nothing when nothing is).
    #[test]
    fn accepted_nicknames_are_normalised_and_clean() {
        let (accepted, refused) = two_sided(nickname_candidates(), |s| {
            let n = normalize_nickname(&s);
            if check_nickname(&n).is_err() {
                return Ok(false);
            }
            prop_assert_eq!(n.trim(), n.as_str());
            prop_assert!(n
                .chars()
                .all(|c| c == ' ' || (c.is_alphanumeric() && !c.is_control())));
            prop_assert!((NICKNAME_MIN_LEN..=NICKNAME_MAX_LEN).contains(&n.chars().count()));
            prop_assert_eq!(normalize_nickname(&n), n.clone());
            Ok(true)
        });
        // Expected about 55 % accepted and 40 % refused; the floors are half that.
        assert!(
            accepted >= 275 && refused >= 200,
            "accepted {accepted}, refused {refused}"
        );
    }

    proptest! {
        #[test]
        fn valid_usernames_are_accepted(s in "[A-Za-z0-9_]{3,20}") {
            prop_assert_eq!(check_username(&s), Ok(()));
        }

        #[test]
        fn usernames_with_any_other_char_are_refused(
            prefix in "[a-z]{2,8}", bad in any::<char>().prop_filter("not allowed", |c| !is_username_char(*c))
        ) {
            let s = format!("{prefix}{bad}");
            prop_assert!(check_username(&s).is_err());
        }

        #[test]
        fn ordinary_addresses_are_accepted(address in address()) {
            prop_assert_eq!(check_email(&address), Ok(()));
        }

        #[test]
        fn addresses_with_header_breaking_characters_are_refused(raw in with_breakers()) {
            prop_assert!(check_email(&raw).is_err(), "{:?} was accepted", raw);
        }

        #[test]
        fn ip_address_domains_are_invalid_format(
            local in "[a-z0-9]{1,10}", v4 in any::<std::net::Ipv4Addr>(), v6 in any::<std::net::Ipv6Addr>()
        ) {
            for raw in [
                format!("{local}@{v4}"),
                format!("{local}@[{v4}]"),
                format!("{local}@[IPv6:{v6}]"),
                format!("{local}@[{v6}]"),
                format!("{local}@{v6}"),
            ] {
                prop_assert_eq!(check_email(&raw), Err(ErrorCode::InvalidFormat), "{}", raw);
            }
        }

        #[test]
        fn codes_are_exactly_six_digits(s in any::<String>()) {
            prop_assert_eq!(
                check_code(&s).is_ok(),
                s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
            );
        }
    }
}
