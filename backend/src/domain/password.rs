use secrecy::{ExposeSecret, SecretString};
use shared::{rules, ErrorCode};

/// A new password that satisfies the policy. Never printed: `Debug` is redacted.
#[derive(Debug)]
pub struct Password(SecretString);

impl Password {
    /// Checks the policy for a new account's password.
    pub fn parse(raw: String, username: &str, email: &str) -> Result<Self, ErrorCode> {
        rules::check_password(&raw, username, email)?;
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
