//! `/`: the signed-in person's profile from `/api/nick`, and after a sign-in by password or
//! code on an account without a passkey, the offer to add one (once; "not now" is remembered
//! per account). Without a session, off to `/login`. A reload or a new tab has no access token
//! in memory: it refreshes first (the cookie brings the session back). Log out (`/api/logout`:
//! this session), and log out everywhere (`/api/logout_all`: every session of the account).

use crate::api;
use crate::components::{
    end_session, leave_when_refused, loading, use_flash, use_title, with_session, ActionButton,
    AlertRegion, LoadError, NoticeRegion,
};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, Notice, T};
use crate::session;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::UserProfile;

#[component]
pub fn HomePage() -> impl IntoView {
    use_title(T::HomeTitle);
    with_session(|| view! { <Profile /> })
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

    let form = FormState::new();
    let alert = form.alert;
    // A session already ended (by another device) is told it expired.
    let everywhere = end_session(Notice::LoggedOutEverywhere);
    let logout_all = form.authed(
        |token, ()| async move { api::logout_all(&token).await },
        move |()| everywhere(),
        form.alert_only(),
    );

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
                <ActionButton id="logout" action=log_out input=|| () idle=T::LogOut />
                <ActionButton id="logout-all" class="ghost" action=logout_all input=|| () clears=alert idle=T::LogOutEverywhere busy=T::LoggingOutEverywhere />
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
