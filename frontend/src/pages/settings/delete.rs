//! `/settings/delete`: delete the account for good: the page names it; behind typing the
//! username again and the password. Without a session, off to `/login`.

use crate::api;
use crate::components::{
    end_session, settings_page, submit_unless, AlertRegion, SubmitButton, TextField,
};
use crate::form::{self, Field};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, Notice, T};
use leptos::prelude::*;
use shared::{AccountDeleteRequest, UserProfile};

#[component]
pub fn DeleteAccountPage() -> impl IntoView {
    let form = |profile| view! { <DeleteForm profile /> };
    settings_page(
        ("card danger", "delete-title"),
        T::DeleteAccountTitle,
        None,
        form,
    )
}

#[component]
fn DeleteForm(profile: UserProfile) -> impl IntoView {
    let i18n = use_i18n();
    let deleted = end_session(Notice::AccountDeleted);
    let typed = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let FormState { errors, alert } = form;
    let delete = form.authed(
        |token, req: AccountDeleteRequest| async move { api::delete_account(&token, &req).await },
        move |()| deleted(),
        move |err| form.show_with_password(&err, Field::Password),
    );
    let pending = delete.pending();
    let username = StoredValue::new(profile.username.clone());
    let on_submit = submit_unless(pending, move || {
        let pass = password.get_untracked();
        let found = username.with_value(|u| form::check_delete(&typed.get_untracked(), u, &pass));
        if form.accept(found) {
            delete.dispatch(AccountDeleteRequest { password: pass });
        }
    });
    let name = profile.username.clone();
    view! {
        <p class="lead" id="delete-warning">{move || i18n::delete_warning(i18n.get(), &name)}</p>
        <AlertRegion alert />
        <form on:submit=on_submit novalidate>
            <TextField field=Field::ConfirmUsername value=typed errors autocomplete="off" with_hint=true />
            <TextField field=Field::Password value=password errors autocomplete="current-password" input_type="password" />
            <SubmitButton id="delete-submit" class="primary danger" pending idle=T::DeleteAccount busy=T::DeletingAccount />
        </form>
    }
}
