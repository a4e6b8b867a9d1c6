//! `/login`: username and password; the access token stays in memory (`session`), the
//! refresh token in the server's `HttpOnly` cookie.

use crate::api;
use crate::components::{
    accept_checks, show_api_error, use_flash, use_title, AlertRegion, NoticeRegion, SubmitButton,
    TextField,
};
use crate::form::{self, Alert, Field, FieldErrors};
use crate::i18n::{use_i18n, T};
use crate::session;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::LoginRequest;

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

    let login = Action::new_local(move |req: &LoginRequest| {
        let req = req.clone();
        let navigate = navigate.clone();
        async move {
            match api::login(&req).await {
                Ok(tokens) => {
                    session::start(&tokens);
                    navigate(
                        "/",
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(err) => show_api_error(&err, errors, alert),
            }
        }
    });
    let pending = login.pending();

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

    view! {
        <section class="card" aria-labelledby="login-title">
            <h1 id="login-title">{move || i18n.t(T::LoginTitle)}</h1>
            <p class="lead">{move || i18n.t(T::LoginLead)}</p>
            <NoticeRegion notice />
            <AlertRegion alert />
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
            <p class="switch">
                {move || i18n.t(T::NoAccount)} " "
                <A href="/signup">{move || i18n.t(T::SignUp)}</A>
            </p>
        </section>
    }
}
