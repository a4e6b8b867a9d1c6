//! The "verify email" step shared by `/signup` and `/reset`: asking for a mailed code, the
//! resend cooldown, and the code field with its expiry countdown.

use crate::api::ApiError;
use crate::components::{focus_field, unless_pending, TextField};
use crate::form::{seconds_left, Field, FieldErrors};
use crate::form_state::{is_code, FormState};
use crate::i18n::{self, use_i18n, T};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::{EmailAuthResponse, ErrorCode, Locale};
use std::future::Future;

/// A code requested for `email`; `expires_at` is unknown when the server only told us that
/// a mail went to the address recently (a cooldown answer). An empty `email`: a code mailed
/// before the page opened, to whichever address is typed.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeRequest {
    pub email: String,
    pub expires_at: Option<f64>,
}

/// The state of the code step of a form, with the form it reports to.
#[derive(Debug, Clone, Copy)]
pub struct CodeStep {
    request: RwSignal<Option<CodeRequest>>,
    /// Epoch milliseconds before which the server will refuse another mail to the address.
    resend_at: RwSignal<f64>,
    now: RwSignal<f64>,
    form: FormState,
}

impl CodeStep {
    /// A code step for the address in `email`, counting down against the clock `now`.
    pub fn new(email: RwSignal<String>, now: RwSignal<f64>, form: FormState) -> Self {
        let step = Self {
            request: RwSignal::new(None),
            resend_at: RwSignal::new(0.0),
            now,
            form,
        };
        // A code belongs to the address it was sent to: editing the address starts over.
        Effect::new(move || {
            let typed = email.with(|e| e.trim().to_owned());
            if step.request.with_untracked(|c| {
                c.as_ref()
                    .is_some_and(|c| !c.email.is_empty() && c.email != typed)
            }) {
                step.request.set(None);
                step.resend_at.set(0.0);
            }
        });
        step
    }

    /// A code was mailed before this page opened (by "this wasn't me"), to an address the page
    /// does not know: the code field shows at once, with no countdown, whatever is typed.
    pub fn assume_sent(self) {
        self.request.set(Some(CodeRequest {
            email: String::new(),
            expires_at: None,
        }));
    }

    /// Whether a code was asked for (tracked).
    pub fn requested(self) -> bool {
        self.request.with(Option::is_some)
    }

    /// Whether a code was asked for (untracked).
    pub fn requested_untracked(self) -> bool {
        self.request.with_untracked(Option::is_some)
    }

    /// Seconds before another code may be asked for (tracked).
    pub fn cooldown_left(self) -> u64 {
        seconds_left(self.resend_at.get(), self.now.get())
    }

    /// Takes in the answer to asking for a code mailed to `email`.
    pub fn answered(self, email: String, result: Result<EmailAuthResponse, ApiError>) {
        let sent_at = js_sys::Date::now();
        self.now.set(sent_at);
        let at = |secs: u64| sent_at + secs as f64 * 1000.0;
        match result {
            Ok(answer) => {
                self.resend_at.set(at(answer.resend_after));
                self.request.set(Some(CodeRequest {
                    email,
                    expires_at: Some(at(answer.expires_in)),
                }));
                self.form.errors.update(|e| e.remove(Field::Code));
                focus_field(Field::Code);
            }
            Err(err) => {
                if let ApiError::Problem(p) = &err {
                    if let Some(wait) = p.retry_after {
                        self.resend_at.set(at(wait));
                    }
                    // A cooldown means a mail went to this address moments ago: it may hold
                    // a code already.
                    if p.code == ErrorCode::ResendCooldown && !self.requested_untracked() {
                        self.request.set(Some(CodeRequest {
                            email,
                            expires_at: None,
                        }));
                    }
                }
                self.form.show(&err);
            }
        }
    }

    /// The action that asks for a code with `call` (the request to the address `email(req)`)
    /// and reports the answer to this step.
    pub fn sender<R, F, Fut>(self, email: fn(&R) -> String, call: F) -> Action<R, ()>
    where
        R: Clone + 'static,
        F: Fn(R) -> Fut + 'static,
        Fut: Future<Output = Result<EmailAuthResponse, ApiError>> + 'static,
    {
        Action::new_local(move |req: &R| {
            let to = email(req);
            let answer = call(req.clone());
            async move { self.answered(to, answer.await) }
        })
    }

