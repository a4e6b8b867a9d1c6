//! `/settings/security/disable`: turn TOTP off, proving it with the password and a code or a
//! recovery code (`proof.rs`); then back to `/settings/security`, which says it is off.
//! Without a session, off to `/login`.

use super::proof::{checked_proof, proof_refused, ProofFields};
use crate::api;
use crate::components::{go_with, settings_page, submit_unless, AlertRegion, SubmitButton};
use crate::form_state::{FormState, SecondFactor};
use crate::i18n::{Notice, T};
use leptos::prelude::*;
use shared::TotpDisableRequest;

#[component]
pub fn TotpDisablePage() -> impl IntoView {
    let lead = Some(T::DisableTotpLead);
    let form = |_| view! { <DisableForm /> };
    settings_page(("card", "disable-totp-title"), T::DisableTotp, lead, form)
}

#[component]
fn DisableForm() -> impl IntoView {
    let disabled = go_with(Notice::TotpDisabled, "/settings/security", false);
    let password = RwSignal::new(String::new());
    let factor = SecondFactor::new();
    let form = FormState::new();
    let FormState { errors, alert } = form;
    let disable = form.authed(
        |token, req: TotpDisableRequest| async move { api::totp_disable(&token, &req).await },
        move |()| disabled(),
        move |err| proof_refused(form, factor, &err),
    );
    let pending = disable.pending();
    let on_submit = submit_unless(pending, move || {
        if let Some((password, code, recovery_code)) = checked_proof(form, password, factor) {
            disable.dispatch(TotpDisableRequest {
                password,
                code,
                recovery_code,
            });
        }
    });
    view! {
        <AlertRegion alert />
        <form on:submit=on_submit novalidate>
            <ProofFields switch_id="disable-switch" password factor errors />
            <SubmitButton id="totp-disable" class="primary danger" pending idle=T::DisableTotp busy=T::DisablingTotp />
        </form>
    }
}
