//! `/reset`: "forgot password". The email gets a reset code (the answer, and so this page,
//! is the same whether or not the address has an account); the code and a new password then
//! set the password, which logs the account out everywhere.

use crate::api::{self, ApiError};
use crate::components::{
    accept_checks, focus_field, show_api_error, use_clock, use_flash, use_title, AlertRegion,
    TextField,
};
use crate::form::{self, seconds_left, Alert, Field, FieldErrors, ResetInput};
use crate::i18n::{self, use_i18n, Notice, T};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::{ErrorCode, PasswordResetConfirm, PasswordResetRequest};

/// A reset code requested for `email`; `expires_at` is unknown when the server only told us
/// that a mail went to the address recently (a cooldown answer).
#[derive(Debug, Clone, PartialEq)]
struct CodeRequest {
    email: String,
    expires_at: Option<f64>,
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::ResetTitle);
    let navigate = use_navigate();
    let flash = use_flash();
    let now = use_clock();

    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let new_password_confirm = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);

    let errors = RwSignal::new(FieldErrors::default());
    let alert = RwSignal::new(None::<Alert>);
    let code_request = RwSignal::new(None::<CodeRequest>);
    // Epoch milliseconds before which the server will refuse another mail to the address.
    let resend_at = RwSignal::new(0.0_f64);

    let input = move || ResetInput {
        email: email.get_untracked(),
        code: code.get_untracked(),
        new_password: new_password.get_untracked(),
        new_password_confirm: new_password_confirm.get_untracked(),
    };

    // A code belongs to the address it was sent to: editing the address starts over.
    Effect::new(move || {
        let typed = email.with(|e| e.trim().to_owned());
        if code_request.with_untracked(|c| c.as_ref().is_some_and(|c| c.email != typed)) {
            code_request.set(None);
            resend_at.set(0.0);
        }
    });

    let send_code = Action::new_local(move |req: &PasswordResetRequest| {
        let req = req.clone();
        async move {
            let result = api::password_reset_request(&req).await;
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
                        // A cooldown means a mail went to this address moments ago: it may
                        // hold a reset code already.
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

    let confirm = Action::new_local(move |req: &PasswordResetConfirm| {
        let req = req.clone();
        let navigate = navigate.clone();
        async move {
            match api::password_reset_confirm(&req).await {
                Ok(()) => {
                    flash.set(Notice::PasswordChanged);
                    navigate(
                        "/login",
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
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
    let confirming = confirm.pending();

    let cooldown_left = move || seconds_left(resend_at.get(), now.get());

    let request_code = move || {
        if sending.get_untracked() {
            return;
        }
        let input = input();
        let mut found = errors.get_untracked();
        found.remove(Field::Email);
        let checked = form::check_reset_request(&input);
        let ok = checked.is_empty();
        found.merge(checked);
        if !ok {
            accept_checks(found, errors, alert);
            return;
        }
        errors.set(found);
        alert.set(None);
        send_code.dispatch(PasswordResetRequest {
            email: input.email(),
            locale: Some(i18n.lang.get_untracked().locale()),
        });
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        // Before a code was asked for, Enter in the email field asks for one.
        if code_request.with_untracked(Option::is_none) {
            if cooldown_left() == 0 {
                request_code();
            }
            return;
        }
        if confirming.get_untracked() {
            return;
        }
        let input = input();
        if accept_checks(form::check_reset_confirm(&input), errors, alert) {
            confirm.dispatch(PasswordResetConfirm {
                email: input.email(),
                code: input.code(),
                new_password: input.new_password.clone(),
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

    let send_label = move || {
        let lang = i18n.get();
        let left = cooldown_left();
        if sending.get() {
            i18n::t(lang, T::Sending).to_owned()
        } else if left > 0 {
            i18n::resend_in(lang, left)
        } else if code_request.with(Option::is_some) {
            i18n::t(lang, T::Resend).to_owned()
        } else {
            i18n::t(lang, T::SendResetCode).to_owned()
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
        <section class="card" aria-labelledby="reset-title">
            <h1 id="reset-title">{move || i18n.t(T::ResetTitle)}</h1>
            <p class="lead">{move || i18n.t(T::ResetLead)}</p>
            <AlertRegion alert />
            <form on:submit=on_submit novalidate>
                <TextField
                    field=Field::Email
                    value=email
                    errors
                    autocomplete="email"
                    input_type="email"
                    inputmode="email"
                >
                    <button
                        id="reset-send"
                        type="button"
                        class="secondary"
                        disabled=move || { sending.get() || cooldown_left() > 0 }
                        on:click=move |_| request_code()
                    >
                        {send_label}
                    </button>
                </TextField>
                <div class="live" role="status">
                    {move || {
                        code_request
                            .get()
                            .map(|c| {
                                view! {
                                    <p class="banner info">
                                        {i18n::reset_code_sent(i18n.get(), &c.email)}
                                    </p>
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
                    <TextField
                        field=Field::NewPassword
                        value=new_password
                        errors
                        autocomplete="new-password"
                        input_type=password_type
                        with_hint=true
                    >
                        <button
                            type="button"
                            class="ghost"
                            aria-controls="new_password new_password_confirm"
                            aria-pressed=move || show_password.get().to_string()
                            on:click=move |_| show_password.update(|s| *s = !*s)
                        >
                            {move || {
                                i18n.t(if show_password.get() { T::HidePassword } else { T::ShowPassword })
                            }}
                        </button>
                    </TextField>
                    <TextField
                        field=Field::NewPasswordConfirm
                        value=new_password_confirm
                        errors
                        autocomplete="new-password"
                        input_type=password_type
                    />
                    <button
                        id="reset-submit"
                        type="submit"
                        class="primary"
                        disabled=move || confirming.get()
                    >
                        {move || {
                            i18n.t(if confirming.get() { T::ChangingPassword } else { T::ChangePassword })
                        }}
                    </button>
                </Show>
            </form>
            <p class="switch">
                {move || i18n.t(T::RememberedPassword)} " "
                <A href="/login">{move || i18n.t(T::LogIn)}</A>
            </p>
        </section>
    }
}
