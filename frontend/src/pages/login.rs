//! `/login`: username and password, or a code mailed to the account's address; then (second
//! factor on) a TOTP code, a recovery code or a passkey. Or a passkey alone: from the button,
//! or from the username field's autofill (a conditional WebAuthn request started on load and
//! aborted when the button is used or the page is left). The access token stays in memory
//! (`session`), the refresh token in the server's `HttpOnly` cookie, whichever way the login
//! went.

use crate::api::{self, ApiError, LoginAnswer};
use crate::code_step::{CodeField, CodeStep, EmailCodeRequest};
use crate::components::{
    focus_field, submit_unless, unless_pending, use_clock, use_flash, use_title, AlertRegion,
    NoticeRegion, PendingButton, SubmitButton, TextField,
};
use crate::form::{self, Field};
use crate::form_state::{is_code, FormState, SecondFactor, SecondFactorField, SecondFactorSwitch};
use crate::i18n::{self, use_i18n, T};
use crate::session;
use crate::webauthn;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::{
    ErrorCode, LoginCodeConfirm, LoginCodeRequest, LoginMfaRequest, LoginRequest, LoginResponse,
    MfaChallenge, MfaMethod, MfaTicket, PasskeyLoginFinish,
};

/// `POST /api/passkeys/login/start`, the browser's assertion, then `finish`. A pending
/// autofill request is aborted first: the browser runs one WebAuthn request at a time.
async fn passkey_login() -> Result<LoginResponse, ApiError> {
    webauthn::abort_conditional().await;
    let challenge = api::passkey_login_start().await?;
    let credential = webauthn::get(&challenge.options)
        .await
        .map_err(|_| webauthn::refused())?;
    api::passkey_login_finish(&PasskeyLoginFinish {
        challenge_id: challenge.challenge_id,
        credential,
    })
    .await
}

/// The username field's passkey autofill: when the browser offers it, options for any
/// discoverable passkey, then the conditional request, which waits for the person to pick one.
/// `None` when there is nothing to do (no support, aborted, cancelled, no options).
async fn passkey_autofill() -> Option<Result<LoginResponse, ApiError>> {
    let epoch = webauthn::conditional_epoch();
    if !webauthn::conditional_mediation_available().await {
        return None;
    }
    let challenge = api::passkey_login_start().await.ok()?;
    let credential = webauthn::get_conditional(&challenge.options, epoch)
        .await
        .ok()?;
    Some(
        api::passkey_login_finish(&PasskeyLoginFinish {
            challenge_id: challenge.challenge_id,
            credential,
        })
        .await,
    )
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
        .map_err(|_| webauthn::refused())?;
    api::login_mfa(&LoginMfaRequest {
        mfa_token,
        code: None,
        recovery_code: None,
        passkey: Some(credential),
    })
    .await
}

