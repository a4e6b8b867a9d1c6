//! Types that can only hold valid values. Handlers turn request bodies into these once and
//! never check again.

mod code;
mod email;
mod nickname;
mod passkey_name;
mod password;
mod purpose;
mod requests;
mod username;

pub use code::VerificationCode;
pub use email::EmailAddress;
pub use nickname::{nickname_key, Nickname, NICKNAME_KEY_VERSION};
pub use passkey_name::{PasskeyName, MAX_NAME_CHARS as MAX_PASSKEY_NAME_CHARS};
pub use password::Password;
pub use purpose::CodePurpose;
pub use requests::{
    AccountDeletion, CodeRequest, Credentials, EmailChange, EmailChangeCode, NewSignup,
    PasswordChange, Registration, ResetConfirmation, SignInCode,
};
pub use username::Username;

use shared::{ErrorCode, FieldError};

/// A field that failed to parse, with an English message for people reading raw responses.
pub(crate) fn field_error(field: &str, code: ErrorCode) -> FieldError {
    let message = match (code, length_bounds(field)) {
        (ErrorCode::TooShort | ErrorCode::TooLong, Some((min, max))) => {
            format!("Use {min}–{max} characters.")
        }
        _ => message(field, code),
    };
    FieldError {
        field: field.to_owned(),
        code,
        message,
    }
}

/// The message of a field's error, but a length out of [`length_bounds`].
fn message(field: &str, code: ErrorCode) -> String {
    match (field, code) {
        (_, ErrorCode::Required) => "This field is required.".to_owned(),
        ("username", ErrorCode::InvalidCharacters) => {
            "Use only ASCII letters, digits and underscores.".to_owned()
        }
        ("nickname", ErrorCode::InvalidCharacters) => {
            "Use letters, digits and single spaces between words.".to_owned()
        }
        ("email" | "new_email", ErrorCode::TooLong) => format!(
            "An email address has at most {} bytes.",
            shared::rules::EMAIL_MAX_BYTES
        ),
        ("email" | "new_email", _) => "Enter a valid email address.".to_owned(),
        ("password" | "new_password", ErrorCode::WeakPassword) => {
            "The password must not contain your username or the part of your email address \
             before the @."
                .to_owned()
        }
        ("password" | "new_password", ErrorCode::CommonPassword) => {
            "This password is one of the most common ones; choose another.".to_owned()
        }
        ("code", _) => format!(
            "Enter the {} digits from the mail.",
            shared::rules::CODE_LEN
        ),
        _ => "This value is not valid.".to_owned(),
    }
}

/// The shortest and longest a field may be, in characters, for the fields bounded so.
fn length_bounds(field: &str) -> Option<(usize, usize)> {
    use shared::rules::*;
    match field {
        "username" => Some((USERNAME_MIN_LEN, USERNAME_MAX_LEN)),
        "nickname" => Some((NICKNAME_MIN_LEN, NICKNAME_MAX_LEN)),
        "password" | "new_password" | "current_password" => {
            Some((PASSWORD_MIN_LEN, PASSWORD_MAX_LEN))
        }
        _ => None,
    }
}
