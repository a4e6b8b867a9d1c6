//! `/settings/security/recovery`: new recovery codes, proving it with the password and a code
//! or a recovery code (`proof.rs`); the new codes are shown once (`codes.rs`) in place of the
//! form. Without a session, off to `/login`.

use super::codes::RecoveryCodesView;
use super::proof::{checked_proof, proof_refused, ProofFields};
use crate::api;
use crate::components::{settings_page, submit_unless, AlertRegion, SubmitButton};
use crate::form_state::{FormState, SecondFactor};
use crate::i18n::T;
use leptos::prelude::*;
use shared::RecoveryCodesRequest;

#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let lead = Some(T::NewRecoveryCodesLead);
    let form = |_| view! { <RecoveryForm /> };
    settings_page(("card", "recovery-title"), T::NewRecoveryCodes, lead, form)
}

#[component]
fn RecoveryForm() -> impl IntoView {
    let password = RwSignal::new(String::new());
    let factor = SecondFactor::new();
    let codes = RwSignal::new(None::<Vec<String>>);
    let form = FormState::new();
    let FormState { errors, alert } = form;
    let make = form.authed(
        |token, req: RecoveryCodesRequest| async move { api::recovery_codes(&token, &req).await },
        move |answer| {
            password.set(String::new());
            codes.set(Some(answer.recovery_codes));
        },
        move |err| proof_refused(form, factor, &err),
    );
    let pending = make.pending();
    let on_submit = submit_unless(pending, move || {
        if let Some((password, code, recovery_code)) = checked_proof(form, password, factor) {
            make.dispatch(RecoveryCodesRequest {
                password,
                code,
                recovery_code,
            });
        }
    });
    view! {
        <AlertRegion alert />
        <Show
            when=move || codes.with(Option::is_some)
            fallback=move || view! {
                <form on:submit=on_submit novalidate>
                    <ProofFields switch_id="recovery-switch" password factor errors />
                    <SubmitButton id="recovery-codes-submit" pending idle=T::NewRecoveryCodes busy=T::MakingRecoveryCodes />
                </form>
            }
        >
            {move || codes.get().map(|codes| view! { <RecoveryCodesView codes /> })}
        </Show>
    }
}
