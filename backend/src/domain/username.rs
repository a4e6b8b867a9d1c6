use shared::{rules, ErrorCode};

/// 3–20 ASCII letters, digits or `_`. Kept as typed for display; unique case-insensitively
/// through [`Username::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: String) -> Result<Self, ErrorCode> {
        rules::check_username(&raw)?;
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is enforced on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_fold_case() {
        let a = Username::parse("Hong_GilDong".into()).unwrap();
        let b = Username::parse("hong_gildong".into()).unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Hong_GilDong");
    }

    proptest! {
        #[test]
        fn parse_agrees_with_the_shared_rule(s in "\\PC{0,24}") {
            prop_assert_eq!(Username::parse(s.clone()).is_ok(), rules::check_username(&s).is_ok());
        }

        #[test]
        fn parsed_usernames_are_ascii_and_bounded(s in "[A-Za-z0-9_]{0,25}") {
            if let Ok(u) = Username::parse(s) {
                prop_assert!((3..=20).contains(&u.as_str().len()));
                prop_assert!(u.key().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            }
        }
    }
}
