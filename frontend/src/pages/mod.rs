//! One module per route. `settings/` and `security/` hold the routes under `/settings` and
//! `/settings/security` (the folder's own route in its `mod.rs`) and, in modules that are no
//! route, what those routes share. No route module imports another: what pages of different
//! folders share is in `crate::components` (or another module outside `pages`).

pub mod activity;
pub mod devices;
pub mod home;
pub mod login;
pub mod not_found;
pub mod not_me;
pub mod reset;
pub mod security;
pub mod settings;
pub mod signup;
