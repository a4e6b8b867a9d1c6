//! The single-page client: signup with an emailed code, login, password reset by emailed code,
//! and the main page.
//!
//! Pure logic (`form`, `i18n`) is separate from the DOM (`components`, `pages`) and from HTTP
//! (`api`, the only module that makes requests), so it can be tested on its own.

// The app ships only as wasm32, where `ApiError` is half its native size and under clippy's
// threshold; the native build exists for `cargo test` (tests/locales.rs, tests/texts.rs).
#![cfg_attr(not(target_family = "wasm"), allow(clippy::result_large_err))]

pub mod activity;
pub mod api;
pub mod app;
pub mod code_step;
pub mod components;
pub mod form;
pub mod form_state;
pub mod i18n;
pub mod pages;
pub mod session;
pub mod webauthn;

/// Mounts the app on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
