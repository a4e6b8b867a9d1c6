//! One form's state and its way of sending, which every page's form shares: the field errors
//! and the alert it shows, the client-side checks before a send, and the triage of an answer.
//! The rule: a success goes to the form's own handler; a refused session (401
//! `invalid_token` on a signed-in page) ends the session and goes to the login page with
//! "your session has expired"; any other error goes to the form's error handler, which most
//! forms leave to `show` (issues next to fields, the rest in the alert region).
//!
//! The second factor typed on a form (an authenticator code, or a recovery code instead) is
//! `SecondFactor`, with its fields and its switch.

use crate::api::ApiError;
use crate::components::{end_session, focus_field, TextField};
use crate::form::{self, Alert, Field, FieldErrors, Issue};
use crate::i18n::{use_i18n, Notice, T};
use crate::session;
use leptos::prelude::*;
use shared::ErrorCode;
use std::future::Future;
use std::rc::Rc;

/// The field errors and the alert of one form.
#[derive(Debug, Clone, Copy)]
pub struct FormState {
    pub errors: RwSignal<FieldErrors>,
    pub alert: RwSignal<Option<Alert>>,
}

impl Default for FormState {
    fn default() -> Self {
        Self::new()
    }
}

impl FormState {
    pub fn new() -> Self {
        Self {
            errors: RwSignal::new(FieldErrors::default()),
            alert: RwSignal::new(None),
        }
    }

    /// No errors, no alert.
    pub fn clear(self) {
        self.errors.set(FieldErrors::default());
        self.alert.set(None);
    }

    /// Shows client-side check results; `true` when the form may be sent.
    pub fn accept(self, found: FieldErrors) -> bool {
        let first = found.first();
        self.errors.set(found);
        match first {
            Some(field) => {
                self.alert.set(Some(Alert::FixFields));
                focus_field(field);
                false
            }
            None => {
                self.alert.set(None);
                true
            }
        }
    }

    /// Shows a failed call: issues next to fields, the rest in the alert region; then focuses
    /// the first field that needs attention.
    pub fn show(self, err: &ApiError) {
        match err {
            ApiError::Problem(problem) => {
                let feedback = form::feedback(problem);
                if let Some(field) = feedback.fields.first() {
                    focus_field(field);
                }
                self.errors.update(|e| e.merge(feedback.fields));
                self.alert.set(feedback.alert);
            }
            ApiError::Network => self.alert.set(Some(Alert::Network)),
            ApiError::Unexpected { status } => {
                self.alert.set(Some(Alert::Server { status: *status }))
            }
        }
    }

    /// Shows a failed call of an action without fields: in the alert region.
    pub fn alert_only(self) -> impl Fn(ApiError) + Copy + 'static {
        move |err| self.alert.set(Some(Alert::from(err)))
    }

    /// `show`, except that a wrong password is about `password`, not the session.
    pub fn show_with_password(self, err: &ApiError, password: Field) {
        if is_code(err, ErrorCode::InvalidCredentials) {
            self.errors
                .update(|e| e.insert(password, Issue::Rule(ErrorCode::InvalidCredentials)));
            focus_field(password);
            return;
        }
        self.show(err);
    }

    /// An action of a page without a session: `call(input)`, then `ok` with the answer or
    /// `failed` with the error.
    pub fn send<I, R, F, Fut>(
        self,
        call: F,
        ok: impl Fn(R) + 'static,
        failed: impl Fn(ApiError) + 'static,
    ) -> Action<I, ()>
    where
        I: Clone + 'static,
        R: 'static,
        F: Fn(I) -> Fut + 'static,
        Fut: Future<Output = Result<R, ApiError>> + 'static,
    {
        let (ok, failed) = (Rc::new(ok), Rc::new(failed));
        Action::new_local(move |input: &I| {
            let answer = call(input.clone());
            let (ok, failed) = (ok.clone(), failed.clone());
            async move {
                match answer.await {
                    Ok(answer) => ok(answer),
                    Err(err) => failed(err),
                }
            }
        })
    }

    /// `failed`, except that a refused session (on a signed-in page) ends it: back to the
    /// login page, "your session has expired".
    pub fn or_expired(self, failed: impl Fn(ApiError) + 'static) -> impl Fn(ApiError) + 'static {
        let expired = end_session(Notice::SessionExpired);
        move |err: ApiError| {
            if err.is_unauthorized() {
                expired();
            } else {
                failed(err);
            }
        }
    }

    /// An action of a signed-in page: `call(token, input)` with the session's token (refreshed
    /// and tried again once when refused, `session::authed`), then `ok` with the answer; a
    /// refused session ends it (`or_expired`); `failed` gets any other error.
    pub fn authed<I: Clone + 'static, R: 'static, Fut>(
        self,
        call: impl Fn(String, I) -> Fut + Copy + 'static,
        ok: impl Fn(R) + 'static,
        failed: impl Fn(ApiError) + 'static,
    ) -> Action<I, ()>
    where
        Fut: Future<Output = Result<R, ApiError>> + 'static,
    {
        self.send(
            move |input: I| session::authed(move |token| call(token, input.clone())),
            ok,
            self.or_expired(failed),
        )
    }
}

