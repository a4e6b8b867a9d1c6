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
        0 => match serde_json::from_slice::<EmailAuthRequest>(body) {
            Err(_) => Outcome::Unparsed,
            Ok(request) => match NewSignup::try_from(request) {
                Ok(s) => {
                    stable_username(&s.username);
                    stable_nickname(&s.nickname);
                    stable_email(&s.email);
                    Outcome::Accepted
                }
                Err(e) => refused(e),
            },
        },
        1 => match serde_json::from_slice::<RegisterRequest>(body) {
            Err(_) => Outcome::Unparsed,
            Ok(request) => match Registration::try_from(request) {
                Ok(r) => {
                    stable_username(&r.username);
                    stable_nickname(&r.nickname);
                    stable_email(&r.email);
                    Outcome::Accepted
                }
                Err(e) => refused(e),
            },
        },
        _ => match serde_json::from_slice::<LoginRequest>(body) {
            Err(_) => Outcome::Unparsed,
            Ok(request) => match Credentials::try_from(request) {
                Ok(_) => Outcome::Accepted,
                Err(e) => refused(e),
            },
        },
    }
}
