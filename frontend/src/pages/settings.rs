//! `/settings` and its three forms, one route each (every form's fields keep their own ids):
//! `/settings/password` (change it, proving the current one; other devices are logged out),
//! `/settings/email` (a code to the new address, then the code), `/settings/delete` (for good,
//! behind typing the username again and the password). Without a session, off to `/login`.

use crate::api::{self, ApiError};
use crate::code_step::{CodeField, CodeSentStatus, CodeStep, SendCodeButton};
use crate::components::{
    accept_checks, show_api_error, use_clock, use_flash, use_title, AlertRegion, SubmitButton,
    TextField,
};
use crate::form::{self, Alert, Field, FieldErrors, Issue};
use crate::i18n::{self, use_i18n, Notice, T};
use crate::pages::home::{end_session, leave_when_refused};
use crate::session;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::{
    AccountDeleteRequest, EmailChangeConfirm, EmailChangeRequest, ErrorCode, PasswordChangeRequest,
    UserProfile,
};

/// Renders `form` with the signed-in profile; a dead session goes to the login page.
pub(crate) fn signed_in<V: IntoView + 'static>(
    form: impl Fn(UserProfile) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let profile =
        LocalResource::new(|| session::authed(|token| async move { api::nick(&token).await }));
    leave_when_refused(profile, end_session(Notice::SessionExpired));
    let loading = move || view! { <p class="muted">{move || i18n.t(T::Loading)}</p> };
    view! {
        <Suspense fallback=loading>
            {move || {
                let form = form.clone();
                profile
                    .get()
                    .map(move |result| match result {
                        Ok(p) => form(p).into_any(),
                        Err(_) => ().into_any(),
                    })
            }}
        </Suspense>
    }
}

/// A wrong password is about the password field, not the session.
pub(crate) fn show_error(
    err: &ApiError,
    field: Field,
    errors: RwSignal<FieldErrors>,
    alert: RwSignal<Option<Alert>>,
) {
    if matches!(err, ApiError::Problem(p) if p.code == ErrorCode::InvalidCredentials) {
        errors.update(|e| e.insert(field, Issue::Rule(ErrorCode::InvalidCredentials)));
        crate::components::focus_field(field);
        return;
    }
    show_api_error(err, errors, alert);
}

pub(crate) fn back_link() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="switch">
            <A href="/settings">{move || i18n.t(T::Settings)}</A> " · "
            <A href="/">{move || i18n.t(T::BackToAccount)}</A>
        </p>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::Settings);
    view! {
        <section class="card" aria-labelledby="settings-title">
            <h1 id="settings-title">{move || i18n.t(T::Settings)}</h1>
            <p class="lead">{move || i18n.t(T::SettingsLead)}</p>
            <nav class="settings-menu">
                <ul>
                    <li><A href="/settings/password" attr:id="settings-password">{move || i18n.t(T::ChangePasswordTitle)}</A></li>
                    <li><A href="/settings/email" attr:id="settings-email">{move || i18n.t(T::ChangeEmailTitle)}</A></li>
                    <li><A href="/settings/security" attr:id="settings-security">{move || i18n.t(T::SecurityTitle)}</A></li>
                    <li><A href="/settings/delete" attr:id="settings-delete">{move || i18n.t(T::DeleteAccountTitle)}</A></li>
                </ul>
            </nav>
            <p class="switch"><A href="/">{move || i18n.t(T::BackToAccount)}</A></p>
        </section>
    }
}

#[component]
pub fn PasswordSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::ChangePasswordTitle);
    view! {
        <section class="card" aria-labelledby="password-title">
            <h1 id="password-title">{move || i18n.t(T::ChangePasswordTitle)}</h1>
            <p class="lead">{move || i18n.t(T::ChangePasswordLead)}</p>
            {signed_in(|profile| view! { <PasswordForm profile /> })}
            {back_link()}
        </section>
    }
}

#[component]
fn PasswordForm(profile: UserProfile) -> impl IntoView {
    let flash = use_flash();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let alert = RwSignal::new(None::<Alert>);
    let expired = end_session(Notice::SessionExpired);
    let change = Action::new_local(move |req: &PasswordChangeRequest| {
        let req = req.clone();
        let (navigate, expired) = (navigate.clone(), expired.clone());
        async move {
            let result = session::authed(|token| {
                let req = req.clone();
                async move { api::password_change(&token, &req).await }
            })
            .await;
            match result {
                Ok(()) => {
                    flash.set(Notice::PasswordChangedHere);
                    navigate("/", NavigateOptions::default());
                }
                Err(err) if err.is_unauthorized() => expired(),
                Err(err) => show_error(&err, Field::CurrentPassword, errors, alert),
            }
        }
    });
    let pending = change.pending();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (c, n, k) = (
            current.get_untracked(),
            new.get_untracked(),
            confirm.get_untracked(),
        );
        let found = form::check_password_change(&c, &n, &k, &profile.username, &profile.email);
        if accept_checks(found, errors, alert) {
            change.dispatch(PasswordChangeRequest {
                current_password: c,
                new_password: n,
            });
        }
    };
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
    let i18n = use_i18n();
    use_title(T::ChangeEmailTitle);
    view! {
        <section class="card" aria-labelledby="email-title">
            <h1 id="email-title">{move || i18n.t(T::ChangeEmailTitle)}</h1>
            <p class="lead">{move || i18n.t(T::ChangeEmailLead)}</p>
            {signed_in(|profile| view! { <EmailForm profile /> })}
            {back_link()}
        </section>
    }
}