    /// Before asking for a code: shows `checked`, the findings on the fields the request
    /// sends (`fields`), while the other fields keep theirs (the final submit checks those);
    /// `true` when the request may go.
    pub fn accept_request_checks(self, fields: &[Field], checked: FieldErrors) -> bool {
        let mut found = self.form.errors.get_untracked();
        for field in fields {
            found.remove(*field);
        }
        let ok = checked.is_empty();
        found.merge(checked);
        if !ok {
            self.form.accept(found);
            return false;
        }
        self.form.errors.set(found);
        self.form.alert.set(None);
        true
    }

    /// The submit handler of a form with a code step (the browser's own submit prevented).
    /// Before a code was asked for, a submit (Enter in the address field) asks for one with
    /// `request_code`, unless the cooldown runs; after, `confirm` sends the form, unless
    /// `pending`.
    pub fn on_submit(
        self,
        request_code: impl Fn() + Copy + 'static,
        pending: Memo<bool>,
        confirm: impl Fn() + Copy + 'static,
    ) -> impl Fn(SubmitEvent) + Copy {
        let confirm = unless_pending(pending, confirm);
        move |ev| {
            ev.prevent_default();
            if self.requested_untracked() {
                confirm();
            } else if self.cooldown_left() == 0 {
                request_code();
            }
        }
    }

    /// Shows a failed final submit on the form; an expired code also stops the countdown.
    pub fn failed(self, err: &ApiError) {
        if is_code(err, ErrorCode::CodeExpired) {
            self.request.update(|c| {
                if let Some(c) = c {
                    c.expires_at = Some(0.0);
                }
            });
        }
        self.form.show(err);
    }

    /// The text of the send button, `first` before any code was asked for (tracked).
    fn send_label(self, lang: Locale, sending: bool, first: T) -> String {
        let left = self.cooldown_left();
        if sending {
            i18n::t(lang, T::Sending)
        } else if left > 0 {
            i18n::resend_in(lang, left)
        } else if self.requested() {
            i18n::t(lang, T::Resend)
        } else {
            i18n::t(lang, first)
        }
    }

    /// The expiry countdown of the code, when its expiry is known (tracked).
    fn timer(self, lang: Locale) -> Option<String> {
        let expires_at = self
            .request
            .with(|c| c.as_ref().and_then(|c| c.expires_at))?;
        Some(match seconds_left(expires_at, self.now.get()) {
            0 => i18n::t(lang, T::CodeExpiredHint),
            left => i18n::code_expires_in(lang, left),
        })
    }
}

/// The button that asks for a code: `first` is its label before one was asked for.
#[component]
pub fn SendCodeButton(
    id: &'static str,
    step: CodeStep,
    sending: Memo<bool>,
    first: T,
    on_click: impl Fn() + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button
            id=id
            type="button"
            class="secondary"
            disabled=move || { sending.get() || step.cooldown_left() > 0 }
            on:click=move |_| on_click()
        >
            {move || step.send_label(i18n.get(), sending.get(), first)}
        </button>
    }
}

/// The polite announcement that a code was sent, worded by `message`.
#[component]
pub fn CodeSentStatus(step: CodeStep, message: fn(Locale, &str) -> String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="live" role="status">
            {move || {
                step.request
                    .get()
                    .filter(|c| !c.email.is_empty())
                    .map(|c| {
                        view! { <p class="banner info">{message(i18n.get(), &c.email)}</p> }
                    })
            }}
        </div>
    }
}

/// The code field with its expiry countdown.
#[component]
pub fn CodeField(step: CodeStep, value: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let errors = step.form.errors;
    view! {
        <div class="code-step">
            <TextField
                field=Field::Code
                value
                errors
                autocomplete="one-time-code"
                inputmode="numeric"
                maxlength=shared::rules::CODE_LEN
                with_hint=true
            />
            <p class="timer" role="timer">
                {move || step.timer(i18n.get())}
            </p>
        </div>
    }
}

/// The address field with the button that asks for a code in its row (`send_id`, labelled
/// `first` before a code was asked for), and the "code sent" status under it, worded by
/// `message`.
#[component]
pub fn EmailCodeRequest(
    step: CodeStep,
    value: RwSignal<String>,
    send_id: &'static str,
    sending: Memo<bool>,
    first: T,
    on_click: impl Fn() + Send + 'static,
    message: fn(Locale, &str) -> String,
    #[prop(optional)] with_hint: bool,
) -> impl IntoView {
    view! {
        <TextField
            field=Field::Email
            value
            errors=step.form.errors
            autocomplete="email"
            input_type="email"
            inputmode="email"
            with_hint
        >
            <SendCodeButton id=send_id step sending first on_click />
        </TextField>
        <CodeSentStatus step message />
    }
}
