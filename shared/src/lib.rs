//! Types both sides of the wire compile against: the JSON request and response bodies of the
//! API, the RFC 9457 problem body, and the input rules (limits and allowed characters).
//!
//! No I/O and no runtime: this crate builds for `wasm32-unknown-unknown` as well as the server.
//! With the `openapi` feature every type also derives `utoipa::ToSchema`.

/// Declares bodies of the API with the derives every one of them has (`Debug, Clone,
/// PartialEq, Eq, Serialize, Deserialize`, and `utoipa::ToSchema` with the `openapi` feature;
/// more with a `#[derive]` of their own).
///
/// A field may carry one of the input rules' schemas (with the `openapi` feature):
/// `#[username]` (3–20 ASCII letters, digits or `_`), `#[email]` (at most 254 bytes, one `@`,
/// a dotted domain), `#[password]` (a password typed to prove it: 1–128 characters),
/// `#[new_password]` (8–128 characters), `#[code]` (six digits).
/// Every field ends with a comma.
macro_rules! dto {
    ($($(#[$attr:meta])* pub struct $name:ident { $($body:tt)* })*) => {
        $(dto!(@field [$(#[$attr])* pub struct $name] [] [] $($body)*);)*
    };
    (@field [$($head:tt)*] [$($done:tt)*] []) => {
        #[derive(Debug, Clone, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $($head)* { $($done)* }
    };
    (@field $head:tt $done:tt [$($attrs:tt)*] #[email] $($rest:tt)*) => {
        dto!(@field $head $done [$($attrs)* #[cfg_attr(
            feature = "openapi",
            schema(max_length = 254, pattern = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
        )]] $($rest)*);
    };
    (@field $head:tt $done:tt [$($attrs:tt)*] #[username] $($rest:tt)*) => {
        dto!(@field $head $done [$($attrs)* #[cfg_attr(
            feature = "openapi",
            schema(min_length = 3, max_length = 20, pattern = "^[A-Za-z0-9_]+$")
        )]] $($rest)*);
    };
    (@field $head:tt $done:tt [$($attrs:tt)*] #[password] $($rest:tt)*) => {
        dto!(@field $head $done [$($attrs)*
            #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]] $($rest)*);
    };
    (@field $head:tt $done:tt [$($attrs:tt)*] #[new_password] $($rest:tt)*) => {
        dto!(@field $head $done [$($attrs)*
            #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]] $($rest)*);
    };
    (@field $head:tt $done:tt [$($attrs:tt)*] #[code] $($rest:tt)*) => {
        dto!(@field $head $done [$($attrs)*
            #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]] $($rest)*);
    };
    (@field $head:tt $done:tt [$($attrs:tt)*] #[$attr:meta] $($rest:tt)*) => {
        dto!(@field $head $done [$($attrs)* #[$attr]] $($rest)*);
    };
    (@field $head:tt [$($done:tt)*] [$($attrs:tt)*] pub $field:ident: $ty:ty, $($rest:tt)*) => {
        dto!(@field $head [$($done)* $($attrs)* pub $field: $ty,] [] $($rest)*);
    };
}

pub mod activity;
pub mod admin;
pub mod dto;
pub mod mfa;
pub mod object;
pub mod problem;
pub mod rules;
pub mod signin;
#[cfg(any(test, feature = "strategies"))]
pub mod strategies;

pub use activity::*;
pub use dto::*;
pub use mfa::*;
pub use problem::{ErrorCode, FieldError, Problem};
pub use signin::*;
