//! The proof that `/settings/security/disable` and `/settings/security/recovery` both ask for
//! (no route of its own): the password and a code or a recovery code (`ProofFields`), their
//! checks (`checked_proof`), and a refusal shown on the field it is about (`proof_refused`).

use crate::api::ApiError;
use crate::components::TextField;
use crate::form::{Field, FieldErrors, Issue};
use crate::form_state::{FormState, SecondFactor, SecondFactorField, SecondFactorSwitch};
use leptos::prelude::*;
use shared::ErrorCode;

/// The password and a second factor, which turning TOTP off and new recovery codes ask for:
/// the password field, the code (or recovery code) field, and the switch between the two.
#[component]
pub(super) fn ProofFields(
    switch_id: &'static str,
    password: RwSignal<String>,
    factor: SecondFactor,
    errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    view! {
        <TextField field=Field::Password value=password errors autocomplete="current-password" input_type="password" />
        <SecondFactorField factor errors />
        <p class="alt-login">
            <SecondFactorSwitch
                id=switch_id
                factor
                before=move || {
                    errors.update(|e| {
                        e.remove(Field::Code);
                        e.remove(Field::RecoveryCode);
                    })
                }
            />
        </p>
    }
}

/// The checks of `ProofFields`, and when they pass, the request's password, code and
/// recovery code.
pub(super) fn checked_proof(
    form: FormState,
    password: RwSignal<String>,
    factor: SecondFactor,
) -> Option<(String, Option<String>, Option<String>)> {
    let pass = password.get_untracked();
    let (second, code, recovery_code) = factor.checked();
    let mut found = FieldErrors::default();
    if pass.is_empty() {
        found.insert(Field::Password, Issue::Rule(ErrorCode::Required));
    }
    found.merge(second);
    form.accept(found).then_some((pass, code, recovery_code))
}

/// A refused proof: a wrong password is the password field's, a wrong code the field in use.
pub(super) fn proof_refused(form: FormState, factor: SecondFactor, err: &ApiError) {
    form.show_with_password(err, Field::Password);
    factor.move_issue(form.errors);
}
