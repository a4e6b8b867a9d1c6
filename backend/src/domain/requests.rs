//! Request bodies turned into domain values, with every bad field reported at once.

use shared::{
    AccountDeleteRequest, EmailAuthRequest, EmailChangeConfirm, EmailChangeRequest, FieldError,
    Locale, LoginCodeConfirm, LoginCodeRequest, LoginRequest, PasswordChangeRequest,
    PasswordResetConfirm, PasswordResetRequest, RegisterRequest,
};

use super::{field_error, EmailAddress, Nickname, Password, Username, VerificationCode};
use crate::error::ApiError;

/// A valid `POST /api/email_auth` body.
#[derive(Debug)]
pub struct NewSignup {
    pub username: Username,
    pub nickname: Nickname,
    pub email: EmailAddress,
    pub locale: Locale,
}

/// A valid `POST /api/register` body.
#[derive(Debug)]
pub struct Registration {
    pub username: Username,
    pub nickname: Nickname,
    pub email: EmailAddress,
    pub password: Password,
    pub code: VerificationCode,
}

/// A `POST /api/login` body.
#[derive(Debug)]
pub struct Credentials {
    pub username: String,
    pub password: Password,
}

/// A valid body asking for a code by address: `POST /api/password_reset/request` and
/// `POST /api/login/code/request`.
#[derive(Debug)]
pub struct CodeRequest {
    pub email: EmailAddress,
    pub locale: Locale,
}

/// A `POST /api/password_reset/confirm` body whose fields have the right shape. The new
/// password is checked against the account's username once the code has proved who asks.
#[derive(Debug)]
pub struct ResetConfirmation {
    pub email: EmailAddress,
    pub code: VerificationCode,
    pub new_password: String,
    /// Keep the passkeys and TOTP (the default removes them).
    pub keep_second_factors: bool,
}

impl ResetConfirmation {
    /// The full policy for the new password, now that the username is known.
    pub fn password_for(&self, username: &str) -> Result<Password, ApiError> {
        Password::parse(self.new_password.clone(), username, self.email.as_str())
            .map_err(|code| invalid("new_password", code))
    }
}

impl CodeRequest {
    /// The body's address, checked, and its language (Korean when absent).
    fn parse(email: String, locale: Option<Locale>) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let email = fields.take("email", EmailAddress::parse(email));
        fields.finish()?;
        match email {
            Some(email) => Ok(Self {
                email,
                locale: locale.unwrap_or_default(),
            }),
            None => Err(ApiError::Validation(vec![])),
        }
    }
}

impl TryFrom<PasswordResetRequest> for CodeRequest {
    type Error = ApiError;

    fn try_from(body: PasswordResetRequest) -> Result<Self, ApiError> {
        Self::parse(body.email, body.locale)
    }
}

impl TryFrom<LoginCodeRequest> for CodeRequest {
    type Error = ApiError;

    fn try_from(body: LoginCodeRequest) -> Result<Self, ApiError> {
        Self::parse(body.email, body.locale)
    }
}

/// A valid `POST /api/login/code/confirm` body.
#[derive(Debug)]
pub struct SignInCode {
    pub email: EmailAddress,
    pub code: VerificationCode,
}

impl TryFrom<LoginCodeConfirm> for SignInCode {
    type Error = ApiError;

    fn try_from(body: LoginCodeConfirm) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let email = fields.take("email", EmailAddress::parse(body.email));
        let code = fields.take("code", VerificationCode::parse(body.code));
        fields.finish()?;
        match (email, code) {
            (Some(email), Some(code)) => Ok(Self { email, code }),
            _ => Err(ApiError::Validation(vec![])),
        }
    }
}

impl TryFrom<PasswordResetConfirm> for ResetConfirmation {
    type Error = ApiError;

    fn try_from(body: PasswordResetConfirm) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        // Everything that needs no account: length, the email's local part, common passwords.
        let password = Password::parse(body.new_password.clone(), "", &body.email);
        let email = fields.take("email", EmailAddress::parse(body.email));
        let code = fields.take("code", VerificationCode::parse(body.code));
        fields.take("new_password", password);
        match (email, code) {
            (Some(email), Some(code)) if fields.0.is_empty() => Ok(Self {
                email,
                code,
                new_password: body.new_password,
                keep_second_factors: body.keep_second_factors,
            }),
            _ => Err(fields.refused()),
        }
    }
}

