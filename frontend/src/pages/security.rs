//! `/settings/security`: two-step login with an authenticator app (set it up: QR code and
//! setup key, confirm a code, then the recovery codes shown once) and the passkeys (list, add,
//! delete). Turning TOTP off and new recovery codes each have their own route
//! (`/settings/security/disable`, `/settings/security/recovery`): both ask for the password and a code,
//! and every form's fields keep their own ids.
//!
//! Changing the factors (TOTP setup, adding or deleting a passkey) is behind the server's
//! step-up: each is tried without proof first (a step-up of this session in the last minutes
//! stands in); when the server asks for it, a "confirm it's you" form takes the password (and
//! a TOTP code when TOTP is on) and the change is sent again with them.

use crate::api::{self, ApiError};
use crate::components::{
    back_link, error_banner, focus_field, go_with, loading, settings_page, signed_in,
    submit_unless, use_flash, AlertRegion, Card, NoticeRegion, PendingButton, SubmitButton,
    TextField,
};
use crate::form::{self, Field, FieldErrors, Issue};
use crate::form_state::{FormState, SecondFactor, SecondFactorField, SecondFactorSwitch};
use crate::i18n::{self, use_i18n, Notice, T};
use crate::session;
use crate::webauthn;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::{
    ErrorCode, PasskeyInfo, PasskeyRegisterFinish, RecoveryCodesRequest, StepUpRequest,
    TotpDisableRequest, TotpEnableRequest, TotpSetup,
};

/// A change to the factors the server guards with a step-up.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Guarded {
    TotpSetup,
    /// Under this name.
    AddPasskey(String),
    /// The passkey with this id.
    DeletePasskey(String),
}

/// The page's one step-up form: which change waits for the proof, and the form's state.
#[derive(Debug, Clone, Copy)]
struct StepUp {
    waiting: RwSignal<Option<Guarded>>,
    totp_on: RwSignal<bool>,
    password: RwSignal<String>,
    code: RwSignal<String>,
    form: FormState,
}

impl StepUp {
    fn new() -> Self {
        Self {
            waiting: RwSignal::new(None),
            totp_on: RwSignal::new(false),
            password: RwSignal::new(String::new()),
            code: RwSignal::new(String::new()),
            form: FormState::new(),
        }
    }

    /// The change went through: the form goes away.
    fn done(self) {
        self.waiting.set(None);
        self.password.set(String::new());
        self.code.set(String::new());
        self.form.clear();
    }

