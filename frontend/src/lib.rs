//! The single-page client: signup with an emailed code, login, password reset by emailed code,
//! and the main page.
//!
//! Pure logic (`form`, `i18n`) is separate from the DOM (`components`, `pages`) and from HTTP
//! (`api`, the only module that makes requests), so it can be tested on its own.

pub mod api;
pub mod app;
pub mod code_step;
pub mod components;
pub mod form;
pub mod i18n;
pub mod pages;
pub mod session;

/// Mounts the app on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
