use std::{collections::HashSet, sync::LazyLock};

use secrecy::{ExposeSecret, SecretString};
use shared::{rules, ErrorCode};

/// The most common passwords of at least 8 characters (see the file's header for its source),
/// compared case-insensitively.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// `true` if the password is on the shipped list of common passwords.
pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// A new password that satisfies the policy. Never printed: `Debug` is redacted.
#[derive(Debug)]
pub struct Password(SecretString);

impl Password {
    /// Checks the policy for a new password: length, not containing the username or the
    /// email's local part, not a common password.
    pub fn parse(raw: String, username: &str, email: &str) -> Result<Self, ErrorCode> {
        rules::check_password(&raw, username, email)?;
        if is_common(&raw) {
            return Err(ErrorCode::CommonPassword);
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// Wraps a password typed at login: only bounded in size, since the policy applies to new
    /// passwords, not to the proof of an existing one.
    pub fn for_login(raw: String) -> Result<Self, ErrorCode> {
        if raw.is_empty() {
            return Err(ErrorCode::Required);
        }
        if raw.chars().count() > rules::PASSWORD_MAX_LEN {
            return Err(ErrorCode::TooLong);
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let p = Password::parse("hunter2hunter2".into(), "user", "u@example.com").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert!(COMMON_PASSWORDS.len() > 17_000);
        for common in [
            "password",
            "PassWord1",
            "qwertyuiop",
            "iloveyou",
            "1q2w3e4r5t",
        ] {
            let result = Password::parse(common.into(), "someone", "x@example.com");
            let expected = if common.chars().count() < 8 {
                ErrorCode::TooShort
            } else {
                ErrorCode::CommonPassword
            };
            assert_eq!(result.unwrap_err(), expected, "{common}");
        }
        assert!(
            Password::parse("correct horse battery".into(), "someone", "x@example.com").is_ok()
        );
    }

    #[test]
    fn login_passwords_are_bounded_but_not_policed() {
        assert!(Password::for_login("short".into()).is_ok());
        assert_eq!(
            Password::for_login(String::new()).unwrap_err(),
            ErrorCode::Required
        );
        assert_eq!(
            Password::for_login("x".repeat(129)).unwrap_err(),
            ErrorCode::TooLong
        );
    }
}
