//! `/signup`: the form, the "verify email" step with its countdowns, and registration.
//!
//! The code is never seen by this page except as the text the person types into the code
//! field, which is forwarded to `/api/register` as is.

use crate::api;
use crate::code_step::{CodeField, CodeStep, EmailCodeRequest};
use crate::components::{
    go_with, submit_unless, unless_pending, use_clock, use_title, AlertRegion, PasswordPair,
    SubmitButton, TextField,
};
use crate::form::{self, Field, SignupInput};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, Notice, T};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::{EmailAuthRequest, RegisterRequest};

#[component]
pub fn SignupPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::SignupTitle);
    let registered = go_with(Notice::Registered, "/login", false);
    let now = use_clock();

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    let nickname = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);

    let form = FormState::new();
    let FormState { errors, alert } = form;
    let step = CodeStep::new(email, now, form);

    let input = move || SignupInput {
        username: username.get_untracked(),
        password: password.get_untracked(),
        password_confirm: password_confirm.get_untracked(),
        nickname: nickname.get_untracked(),
        email: email.get_untracked(),
        code: code.get_untracked(),
    };

    let send_code = step.sender(
        |req: &EmailAuthRequest| req.email.clone(),
        |req| async move { api::email_auth(&req).await },
    );
    let sending = send_code.pending();

    let register = form.send(
        |req: RegisterRequest| async move { api::register(&req).await },
        move |_profile| registered(),
        move |err| step.failed(&err),
    );
    let registering = register.pending();

    let request_code = unless_pending(sending, move || {
        let input = input();
        let fields = [Field::Username, Field::Nickname, Field::Email];
        if step.accept_request_checks(&fields, form::check_email_auth(&input)) {
            send_code.dispatch(EmailAuthRequest {
                username: input.username(),
                nickname: input.nickname(),
                email: input.email(),
                locale: Some(i18n.lang.get_untracked()),
            });
        }
    });

    let on_submit = submit_unless(registering, move || {
        let input = input();
        let requested = step.requested_untracked();
        if form.accept(form::check_register(&input, requested)) {
            register.dispatch(RegisterRequest {
                username: input.username(),
                password: input.password.clone(),
                nickname: input.nickname(),
                email: input.email(),
                code: input.code(),
            });
        }
    });

    view! {
        <section class="card" aria-labelledby="signup-title">
            <h1 id="signup-title">{move || i18n.t(T::SignupTitle)}</h1>
            <p class="lead">{move || i18n.t(T::SignupLead)}</p>
            <AlertRegion alert />
            <form on:submit=on_submit novalidate>
                <TextField
                    field=Field::Username
                    value=username
                    errors
                    autocomplete="username"
                    maxlength=shared::rules::USERNAME_MAX_LEN
                    with_hint=true
                />
                <PasswordPair
                    field=Field::Password
                    value=password
                    confirm_field=Field::PasswordConfirm
                    confirm=password_confirm
                    errors
                    shown=show_password
                />
                <TextField
                    field=Field::Nickname
                    value=nickname
                    errors
                    autocomplete="nickname"
                    with_hint=true
                />
                <EmailCodeRequest
                    step
                    value=email
                    send_id="verify-email"
                    sending
                    first=T::VerifyEmail
                    on_click=request_code
                    message=i18n::code_sent
                    with_hint=true
                />
                <Show when=move || step.requested()>
                    <CodeField step value=code />
                </Show>
                <SubmitButton id="signup-submit" pending=registering idle=T::SignUp busy=T::SigningUp />
            </form>
            <p class="switch">
                {move || i18n.t(T::HaveAccount)} " "
                <A href="/login">{move || i18n.t(T::LogIn)}</A>
            </p>
        </section>
    }
}
