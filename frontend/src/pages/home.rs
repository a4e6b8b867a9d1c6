//! `/`: the signed-in person's profile from `/api/nick`, and after a sign-in by password or
//! code on an account without a passkey, the offer to add one (once; "not now" is remembered
//! per account). `/devices`: their sessions from `/api/sessions`. Without a session, off to
//! `/login`. A reload or a new tab has no access token in memory: it refreshes first (the
//! cookie brings the session back). Log out (`/api/logout`: this session), end another
//! device's session, and log out everywhere (`/api/logout_all`: every session of the account).

use crate::api::{self, ApiError};
use crate::components::{
    end_session, error_banner, leave_when_refused, loading, use_flash, use_title, AlertRegion,
    NoticeRegion, PendingButton, TimeAgo,
};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, Notice, T};
use crate::session;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::{SessionInfo, UserProfile};

/// Shows `page` once a session is there (refreshing first after a reload); without one, a
/// browser that had a session is told it ended, anyone else just sees the login.
fn with_session<V: IntoView + 'static>(page: fn() -> V) -> impl IntoView {
    let signed_in = LocalResource::new(session::access);
    // No session: a browser that had one is told it ended; anyone else just sees the login.
    let expired = end_session(Notice::SessionExpired);
    let navigate = use_navigate();
    Effect::new(move || {
        if signed_in.with(|s| matches!(s, Some(None))) {
            if session::forget_signed_in() {
                expired();
            } else {
                navigate(
                    "/login",
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
        }
    });
    view! {
        <Suspense fallback=loading>
            {move || signed_in.get().flatten().map(|_| page())}
        </Suspense>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    use_title(T::HomeTitle);
    with_session(|| view! { <Profile /> })
}

#[component]
pub fn DevicesPage() -> impl IntoView {
    use_title(T::Devices);
    with_session(|| {
        view! {
            <section class="card">
                <Devices on_expired=end_session(Notice::SessionExpired) />
            </section>
        }
    })
}

#[component]
fn Profile() -> impl IntoView {
    // What the page before said happened (a password or email changed in the settings).
    let notice = RwSignal::new(use_flash().take());
    let profile =
        LocalResource::new(|| session::authed(|token| async move { api::nick(&token).await }));
    let offer = session::take_passkey_offer();

    leave_when_refused(profile, end_session(Notice::SessionExpired));
    let log_out = {
        let logged_out = end_session(Notice::LoggedOut);
        Action::new_local(move |_: &()| {
            let logged_out = logged_out.clone();
            async move {
                // End the session on the server, so a copy of its tokens is worthless too.
                // Whatever the answer (already ended, offline), this tab forgets it.
                let _ = session::authed(|token| async move { api::logout(&token).await }).await;
                logged_out();
            }
        })
    };
    let leaving = log_out.pending();

    let form = FormState::new();
    let alert = form.alert;
    // A session already ended (by another device) is told it expired.
    let everywhere = end_session(Notice::LoggedOutEverywhere);
    let logout_all = form.authed(
        |token, ()| async move { api::logout_all(&token).await },
        move |()| everywhere(),
        form.alert_only(),
    );
    let logging_out = logout_all.pending();

    view! {
        <section class="card" aria-busy=move || profile.with(|p| p.is_none()).to_string()>
            <NoticeRegion notice />
            <Suspense fallback=loading>
                {move || {
                    profile
                        .get()
                        .map(|result| match result {
                            Ok(p) => {
                                let username = p.username.clone();
                                view! {
                                    <ProfileView profile=p />
                                    {offer.then(|| view! { <PasskeyOffer username /> })}
                                }
                                    .into_any()
                            }
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
                <PendingButton
                    id="logout"
                    class="secondary"
                    pending=leaving
                    idle=T::LogOut
                    on_click=move || {
                        log_out.dispatch(());
                    }
                />
                <PendingButton
                    id="logout-all"
                    class="ghost"
                    pending=logging_out
                    idle=T::LogOutEverywhere
                    busy=T::LoggingOutEverywhere
                    on_click=move || {
                        alert.set(None);
                        logout_all.dispatch(());
                    }
                />
            </div>
        </section>
    }
}

/// The account's sessions, newest use first: this one marked, any other one can be ended.
#[component]
fn Devices(on_expired: impl Fn() + Clone + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let list =
        LocalResource::new(|| session::authed(|token| async move { api::sessions(&token).await }));
    let form = FormState::new();
    let alert = form.alert;
    let end = form.authed(
        |token, id: String| async move {
            match api::end_session(&token, &id).await {
                // Gone already (ended elsewhere) is what was asked for.
                Err(ApiError::Problem(shared::Problem { status: 404, .. })) => Ok(()),
                ended => ended,
            }
        },
        move |()| list.refetch(),
        form.alert_only(),
    );
    let ending = end.pending();
    leave_when_refused(list, on_expired.clone());
    let row = move |s: SessionInfo| {
        let (browser, system) = session::user_agent_parts(&s.user_agent);
        let id = s.id.clone();
        view! {
            <li class="device" data-current=s.current.to_string() data-session=s.id.clone()>
                <p class="device-line">
                    <span class="device-name">
                        {move || i18n::browser_on_system(i18n.get(), browser, system)}
                    </span>
                    {s.current
                        .then(|| {
                            view! { " " <strong class="badge this-device">{move || i18n.t(T::ThisDevice)}</strong> }
                        })}
                </p>
                <p class="device-meta muted">
                    <span class="device-ip">{s.ip.clone()}</span>
                    " · "
                    <span class="device-last">
                        {move || i18n.t(T::LastUsed)} " " <TimeAgo at=s.last_used_at.clone() />
                    </span>
                </p>
                {(!s.current)
                    .then(|| {
                        view! {
                            <PendingButton
                                class="ghost end-session"
                                pending=ending
                                idle=T::EndSession
                                busy=T::EndingSession
                                on_click=move || {
                                    alert.set(None);
                                    end.dispatch(id.clone());
                                }
                            />
                        }
                    })}
            </li>
        }
    };
    view! {
        <section id="devices" class="devices" aria-labelledby="devices-title">
            <h1 id="devices-title">{move || i18n.t(T::Devices)}</h1>
            <p class="muted">{move || i18n.t(T::DevicesLead)}</p>
            <Suspense fallback=loading>
                {move || {
                    list.get()
                        .map(|result| match result {
                            Ok(l) => {
                                view! { <ul class="device-list rows">{l.sessions.into_iter().map(row).collect_view()}</ul> }
                                    .into_any()
                            }
                            Err(err) if err.is_unauthorized() => ().into_any(),
                            Err(err) => {
                                view! { <LoadError err on_retry=move || list.refetch() /> }.into_any()
                            }
                        })
                }}
            </Suspense>
            <AlertRegion alert />
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
    // Just signed in, the keyboard focus went with the login form: it starts at the greeting.
    crate::components::focus_if_lost("welcome");
    view! {
        <h1 id="welcome" tabindex="-1">{greeting}</h1>
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
    view! {
        <div role="alert">{error_banner(err)}</div>
        <button type="button" class="primary" on:click=move |_| on_retry()>
            {move || i18n.t(T::Retry)}
        </button>
    }
}

/// After a sign-in by password or code, on an account with no passkey: the offer to add one,
/// until "not now" (remembered in this browser for `username`).
#[component]
fn PasskeyOffer(username: String) -> impl IntoView {
    let i18n = use_i18n();
    let dismissed = RwSignal::new(session::passkey_offer_dismissed(&username));
    let passkeys =
        LocalResource::new(|| session::authed(|token| async move { api::passkeys(&token).await }));
    let shown = move || {
        !dismissed.get()
            && passkeys.with(|p| matches!(p, Some(Ok(list)) if list.passkeys.is_empty()))
    };
    view! {
        <Show when=shown>
            <aside id="passkey-offer" class="offer" aria-labelledby="passkey-offer-title">
                <h2 id="passkey-offer-title">{move || i18n.t(T::PasskeyOfferTitle)}</h2>
                <p>{move || i18n.t(T::PasskeyOfferLead)}</p>
                <div class="actions">
                    <A href="/settings/security" attr:id="passkey-offer-add" attr:class="button primary">
                        {move || i18n.t(T::PasskeyOfferAdd)}
                    </A>
                    <button
                        id="passkey-offer-dismiss"
                        type="button"
                        class="ghost"
                        on:click={
                            let username = username.clone();
                            move |_| {
                                session::dismiss_passkey_offer(&username);
                                dismissed.set(true);
                            }
                        }
                    >
                        {move || i18n.t(T::NotNow)}
                    </button>
                </div>
            </aside>
        </Show>
    }
}