/// A `POST /api/password/change` body whose fields have the right shape. The new password is
/// checked against the account's username and address once the account is read.
#[derive(Debug)]
pub struct PasswordChange {
    /// Only bounded in size: it is proved against the stored hash, not policed.
    pub current_password: Password,
    pub new_password: String,
}

impl PasswordChange {
    /// The full policy for the new password, now that the account is known.
    pub fn password_for(&self, username: &str, email: &str) -> Result<Password, ApiError> {
        Password::parse(self.new_password.clone(), username, email)
            .map_err(|code| invalid("new_password", code))
    }
}

impl TryFrom<PasswordChangeRequest> for PasswordChange {
    type Error = ApiError;

    fn try_from(body: PasswordChangeRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let current = fields.take(
            "current_password",
            Password::for_login(body.current_password),
        );
        // Everything that needs no account: length and common passwords.
        fields.take(
            "new_password",
            Password::parse(body.new_password.clone(), "", ""),
        );
        match current {
            Some(current_password) if fields.0.is_empty() => Ok(Self {
                current_password,
                new_password: body.new_password,
            }),
            _ => Err(fields.refused()),
        }
    }
}

/// A valid `POST /api/email/change/request` body.
#[derive(Debug)]
pub struct EmailChange {
    pub new_email: EmailAddress,
    pub password: Password,
}

impl TryFrom<EmailChangeRequest> for EmailChange {
    type Error = ApiError;

    fn try_from(body: EmailChangeRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let new_email = fields.take("new_email", EmailAddress::parse(body.new_email));
        let password = fields.take("password", Password::for_login(body.password));
        match (new_email, password) {
            (Some(new_email), Some(password)) => Ok(Self {
                new_email,
                password,
            }),
            _ => Err(fields.refused()),
        }
    }
}

/// A valid `POST /api/email/change/confirm` body.
#[derive(Debug)]
pub struct EmailChangeCode {
    pub code: VerificationCode,
}

impl TryFrom<EmailChangeConfirm> for EmailChangeCode {
    type Error = ApiError;

    fn try_from(body: EmailChangeConfirm) -> Result<Self, ApiError> {
        let code = VerificationCode::parse(body.code).map_err(|code| invalid("code", code))?;
        Ok(Self { code })
    }
}

/// A valid `DELETE /api/account` body.
#[derive(Debug)]
pub struct AccountDeletion {
    pub password: Password,
}

impl TryFrom<AccountDeleteRequest> for AccountDeletion {
    type Error = ApiError;

    fn try_from(body: AccountDeleteRequest) -> Result<Self, ApiError> {
        let password =
            Password::for_login(body.password).map_err(|code| invalid("password", code))?;
        Ok(Self { password })
    }
}

/// The answer to a body whose one field `field` failed with `code`.
fn invalid(field: &str, code: shared::ErrorCode) -> ApiError {
    ApiError::Validation(vec![field_error(field, code)])
}

/// Collects field errors while parsing.
#[derive(Default)]
struct Fields(Vec<FieldError>);

impl Fields {
    fn take<T>(&mut self, field: &str, parsed: Result<T, shared::ErrorCode>) -> Option<T> {
        parsed
            .map_err(|code| self.0.push(field_error(field, code)))
            .ok()
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    /// The answer when a field is missing from the parsed values: the errors collected.
    fn refused(self) -> ApiError {
        self.finish().err().unwrap_or(ApiError::Validation(vec![]))
    }
}

impl TryFrom<EmailAuthRequest> for NewSignup {
    type Error = ApiError;

    fn try_from(body: EmailAuthRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let username = fields.take("username", Username::parse(body.username));
        let nickname = fields.take("nickname", Nickname::parse(&body.nickname));
        let email = fields.take("email", EmailAddress::parse(body.email));
        match (username, nickname, email) {
            (Some(username), Some(nickname), Some(email)) => Ok(Self {
                username,
                nickname,
                email,
                locale: body.locale.unwrap_or_default(),
            }),
            _ => Err(fields.refused()),
        }
    }
}

impl TryFrom<RegisterRequest> for Registration {
    type Error = ApiError;

    fn try_from(body: RegisterRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let password = Password::parse(body.password, &body.username, &body.email);
        let username = fields.take("username", Username::parse(body.username));
        let nickname = fields.take("nickname", Nickname::parse(&body.nickname));
        let email = fields.take("email", EmailAddress::parse(body.email));
        let password = fields.take("password", password);
        let code = fields.take("code", VerificationCode::parse(body.code));
        match (username, nickname, email, password, code) {
            (Some(username), Some(nickname), Some(email), Some(password), Some(code)) => Ok(Self {
                username,
                nickname,
                email,
                password,
                code,
            }),
            _ => Err(fields.refused()),
        }
    }
}

impl TryFrom<LoginRequest> for Credentials {
    type Error = ApiError;

