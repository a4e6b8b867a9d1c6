//! `/login`: username and password, then (second factor on) a TOTP code, a recovery code or a
//! passkey; or a passkey alone. The access token stays in memory (`session`), the refresh
//! token in the server's `HttpOnly` cookie, whichever way the login went.

use crate::api::{self, ApiError, LoginAnswer};
use crate::components::{
    accept_checks, show_api_error, use_flash, use_title, AlertRegion, NoticeRegion, SubmitButton,
    TextField,
};
use crate::form::{self, Alert, Field, FieldErrors};
use crate::i18n::{use_i18n, T};
use crate::session;
use crate::webauthn;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::{
    ErrorCode, LoginMfaRequest, LoginRequest, LoginResponse, MfaChallenge, MfaMethod, MfaTicket,
    PasskeyLoginFinish,
};

/// The browser gave no passkey answer (cancelled, timed out, none for this site): said like a
/// refused one, "try again".
pub fn passkey_refused() -> ApiError {
    ApiError::Problem(shared::Problem {
        type_: "about:blank".into(),
        title: String::new(),
        status: 0,
        detail: String::new(),
        code: ErrorCode::PasskeyRejected,
        errors: None,
        attempts_left: None,
        retry_after: None,
    })
}

/// `POST /api/passkeys/login/start`, the browser's assertion, then `finish`.
async fn passkey_login() -> Result<LoginResponse, ApiError> {
    let challenge = api::passkey_login_start().await?;
    let credential = webauthn::get(&challenge.options)
        .await
        .map_err(|_| passkey_refused())?;
    api::passkey_login_finish(&PasskeyLoginFinish {
        challenge_id: challenge.challenge_id,
        credential,
    })
    .await
}