    /// Takes a refusal of `change`; `true` when it was about the proof (the form shows it),
    /// `false` when the caller should show it.
    fn refused(self, change: Guarded, err: &ApiError) -> bool {
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
fn StepUpForm(
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

/// The `otpauth://` URI as an SVG QR code, drawn here: the secret never leaves the page for
/// an image service. Empty when the URI does not fit a QR code (it always does).
pub fn qr_svg(uri: &str) -> String {
    qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

/// `YYYY-MM-DD` (UTC) of a Unix time in seconds.
fn day(unix_secs: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_secs as f64 * 1000.0));
    String::from(date.to_iso_string())
        .chars()
        .take(10)
        .collect()
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let notice = RwSignal::new(use_flash().take());
    provide_context(StepUp::new());
    view! {
        <Card heading_id="security-title" title=T::SecurityTitle lead=Some(T::SecurityLead)>
            <NoticeRegion notice />
            {signed_in(|_| view! { <TotpSection /> <PasskeySection /> })}
            {back_link()}
        </Card>
    }
}

/// The ten codes, shown once, with a copy button.
#[component]
fn RecoveryCodesView(codes: Vec<String>) -> impl IntoView {
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

#[component]
fn TotpSection() -> impl IntoView {
    let i18n = use_i18n();
    let status = LocalResource::new(|| {
        session::authed(|token| async move { api::mfa_status(&token).await })
    });
    let setup = RwSignal::new(None::<TotpSetup>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let FormState { errors, alert } = form;
    let step_up = expect_context::<StepUp>();
    Effect::new(move || {
        if let Some(Ok(s)) = status.get() {
            step_up.totp_on.set(s.totp_enabled);
        }
    });
    let start = form.authed(
        |token, (_, proof): (Guarded, StepUpRequest)| async move {
            api::totp_setup(&token, &proof).await
        },
        move |s| {
            step_up.done();
            alert.set(None);
            code.set(String::new());
            setup.set(Some(s));
            focus_field(Field::Code);
        },
        move |err| {
            if !step_up.refused(Guarded::TotpSetup, &err) {
                form.show(&err);
            }
        },
    );
    let enable = form.authed(
        |token, req: TotpEnableRequest| async move { api::totp_enable(&token, &req).await },
        move |answer| {
            setup.set(None);
            codes.set(Some(answer.recovery_codes));
            status.refetch();
        },
        move |err| form.show(&err),
    );
    let starting = start.pending();
    let enabling = enable.pending();
    let on_enable = submit_unless(enabling, move || {
        let typed = code.get_untracked();
        if form.accept(form::check_second_factor(Field::Code, &typed)) {
            enable.dispatch(TotpEnableRequest {
                code: typed.trim().to_owned(),
            });
        }
    });
    let state = move || {
        status.get().map(|result| match result {
            Ok(s) if s.totp_enabled => view! {
                <p id="totp-status" class="status on">{move || i18n.t(T::TotpOn)}</p>
                <p id="recovery-codes-left" class="muted">
                    {move || i18n::recovery_codes_left(i18n.get(), s.recovery_codes_remaining)}
                </p>
                <ul class="settings-menu">
                    <li><A href="/settings/security/recovery" attr:id="new-recovery-codes">{move || i18n.t(T::NewRecoveryCodes)}</A></li>
                    <li><A href="/settings/security/disable" attr:id="disable-totp">{move || i18n.t(T::DisableTotp)}</A></li>
                </ul>
            }
            .into_any(),
            Ok(_) => view! {
                <p id="totp-status" class="status off">{move || i18n.t(T::TotpOff)}</p>
                <Show when=move || setup.with(Option::is_none)>
                    <PendingButton
                        id="totp-setup"
                        class="secondary"
                        pending=starting
                        idle=T::SetUpTotp
                        busy=T::SettingUpTotp
                        on_click=move || {
                            start.dispatch((Guarded::TotpSetup, StepUpRequest::default()));
                        }
                    />
                </Show>
            }
            .into_any(),
            Err(err) => error_banner(err).into_any(),
        })
    };
    let setup_form = move || {
        setup.get().map(|s| {
            let qr = qr_svg(&s.otpauth_uri);
            view! {
                <div class="totp-setup">
                    <p class="lead">{move || i18n.t(T::TotpScanLead)}</p>
                    <div id="totp-qr" class="qr" role="img" aria-label=move || i18n.t(T::TotpQrLabel) inner_html=qr></div>
                    <p>
                        {move || i18n.t(T::TotpSecret)} ": "
                        <code id="totp-secret">{s.secret.clone()}</code>
                    </p>
                    <form on:submit=on_enable novalidate>
                        <TextField field=Field::Code value=code errors autocomplete="one-time-code" inputmode="numeric" maxlength=6 />
                        <SubmitButton id="totp-enable" pending=enabling idle=T::EnableTotp busy=T::EnablingTotp />
                    </form>
                </div>
            }
        })
    };
    view! {
        <section class="security-part" aria-labelledby="totp-title">
            <h2 id="totp-title">{move || i18n.t(T::TotpTitle)}</h2>
            <AlertRegion alert />
            <Suspense fallback=loading>
                {state}
            </Suspense>
            <StepUpForm
                step_up
                which=|g| matches!(g, Guarded::TotpSetup)
                pending=starting
                send=move |g, proof| {
                    start.dispatch((g, proof));
                }
            />
            {setup_form}
            {move || codes.get().map(|codes| view! { <RecoveryCodesView codes /> })}
        </section>
    }
}

/// Registration: `start` (with the step-up `proof`), the browser's new credential, `finish`
/// under `name`.
async fn add_passkey(name: String, proof: StepUpRequest) -> Result<PasskeyInfo, ApiError> {
    let challenge = session::authed(|token| {
        let proof = proof.clone();
        async move { api::passkey_register_start(&token, &proof).await }
    })
    .await?;
    let credential = webauthn::create(&challenge.options)
        .await
        .map_err(|_| webauthn::refused())?;
    let body = PasskeyRegisterFinish {
        challenge_id: challenge.challenge_id,
        name,
        credential,
    };
    session::authed(|token| {
        let body = body.clone();
        async move { api::passkey_register_finish(&token, &body).await }
    })
    .await
}

#[component]
fn PasskeySection() -> impl IntoView {
    let i18n = use_i18n();
    let list =
        LocalResource::new(|| session::authed(|token| async move { api::passkeys(&token).await }));
    let name = RwSignal::new(String::new());
    let form = FormState::new();
    let FormState { errors, alert } = form;
    let step_up = expect_context::<StepUp>();
    // The change last sent, which a step-up sends again with the proof.
    let sent = StoredValue::new(None::<Guarded>);
    let change = form.send(
        move |(what, proof): (Guarded, StepUpRequest)| async move {
            sent.set_value(Some(what.clone()));
            match &what {
                Guarded::AddPasskey(typed) => add_passkey(typed.clone(), proof).await.map(|_| {
                    name.set(String::new());
                }),
                Guarded::DeletePasskey(id) => {
                    let (id, proof) = (id.as_str(), &proof);
                    session::authed(
                        |token| async move { api::delete_passkey(&token, id, proof).await },
                    )
                    .await
                }
                Guarded::TotpSetup => Ok(()),
            }
        },
        move |()| {
            step_up.done();
            list.refetch();
        },
        form.or_expired(move |err| {
            let refused = sent
                .get_value()
                .is_some_and(|what| step_up.refused(what, &err));
            if !refused {
                form.show(&err);
            }
        }),
    );
    let adding = change.pending();
    let on_add = submit_unless(adding, move || {
        let typed = name.get_untracked();
        if form.accept(form::check_passkey_name(&typed)) {
            change.dispatch((
                Guarded::AddPasskey(typed.trim().to_owned()),
                StepUpRequest::default(),
            ));
        }
    });
    let item = move |p: PasskeyInfo| {
        let added = day(p.created_at);
        let id = p.id.clone();
        view! {
            <li class="passkey">
                <span class="passkey-name">{p.name.clone()}</span> " "
                <span class="muted">{move || i18n::passkey_added(i18n.get(), &added)}</span> " "
                <button
                    type="button"
                    class="ghost"
                    aria-label=move || format!("{} {}", i18n.t(T::DeletePasskey), p.name)
                    disabled=move || adding.get()
                    on:click=move |_| {
                        change.dispatch((Guarded::DeletePasskey(id.clone()), StepUpRequest::default()));
                    }
                >
                    {move || i18n.t(T::DeletePasskey)}
                </button>
            </li>
        }
    };
    let listing = move || {
        list.get().map(|result| match result {
            Ok(l) if l.passkeys.is_empty() => {
                view! { <p id="no-passkeys" class="muted">{move || i18n.t(T::NoPasskeys)}</p> }
                    .into_any()
            }
            Ok(l) => view! {
                <ul id="passkey-list" class="passkeys">
                    {l.passkeys.into_iter().map(item).collect_view()}
                </ul>
            }
            .into_any(),
            Err(err) => error_banner(err).into_any(),
        })
    };
    view! {
        <section class="security-part" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">{move || i18n.t(T::PasskeysTitle)}</h2>
            <p class="lead">{move || i18n.t(T::PasskeysLead)}</p>
            <AlertRegion alert />
            <Suspense fallback=loading>
                {listing}
            </Suspense>
            <form on:submit=on_add novalidate>
                <TextField field=Field::PasskeyName value=name errors autocomplete="off" maxlength=form::PASSKEY_NAME_MAX_LEN with_hint=true />
                <SubmitButton id="passkey-add" pending=adding idle=T::AddPasskey busy=T::AddingPasskey />
            </form>
            <StepUpForm
                step_up
                which=|g| matches!(g, Guarded::AddPasskey(_) | Guarded::DeletePasskey(_))
                pending=adding
                send=move |g, proof| {
                    change.dispatch((g, proof));
                }
            />
        </section>
    }
}

#[component]
pub fn TotpDisablePage() -> impl IntoView {
    let lead = Some(T::DisableTotpLead);
    let form = |_| view! { <DisableForm /> };
    settings_page(("card", "disable-totp-title"), T::DisableTotp, lead, form)
}

/// The password and a second factor, which turning TOTP off and new recovery codes ask for:
/// the password field, the code (or recovery code) field, and the switch between the two.
#[component]
fn ProofFields(
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
fn checked_proof(
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
fn proof_refused(form: FormState, factor: SecondFactor, err: &ApiError) {
    form.show_with_password(err, Field::Password);
    factor.move_issue(form.errors);
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
