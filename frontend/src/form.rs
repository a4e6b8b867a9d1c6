//! Form logic with no DOM and no HTTP: the client-side checks (the `shared` rules, one
//! definition for both sides) and the translation of a problem+json answer into what the form
//! shows next to its fields.

use crate::api::ApiError;
use shared::{rules, ErrorCode, Problem};

/// An input of the signup, login or password-reset form. `name()` is the `name=` and `id=` of its `<input>`,
/// which is also the request field it fills (except the confirmation, which is never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Username,
    Password,
    PasswordConfirm,
    Nickname,
    Email,
    Code,
    /// The password chosen on the reset page (`new_password` of the request).
    NewPassword,
    NewPasswordConfirm,
    /// The password in use, to change it (`current_password`).
    CurrentPassword,
    /// The address to move the account to (`new_email`).
    NewEmail,
    /// The username typed again to confirm deleting the account (never sent).
    ConfirmUsername,
    /// A single-use recovery code, instead of a TOTP code (`recovery_code`).
    RecoveryCode,
    /// The name of a new passkey (`name` of `POST /api/passkeys/register/finish`).
    PasskeyName,
}

impl Field {
    /// Every field, in the order the forms show them (for focusing the first to fix).
    pub const ALL: [Field; 13] = [
        Field::Username,
        Field::ConfirmUsername,
        Field::CurrentPassword,
        Field::NewEmail,
        Field::Password,
        Field::PasswordConfirm,
        Field::Nickname,
        Field::Email,
        Field::Code,
        Field::RecoveryCode,
        Field::PasskeyName,
        Field::NewPassword,
        Field::NewPasswordConfirm,
    ];

    /// The confirmations, which exist only in the page and are never sent.
    pub fn is_confirmation(self) -> bool {
        matches!(
            self,
            Field::PasswordConfirm | Field::NewPasswordConfirm | Field::ConfirmUsername
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Password => "password",
            Field::PasswordConfirm => "password_confirm",
            Field::Nickname => "nickname",
            Field::Email => "email",
            Field::Code => "code",
            Field::NewPassword => "new_password",
            Field::NewPasswordConfirm => "new_password_confirm",
            Field::CurrentPassword => "current_password",
            Field::NewEmail => "new_email",
            Field::ConfirmUsername => "confirm_username",
            Field::RecoveryCode => "recovery_code",
            Field::PasskeyName => "name",
        }
    }

    /// The form field for a request field named in a problem's `errors[]`.
    pub fn from_wire(name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| !f.is_confirmation() && f.name() == name)
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issue {
    /// A rule of the API (client- or server-side), by its machine code.
    Rule(ErrorCode),
    /// The confirmation differs from the password (client-side only).
    PasswordMismatch,
    /// Sign up was pressed before a code was requested.
    VerifyFirst,
    /// The server refused the code; `attempts_left` guesses remain for it.
    WrongCode { attempts_left: Option<u32> },
    /// The username typed to confirm a deletion is not the account's (client-side only).
    NotThisAccount,
}

/// At most one issue per field, in form order of discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(Field, Issue)>);

impl FieldErrors {
    pub fn get(&self, field: Field) -> Option<&Issue> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, i)| i)
    }

    /// Records `issue` for `field` unless the field already has one.
    pub fn insert(&mut self, field: Field, issue: Issue) {
        if self.get(field).is_none() {
            self.0.push((field, issue));
        }
    }

    pub fn remove(&mut self, field: Field) {
        self.0.retain(|(f, _)| *f != field);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first field with an issue in the order of the form, for focusing it.
    pub fn first(&self) -> Option<Field> {
        Field::ALL.into_iter().find(|f| self.get(*f).is_some())
    }

    /// Adds the issues of `other` (fields that already have one keep it).
    pub fn merge(&mut self, other: FieldErrors) {
        for (field, issue) in other.0 {
            self.insert(field, issue);
        }
    }

    fn check(&mut self, field: Field, result: Result<(), ErrorCode>) {
        if let Err(code) = result {
            self.insert(field, Issue::Rule(code));
        }
    }
}