/// The second step with a passkey: options for the ticket's account, the browser's
/// assertion, then `POST /api/login/mfa`.
async fn passkey_second_step(mfa_token: String) -> Result<LoginResponse, ApiError> {
    let challenge = api::login_mfa_passkey_start(&MfaTicket {
        mfa_token: mfa_token.clone(),
    })
    .await?;
    let credential = webauthn::get(&challenge.options)
        .await
        .map_err(|_| passkey_refused())?;
    api::login_mfa(&LoginMfaRequest {
        mfa_token,
        code: None,
        recovery_code: None,
        passkey: Some(credential),
    })
    .await
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::LoginTitle);
    let navigate = use_navigate();
    let notice = RwSignal::new(use_flash().take());

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let alert = RwSignal::new(None::<Alert>);

    // Set when the password was right and a second step is due.
    let ticket = RwSignal::new(None::<MfaChallenge>);
    let use_recovery = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let recovery = RwSignal::new(String::new());

    let signed_in = move |tokens: LoginResponse| {
        session::start(&tokens);
        navigate(
            "/",
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
    };
    // A dead ticket (expired, used up) sends the person back to the password.
    let second_step_failed = move |err: ApiError| {
        if matches!(&err, ApiError::Problem(p) if p.code == ErrorCode::InvalidToken) {
            ticket.set(None);
            use_recovery.set(false);
        }
        show_api_error(&err, errors, alert);
        if use_recovery.get_untracked() {
            // The server says `invalid_code` for a wrong recovery code too.
            errors.update(|e| {
                if let Some(issue) = e.get(Field::Code).cloned() {
                    e.remove(Field::Code);
                    e.insert(Field::RecoveryCode, issue);
                }
            });
            crate::components::focus_field(Field::RecoveryCode);
        }
    };

    let login = {
        let signed_in = signed_in.clone();
        Action::new_local(move |req: &LoginRequest| {
            let req = req.clone();
            let signed_in = signed_in.clone();
            async move {
                match api::login(&req).await {
                    Ok(LoginAnswer::Tokens(tokens)) => signed_in(tokens),
                    Ok(LoginAnswer::SecondStep(challenge)) => {
                        alert.set(None);
                        code.set(String::new());
                        recovery.set(String::new());
                        ticket.set(Some(challenge));
                        crate::components::focus_field(Field::Code);
                    }
                    Err(err) => show_api_error(&err, errors, alert),
                }
            }
        })
    };
    let with_passkey = {
        let signed_in = signed_in.clone();
        Action::new_local(move |_: &()| {
            let signed_in = signed_in.clone();
            async move {
                match passkey_login().await {
                    Ok(tokens) => signed_in(tokens),
                    Err(err) => show_api_error(&err, errors, alert),
                }
            }
        })
    };
    let second = {
        let signed_in = signed_in.clone();
        Action::new_local(move |req: &LoginMfaRequest| {
            let req = req.clone();
            let signed_in = signed_in.clone();
            async move {
                match api::login_mfa(&req).await {
                    Ok(tokens) => signed_in(tokens),
                    Err(err) => second_step_failed(err),
                }
            }
        })
    };
    let second_passkey = Action::new_local(move |token: &String| {
        let token = token.clone();
        let signed_in = signed_in.clone();
        async move {
            match passkey_second_step(token).await {
                Ok(tokens) => signed_in(tokens),
                Err(err) => second_step_failed(err),
            }
        }
    });
    let pending = login.pending();
    let passkey_pending = with_passkey.pending();
    let (code_pending, key_pending) = (second.pending(), second_passkey.pending());
    let second_pending = Memo::new(move |_| code_pending.get() || key_pending.get());

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        notice.set(None);
        let (user, pass) = (username.get_untracked(), password.get_untracked());
        if accept_checks(form::check_login(&user, &pass), errors, alert) {
            login.dispatch(LoginRequest {
                username: user.trim().to_owned(),
                password: pass,
            });
        }
    };
    let on_second = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(challenge) = ticket.get_untracked() else {
            return;
        };
        if second_pending.get_untracked() {
            return;
        }
        let (field, typed) = if use_recovery.get_untracked() {
            (Field::RecoveryCode, recovery.get_untracked())
        } else {
            (Field::Code, code.get_untracked())
        };
        if accept_checks(form::check_second_factor(field, &typed), errors, alert) {
            let typed = Some(typed.trim().to_owned());
            let (code, recovery_code) = if field == Field::Code {
                (typed, None)
            } else {
                (None, typed)
            };
            second.dispatch(LoginMfaRequest {
                mfa_token: challenge.mfa_token,
                code,
                recovery_code,
                passkey: None,
            });
        }
    };
    let has_passkey = move || {
        ticket.with(|t| {
            t.as_ref()
                .is_some_and(|t| t.methods.contains(&MfaMethod::Passkey))
        })
    };
    let password_step = move || {
        view! {
            <form on:submit=on_submit novalidate>
                <TextField field=Field::Username value=username errors autocomplete="username" />
                <TextField
                    field=Field::Password
                    value=password
                    errors
                    autocomplete="current-password"
                    input_type="password"
                />
                <p class="forgot">
                    <A href="/reset" attr:id="forgot-password">
                        {move || i18n.t(T::ForgotPassword)}
                    </A>
                </p>
                <SubmitButton id="login-submit" pending idle=T::LogIn busy=T::LoggingIn />
            </form>
            <p class="alt-login">
                <button
                    id="passkey-login"
                    type="button"
                    class="secondary"
                    disabled=move || passkey_pending.get()
                    on:click=move |_| {
                        notice.set(None);
                        errors.set(FieldErrors::default());
                        alert.set(None);
                        with_passkey.dispatch(());
                    }
                >
                    {move || i18n.t(if passkey_pending.get() { T::LoggingIn } else { T::SignInWithPasskey })}
                </button>
            </p>
            <p class="switch">
                {move || i18n.t(T::NoAccount)} " "
                <A href="/signup">{move || i18n.t(T::SignUp)}</A>
            </p>
        }
    };
    let second_step = move || {
        view! {
            <h2 id="mfa-title">{move || i18n.t(T::MfaTitle)}</h2>
            <p class="lead" id="mfa-lead">
                {move || i18n.t(if use_recovery.get() { T::MfaRecoveryLead } else { T::MfaLead })}
            </p>
            <form on:submit=on_second novalidate>
                <Show
                    when=move || use_recovery.get()
                    fallback=move || view! {
                        <TextField field=Field::Code value=code errors autocomplete="one-time-code" inputmode="numeric" maxlength=6 />
                    }
                >
                    <TextField field=Field::RecoveryCode value=recovery errors autocomplete="off" />
                </Show>
                <SubmitButton id="mfa-submit" pending=second_pending idle=T::Verify busy=T::Verifying />
            </form>
            <p class="alt-login">
                <button
                    id="mfa-switch"
                    type="button"
                    class="ghost"
                    on:click=move |_| {
                        errors.set(FieldErrors::default());
                        alert.set(None);
                        use_recovery.update(|r| *r = !*r);
                        crate::components::focus_field(
                            if use_recovery.get_untracked() { Field::RecoveryCode } else { Field::Code },
                        );
                    }
                >
                    {move || i18n.t(if use_recovery.get() { T::UseTotpCode } else { T::UseRecoveryCode })}
                </button>
                <Show when=has_passkey>
                    <button
                        id="mfa-passkey"
                        type="button"
                        class="secondary"
                        disabled=move || second_pending.get()
                        on:click=move |_| {
                            if let Some(t) = ticket.get_untracked() {
                                errors.set(FieldErrors::default());
                                alert.set(None);
                                second_passkey.dispatch(t.mfa_token);
                            }
                        }
                    >
                        {move || i18n.t(T::UsePasskey)}
                    </button>
                </Show>
                <button
                    id="mfa-start-over"
                    type="button"
                    class="ghost"
                    on:click=move |_| {
                        ticket.set(None);
                        use_recovery.set(false);
                        errors.set(FieldErrors::default());
                        alert.set(None);
                    }
                >
                    {move || i18n.t(T::StartOver)}
                </button>
            </p>
        }
    };

    view! {
        <section class="card" aria-labelledby="login-title">
            <h1 id="login-title">{move || i18n.t(T::LoginTitle)}</h1>
            <p class="lead">{move || i18n.t(T::LoginLead)}</p>
            <NoticeRegion notice />
            <AlertRegion alert />
            {move || {
                if ticket.with(Option::is_some) {
                    second_step().into_any()
                } else {
                    password_step().into_any()
                }
            }}
        </section>
    }
}
