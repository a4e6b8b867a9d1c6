//! `/security/not-me#token=…`: the "this wasn't me" link of a new-sign-in alert. The token
//! comes in the fragment (never sent to a server in a request line or `Referer`) and is taken
//! out of the address bar at once. Opening the link does nothing by itself (mail scanners
//! open links): one button sends it; then every session of the account has ended, a reset
//! code is on its way, and the page leads into the reset form.

use crate::api::{self, ApiError};
use crate::components::{use_title, AlertRegion};
use crate::form::Alert;
use crate::i18n::{self, use_i18n, T};
use crate::session;
use leptos::prelude::*;
use shared::{ErrorCode, NotMeRequest};

/// The `token` parameter of a fragment such as `#token=abc` (percent-decoded), if any.
pub fn token_from_fragment(fragment: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(|raw| {
            js_sys::decode_uri_component(raw)
                .map(String::from)
                .unwrap_or_else(|_| raw.to_owned())
        })
        .filter(|t| !t.is_empty())
}

/// Reads the token from the address and removes the fragment from it (and from history).
fn take_token() -> Option<String> {
    let window = web_sys::window()?;
    let token = token_from_fragment(&window.location().hash().ok()?);
    if token.is_some() {
        if let Ok(history) = window.history() {
            let path = window.location().pathname().unwrap_or_default();
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
        }
    }
    token
}

#[component]
pub fn NotMePage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::NotMeTitle);
    let token = StoredValue::new(take_token());
    let alert = RwSignal::new(None::<Alert>);
    let ended = RwSignal::new(None::<u64>);
    // Used, expired or forged: the one answer the server gives for all three.
    let used = RwSignal::new(false);
    let send = Action::new_local(move |token: &String| {
        let body = NotMeRequest {
            token: token.clone(),
        };
        async move {
            match api::not_me(&body).await {
                Ok(answer) => {
                    // This browser's session, if it had one, has ended with the others.
                    session::clear();
                    ended.set(Some(answer.sessions_ended));
                }
                Err(ApiError::Problem(p)) if p.code == ErrorCode::InvalidToken => used.set(true),
                Err(err) => alert.set(Some(Alert::from(err))),
            }
        }
    });
    let pending = send.pending();
    let press = move |_| {
        if let Some(t) = token.get_value() {
            if !pending.get_untracked() {
                alert.set(None);
                send.dispatch(t);
            }
        }
    };
    let body = move || {
        match (token.get_value(), ended.get()) {
        (_, Some(n)) => view! {
            <div class="live" role="status">
                <p class="banner success" id="not-me-done">{move || i18n::not_me_done(i18n.get(), n)}</p>
            </div>
            <a id="not-me-reset" class="button primary" href="/reset?sent=1">
                {move || i18n.t(T::NotMeContinue)}
            </a>
        }
        .into_any(),
        (None, None) => view! {
            <p class="banner error" id="not-me-invalid">{move || i18n.t(T::NotMeNoToken)}</p>
        }
        .into_any(),
        (Some(_), None) => view! {
            <button id="not-me-submit" type="button" class="primary danger wide" disabled=move || pending.get() on:click=press>
                {move || i18n.t(if pending.get() { T::NotMeWorking } else { T::NotMeButton })}
            </button>
        }
        .into_any(),
    }
    };
    view! {
        <section class="card" aria-labelledby="not-me-title">
            <h1 id="not-me-title">{move || i18n.t(T::NotMeTitle)}</h1>
            <p class="lead">{move || i18n.t(T::NotMeLead)}</p>
            <AlertRegion alert />
            <div class="live" role="alert">
                {move || used.get().then(|| view! { <p class="banner error" id="not-me-used">{move || i18n.t(T::NotMeUsed)}</p> })}
            </div>
            {body}
        </section>
    }
}
