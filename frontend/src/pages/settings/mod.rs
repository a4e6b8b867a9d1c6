//! `/settings`: the account's settings, linked from the main page: the links to its three
//! forms, one route and one module each (`password.rs`, `email.rs`, `delete.rs`; every form's
//! fields keep their own ids), and to the security page.

pub mod delete;
pub mod email;
pub mod password;

use crate::components::Card;
use crate::i18n::{use_i18n, T};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Card heading_id="settings-title" title=T::Settings lead=Some(T::SettingsLead)>
            <nav class="settings-menu">
                <ul>
                    <li><A href="/settings/password" attr:id="settings-password">{move || i18n.t(T::ChangePasswordTitle)}</A></li>
                    <li><A href="/settings/email" attr:id="settings-email">{move || i18n.t(T::ChangeEmailTitle)}</A></li>
                    <li><A href="/settings/security" attr:id="settings-security">{move || i18n.t(T::SecurityTitle)}</A></li>
                    <li><A href="/settings/delete" attr:id="settings-delete">{move || i18n.t(T::DeleteAccountTitle)}</A></li>
                </ul>
            </nav>
            <p class="switch"><A href="/">{move || i18n.t(T::BackToAccount)}</A></p>
        </Card>
    }
}
