//! Response rows that several endpoints share, each worded once here; a handler names the type
//! in its `#[utoipa::path(responses(…))]`. The body of an error row is always `Problem`
//! ([`super::problems::ProblemCodes`]), and the rows that follow from how an endpoint is
//! declared (a JSON body, bearer security, the per-IP limit, the database) are not here either:
//! [`super::problems::imply`] adds them.

use std::collections::BTreeMap;

use utoipa::openapi::{header::HeaderBuilder, response::ResponseBuilder, RefOr, Response};

/// An error row: `status`, and its description (the codes in backticks).
fn problem(status: u16, description: &str) -> (u16, Response) {
    (
        status,
        ResponseBuilder::new().description(description).build(),
    )
}

/// The 401 of an endpoint that proves the account's password: a bad token, or the password
/// (`what` says which, and how the failure counts) is wrong.
fn password_refused(what: &str) -> (u16, Response) {
    let description =
        format!("`invalid_token` (with `WWW-Authenticate`), or `invalid_credentials`: {what}");
    let header = HeaderBuilder::new()
        .schema(<String as utoipa::PartialSchema>::schema())
        .description(Some(
            "`Bearer error=\"invalid_token\"` (with `invalid_token`)",
        ))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .header("WWW-Authenticate", header)
        .build();
    (401, response)
}

/// The 503 of an endpoint that hashes or verifies a password.
fn hashing() -> (u16, Response) {
    problem(
        503,
        "`service_unavailable`: the database does not answer, or every password-hashing thread \
         is busy and its queue is full (`Retry-After: 1`)",
    )
}

fn map(rows: impl IntoIterator<Item = (u16, Response)>) -> BTreeMap<String, RefOr<Response>> {
    rows.into_iter()
        .map(|(status, response)| (status.to_string(), RefOr::T(response)))
        .collect()
}

/// `rows! { /// doc \n Name = [row, …]; … }`: a unit type whose documentation is those rows.
macro_rules! rows {
    ($($(#[$doc:meta])* $name:ident = [$($row:expr),+ $(,)?];)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                map([$($row),+])
            }
        }
    )+};
}

rows! {
    /// A wrong password in the request (`delete_account`, `totp_disable`, `recovery_codes`).
    PasswordRefused = [password_refused(
        "the password is wrong (counted as a failed sign-in of the account)",
    )];
    /// A wrong password in a step-up (`totp_setup`, `passkey_register_start`,
    /// `delete_passkey`).
    StepUpRefused = [password_refused(
        "the step-up's password is wrong (counted as a failed sign-in of the account)",
    )];
    /// The 503 of every endpoint that hashes or verifies a password.
    PasswordHashing = [hashing()];
    /// What a change proven by the password alone shares beyond its own rows
    /// (`delete_account`, `password_change`).
    ProvenByPassword = [
        problem(
            429,
            "`too_many_attempts`: too many failed logins for this account within the window \
             (wrong passwords here count with them), or `rate_limited`: too many requests from \
             this client address",
        ),
        hashing(),
    ];
    /// The 429 of a passkey change behind a step-up (`passkey_register_start`,
    /// `delete_passkey`).
    StepUpAttempts = [problem(
        429,
        "`too_many_attempts`: too many wrong passwords or second factors for this account \
         from this client's pool; or `rate_limited`",
    )];
    /// What a change proven by the password and a second factor shares beyond its own rows
    /// (`totp_disable`, `recovery_codes`).
    ProvenByPasswordAndFactor = [
        password_refused("the password is wrong (counted as a failed sign-in of the account)"),
        problem(409, "`totp_not_enabled`"),
        problem(
            422,
            "`validation_failed`: no password, or not exactly one of `code` and `recovery_code`",
        ),
        problem(
            429,
            "`too_many_attempts`: too many failed logins or wrong second-factor codes for this \
             account within the window, or `rate_limited`: too many requests from this client \
             address",
        ),
        hashing(),
    ];
    /// The mail server refused the address (every endpoint that mails a code).
    MailRefused = [problem(
        422,
        "`validation_failed` (also when the mail server refuses the address)",
    )];
    /// The mail could not be handed over (every endpoint that mails a code).
    MailUnavailable = [problem(
        503,
        "`mail_unavailable` (nothing was used up; retry) or `service_unavailable`",
    )];
    /// A sign-in step of an account an operator disabled (`refresh`, `login_mfa`,
    /// `login_mfa_passkey_start`).
    AccountDisabled = [problem(403, "`account_disabled`: an operator disabled the account")];
}
