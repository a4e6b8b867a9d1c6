//! The step-up of `/settings/security` (no route of its own): which change to the factors
//! waits for the proof (`Guarded`; `StepUp`, one per page, in its context) and the "confirm
//! it's you" form (`StepUpForm`) that takes the password, and a TOTP code when TOTP is on; the
//! section whose change it is sends it again with them.

use crate::api::ApiError;
use crate::components::{focus_field, submit_unless, AlertRegion, SubmitButton, TextField};
use crate::form::{self, Field};
use crate::form_state::FormState;
use crate::i18n::{use_i18n, T};
use leptos::prelude::*;
use shared::StepUpRequest;

/// A change to the factors the server guards with a step-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Guarded {
    TotpSetup,
    /// Under this name.
    AddPasskey(String),
    /// The passkey with this id.
    DeletePasskey(String),
}

/// The page's one step-up form: which change waits for the proof, and the form's state.
#[derive(Debug, Clone, Copy)]
pub(super) struct StepUp {
    waiting: RwSignal<Option<Guarded>>,
    pub(super) totp_on: RwSignal<bool>,
    password: RwSignal<String>,
    code: RwSignal<String>,
    form: FormState,
}

impl StepUp {
    pub(super) fn new() -> Self {
        Self {
            waiting: RwSignal::new(None),
            totp_on: RwSignal::new(false),
            password: RwSignal::new(String::new()),
            code: RwSignal::new(String::new()),
            form: FormState::new(),
        }
    }

    /// The change went through: the form goes away.
    pub(super) fn done(self) {
        self.waiting.set(None);
        self.password.set(String::new());
        self.code.set(String::new());
        self.form.clear();
    }

    /// Takes a refusal of `change`; `true` when it was about the proof (the form shows it),
    /// `false` when the caller should show it.
    pub(super) fn refused(self, change: Guarded, err: &ApiError) -> bool {
        let ApiError::Problem(p) = err else {
            return false;
        };
        if form::asks_for_step_up(p) && self.waiting.with_untracked(Option::is_none) {
            self.form.clear();
            self.waiting.set(Some(change));
            focus_field(Field::Password);
            return true;
        }
        if self.waiting.with_untracked(Option::is_none) {
            return false;
        }
        self.form.show_with_password(err, Field::Password);
        true
    }
}

/// The "confirm it's you" form, shown while a change of `which` kind waits for the proof;
/// `send` gets the proof.
#[component]
pub(super) fn StepUpForm(
    step_up: StepUp,
    which: fn(&Guarded) -> bool,
    pending: Memo<bool>,
    send: impl Fn(Guarded, StepUpRequest) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let StepUp {
        waiting,
        totp_on,
        password,
        code,
        form,
    } = step_up;
    let FormState { errors, alert } = form;
    let on_submit = submit_unless(pending, move || {
        let Some(change) = waiting.get_untracked() else {
            return;
        };
        let (pass, typed, totp) = (
            password.get_untracked(),
            code.get_untracked(),
            totp_on.get_untracked(),
        );
        if form.accept(form::check_step_up(&pass, totp, &typed)) {
            send(
                change,
                StepUpRequest {
                    password: Some(pass),
                    code: totp.then(|| typed.trim().to_owned()),
                    recovery_code: None,
                },
            );
        }
    });
    view! {
        <Show when=move || waiting.with(|w| w.as_ref().is_some_and(which))>
            <form class="step-up" on:submit=on_submit novalidate aria-labelledby="step-up-title">
                <h3 id="step-up-title">{move || i18n.t(T::StepUpTitle)}</h3>
                <p class="lead">
                    {move || i18n.t(if totp_on.get() { T::StepUpLeadTotp } else { T::StepUpLead })}
                </p>
                <AlertRegion alert />
                <TextField field=Field::Password value=password errors autocomplete="current-password" input_type="password" />
                <Show when=move || totp_on.get()>
                    <TextField field=Field::Code value=code errors autocomplete="one-time-code" inputmode="numeric" maxlength=6 />
                </Show>
                <div class="actions">
                    <SubmitButton id="step-up-submit" pending idle=T::Confirm busy=T::Verifying />
                    <button type="button" id="step-up-cancel" class="ghost" on:click=move |_| step_up.done()>
                        {move || i18n.t(T::Cancel)}
                    </button>
                </div>
            </form>
        </Show>
    }
}
