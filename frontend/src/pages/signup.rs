//! `/signup`: the form, the "verify email" step with its countdowns, and registration.
//!
//! The code is never seen by this page except as the text the person types into the code
//! field, which is forwarded to `/api/register` as is.

use crate::api::{self, ApiError};
use crate::components::{
    accept_checks, focus_field, show_api_error, use_clock, use_flash, use_title, AlertRegion,
    TextField,
};
use crate::form::{self, seconds_left, Alert, Field, FieldErrors, SignupInput};
use crate::i18n::{self, use_i18n, Notice, T};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use shared::{EmailAuthRequest, ErrorCode, RegisterRequest};

/// A code requested for `email`; `expires_at` is unknown when the server only told us that
/// one was sent recently (a cooldown answer).
#[derive(Debug, Clone, PartialEq)]
struct CodeRequest {
    email: String,
    expires_at: Option<f64>,
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::SignupTitle);
    let navigate = use_navigate();
    let flash = use_flash();
    let now = use_clock();

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    let nickname = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);

    let errors = RwSignal::new(FieldErrors::default());
    let alert = RwSignal::new(None::<Alert>);
    let code_request = RwSignal::new(None::<CodeRequest>);
    // Epoch milliseconds before which the server will refuse another code.
    let resend_at = RwSignal::new(0.0_f64);

    let input = move || SignupInput {
        username: username.get_untracked(),
        password: password.get_untracked(),
        password_confirm: password_confirm.get_untracked(),
        nickname: nickname.get_untracked(),
        email: email.get_untracked(),
        code: code.get_untracked(),
    };

    // A code belongs to the address it was sent to: editing the address starts over.
    Effect::new(move || {
        let typed = email.with(|e| e.trim().to_owned());
        if code_request.with_untracked(|c| c.as_ref().is_some_and(|c| c.email != typed)) {
            code_request.set(None);
            resend_at.set(0.0);
        }
    });

    let send_code = Action::new_local(move |req: &EmailAuthRequest| {
        let req = req.clone();
        async move {
            let result = api::email_auth(&req).await;
            let sent_at = js_sys::Date::now();
            now.set(sent_at);
            let at = |secs: u64| sent_at + secs as f64 * 1000.0;
            match result {
                Ok(answer) => {
                    resend_at.set(at(answer.resend_after));
                    code_request.set(Some(CodeRequest {
                        email: req.email,
                        expires_at: Some(at(answer.expires_in)),
                    }));
                    errors.update(|e| e.remove(Field::Code));
                    focus_field(Field::Code);
                }
                Err(err) => {
                    if let ApiError::Problem(p) = &err {
                        if let Some(wait) = p.retry_after {
                            resend_at.set(at(wait));
                        }
                        // A cooldown means a code for this address is already on its way.
                        if p.code == ErrorCode::ResendCooldown
                            && code_request.with_untracked(Option::is_none)
                        {
                            code_request.set(Some(CodeRequest {
                                email: req.email,
                                expires_at: None,
                            }));
                        }
                    }
                    show_api_error(&err, errors, alert);
                }
            }
        }
    });
    let sending = send_code.pending();

    let register = Action::new_local(move |req: &RegisterRequest| {
        let req = req.clone();
        let navigate = navigate.clone();
        async move {
            match api::register(&req).await {
                Ok(_profile) => {
                    flash.set(Notice::Registered);
                    navigate("/login", Default::default());
                }
                Err(err) => {
                    if matches!(&err, ApiError::Problem(p) if p.code == ErrorCode::CodeExpired) {
                        code_request.update(|c| {
                            if let Some(c) = c {
                                c.expires_at = Some(0.0);
                            }
                        });
                    }
                    show_api_error(&err, errors, alert);
                }
            }
        }
    });
    let registering = register.pending();

    let cooldown_left = move || seconds_left(resend_at.get(), now.get());

    let request_code = move || {
        if sending.get_untracked() {
            return;
        }
        let input = input();
        let mut found = errors.get_untracked();
        for field in [Field::Username, Field::Nickname, Field::Email] {
            found.remove(field);
        }
        let checked = form::check_email_auth(&input);
        let ok = checked.is_empty();
        found.merge(checked);
        if !ok {
            accept_checks(found, errors, alert);
            return;
        }
        errors.set(found);
        alert.set(None);
        send_code.dispatch(EmailAuthRequest {
            username: input.username(),
            nickname: input.nickname(),
            email: input.email(),
            locale: Some(i18n.lang.get_untracked().locale()),
        });
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if registering.get_untracked() {
            return;
        }
        let input = input();
        let requested = code_request.with_untracked(Option::is_some);
        if accept_checks(form::check_register(&input, requested), errors, alert) {
            register.dispatch(RegisterRequest {
                username: input.username(),
                password: input.password.clone(),
                nickname: input.nickname(),
                email: input.email(),
                code: input.code(),
            });
        }
    };

    let password_type = Signal::derive(move || {
        if show_password.get() {
            "text"
        } else {
            "password"
        }
    });

    let verify_label = move || {
        let lang = i18n.get();
        let left = cooldown_left();
        if sending.get() {
            i18n::t(lang, T::Sending).to_owned()
        } else if left > 0 {
            i18n::resend_in(lang, left)
        } else if code_request.with(Option::is_some) {
            i18n::t(lang, T::Resend).to_owned()
        } else {
            i18n::t(lang, T::VerifyEmail).to_owned()
        }
    };

    let code_timer = move || {
        let lang = i18n.get();
        let expires_at = code_request.with(|c| c.as_ref().and_then(|c| c.expires_at))?;
        Some(match seconds_left(expires_at, now.get()) {
            0 => i18n::t(lang, T::CodeExpiredHint).to_owned(),
            left => i18n::code_expires_in(lang, left),
        })
    };

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
                <TextField
                    field=Field::Password
                    value=password
                    errors
                    autocomplete="new-password"
                    input_type=password_type
                    with_hint=true
                >
                    <button
                        type="button"
                        class="ghost"
                        aria-controls="password password_confirm"
                        aria-pressed=move || show_password.get().to_string()
                        on:click=move |_| show_password.update(|s| *s = !*s)
                    >
                        {move || {
                            i18n.t(if show_password.get() { T::HidePassword } else { T::ShowPassword })
                        }}
                    </button>
                </TextField>
                <TextField
                    field=Field::PasswordConfirm
                    value=password_confirm
                    errors
                    autocomplete="new-password"
                    input_type=password_type
                />
                <TextField
                    field=Field::Nickname
                    value=nickname
                    errors
                    autocomplete="nickname"
                    with_hint=true
                />
                <TextField
                    field=Field::Email
                    value=email
                    errors
                    autocomplete="email"
                    input_type="email"
                    inputmode="email"
                    with_hint=true
                >
                    <button
                        id="verify-email"
                        type="button"
                        class="secondary"
                        disabled=move || { sending.get() || cooldown_left() > 0 }
                        on:click=move |_| request_code()
                    >
                        {verify_label}
                    </button>
                </TextField>
                <div class="live" role="status">
                    {move || {
                        code_request
                            .get()
                            .map(|c| {
                                view! {
                                    <p class="banner info">{i18n::code_sent(i18n.get(), &c.email)}</p>
                                }
                            })
                    }}
                </div>
                <Show when=move || code_request.with(Option::is_some)>
                    <div class="code-step">
                        <TextField
                            field=Field::Code
                            value=code
                            errors
                            autocomplete="one-time-code"
                            inputmode="numeric"
                            maxlength=shared::rules::CODE_LEN
                            with_hint=true
                        />
                        <p class="timer" role="timer">
                            {code_timer}
                        </p>
                    </div>
                </Show>
                <button
                    id="signup-submit"
                    type="submit"
                    class="primary"
                    disabled=move || registering.get()
                >
                    {move || i18n.t(if registering.get() { T::SigningUp } else { T::SignUp })}
                </button>
            </form>
            <p class="switch">
                {move || i18n.t(T::HaveAccount)} " "
                <A href="/login">{move || i18n.t(T::LogIn)}</A>
            </p>
        </section>
    }
}