/// The signup form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignupInput {
    pub username: String,
    pub password: String,
    pub password_confirm: String,
    pub nickname: String,
    pub email: String,
    pub code: String,
}

impl SignupInput {
    /// Username as sent: surrounding whitespace dropped (it can never be part of one).
    pub fn username(&self) -> String {
        self.username.trim().to_owned()
    }

    /// Nickname as sent and as the server compares it (NFC, trimmed).
    pub fn nickname(&self) -> String {
        rules::normalize_nickname(&nfc(&self.nickname))
    }

    /// Email as sent: surrounding whitespace from a paste dropped.
    pub fn email(&self) -> String {
        self.email.trim().to_owned()
    }

    /// The code exactly as typed, minus surrounding whitespace. Never compared here.
    pub fn code(&self) -> String {
        self.code.trim().to_owned()
    }
}

/// Unicode NFC by the browser (`String.prototype.normalize`): the WASM build leaves the
/// Unicode tables out of `shared` (see its `unicode-tables` feature). Natively (the tests that
/// run without a browser) the text as it is.
pub fn nfc(s: &str) -> String {
    normalize(s, "NFC")
}

/// Whether the browser finds `s` in NFKC (no compatibility forms such as fullwidth letters).
pub fn is_nfkc(s: &str) -> bool {
    normalize(s, "NFKC") == s
}

fn normalize(s: &str, form: &str) -> String {
    if cfg!(target_family = "wasm") {
        js_sys::JsString::from(s).normalize(form).into()
    } else {
        s.to_owned()
    }
}

/// The shared nickname rules, with the NFKC check (made by the browser) where they make it.
fn check_nickname(nickname: &str) -> Result<(), ErrorCode> {
    if !nickname.is_empty() && !is_nfkc(nickname) {
        return Err(ErrorCode::InvalidCharacters);
    }
    rules::check_nickname(nickname)
}

/// Checks before `POST /api/email_auth`: username, nickname and email.
pub fn check_email_auth(input: &SignupInput) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.check(Field::Username, rules::check_username(&input.username()));
    errors.check(Field::Nickname, check_nickname(&input.nickname()));
    errors.check(Field::Email, rules::check_email(&input.email()));
    errors
}

/// Checks before `POST /api/register`. Without a requested code the email field asks for
/// the verification step first.
pub fn check_register(input: &SignupInput, code_requested: bool) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let (username, email) = (input.username(), input.email());
    errors.check(Field::Username, rules::check_username(&username));
    errors.check(
        Field::Password,
        rules::check_password(&input.password, &username, &email),
    );
    if input.password_confirm.is_empty() {
        errors.insert(Field::PasswordConfirm, Issue::Rule(ErrorCode::Required));
    } else if input.password_confirm != input.password {
        errors.insert(Field::PasswordConfirm, Issue::PasswordMismatch);
    }
    errors.check(Field::Nickname, check_nickname(&input.nickname()));
    errors.check(Field::Email, rules::check_email(&email));
    if code_requested {
        errors.check(Field::Code, rules::check_code(&input.code()));
    } else {
        errors.insert(Field::Email, Issue::VerifyFirst);
    }
    errors
}

/// The password-reset form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetInput {
    pub email: String,
    pub code: String,
    pub new_password: String,
    pub new_password_confirm: String,
}

impl ResetInput {
    /// Email as sent: surrounding whitespace from a paste dropped.
    pub fn email(&self) -> String {
        self.email.trim().to_owned()
    }

    /// The code exactly as typed, minus surrounding whitespace. Never compared here.
    pub fn code(&self) -> String {
        self.code.trim().to_owned()
    }
}

/// Checks before `POST /api/password_reset/request`: only the address.
pub fn check_reset_request(input: &ResetInput) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.check(Field::Email, rules::check_email(&input.email()));
    errors
}

