//! The root: language and notice contexts, the header, and the routes.

use crate::components::{Flash, LangSwitch};
use crate::i18n::{use_i18n, I18n, T};
use crate::pages::{
    home::HomePage,
    login::LoginPage,
    not_found::NotFoundPage,
    reset::ResetPage,
    security::{RecoveryCodesPage, SecurityPage, TotpDisablePage},
    settings::{DeleteAccountPage, EmailSettingsPage, PasswordSettingsPage, SettingsPage},
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
            <header class="topbar">
                <A href="/" attr:class="brand">
                    {move || i18n.t(T::AppName)}
                </A>
                <LangSwitch />
            </header>
            <main class="page">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/signup") view=SignupPage />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/reset") view=ResetPage />
                    <Route path=path!("/settings") view=SettingsPage />
                    <Route path=path!("/settings/password") view=PasswordSettingsPage />
                    <Route path=path!("/settings/email") view=EmailSettingsPage />
                    <Route path=path!("/settings/delete") view=DeleteAccountPage />
                    <Route path=path!("/settings/security") view=SecurityPage />
                    <Route path=path!("/settings/security/disable") view=TotpDisablePage />
                    <Route path=path!("/settings/security/recovery") view=RecoveryCodesPage />
                </Routes>
            </main>
        </Router>
    }
}
