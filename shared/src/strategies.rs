//! Generators for the property tests of the input rules, one definition for this crate's
//! tests and the backend's domain tests (feature `strategies`), so that "an ordinary
//! address" or "a run that reaches both sides of a rule" means the same on both sides.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::Cell;

/// Addresses of the ordinary shape: local parts with dots and the usual symbols (either
/// case), host names of one to three labels (digits and hyphens inside), an alphabetic
/// top-level domain.
pub fn address() -> impl Strategy<Value = String> {
    (
        "[a-zA-Z0-9]([a-zA-Z0-9_+-]{0,8}[a-zA-Z0-9])?(\\.[a-z0-9]{1,8}){0,2}",
        "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?){0,2}",
        "[a-z]{2,6}",
    )
        .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
}

/// Characters that end a header line (CR, LF and every other line or space separator,
/// NUL), split or close an address in one (`<`, `>`, `,`, `;`, quotes, backslash,
/// parentheses), or make it a literal (brackets, colon, a second `@`).
pub const BREAKERS: [char; 21] = [
    '\r', '\n', '<', '>', '\t', ' ', '\0', '\u{85}', '\u{A0}', '\u{2028}', '\u{2029}', ',', ';',
    '"', '\\', '(', ')', '[', ']', ':', '@',
];

/// An [`address`] with one to three [`BREAKERS`] inserted anywhere (ends included).
pub fn with_breakers() -> impl Strategy<Value = String> {
    (
        address(),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::sample::select(&BREAKERS[..]),
            ),
            1..=3,
        ),
    )
        .prop_map(|(address, injections)| {
            let mut chars: Vec<char> = address.chars().collect();
            for (at, c) in injections {
                chars.insert(at.index(chars.len() + 1), c);
            }
            chars.into_iter().collect()
        })
}

/// Runs `check` on 1,000 generated values and returns how many it accepted and refused
/// (`Ok(true)`: accepted, and its properties held; `Ok(false)`: refused). Panics on the first
/// property that fails, shrunk. A property guarded by "if accepted" proves nothing when
/// nothing is, so callers assert a floor on both counts.
pub fn two_sided<S: Strategy>(
    strategy: S,
    check: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> (u32, u32) {
    let (accepted, refused) = (Cell::new(0u32), Cell::new(0u32));
    let mut runner = TestRunner::new(Config {
        cases: 1_000,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |value| {
        let side = if check(value)? { &accepted } else { &refused };
        side.set(side.get() + 1);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    (accepted.get(), refused.get())
}
