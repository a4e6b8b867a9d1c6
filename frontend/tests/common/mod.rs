//! What the native text tests (locales.rs, texts.rs) share.

use frontend::form::Issue;
use shared::ErrorCode;

/// Every kind of issue a field can show, with a few attempt counts (none, zero, one, more).
pub fn issues() -> Vec<Issue> {
    let mut all = vec![
        Issue::PasswordMismatch,
        Issue::VerifyFirst,
        Issue::NotThisAccount,
        Issue::WrongCode {
            attempts_left: None,
        },
    ];
    all.extend([0, 1, 2, 3, 5, 11].map(|n| Issue::WrongCode {
        attempts_left: Some(n),
    }));
    all.extend(ErrorCode::all().map(Issue::Rule));
    all
}
