//! `/activity`: the account's recent activity, newest first, in sentences ("Signed in with a
//! passkey — Chrome on macOS — 203.0.113.7 — 3 minutes ago"), refused sign-ins in a row as one
//! entry, the current session marked, fifty at a time ("show older" follows `next_before`).
//! "This wasn't me" on another session's sign-in ends every session (`/api/logout_all`) and
//! opens the reset form with the address filled in.

use crate::activity::{self, Entry};
use crate::api;
use crate::components::{loading, signed_in, ActionButton, AlertRegion, Card, TimeAgo};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, T};
use crate::session;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::{ActivityEvent, UserProfile};

#[component]
pub fn ActivityPage() -> impl IntoView {
    view! {
        <Card heading_id="activity-title" title=T::ActivityTitle lead=Some(T::ActivityLead)>
            {signed_in(|profile| view! { <ActivityLog profile /> })}
        </Card>
    }
}

#[component]
fn ActivityLog(profile: UserProfile) -> impl IntoView {
    let i18n = use_i18n();
    let events = RwSignal::new(Vec::<ActivityEvent>::new());
    let next = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let form = FormState::new();
    let alert = form.alert;
    let load =
        form.authed(
            |token, before: Option<String>| async move {
                api::activity(&token, before.as_deref()).await
            },
            move |page| {
                events.update(|e| e.extend(page.events));
                next.set(page.next_before);
                loaded.set(true);
            },
            form.alert_only(),
        );
    load.dispatch(None);

    // "This wasn't me": every session ends, then the reset form for this account's address.
    let navigate = use_navigate();
    let email = profile.email.clone();
    let not_me = form.authed(
        |token, ()| async move { api::logout_all(&token).await },
        move |()| {
            session::clear();
            let to = format!(
                "/reset?email={}",
                String::from(js_sys::encode_uri_component(&email))
            );
            navigate(
                &to,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        },
        form.alert_only(),
    );

    let row = move |Entry { event, count }: Entry| {
        let what = {
            let event = event.clone();
            move || i18n::activity(i18n.get(), &event, count)
        };
        let (browser, system) = session::user_agent_parts(&event.user_agent);
        let device = (!event.user_agent.is_empty())
            .then_some(move || i18n::browser_on_system(i18n.get(), browser, system));
        let ip = (!event.ip.is_empty()).then(|| event.ip.clone());
        let kind = activity::kind_name(event.kind);
        let offer = activity::offers_not_me(&event);
        view! {
            <li class="event" data-kind=kind data-current=event.current_session.to_string()>
                <p class="event-line">
                    <span class="event-what">{what}</span>
                    {device.map(|d| view! { " — " <span class="event-device">{d}</span> })}
                    {ip.map(|ip| view! { " — " <span class="event-ip">{ip}</span> })}
                    " — "
                    <TimeAgo at=event.at.clone() />
                    {event
                        .current_session
                        .then(|| view! { " " <strong class="badge">{move || i18n.t(T::ThisSession)}</strong> })}
                </p>
                {offer
                    .then(|| {
                        view! {
                            <ActionButton class="ghost danger-text not-me" action=not_me input=|| () idle=T::ThisWasntMe />
                        }
                    })}
            </li>
        }
    };
    view! {
        <AlertRegion alert />
        <Show
            when=move || loaded.get()
            fallback=loading
        >
            <Show
                when=move || events.with(|e| !e.is_empty())
                fallback=move || view! { <p class="muted" id="activity-empty">{move || i18n.t(T::ActivityEmpty)}</p> }
            >
                <ul id="activity-list" class="rows">
                    {move || events.with(|e| activity::group(e)).into_iter().map(row).collect_view()}
                </ul>
            </Show>
            <Show when=move || next.with(Option::is_some)>
                <ActionButton id="activity-older" action=load input=move || next.get_untracked() idle=T::ShowOlder busy=T::Loading />
            </Show>
        </Show>
    }
}
