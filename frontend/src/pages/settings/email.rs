//! `/settings/email`: change the email: a code to the new address (the signup's code step),
//! then the code. Without a session, off to `/login`.

use crate::api;
use crate::code_step::{CodeField, CodeSentStatus, CodeStep, SendCodeButton};
use crate::components::{
    go_with, settings_page, unless_pending, use_clock, AlertRegion, SubmitButton, TextField,
};
use crate::form::{self, Field, FieldErrors, Issue};
use crate::form_state::{is_code, FormState};
use crate::i18n::{self, Notice, T};
use crate::session;
use leptos::prelude::*;
use shared::{EmailChangeConfirm, EmailChangeRequest, ErrorCode, UserProfile};

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
