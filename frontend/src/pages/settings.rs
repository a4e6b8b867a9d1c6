//! `/settings` and its three forms, one route each (every form's fields keep their own ids):
//! `/settings/password` (change it, proving the current one; other devices are logged out),
//! `/settings/email` (a code to the new address, then the code), `/settings/delete` (for good,
//! behind typing the username again and the password). Without a session, off to `/login`.

use crate::api;
use crate::code_step::{CodeField, CodeSentStatus, CodeStep, SendCodeButton};
use crate::components::{
    end_session, go_with, settings_page, submit_unless, unless_pending, use_clock, AlertRegion,
    Card, SubmitButton, TextField,
};
use crate::form::{self, Field, FieldErrors, Issue};
use crate::form_state::{is_code, FormState};
use crate::i18n::{self, use_i18n, Notice, T};
use crate::session;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::{
    AccountDeleteRequest, EmailChangeConfirm, EmailChangeRequest, ErrorCode, PasswordChangeRequest,
    UserProfile,
};

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

#[component]
pub fn EmailSettingsPage() -> impl IntoView {
    let lead = Some(T::ChangeEmailLead);
    let form = |profile| view! { <EmailForm profile /> };
    settings_page(("card", "email-title"), T::ChangeEmailTitle, lead, form)
}

#[component]
fn EmailForm(profile: UserProfile) -> impl IntoView {
    let changed = go_with(Notice::EmailChanged, "/", false);
    let now = use_clock();
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let FormState { errors, alert } = form;
    let step = CodeStep::new(new_email, now, form);
    // The answer goes to the code step, except a wrong password (the password field's) and
    // the session's end.
    let send_code = form.send(
        |req: EmailChangeRequest| async move {
            let body = &req;
            let answer =
                session::authed(
                    |token| async move { api::email_change_request(&token, body).await },
                )
                .await;
            match answer {
                Err(err)
                    if err.is_unauthorized() || is_code(&err, ErrorCode::InvalidCredentials) =>
                {
                    Err(err)
                }
                answer => Ok((req.new_email, answer)),
            }
        },
        move |(to, answer)| step.answered(to, answer),
        form.or_expired(move |err| form.show_with_password(&err, Field::Password)),
    );
    let sending = send_code.pending();
    let confirm =
        form.authed(
            |token, req: EmailChangeConfirm| async move {
                api::email_change_confirm(&token, &req).await
            },
            move |_| changed(),
            move |err| step.failed(&err),
        );
    let confirming = confirm.pending();
    let request_code = unless_pending(sending, move || {
        let (email, pass) = (new_email.get_untracked(), password.get_untracked());
        if form.accept(form::check_email_change(&email, &pass)) {
            send_code.dispatch(EmailChangeRequest {
                new_email: email.trim().to_owned(),
                password: pass,
            });
        }
    });
    let on_submit = step.on_submit(request_code, confirming, move || {
        let typed = code.get_untracked().trim().to_owned();
        let mut found = FieldErrors::default();
        if let Err(c) = shared::rules::check_code(&typed) {
            found.insert(Field::Code, Issue::Rule(c));
        }
        if form.accept(found) {
            confirm.dispatch(EmailChangeConfirm { code: typed });
        }
    });
    view! {
        <p class="muted" id="current-email">{profile.email.clone()}</p>
        <AlertRegion alert />
        <form on:submit=on_submit novalidate>
            <TextField field=Field::NewEmail value=new_email errors autocomplete="email" input_type="email" inputmode="email" with_hint=true />
            <TextField field=Field::Password value=password errors autocomplete="current-password" input_type="password" />
            <SendCodeButton id="email-change-send" step sending first=T::SendEmailCode on_click=request_code />
            <CodeSentStatus step message=i18n::code_sent />
            <Show when=move || step.requested()>
                <CodeField step value=code />
                <SubmitButton id="email-change-submit" pending=confirming idle=T::ConfirmEmailChange busy=T::ChangingEmail />
            </Show>
        </form>
    }
}

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