    fn try_from(body: LoginRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        if body.username.is_empty() {
            fields
                .0
                .push(field_error("username", shared::ErrorCode::Required));
        }
        let password = fields.take("password", Password::for_login(body.password));
        fields.finish()?;
        match password {
            Some(password) => Ok(Self {
                username: body.username,
                password,
            }),
            None => Err(ApiError::Validation(vec![])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(err: ApiError) -> Vec<(String, String)> {
        match err {
            ApiError::Validation(errors) => errors
                .into_iter()
                .map(|e| (e.field, e.code.as_str().to_owned()))
                .collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_field_is_listed() {
        let err = NewSignup::try_from(EmailAuthRequest {
            username: "a".into(),
            nickname: "\u{200B}".into(),
            email: "nope".into(),
            locale: None,
        })
        .unwrap_err();
        assert_eq!(
            fields_of(err),
            vec![
                ("username".into(), "too_short".into()),
                ("nickname".into(), "invalid_characters".into()),
                ("email".into(), "invalid_format".into()),
            ]
        );
    }

    #[test]
    fn registration_reports_weak_password_and_bad_code() {
        let err = Registration::try_from(RegisterRequest {
            username: "gildong".into(),
            password: "GILDONG1".into(),
            nickname: "길동".into(),
            email: "g@example.com".into(),
            code: "12345".into(),
        })
        .unwrap_err();
        // "GILDONG1" contains the username, whatever the case.
        assert_eq!(
            fields_of(err),
            vec![
                ("password".into(), "weak_password".into()),
                ("code".into(), "invalid_format".into())
            ]
        );

        let err = Registration::try_from(RegisterRequest {
            username: "gildong".into(),
            password: "GilDong".into(),
            nickname: "길동".into(),
            email: "g@example.com".into(),
            code: "123456".into(),
        })
        .unwrap_err();
        assert_eq!(
            fields_of(err),
            vec![("password".into(), "too_short".into())]
        );

        let err = Registration::try_from(RegisterRequest {
            username: "gildong99".into(),
            password: "GilDong99".into(),
            nickname: "길동".into(),
            email: "g@example.com".into(),
            code: "123456".into(),
        })
        .unwrap_err();
        assert_eq!(
            fields_of(err),
            vec![("password".into(), "weak_password".into())]
        );
    }

    #[test]
    fn locale_defaults_to_korean() {
        let s = NewSignup::try_from(EmailAuthRequest {
            username: "gildong".into(),
            nickname: "길동".into(),
            email: "g@example.com".into(),
            locale: None,
        })
        .unwrap();
        assert_eq!(s.locale, Locale::Ko);
    }

    #[test]
    fn password_change_reports_every_bad_field_and_polices_only_the_new_password() {
        let err = PasswordChange::try_from(PasswordChangeRequest {
            current_password: String::new(),
            new_password: "password1".into(),
        })
        .unwrap_err();
        assert_eq!(
            fields_of(err),
            vec![
                ("current_password".into(), "required".into()),
                ("new_password".into(), "common_password".into()),
            ]
        );
        // The current password is proved, not policed: a short one is fine here.
        let change = PasswordChange::try_from(PasswordChangeRequest {
            current_password: "short".into(),
            new_password: "gildong was here".into(),
        })
        .unwrap();
        let err = change.password_for("gildong", "g@example.com").unwrap_err();
        assert_eq!(
            fields_of(err),
            vec![("new_password".into(), "weak_password".into())]
        );
    }

    #[test]
    fn email_change_and_deletion_bodies_parse_or_name_their_fields() {
        let err = EmailChange::try_from(EmailChangeRequest {
            new_email: "nope".into(),
            password: "x".repeat(129),
        })
        .unwrap_err();
        assert_eq!(
            fields_of(err),
            vec![
                ("new_email".into(), "invalid_format".into()),
                ("password".into(), "too_long".into()),
            ]
        );
        let err = EmailChangeCode::try_from(EmailChangeConfirm {
            code: "12a456".into(),
        })
        .unwrap_err();
        assert_eq!(
            fields_of(err),
            vec![("code".into(), "invalid_format".into())]
        );
        let err = AccountDeletion::try_from(AccountDeleteRequest {
            password: String::new(),
        })
        .unwrap_err();
        assert_eq!(fields_of(err), vec![("password".into(), "required".into())]);
    }
}