/// "New here? Sign up", under both ways of signing in.
fn signup_link() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="switch">
            {move || i18n.t(T::NoAccount)} " "
            <A href="/signup">{move || i18n.t(T::SignUp)}</A>
        </p>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::LoginTitle);
    let navigate = use_navigate();
    let notice = RwSignal::new(use_flash().take());
    // Sent here with a notice (signed up, logged out, session ended), the next thing to do
    // is to log in: the keyboard starts at the username.
    if notice.with_untracked(Option::is_some) {
        crate::components::focus_field(Field::Username);
    }

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let FormState { errors, alert } = form;

    // Set when the password was right and a second step is due.
    let ticket = RwSignal::new(None::<MfaChallenge>);
    let factor = SecondFactor::new();
    let SecondFactor {
        use_recovery,
        code,
        recovery,
    } = factor;

    // A sign-in by password or code may be followed by the passkey offer on the main page.
    let signed_in = move |tokens: LoginResponse, offer: bool| {
        session::start(&tokens);
        session::offer_passkey_after_sign_in(offer);
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
        if is_code(&err, ErrorCode::InvalidToken) {
            ticket.set(None);
            use_recovery.set(false);
        }
        form.show(&err);
        if use_recovery.get_untracked() {
            factor.move_issue(errors);
            focus_field(Field::RecoveryCode);
        }
    };
    let failed = move |err: ApiError| form.show(&err);

    // The right password or code: signed in, or on to the second step.
    let answered = {
        let signed_in = signed_in.clone();
        move |answer: LoginAnswer| match answer {
            LoginAnswer::Tokens(tokens) => signed_in(tokens, true),
            LoginAnswer::SecondStep(challenge) => {
                alert.set(None);
                code.set(String::new());
                recovery.set(String::new());
                ticket.set(Some(challenge));
                focus_field(Field::Code);
            }
        }
    };
    let login = form.send(
        |req: LoginRequest| async move { api::login(&req).await },
        answered.clone(),
        failed,
    );
    let with_passkey = {
        let signed_in = signed_in.clone();
        form.send(
            |()| passkey_login(),
            move |tokens| signed_in(tokens, false),
            failed,
        )
    };
    let second = {
        let signed_in = signed_in.clone();
        form.send(
            |req: LoginMfaRequest| async move { api::login_mfa(&req).await },
            move |tokens| signed_in(tokens, true),
            second_step_failed,
        )
    };
    let second_passkey = {
        let signed_in = signed_in.clone();
        form.send(
            passkey_second_step,
            move |tokens| signed_in(tokens, false),
            second_step_failed,
        )
    };

    // The passkey autofill, from load until a sign-in, the button, or leaving the page.
    let autofill = {
        let signed_in = signed_in.clone();
        form.send(
            |()| async { passkey_autofill().await.transpose() },
            move |tokens| {
                if let Some(tokens) = tokens {
                    signed_in(tokens, false);
                }
            },
            failed,
        )
    };
    autofill.dispatch(());
    on_cleanup(webauthn::abort_conditional_now);

    // Sign-in by a mailed code: the address, the code step (as on signup), then the code.
    let by_code = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let login_code = RwSignal::new(String::new());
    let now = use_clock();
    let step = CodeStep::new(email, now, form);
    let send_code = step.sender(
        |req: &LoginCodeRequest| req.email.clone(),
        |req| async move { api::login_code_request(&req).await },
    );
    let sending = send_code.pending();
    let confirm_code = form.send(
        |req: LoginCodeConfirm| async move { api::login_code_confirm(&req).await },
        answered,
        move |err| step.failed(&err),
    );
    let confirming = confirm_code.pending();
    let request_code = unless_pending(sending, move || {
        notice.set(None);
        let typed = email.get_untracked().trim().to_owned();
        if step.accept_request_checks(&[Field::Email], form::check_login_code_request(&typed)) {
            send_code.dispatch(LoginCodeRequest {
                email: typed,
                locale: Some(i18n.lang.get_untracked()),
            });
        }
    });
    let on_code_submit = step.on_submit(request_code, confirming, move || {
        let (address, typed) = (
            email.get_untracked().trim().to_owned(),
            login_code.get_untracked().trim().to_owned(),
        );
        if form.accept(form::check_login_code(&address, &typed)) {
            confirm_code.dispatch(LoginCodeConfirm {
                email: address,
                code: typed,
            });
        }
    });
    let switch_mode = move |code: bool| {
        notice.set(None);
        form.clear();
        by_code.set(code);
        focus_field(if code { Field::Email } else { Field::Username });
    };
    // The button to the other way of signing in (by code: `code`).
    let mode_button = move |id: &'static str, code: bool, label: T| {
        view! {
            <button id=id type="button" class="secondary" on:click=move |_| switch_mode(code)>
                {move || i18n.t(label)}
            </button>
        }
    };
    let pending = login.pending();
    let passkey_pending = with_passkey.pending();
    let (code_pending, key_pending) = (second.pending(), second_passkey.pending());
    let second_pending = Memo::new(move |_| code_pending.get() || key_pending.get());

    let on_submit = submit_unless(pending, move || {
        notice.set(None);
        let (user, pass) = (username.get_untracked(), password.get_untracked());
        if form.accept(form::check_login(&user, &pass)) {
            login.dispatch(LoginRequest {
                username: user.trim().to_owned(),
                password: pass,
            });
        }
    });
    let on_second = submit_unless(second_pending, move || {
        let Some(challenge) = ticket.get_untracked() else {
            return;
        };
        let (found, code, recovery_code) = factor.checked();
        if form.accept(found) {
            second.dispatch(LoginMfaRequest {
                mfa_token: challenge.mfa_token,
                code,
                recovery_code,
                passkey: None,
            });
        }
    });
    let has_passkey = move || {
        ticket.with(|t| {
            t.as_ref()
                .is_some_and(|t| t.methods.contains(&MfaMethod::Passkey))
        })
    };
    let password_step = move || {
        view! {
            <form on:submit=on_submit novalidate>
                <TextField field=Field::Username value=username errors autocomplete="username webauthn" />
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
                {mode_button("login-with-code", true, T::LoginWithCode)}
                <PendingButton
                    id="passkey-login"
                    class="secondary"
                    pending=passkey_pending
                    idle=T::SignInWithPasskey
                    busy=T::LoggingIn
                    on_click=move || {
                        notice.set(None);
                        form.clear();
                        with_passkey.dispatch(());
                    }
                />
            </p>
            {signup_link()}
        }
    };
    let code_step = move || {
        view! {
            <p class="lead" id="login-code-lead">{move || i18n.t(T::LoginCodeLead)}</p>
            <form on:submit=on_code_submit novalidate>
                <EmailCodeRequest
                    step
                    value=email
                    send_id="login-code-send"
                    sending
                    first=T::SendLoginCode
                    on_click=request_code
                    message=i18n::login_code_sent
                />
                <Show when=move || step.requested()>
                    <CodeField step value=login_code />
                    <SubmitButton id="login-code-submit" pending=confirming idle=T::LogIn busy=T::LoggingIn />
                </Show>
            </form>
            <p class="alt-login">
                {mode_button("login-with-password", false, T::LoginWithPassword)}
            </p>
            {signup_link()}
        }
    };
    let second_step = move || {
        view! {
            <h2 id="mfa-title">{move || i18n.t(T::MfaTitle)}</h2>
            <p class="lead" id="mfa-lead">
                {move || i18n.t(if use_recovery.get() { T::MfaRecoveryLead } else { T::MfaLead })}
            </p>
            <form on:submit=on_second novalidate>
                <SecondFactorField factor errors />
                <SubmitButton id="mfa-submit" pending=second_pending idle=T::Verify busy=T::Verifying />
            </form>
            <p class="alt-login">
                <SecondFactorSwitch
                    id="mfa-switch"
                    factor
                    before=move || form.clear()
                    after=|factor| focus_field(factor.field())
                />
                <Show when=has_passkey>
                    <button
                        id="mfa-passkey"
                        type="button"
                        class="secondary"
                        disabled=move || second_pending.get()
                        on:click=move |_| {
                            if let Some(t) = ticket.get_untracked() {
                                form.clear();
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
                        form.clear();
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
            <Show when=move || !by_code.get() && ticket.with(Option::is_none)>
                <p class="lead">{move || i18n.t(T::LoginLead)}</p>
            </Show>
            <NoticeRegion notice />
            <AlertRegion alert />
            {move || {
                if ticket.with(Option::is_some) {
                    second_step().into_any()
                } else if by_code.get() {
                    code_step().into_any()
                } else {
                    password_step().into_any()
                }
            }}
        </section>
    }
}
