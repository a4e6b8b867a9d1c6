//! `/devices`: the account's sessions from `/api/sessions`, newest use first, this one
//! marked; end another device's session. Without a session, off to `/login`. A reload or a new
//! tab has no access token in memory: it refreshes first (the cookie brings the session back).

use crate::api::{self, ApiError};
use crate::components::{
    end_session, leave_when_refused, loading, use_title, with_session, ActionButton, AlertRegion,
    LoadError, TimeAgo,
};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, Notice, T};
use crate::session;
use leptos::prelude::*;
use shared::SessionInfo;

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
                            <ActionButton class="ghost end-session" action=end input=move || id.clone() clears=alert idle=T::EndSession busy=T::EndingSession />
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
