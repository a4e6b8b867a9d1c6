//! A passkey's name, as its owner gives it.

use shared::{ErrorCode, FieldError};

use crate::error::ApiError;

/// Longest passkey name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 64;

/// A passkey's name: 1 to 64 characters once trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw.trim();
        let code = if name.is_empty() {
            Some(ErrorCode::Required)
        } else if name.chars().count() > MAX_NAME_CHARS {
            Some(ErrorCode::TooLong)
        } else if name.chars().any(char::is_control) {
            Some(ErrorCode::InvalidCharacters)
        } else {
            None
        };
        match code {
            None => Ok(Self(name.to_owned())),
            Some(code) => Err(ApiError::Validation(vec![FieldError {
                field: "name".into(),
                code,
                message: format!(
                    "Name the passkey with 1–{MAX_NAME_CHARS} characters, no control characters."
                ),
            }])),
        }
    }
}

impl PasskeyName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(raw: &str) -> Option<ErrorCode> {
        match PasskeyName::parse(raw) {
            Ok(_) => None,
            Err(ApiError::Validation(errors)) => Some(errors[0].code),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PasskeyName::parse("  YubiKey ").unwrap().0, "YubiKey");
        assert_eq!(code_of("노트북"), None);
        assert_eq!(code_of(&"가".repeat(64)), None);
        assert_eq!(code_of(&"가".repeat(65)), Some(ErrorCode::TooLong));
        assert_eq!(code_of("   "), Some(ErrorCode::Required));
        assert_eq!(code_of("a\u{7}b"), Some(ErrorCode::InvalidCharacters));
    }
}