#[component]
fn EmailForm(profile: UserProfile) -> impl IntoView {
    let flash = use_flash();
    let navigate = use_navigate();
    let now = use_clock();
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let alert = RwSignal::new(None::<Alert>);
    let step = CodeStep::new(new_email, now, errors, alert);
    let expired = end_session(Notice::SessionExpired);
    let send_code = {
        let expired = expired.clone();
        Action::new_local(move |req: &EmailChangeRequest| {
            let req = req.clone();
            let expired = expired.clone();
            async move {
                let result = session::authed(|token| {
                    let req = req.clone();
                    async move { api::email_change_request(&token, &req).await }
                })
                .await;
                match result {
                    Err(err) if err.is_unauthorized() => expired(),
                    Err(err) if matches!(&err, ApiError::Problem(p) if p.code == ErrorCode::InvalidCredentials) => {
                        show_error(&err, Field::Password, errors, alert)
                    }
                    result => step.answered(req.new_email, result),
                }
            }
        })
    };
    let sending = send_code.pending();
    let confirm = Action::new_local(move |req: &EmailChangeConfirm| {
        let req = req.clone();
        let (navigate, expired) = (navigate.clone(), expired.clone());
        async move {
            let result = session::authed(|token| {
                let req = req.clone();
                async move { api::email_change_confirm(&token, &req).await }
            })
            .await;
            match result {
                Ok(_) => {
                    flash.set(Notice::EmailChanged);
                    navigate("/", NavigateOptions::default());
                }
                Err(err) if err.is_unauthorized() => expired(),
                Err(err) => step.failed(&err),
            }
        }
    });
    let confirming = confirm.pending();
    let request_code = move || {
        if sending.get_untracked() {
            return;
        }
        let (email, pass) = (new_email.get_untracked(), password.get_untracked());
        if accept_checks(form::check_email_change(&email, &pass), errors, alert) {
            send_code.dispatch(EmailChangeRequest {
                new_email: email.trim().to_owned(),
                password: pass,
            });
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if step.submit_asks_for_code(request_code) || confirming.get_untracked() {
            return;
        }
        let typed = code.get_untracked().trim().to_owned();
        let mut found = FieldErrors::default();
        if let Err(c) = shared::rules::check_code(&typed) {
            found.insert(Field::Code, Issue::Rule(c));
        }
        if accept_checks(found, errors, alert) {
            confirm.dispatch(EmailChangeConfirm { code: typed });
        }
    };
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
    let i18n = use_i18n();
    use_title(T::DeleteAccountTitle);
    view! {
        <section class="card danger" aria-labelledby="delete-title">
            <h1 id="delete-title">{move || i18n.t(T::DeleteAccountTitle)}</h1>
            {signed_in(|profile| view! { <DeleteForm profile /> })}
            {back_link()}
        </section>
    }
}

#[component]
fn DeleteForm(profile: UserProfile) -> impl IntoView {
    let i18n = use_i18n();
    let flash = use_flash();
    let navigate = use_navigate();
    let typed = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let alert = RwSignal::new(None::<Alert>);
    let expired = end_session(Notice::SessionExpired);
    let delete = Action::new_local(move |req: &AccountDeleteRequest| {
        let req = req.clone();
        let (navigate, expired) = (navigate.clone(), expired.clone());
        async move {
            let result = session::authed(|token| {
                let req = req.clone();
                async move { api::delete_account(&token, &req).await }
            })
            .await;
            match result {
                Ok(()) => {
                    session::clear();
                    flash.set(Notice::AccountDeleted);
                    navigate(
                        "/login",
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(err) if err.is_unauthorized() => expired(),
                Err(err) => show_error(&err, Field::Password, errors, alert),
            }
        }
    });
    let pending = delete.pending();
    let username = profile.username.clone();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let pass = password.get_untracked();
        if accept_checks(
            form::check_delete(&typed.get_untracked(), &username, &pass),
            errors,
            alert,
        ) {
            delete.dispatch(AccountDeleteRequest { password: pass });
        }
    };
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