/// Checks before `POST /api/password_reset/confirm`: the address, the code, and the new
/// password under the signup rules. The page does not know the username, so only the email's
/// local part is checked here; the server also checks the username and the common passwords.
pub fn check_reset_confirm(input: &ResetInput) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let email = input.email();
    errors.check(Field::Email, rules::check_email(&email));
    errors.check(Field::Code, rules::check_code(&input.code()));
    errors.check(
        Field::NewPassword,
        rules::check_password(&input.new_password, "", &email),
    );
    if input.new_password_confirm.is_empty() {
        errors.insert(Field::NewPasswordConfirm, Issue::Rule(ErrorCode::Required));
    } else if input.new_password_confirm != input.new_password {
        errors.insert(Field::NewPasswordConfirm, Issue::PasswordMismatch);
    }
    errors
}

/// Checks before `POST /api/password/change`: the current password is filled, the new one
/// follows the signup rules (against the account's username and email) and is confirmed.
pub fn check_password_change(
    current: &str,
    new: &str,
    confirm: &str,
    username: &str,
    email: &str,
) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if current.is_empty() {
        errors.insert(Field::CurrentPassword, Issue::Rule(ErrorCode::Required));
    }
    errors.check(
        Field::NewPassword,
        rules::check_password(new, username, email),
    );
    if confirm.is_empty() {
        errors.insert(Field::NewPasswordConfirm, Issue::Rule(ErrorCode::Required));
    } else if confirm != new {
        errors.insert(Field::NewPasswordConfirm, Issue::PasswordMismatch);
    }
    errors
}

/// Checks before `POST /api/email/change/request`: an address and the password.
pub fn check_email_change(new_email: &str, password: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.check(Field::NewEmail, rules::check_email(new_email.trim()));
    if password.is_empty() {
        errors.insert(Field::Password, Issue::Rule(ErrorCode::Required));
    }
    errors
}

/// Checks before `DELETE /api/account`: the account's own username typed again (ignoring
/// case, as usernames compare), and the password.
pub fn check_delete(typed_username: &str, username: &str, password: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let typed = typed_username.trim();
    if typed.is_empty() {
        errors.insert(Field::ConfirmUsername, Issue::Rule(ErrorCode::Required));
    } else if !typed.eq_ignore_ascii_case(username) {
        errors.insert(Field::ConfirmUsername, Issue::NotThisAccount);
    }
    if password.is_empty() {
        errors.insert(Field::Password, Issue::Rule(ErrorCode::Required));
    }
    errors
}

/// Checks before `POST /api/login/mfa` and `POST /api/mfa/totp/*`: the code (6 digits, as
/// every code of this API) or, with `recovery` on, a recovery code in `field` that is filled.
pub fn check_second_factor(field: Field, typed: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if field == Field::Code {
        errors.check(Field::Code, rules::check_code(typed.trim()));
    } else if typed.trim().is_empty() {
        errors.insert(field, Issue::Rule(ErrorCode::Required));
    }
    errors
}

/// Checks before `POST /api/passkeys/register/finish`: a name of 1 to 64 characters.
pub fn check_passkey_name(name: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    if name.is_empty() {
        errors.insert(Field::PasskeyName, Issue::Rule(ErrorCode::Required));
    } else if name.chars().count() > PASSKEY_NAME_MAX_LEN {
        errors.insert(Field::PasskeyName, Issue::Rule(ErrorCode::TooLong));
    }
    errors
}

/// The longest passkey name the server takes (characters, trimmed).
pub const PASSKEY_NAME_MAX_LEN: usize = 64;

/// Checks before `POST /api/login`: only that both fields are filled (the rules of signup
/// are not repeated, so login does not hint at what an account looks like).
pub fn check_login(username: &str, password: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if username.trim().is_empty() {
        errors.insert(Field::Username, Issue::Rule(ErrorCode::Required));
    }
    if password.is_empty() {
        errors.insert(Field::Password, Issue::Rule(ErrorCode::Required));
    }
    errors
}

/// Checks before `POST /api/login/code/request`: an address.
pub fn check_login_code_request(email: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.check(Field::Email, rules::check_email(email.trim()));
    errors
}

