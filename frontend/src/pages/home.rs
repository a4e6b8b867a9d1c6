//! `/`: the signed-in person's profile from `/api/nick`; without a token, off to `/login`.
//! Log out (`/api/logout`: this tab's token) and log out everywhere (`/api/logout_all`: every
//! token of the account).

use crate::api::{self, ApiError};
use crate::components::{use_flash, use_title, AlertRegion};
use crate::form::Alert;
use crate::i18n::{self, use_i18n, Notice, T};
use crate::session;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::UserProfile;

#[component]
pub fn HomePage() -> impl IntoView {
    use_title(T::HomeTitle);
    match session::token() {
        Some(token) => view! { <Profile token /> }.into_any(),
        None => view! { <Redirect path="/login" /> }.into_any(),
    }
}

/// Leaves the session: token dropped, back to the login page with `notice`.
fn end_session(notice: Notice) -> impl Fn() + Clone {
    let navigate = use_navigate();
    let flash = use_flash();
    move || {
        session::clear_token();
        flash.set(notice.clone());
        navigate(
            "/login",
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
    }
}

#[component]
fn Profile(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let profile = {
        let token = token.clone();
        LocalResource::new(move || {
            let token = token.clone();
            async move { api::nick(&token).await }
        })
    };

    let expired = end_session(Notice::SessionExpired);
    Effect::new(move || {
        if profile.with(|p| matches!(p, Some(Err(e)) if e.is_unauthorized())) {
            expired();
        }
    });
    let log_out = {
        let logged_out = end_session(Notice::LoggedOut);
        let token = token.clone();
        Action::new_local(move |_: &()| {
            let token = token.clone();
            let logged_out = logged_out.clone();
            async move {
                // Revoke the token on the server, so a copy of it is worthless too. Whatever
                // the answer (already revoked, offline), this tab forgets it.
                let _ = api::logout(&token).await;
                logged_out();
            }
        })
    };
    let leaving = log_out.pending();

    let alert = RwSignal::new(None::<Alert>);
    let logout_all = {
        let everywhere = end_session(Notice::LoggedOutEverywhere);
        let expired = end_session(Notice::SessionExpired);
        Action::new_local(move |_: &()| {
            let token = token.clone();
            let (everywhere, expired) = (everywhere.clone(), expired.clone());
            async move {
                match api::logout_all(&token).await {
                    Ok(()) => everywhere(),
                    // The token was already revoked (by another device's "log out everywhere").
                    Err(err) if err.is_unauthorized() => expired(),
                    Err(err) => alert.set(Some(Alert::from(err))),
                }
            }
        })
    };
    let logging_out = logout_all.pending();

    let loading = move || view! { <p class="muted">{move || i18n.t(T::Loading)}</p> };
    view! {
        <section class="card" aria-busy=move || profile.with(|p| p.is_none()).to_string()>
            <Suspense fallback=loading>
                {move || {
                    profile
                        .get()
                        .map(|result| match result {
                            Ok(p) => view! { <ProfileView profile=p /> }.into_any(),
                            Err(err) if err.is_unauthorized() => loading().into_any(),
                            Err(err) => {
                                view! { <LoadError err on_retry=move || profile.refetch() /> }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
            <AlertRegion alert />
            <div class="actions">
                <button
                    id="logout"
                    type="button"
                    class="secondary"
                    disabled=move || leaving.get()
                    on:click=move |_| {
                        if !leaving.get_untracked() {
                            log_out.dispatch(());
                        }
                    }
                >
                    {move || i18n.t(T::LogOut)}
                </button>
                <button
                    id="logout-all"
                    type="button"
                    class="ghost"
                    disabled=move || logging_out.get()
                    on:click=move |_| {
                        if !logging_out.get_untracked() {
                            alert.set(None);
                            logout_all.dispatch(());
                        }
                    }
                >
                    {move || {
                        i18n.t(if logging_out.get() { T::LoggingOutEverywhere } else { T::LogOutEverywhere })
                    }}
                </button>
            </div>
        </section>
    }
}

#[component]
fn ProfileView(profile: UserProfile) -> impl IntoView {
    let i18n = use_i18n();
    let UserProfile {
        username,
        nickname,
        email,
    } = profile;
    let greeting = {
        let nickname = nickname.clone();
        move || i18n::welcome(i18n.get(), &nickname)
    };
    view! {
        <h1 id="welcome">{greeting}</h1>
        <dl class="profile">
            <div>
                <dt>{move || i18n.t(T::ProfileNickname)}</dt>
                <dd id="profile-nickname">{nickname}</dd>
            </div>
            <div>
                <dt>{move || i18n.t(T::ProfileUsername)}</dt>
                <dd id="profile-username">{username}</dd>
            </div>
            <div>
                <dt>{move || i18n.t(T::ProfileEmail)}</dt>
                <dd id="profile-email">{email}</dd>
            </div>
        </dl>
    }
}

#[component]
fn LoadError(err: ApiError, on_retry: impl Fn() + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let alert = Alert::from(err);
    view! {
        <div role="alert">
            <p class="banner error">{move || i18n::alert_message(i18n.get(), &alert)}</p>
        </div>
        <button type="button" class="primary" on:click=move |_| on_retry()>
            {move || i18n.t(T::Retry)}
        </button>
    }
}
