//! `/settings/security`: two-step login with an authenticator app (set it up: QR code and
//! setup key, confirm a code, then the recovery codes shown once) and the passkeys (list, add,
//! delete). Turning TOTP off and new recovery codes each have their own route and module
//! (`/settings/security/disable` in `disable.rs`, `/settings/security/recovery` in
//! `recovery.rs`): both ask for the password and a code, and every form's fields keep their
//! own ids. The other modules here are no route: they hold what the routes share (`proof.rs`,
//! `codes.rs`) and this page's step-up (`step_up.rs`); no route module imports another.
//!
//! Changing the factors (TOTP setup, adding or deleting a passkey) is behind the server's
//! step-up: each is tried without proof first (a step-up of this session in the last minutes
//! stands in); when the server asks for it, a "confirm it's you" form takes the password (and
//! a TOTP code when TOTP is on) and the change is sent again with them.

mod codes;
pub mod disable;
mod proof;
pub mod recovery;
mod step_up;

use crate::api::{self, ApiError};
use crate::components::{
    back_link, error_banner, focus_field, loading, signed_in, submit_unless, use_flash,
    ActionButton, AlertRegion, Card, NoticeRegion, SubmitButton, TextField,
};
use crate::form::{self, Field};
use crate::form_state::FormState;
use crate::i18n::{self, use_i18n, T};
use crate::session;
use crate::webauthn;
use codes::RecoveryCodesView;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::{PasskeyInfo, PasskeyRegisterFinish, StepUpRequest, TotpEnableRequest, TotpSetup};
use step_up::{Guarded, StepUp, StepUpForm};

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
                    <ActionButton id="totp-setup" action=start input=|| (Guarded::TotpSetup, StepUpRequest::default()) idle=T::SetUpTotp busy=T::SettingUpTotp />
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
