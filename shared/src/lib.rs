//! Types both sides of the wire compile against: the JSON request and response bodies of the
//! API, the RFC 9457 problem body, and the input rules (limits and allowed characters).
//!
//! No I/O and no runtime: this crate builds for `wasm32-unknown-unknown` as well as the server.
//! With the `openapi` feature every type also derives `utoipa::ToSchema`.

pub mod activity;
pub mod admin;
pub mod dto;
pub mod mfa;
pub mod problem;
pub mod rules;
pub mod signin;

pub use activity::*;
pub use dto::*;
pub use mfa::*;
pub use problem::{ErrorCode, FieldError, Problem};
pub use signin::*;
