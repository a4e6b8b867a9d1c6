//! Passkeys (WebAuthn), a map of the feature:
//!
//! - register, list and delete one while signed in: [`manage`] (adding and removing need a
//!   step-up, `signin::step_up`, and each is mailed to the owner; at most `APP_PASSKEYS_MAX`
//!   per account, one pending registration at a time);
//! - sign in with one alone: `signin::passkey`; as the second step: `signin::second_step`;
//! - the ceremonies' server side (challenge state kept in MongoDB, taken once): [`ceremony`];
//! - the relying party (a key holder): `auth::webauthn`;
//! - storage: `store::passkeys`; the HTTP routes: `routes::passkeys`.

pub mod ceremony;
pub mod manage;

pub use ceremony::*;
