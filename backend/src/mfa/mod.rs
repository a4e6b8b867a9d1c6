//! The second factor: TOTP with recovery codes.
//!
//! - [`crypto`]: the secrets and how they are kept (sealed TOTP secrets, HMAC'd recovery
//!   codes, login tickets);
//! - [`manage`]: what the signed-in owner does with them (set up, enable, disable, replace the
//!   recovery codes), each behind a step-up (`signin::step_up`) and followed by a notice;
//! - the second step of a sign-in that uses them lives with sign-in (`signin::second_step`).

pub mod crypto;
pub mod manage;

pub use crypto::*;
