//! The root: language and notice contexts, the header, and the routes.

use crate::components::{AccountShell, Flash, LangSwitch};
use crate::i18n::{use_i18n, I18n, T};
use crate::pages::{
    activity::ActivityPage,
    devices::DevicesPage,
    home::HomePage,
    login::LoginPage,
    not_found::NotFoundPage,
    not_me::NotMePage,
    reset::ResetPage,
    security::{disable::TotpDisablePage, recovery::RecoveryCodesPage, SecurityPage},
    settings::{
        delete::DeleteAccountPage, email::EmailSettingsPage, password::PasswordSettingsPage,
        SettingsPage,
    },
    signup::SignupPage,
};
use crate::session;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use shared::Locale;

/// The language to start in: the saved choice, else the browser's, else Korean.
pub fn initial_lang() -> Locale {
    session::saved_lang()
        .and_then(|tag| Locale::from_tag(&tag))
        .unwrap_or_else(|| {
            let tags = session::browser_languages();
            Locale::negotiate(tags.iter().map(String::as_str))
        })
}

/// The login page's passkey autofill request ends when the page is left (also when the
/// route's own cleanup does not run first).
#[component]
fn AbortAutofillOnLeave() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    Effect::new(move || {
        if location.pathname.with(|p| p != "/login") {
            crate::webauthn::abort_conditional_now();
        }
    });
}

/// `page` inside the signed-in area's frame.
fn account<V: IntoView + 'static>(page: fn() -> V) -> impl IntoView {
    view! { <AccountShell>{page()}</AccountShell> }
}

#[component]
pub fn App() -> impl IntoView {
    provide_context(I18n::new(initial_lang()));
    provide_context(Flash(RwSignal::new(None)));
    let i18n = use_i18n();
    Effect::new(move || {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", i18n.get().tag());
        }
    });

    view! {
        <Router>
            <AbortAutofillOnLeave />
            <header class="topbar">
                <A href="/" attr:class="brand">
                    {move || i18n.t(T::AppName)}
                </A>
                <LangSwitch />
            </header>
            <main class="page">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/signup") view=SignupPage />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/reset") view=ResetPage />
                    <Route path=path!("/security/not-me") view=NotMePage />
                    // The signed-in area: one frame with its navigation around each page.
                    <Route path=path!("/") view=|| account(HomePage) />
                    <Route path=path!("/devices") view=|| account(DevicesPage) />
                    <Route path=path!("/activity") view=|| account(ActivityPage) />
                    <Route path=path!("/settings") view=|| account(SettingsPage) />
                    <Route path=path!("/settings/password") view=|| account(PasswordSettingsPage) />
                    <Route path=path!("/settings/email") view=|| account(EmailSettingsPage) />
                    <Route path=path!("/settings/delete") view=|| account(DeleteAccountPage) />
                    <Route path=path!("/settings/security") view=|| account(SecurityPage) />
                    <Route path=path!("/settings/security/disable") view=|| account(TotpDisablePage) />
                    <Route path=path!("/settings/security/recovery") view=|| account(RecoveryCodesPage) />
                </Routes>
            </main>
        </Router>
    }
}
