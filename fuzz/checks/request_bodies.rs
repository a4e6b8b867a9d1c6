//! Raw request bytes → serde_json into the shared DTOs → the domain conversion, exactly as the
//! handlers do it. Nothing may panic; a refused body must map to a 4xx problem; an accepted
//! one must hold only values that parse again to themselves.
//!
//! The property lives here, outside the fuzz target, so that `cargo test` replays the seeds and
//! random inputs through the very same checks (backend/tests/fuzz_replay.rs) without the
//! instrumented build.

use backend::{
    domain::{Credentials, EmailAddress, NewSignup, Nickname, Registration, Username},
    error::ApiError,
};
use shared::{EmailAuthRequest, LoginRequest, RegisterRequest};

/// Where one input ended: not a request of its type (serde refused it: malformed JSON, an
/// unknown or missing field, a wrong type or locale), refused by the domain conversion with the
/// fields it named, or accepted. `backend/tests/api/fuzz_replay.rs` counts these to prove its
/// generators reach every branch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(dead_code)] // the fuzz target only needs the panics
pub enum Outcome {
    Unparsed,
    Refused(Vec<String>),
    Accepted,
}

fn refused(err: ApiError) -> Outcome {
    let problem = err.problem();
    assert!(
        (400..500).contains(&problem.status),
        "a client body produced {problem:?}"
    );
    Outcome::Refused(
        problem
            .errors
            .iter()
            .flatten()
            .map(|e| e.field.clone())
            .collect(),
    )
}

fn stable_username(u: &Username) {
    assert_eq!(Username::parse(u.as_str().to_owned()).as_ref(), Ok(u));
    assert_eq!(u.key(), u.as_str().to_lowercase());
}

fn stable_nickname(n: &Nickname) {
    assert_eq!(Nickname::parse(n.as_str()).as_ref(), Ok(n));
    assert!(n.as_str().chars().all(|c| !c.is_control()));
}

fn stable_email(e: &EmailAddress) {
    assert_eq!(EmailAddress::parse(e.as_str().to_owned()).as_ref(), Ok(e));
    assert!(
        !e.as_str().contains(['\r', '\n']),
        "header injection: {e:?}"
    );
}

/// The three names a sign-up carries (email_auth and register alike) parse again to themselves.
fn stable_names(username: &Username, nickname: &Nickname, email: &EmailAddress) {
    stable_username(username);
    stable_nickname(nickname);
    stable_email(email);
}

/// One fuzz input: panics (an assertion) on a broken property.
pub fn check(data: &[u8]) {
    outcome(data);
}

/// [`check`], telling where the input ended.
pub fn outcome(data: &[u8]) -> Outcome {
    let Some((&selector, body)) = data.split_first() else {
        return Outcome::Unparsed;
    };
    match selector % 3 {
        0 => converted(
            serde_json::from_slice::<EmailAuthRequest>(body),
            |s: &NewSignup| stable_names(&s.username, &s.nickname, &s.email),
        ),
        1 => converted(
            serde_json::from_slice::<RegisterRequest>(body),
            |r: &Registration| stable_names(&r.username, &r.nickname, &r.email),
        ),
        _ => converted(
            serde_json::from_slice::<LoginRequest>(body),
            |_: &Credentials| {},
        ),
    }
}

/// Where a body that serde `parsed` (or refused) ended: its domain conversion refused it (a 4xx
/// naming fields) or accepted it, and then `accepted` checks the values it holds.
fn converted<R, D>(parsed: serde_json::Result<R>, accepted: impl FnOnce(&D)) -> Outcome
where
    D: TryFrom<R, Error = ApiError>,
{
    let Ok(request) = parsed else {
        return Outcome::Unparsed;
    };
    match D::try_from(request) {
        Ok(value) => {
            accepted(&value);
            Outcome::Accepted
        }
        Err(e) => refused(e),
    }
}
