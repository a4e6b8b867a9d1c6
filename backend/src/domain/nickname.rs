use shared::{rules, ErrorCode};

/// 2–20 letters/digits/inner spaces after NFC and trimming. Unique case-insensitively through
/// [`Nickname::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    pub fn parse(raw: &str) -> Result<Self, ErrorCode> {
        let normalized = rules::normalize_nickname(raw);
        rules::check_nickname(&normalized)?;
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn normalises_and_trims() {
        let decomposed: String = "길동".nfd().collect();
        let n = Nickname::parse(&format!("  {decomposed} ")).unwrap();
        assert_eq!(n.as_str(), "길동");
        assert_eq!(
            Nickname::parse("Kim").unwrap().key(),
            Nickname::parse("KIM").unwrap().key()
        );
    }

    #[test]
    fn refuses_invisible_and_format_characters() {
        for bad in [
            "a\u{200B}b",
            "a\u{200C}b",
            "a\u{2060}b",
            "a\u{202E}b",
            "\u{3164}\u{3164}x",
            "a\u{0007}b",
        ] {
            assert_eq!(
                Nickname::parse(bad),
                Err(ErrorCode::InvalidCharacters),
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn parsed_nicknames_are_stable_under_reparsing(s in any::<String>()) {
            if let Ok(n) = Nickname::parse(&s) {
                prop_assert_eq!(Nickname::parse(n.as_str()), Ok(n.clone()));
                prop_assert!(n.as_str().chars().all(|c| !c.is_control()));
            }
        }

        #[test]
        fn korean_nicknames_within_limits_are_accepted(s in "[가-힣]{2,20}") {
            prop_assert!(Nickname::parse(&s).is_ok());
        }
    }
}
