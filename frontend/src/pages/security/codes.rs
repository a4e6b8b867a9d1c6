//! The ten recovery codes, shown once with a copy button (no route of its own): after TOTP is
//! set up on `/settings/security`, and on `/settings/security/recovery`.

use crate::i18n::{use_i18n, T};
use leptos::prelude::*;

/// The ten codes, shown once, with a copy button.
#[component]
pub(super) fn RecoveryCodesView(codes: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    let copied = RwSignal::new(false);
    let text = codes.join("\n");
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&text);
            if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                copied.set(true);
            }
        });
    };
    view! {
        <div class="recovery-codes" aria-labelledby="recovery-codes-title">
            <h3 id="recovery-codes-title">{move || i18n.t(T::RecoveryCodesTitle)}</h3>
            <p class="lead">{move || i18n.t(T::RecoveryCodesLead)}</p>
            <ul id="recovery-codes" class="codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <button id="copy-recovery-codes" type="button" class="secondary" on:click=copy>
                {move || i18n.t(T::CopyCodes)}
            </button>
            <p class="muted" role="status">
                {move || copied.get().then(|| i18n.t(T::CodesCopied))}
            </p>
        </div>
    }
}
