//! Arbitrary text through every rule in `shared::rules` (the same functions the browser runs)
//! and the domain parsers built on them: no panic, normalisation is idempotent, and the rules
//! and the domain types agree.
//!
//! The property lives here, outside the fuzz target, so that `cargo test` replays the seeds and
//! random inputs through the very same checks (backend/tests/fuzz_replay.rs) without the
//! instrumented build.

use backend::domain::{EmailAddress, Nickname, Password, Username, VerificationCode};
use shared::rules;

/// One fuzz input: panics (an assertion) on a broken property.
pub fn check(text: &str) {
    // Split the input into a few fields so that relations between them (password vs username
    // and email) are explored too.
    let mut parts = text.splitn(3, '\u{1F}');
    let a = parts.next().unwrap_or_default();
    let b = parts.next().unwrap_or_default();
    let c = parts.next().unwrap_or_default();

    assert_eq!(
        rules::check_username(a).is_ok(),
        Username::parse(a.to_owned()).is_ok()
    );

    let normalized = rules::normalize_nickname(a);
    assert_eq!(rules::normalize_nickname(&normalized), normalized);
    assert_eq!(
        rules::check_nickname(&normalized).is_ok(),
        Nickname::parse(a).is_ok()
    );

    if EmailAddress::parse(a.to_owned()).is_ok() {
        assert!(
            rules::check_email(a).is_ok(),
            "domain accepted what the rule refuses: {a:?}"
        );
    }
    let email_key = rules::normalize_email(a);
    assert_eq!(rules::normalize_email(&email_key), email_key);

    let _ = rules::check_password(a, b, c);
    let _ = Password::parse(a.to_owned(), b, c);
    let _ = Password::for_login(a.to_owned());
    assert_eq!(
        rules::check_code(a).is_ok(),
        VerificationCode::parse(a.to_owned()).is_ok()
    );
}
