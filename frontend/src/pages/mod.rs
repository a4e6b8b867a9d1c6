//! One module per route.

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