/// Whether `err` is the API's problem `code`.
pub fn is_code(err: &ApiError, code: ErrorCode) -> bool {
    matches!(err, ApiError::Problem(p) if p.code == code)
}

/// The second factor typed on a form: an authenticator code, or a recovery code instead.
#[derive(Debug, Clone, Copy)]
pub struct SecondFactor {
    pub use_recovery: RwSignal<bool>,
    pub code: RwSignal<String>,
    pub recovery: RwSignal<String>,
}

impl Default for SecondFactor {
    fn default() -> Self {
        Self::new()
    }
}

impl SecondFactor {
    pub fn new() -> Self {
        Self {
            use_recovery: RwSignal::new(false),
            code: RwSignal::new(String::new()),
            recovery: RwSignal::new(String::new()),
        }
    }

    /// The field in use (untracked).
    pub fn field(self) -> Field {
        if self.use_recovery.get_untracked() {
            Field::RecoveryCode
        } else {
            Field::Code
        }
    }

    /// The checks of what was typed, and the request's `code` and `recovery_code` (one of
    /// them, trimmed).
    pub fn checked(self) -> (FieldErrors, Option<String>, Option<String>) {
        let field = self.field();
        let typed = if field == Field::Code {
            self.code.get_untracked()
        } else {
            self.recovery.get_untracked()
        };
        let found = form::check_second_factor(field, &typed);
        let typed = Some(typed.trim().to_owned());
        if field == Field::Code {
            (found, typed, None)
        } else {
            (found, None, typed)
        }
    }

    /// The server says `invalid_code` for a wrong recovery code too: with the recovery code in
    /// use, moves the code's issue to it.
    pub fn move_issue(self, errors: RwSignal<FieldErrors>) {
        if self.use_recovery.get_untracked() {
            errors.update(|e| {
                if let Some(issue) = e.get(Field::Code).cloned() {
                    e.remove(Field::Code);
                    e.insert(Field::RecoveryCode, issue);
                }
            });
        }
    }
}

/// The code field, or the recovery code field when that is in use.
#[component]
pub fn SecondFactorField(factor: SecondFactor, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let SecondFactor {
        use_recovery,
        code,
        recovery,
    } = factor;
    view! {
        <Show
            when=move || use_recovery.get()
            fallback=move || view! {
                <TextField field=Field::Code value=code errors autocomplete="one-time-code" inputmode="numeric" maxlength=6 />
            }
        >
            <TextField field=Field::RecoveryCode value=recovery errors autocomplete="off" />
        </Show>
    }
}

/// The button that switches between the code and a recovery code; `before` runs first.
#[component]
pub fn SecondFactorSwitch(
    id: &'static str,
    factor: SecondFactor,
    before: impl Fn() + 'static,
    /// Runs after the switch.
    #[prop(optional)]
    after: Option<fn(SecondFactor)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let use_recovery = factor.use_recovery;
    view! {
        <button
            id=id
            type="button"
            class="ghost"
            on:click=move |_| {
                before();
                use_recovery.update(|r| *r = !*r);
                if let Some(after) = after {
                    after(factor);
                }
            }
        >
            {move || i18n.t(if use_recovery.get() { T::UseTotpCode } else { T::UseRecoveryCode })}
        </button>
    }
}
