//! `/settings/password`: change the password, proving the current one; other devices are
//! logged out. Without a session, off to `/login`.

use crate::api;
use crate::components::{
    go_with, settings_page, submit_unless, AlertRegion, SubmitButton, TextField,
};
use crate::form::{self, Field};
use crate::form_state::FormState;
use crate::i18n::{Notice, T};
use leptos::prelude::*;
use shared::{PasswordChangeRequest, UserProfile};

#[component]
pub fn PasswordSettingsPage() -> impl IntoView {
    let lead = Some(T::ChangePasswordLead);
    let form = |profile| view! { <PasswordForm profile /> };
    settings_page(
        ("card", "password-title"),
        T::ChangePasswordTitle,
        lead,
        form,
    )
}

#[component]
fn PasswordForm(profile: UserProfile) -> impl IntoView {
    let changed = go_with(Notice::PasswordChangedHere, "/", false);
    let profile = StoredValue::new(profile);
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let form = FormState::new();
    let FormState { errors, alert } = form;
    let change = form.authed(
        |token, req: PasswordChangeRequest| async move { api::password_change(&token, &req).await },
        move |()| changed(),
        move |err| form.show_with_password(&err, Field::CurrentPassword),
    );
    let pending = change.pending();
    let on_submit = submit_unless(pending, move || {
        let (c, n, k) = (
            current.get_untracked(),
            new.get_untracked(),
            confirm.get_untracked(),
        );
        let found =
            profile.with_value(|p| form::check_password_change(&c, &n, &k, &p.username, &p.email));
        if form.accept(found) {
            change.dispatch(PasswordChangeRequest {
                current_password: c,
                new_password: n,
            });
        }
    });
    view! {
        <AlertRegion alert />
        <form on:submit=on_submit novalidate>
            <TextField field=Field::CurrentPassword value=current errors autocomplete="current-password" input_type="password" />
            <TextField field=Field::NewPassword value=new errors autocomplete="new-password" input_type="password" with_hint=true />
            <TextField field=Field::NewPasswordConfirm value=confirm errors autocomplete="new-password" input_type="password" />
            <SubmitButton id="password-change-submit" pending idle=T::ChangePasswordTitle busy=T::ChangingPassword />
        </form>
    }
}
