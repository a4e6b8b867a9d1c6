//! `/reset`: "forgot password". The email gets a reset code (the answer, and so this page,
//! is the same whether or not the address has an account); the code and a new password then
//! set the password, which logs the account out everywhere. `?email=` fills in the address
//! (from "this wasn't me" on the activity page); `?sent=1` says a code was mailed already (by
//! the not-me link), so the code field shows at once.

use crate::api;
use crate::code_step::{CodeField, CodeStep, EmailCodeRequest};
use crate::components::{
    go_with, unless_pending, use_clock, use_title, AlertRegion, PasswordPair, SubmitButton,
};
use crate::form::{self, Field, ResetInput};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, Notice, T};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use shared::{PasswordResetConfirm, PasswordResetRequest};

#[component]
pub fn ResetPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::ResetTitle);
    let changed = go_with(Notice::PasswordChanged, "/login", true);
    let now = use_clock();

    let query = use_query_map();
    let (prefill, mailed) = query.with_untracked(|q| (q.get("email"), q.get("sent").is_some()));
    let email = RwSignal::new(prefill.unwrap_or_default());
    let code = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let new_password_confirm = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);

    let form = FormState::new();
    let FormState { errors, alert } = form;
    let step = CodeStep::new(email, now, form);
    if mailed {
        step.assume_sent();
    }

    let input = move || ResetInput {
        email: email.get_untracked(),
        code: code.get_untracked(),
        new_password: new_password.get_untracked(),
        new_password_confirm: new_password_confirm.get_untracked(),
    };

    let send_code = step.sender(
        |req: &PasswordResetRequest| req.email.clone(),
        |req| async move { api::password_reset_request(&req).await },
    );
    let sending = send_code.pending();

    let confirm = form.send(
        |req: PasswordResetConfirm| async move { api::password_reset_confirm(&req).await },
        move |()| changed(),
        move |err| step.failed(&err),
    );
    let confirming = confirm.pending();

    let request_code = unless_pending(sending, move || {
        let input = input();
        if step.accept_request_checks(&[Field::Email], form::check_reset_request(&input)) {
            send_code.dispatch(PasswordResetRequest {
                email: input.email(),
                locale: Some(i18n.lang.get_untracked()),
            });
        }
    });

    let on_submit = step.on_submit(request_code, confirming, move || {
        let input = input();
        if form.accept(form::check_reset_confirm(&input)) {
            confirm.dispatch(PasswordResetConfirm {
                email: input.email(),
                code: input.code(),
                new_password: input.new_password.clone(),
                keep_second_factors: false,
            });
        }
    });

    view! {
        <section class="card" aria-labelledby="reset-title">
            <h1 id="reset-title">{move || i18n.t(T::ResetTitle)}</h1>
            <p class="lead">{move || i18n.t(T::ResetLead)}</p>
            {mailed
                .then(|| {
                    view! { <p class="banner info" id="reset-mailed">{move || i18n.t(T::ResetCodeMailed)}</p> }
                })}
            <AlertRegion alert />
            <form on:submit=on_submit novalidate>
                <EmailCodeRequest
                    step
                    value=email
                    send_id="reset-send"
                    sending
                    first=T::SendResetCode
                    on_click=request_code
                    message=i18n::reset_code_sent
                />
                <Show when=move || step.requested()>
                    <CodeField step value=code />
                    <PasswordPair
                        field=Field::NewPassword
                        value=new_password
                        confirm_field=Field::NewPasswordConfirm
                        confirm=new_password_confirm
                        errors
                        shown=show_password
                    />
                    <SubmitButton
                        id="reset-submit"
                        pending=confirming
                        idle=T::ChangePassword
                        busy=T::ChangingPassword
                    />
                </Show>
            </form>
            <p class="switch">
                {move || i18n.t(T::RememberedPassword)} " "
                <A href="/login">{move || i18n.t(T::LogIn)}</A>
            </p>
        </section>
    }
}
