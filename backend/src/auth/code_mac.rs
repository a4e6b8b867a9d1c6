use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::{
    domain::CodePurpose,
    domain::{EmailAddress, VerificationCode},
};

/// HMAC-SHA256 under the server's pepper over `purpose ‖ 0x00 ‖ normalised email ‖ 0x00 ‖ code`. Only this MAC
/// is stored: a database dump reveals no code, and a code for one address is useless for
/// another. Comparison is constant-time.
#[derive(Clone)]
pub struct CodeMac {
    pepper: SecretString,
}

impl CodeMac {
    pub fn new(pepper: SecretString) -> Self {
        Self { pepper }
    }

    fn mac(
        &self,
        purpose: CodePurpose,
        email: &EmailAddress,
        code: &VerificationCode,
    ) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.pepper.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(match purpose {
            CodePurpose::Signup => b"signup",
            CodePurpose::PasswordReset => b"reset\0",
            CodePurpose::EmailChange => b"emailc",
            CodePurpose::SignIn => b"signin",
        });
        mac.update(&[0]);
        mac.update(email.key().as_bytes());
        mac.update(&[0]);
        mac.update(code.expose().as_bytes());
        mac
    }

    pub fn tag(
        &self,
        purpose: CodePurpose,
        email: &EmailAddress,
        code: &VerificationCode,
    ) -> Vec<u8> {
        self.mac(purpose, email, code)
            .finalize()
            .into_bytes()
            .to_vec()
    }

    /// Constant-time check of `code` against a stored tag.
    pub fn verify(
        &self,
        purpose: CodePurpose,
        email: &EmailAddress,
        code: &VerificationCode,
        stored: &[u8],
    ) -> bool {
        self.mac(purpose, email, code).verify_slice(stored).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse(s.into()).unwrap()
    }
    fn code(s: &str) -> VerificationCode {
        VerificationCode::parse(s.into()).unwrap()
    }

    #[test]
    fn tags_bind_code_email_and_pepper() {
        let m = CodeMac::new(SecretString::from("pepper-one-0123456789abcdef012345"));
        let other = CodeMac::new(SecretString::from("pepper-two-0123456789abcdef012345"));
        const S: CodePurpose = CodePurpose::Signup;
        let tag = m.tag(S, &email("a@example.com"), &code("123456"));
        assert_eq!(tag.len(), 32);
        assert!(m.verify(S, &email("a@example.com"), &code("123456"), &tag));
        assert!(
            m.verify(S, &email("A@Example.com"), &code("123456"), &tag),
            "normalised email"
        );
        assert!(!m.verify(S, &email("a@example.com"), &code("123457"), &tag));
        assert!(!m.verify(S, &email("b@example.com"), &code("123456"), &tag));
        assert!(!other.verify(S, &email("a@example.com"), &code("123456"), &tag));
        assert!(!m.verify(S, &email("a@example.com"), &code("123456"), &tag[..31]));
        assert!(!hex::encode(&tag).contains("123456"));
        assert!(
            !m.verify(
                CodePurpose::PasswordReset,
                &email("a@example.com"),
                &code("123456"),
                &tag
            ),
            "purpose"
        );
        assert!(
            !m.verify(
                CodePurpose::EmailChange,
                &email("a@example.com"),
                &code("123456"),
                &tag
            ),
            "purpose"
        );
    }
}
