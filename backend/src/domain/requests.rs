//! Request bodies turned into domain values, with every bad field reported at once.
//!
//! Each value is declared once, with the parser of each field ([`requests!`]): every checked
//! field is parsed and named by itself in the errors before any of them fails the request,
//! and the value is built only when all passed.

use shared::{
    AccountDeleteRequest, EmailAuthRequest, EmailChangeConfirm, EmailChangeRequest, ErrorCode,
    FieldError, Locale, LoginCodeConfirm, LoginCodeRequest, LoginRequest, PasswordChangeRequest,
    PasswordResetConfirm, PasswordResetRequest, RegisterRequest,
};

use super::{field_error, EmailAddress, Nickname, Password, Username, VerificationCode};
use crate::error::ApiError;

/// Declares request values, each with its `TryFrom` of each body it is parsed from (`as` names the
/// body in the parsers). The checked fields are parsed in order, each by its expression into a
/// `Result<_, ErrorCode>` and reported under its own name; the request fails with every error
/// collected, or the kept fields are taken as they are and the value is built.
macro_rules! requests {
    () => {};
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $($body:ident)|+ as $b:ident $checked:tt
        kept $kept:tt
        $($rest:tt)*
    ) => {
        requests!(@struct [$(#[$meta])*] $name $checked $kept);
        $(requests!(@impl $name $body $b $checked $kept);)+
        requests!($($rest)*);
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $($body:ident)|+ as $b:ident $checked:tt
        $($rest:tt)*
    ) => {
        requests!($(#[$meta])* pub struct $name from $($body)|+ as $b $checked kept {} $($rest)*);
    };
    (
        @struct [$(#[$meta:meta])*] $name:ident
        { $($(#[$fmeta:meta])* $field:ident: $ty:ty = $parse:expr,)+ }
        { $($(#[$kmeta:meta])* $kfield:ident: $kty:ty = $keep:expr,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)+
            $($(#[$kmeta])* pub $kfield: $kty,)*
        }
    };
    (
        @impl $name:ident $body:ident $b:ident
        { $($(#[$fmeta:meta])* $field:ident: $ty:ty = $parse:expr,)+ }
        { $($(#[$kmeta:meta])* $kfield:ident: $kty:ty = $keep:expr,)* }
    ) => {
        impl TryFrom<$body> for $name {
            type Error = ApiError;

            fn try_from($b: $body) -> Result<Self, ApiError> {
                let mut fields = Fields::default();
                $(let $field = fields.take(stringify!($field), $parse);)+
                fields.finish()?;
                Ok(Self {
                    $($field: $field.ok_or(ApiError::Validation(vec![]))?,)+
                    $($kfield: $keep,)*
                })
            }
        }
    };
}

requests! {
    /// A valid `POST /api/email_auth` body.
    pub struct NewSignup from EmailAuthRequest as body {
        username: Username = Username::parse(body.username),
        nickname: Nickname = Nickname::parse(&body.nickname),
        email: EmailAddress = EmailAddress::parse(body.email),
    }
    kept {
        locale: Locale = body.locale.unwrap_or_default(),
    }

    /// A valid `POST /api/register` body.
    pub struct Registration from RegisterRequest as body {
        username: Username = Username::parse(body.username.clone()),
        nickname: Nickname = Nickname::parse(&body.nickname),
        email: EmailAddress = EmailAddress::parse(body.email.clone()),
        password: Password = Password::parse(body.password, &body.username, &body.email),
        code: VerificationCode = VerificationCode::parse(body.code),
    }

    /// A `POST /api/login` body.
    pub struct Credentials from LoginRequest as body {
        username: String = required(body.username),
        password: Password = Password::for_login(body.password),
    }

    /// A valid body asking for a code by address: `POST /api/password_reset/request` and
    /// `POST /api/login/code/request`.
    pub struct CodeRequest from PasswordResetRequest | LoginCodeRequest as body {
        email: EmailAddress = EmailAddress::parse(body.email),
    }
    kept {
        /// The body's language (Korean when absent).
        locale: Locale = body.locale.unwrap_or_default(),
    }

    /// A valid `POST /api/login/code/confirm` body.
    pub struct SignInCode from LoginCodeConfirm as body {
        email: EmailAddress = EmailAddress::parse(body.email),
        code: VerificationCode = VerificationCode::parse(body.code),
    }

    /// A `POST /api/password_reset/confirm` body whose fields have the right shape. The new
    /// password is checked against the account's username once the code has proved who asks.
    pub struct ResetConfirmation from PasswordResetConfirm as body {
        email: EmailAddress = EmailAddress::parse(body.email.clone()),
        code: VerificationCode = VerificationCode::parse(body.code),
        // Everything that needs no account: length, the email's local part, common passwords.
        new_password: String = Password::parse(body.new_password.clone(), "", &body.email)
            .map(|_| body.new_password),
    }
    kept {
        /// Keep the passkeys and TOTP (the default removes them).
        keep_second_factors: bool = body.keep_second_factors,
    }

    /// A `POST /api/password/change` body whose fields have the right shape. The new password
    /// is checked against the account's username and address once the account is read.
    pub struct PasswordChange from PasswordChangeRequest as body {
        /// Only bounded in size: it is proved against the stored hash, not policed.
        current_password: Password = Password::for_login(body.current_password),
        // Everything that needs no account: length and common passwords.
        new_password: String = Password::parse(body.new_password.clone(), "", "")
            .map(|_| body.new_password),
    }

    /// A valid `POST /api/email/change/request` body.
    pub struct EmailChange from EmailChangeRequest as body {
        new_email: EmailAddress = EmailAddress::parse(body.new_email),
        password: Password = Password::for_login(body.password),
    }

    /// A valid `POST /api/email/change/confirm` body.
    pub struct EmailChangeCode from EmailChangeConfirm as body {
        code: VerificationCode = VerificationCode::parse(body.code),
    }

    /// A valid `DELETE /api/account` body.
    pub struct AccountDeletion from AccountDeleteRequest as body {
        password: Password = Password::for_login(body.password),
    }
}

impl ResetConfirmation {
    /// The full policy for the new password, now that the username is known.
    pub fn password_for(&self, username: &str) -> Result<Password, ApiError> {
        Password::parse(self.new_password.clone(), username, self.email.as_str())
            .map_err(|code| invalid("new_password", code))
    }
}

impl PasswordChange {
    /// The full policy for the new password, now that the account is known.
    pub fn password_for(&self, username: &str, email: &str) -> Result<Password, ApiError> {
        Password::parse(self.new_password.clone(), username, email)
            .map_err(|code| invalid("new_password", code))
    }
}

/// A value that must not be empty.
fn required(value: String) -> Result<String, ErrorCode> {
    if value.is_empty() {
        Err(ErrorCode::Required)
    } else {
        Ok(value)
    }
}

/// The answer to a body whose one field `field` failed with `code`.
fn invalid(field: &str, code: ErrorCode) -> ApiError {
    ApiError::Validation(vec![field_error(field, code)])
}

/// Collects field errors while parsing.
#[derive(Default)]
struct Fields(Vec<FieldError>);

impl Fields {
    fn take<T>(&mut self, field: &str, parsed: Result<T, ErrorCode>) -> Option<T> {
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

    /// Asserts that `body` does not parse as a `T`, refused with exactly the `(field, code)`
    /// errors `expected`, in that order.
    fn assert_refused<T, B>(body: B, expected: &[(&str, &str)])
    where
        T: TryFrom<B, Error = ApiError> + std::fmt::Debug,
    {
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(field, code)| (field.to_string(), code.to_string()))
            .collect();
        assert_eq!(fields_of(T::try_from(body).unwrap_err()), expected);
    }

    #[test]
    fn every_bad_field_is_listed() {
        assert_refused::<NewSignup, _>(
            EmailAuthRequest {
                username: "a".into(),
                nickname: "\u{200B}".into(),
                email: "nope".into(),
                locale: None,
            },
            &[
                ("username", "too_short"),
                ("nickname", "invalid_characters"),
                ("email", "invalid_format"),
            ],
        );
    }

    #[test]
    fn registration_reports_weak_password_and_bad_code() {
        let register = |username: &str, password: &str, code: &str| RegisterRequest {
            username: username.into(),
            password: password.into(),
            nickname: "길동".into(),
            email: "g@example.com".into(),
            code: code.into(),
        };
        // "GILDONG1" contains the username, whatever the case.
        assert_refused::<Registration, _>(
            register("gildong", "GILDONG1", "12345"),
            &[("password", "weak_password"), ("code", "invalid_format")],
        );
        assert_refused::<Registration, _>(
            register("gildong", "GilDong", "123456"),
            &[("password", "too_short")],
        );
        assert_refused::<Registration, _>(
            register("gildong99", "GilDong99", "123456"),
            &[("password", "weak_password")],
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
        assert_refused::<PasswordChange, _>(
            PasswordChangeRequest {
                current_password: String::new(),
                new_password: "password1".into(),
            },
            &[
                ("current_password", "required"),
                ("new_password", "common_password"),
            ],
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
        assert_refused::<EmailChange, _>(
            EmailChangeRequest {
                new_email: "nope".into(),
                password: "x".repeat(129),
            },
            &[("new_email", "invalid_format"), ("password", "too_long")],
        );
        assert_refused::<EmailChangeCode, _>(
            EmailChangeConfirm {
                code: "12a456".into(),
            },
            &[("code", "invalid_format")],
        );
        assert_refused::<AccountDeletion, _>(
            AccountDeleteRequest {
                password: String::new(),
            },
            &[("password", "required")],
        );
    }
}