/// Checks before `POST /api/login/code/confirm`: the address and the code's format.
pub fn check_login_code(email: &str, code: &str) -> FieldErrors {
    let mut errors = check_login_code_request(email);
    errors.check(Field::Code, rules::check_code(code.trim()));
    errors
}

/// A message for the whole form (shown in its `role="alert"` region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// Some fields need fixing; their own messages say how.
    FixFields,
    /// The API refused with this code (and maybe a wait).
    Api {
        code: ErrorCode,
        retry_after: Option<u64>,
    },
    /// No answer: offline, DNS, refused connection.
    Network,
    /// An answer that is not the API's (proxy error page, unreadable body).
    Server { status: u16 },
}

impl From<ApiError> for Alert {
    /// The whole failure as one message, for places without fields.
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Problem(p) => Alert::Api {
                code: p.code,
                retry_after: p.retry_after,
            },
            ApiError::Network => Alert::Network,
            ApiError::Unexpected { status } => Alert::Server { status },
        }
    }
}

/// What a problem answer means for the form: issues next to fields and/or one alert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feedback {
    pub fields: FieldErrors,
    pub alert: Option<Alert>,
}

/// Maps a problem+json body onto the form: `errors[]` go next to their fields; the
/// field-specific top-level codes (taken, wrong or expired code) go next to the field they
/// are about even when `errors[]` is absent; everything else becomes the form's alert.
pub fn feedback(problem: &Problem) -> Feedback {
    let mut fields = FieldErrors::default();
    let wrong_code = || Issue::WrongCode {
        attempts_left: problem.attempts_left,
    };
    for error in problem.errors.iter().flatten() {
        let Some(field) = Field::from_wire(&error.field) else {
            continue;
        };
        let issue = match error.code {
            ErrorCode::InvalidCode => wrong_code(),
            code => Issue::Rule(code),
        };
        fields.insert(field, issue);
    }
    let own_field = match problem.code {
        ErrorCode::UsernameTaken => Some((Field::Username, Issue::Rule(problem.code))),
        ErrorCode::NicknameTaken => Some((Field::Nickname, Issue::Rule(problem.code))),
        ErrorCode::EmailTaken => Some((Field::Email, Issue::Rule(problem.code))),
        ErrorCode::InvalidCode => Some((Field::Code, wrong_code())),
        ErrorCode::CodeExpired => Some((Field::Code, Issue::Rule(problem.code))),
        _ => None,
    };
    let alert = if let Some((field, issue)) = own_field {
        fields.insert(field, issue);
        None
    } else if problem.code == ErrorCode::ValidationFailed && !fields.is_empty() {
        Some(Alert::FixFields)
    } else {
        Some(Alert::Api {
            code: problem.code,
            retry_after: problem.retry_after,
        })
    };
    Feedback { fields, alert }
}

/// Whether a refused factor change asks for the step-up proof: `422 validation_failed` with
/// `password` or `code` required (the session did not prove them in the last minutes).
pub fn asks_for_step_up(problem: &Problem) -> bool {
    problem.code == ErrorCode::ValidationFailed
        && problem.errors.iter().flatten().any(|e| {
            e.code == ErrorCode::Required && matches!(e.field.as_str(), "password" | "code")
        })
}

/// Checks before sending a step-up: the password, and with TOTP on a code (6 digits).
pub fn check_step_up(password: &str, totp_on: bool, code: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if password.is_empty() {
        errors.insert(Field::Password, Issue::Rule(ErrorCode::Required));
    }
    if totp_on {
        errors.check(Field::Code, rules::check_code(code.trim()));
    }
    errors
}

/// Whole seconds left until `deadline_ms`, rounded up, never negative.
pub fn seconds_left(deadline_ms: f64, now_ms: f64) -> u64 {
    let left = ((deadline_ms - now_ms) / 1000.0).ceil();
    if left.is_finite() && left > 0.0 {
        left as u64
    } else {
        0
    }
}
