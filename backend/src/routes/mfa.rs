//! The second factor of the signed-in account (`mfa::manage`): TOTP setup, enable, disable,
//! recovery codes, and the status.

use actix_web::{web, HttpResponse};
use shared::{
    MfaStatus, RecoveryCodes, RecoveryCodesRequest, StepUpRequest, TotpDisableRequest,
    TotpEnableRequest, TotpSetup,
};

use super::{Answer, State};
use crate::{
    auth::SignedInUser,
    mfa::manage,
    openapi::rows,
    signin::{step_up::Proof, Client},
};

/// Starts setting up TOTP, after a step-up (`{"password": …}`; no body or `{}` within
/// `APP_STEP_UP_TTL_SECS` of this session's last step-up; a sign-in alone never counts): a new
/// secret, as text and as an `otpauth://` URI for a QR code (rendered by the client). Nothing is
/// active until `POST /api/mfa/totp/enable` from this same session confirms a code from it; a
/// new setup replaces an earlier pending one.
#[utoipa::path(post, path = "/api/mfa/totp/setup", tag = "mfa",
    operation_id = "totp_setup",
    security(("bearer" = [])),
    request_body(content = Option<shared::StepUpRequest>, description = "The step-up proof: the password; may be left out after a recent step-up"),
    responses(
        (status = 200, description = "A new pending secret (shown this once)", body = TotpSetup),
        (status = 400, description = "`malformed_body`: a body that is not the step-up proof \
          (no body at all is allowed)"),
        rows::StepUpRefused,
        (status = 409, description = "`totp_already_enabled`: turn it off first"),
        (status = 422, description = "`validation_failed`: no `password` and no recent step-up"),
        (status = 429, description = "`too_many_attempts`: too many wrong passwords for this \
          account from this client's pool; or `rate_limited`"),
        rows::PasswordHashing,
    ))]
pub async fn setup(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: crate::extract::OptionalJson<StepUpRequest>,
) -> Answer {
    let body = body.into_inner().unwrap_or_default();
    let setup: TotpSetup = manage::setup(&state, &client, &signed, Proof::of(&body)).await?;
    Ok(super::private_json(&setup))
}

/// Turns TOTP on with a current code from the secret this session set up, and answers the 10
/// recovery codes (shown this once). From now on every sign-in with one factor asks for the
/// second step, and every other session of the account ends. The owner is mailed a notice.
#[utoipa::path(post, path = "/api/mfa/totp/enable", tag = "mfa",
    operation_id = "totp_enable",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "TOTP is on; the recovery codes, shown this once", body = RecoveryCodes),
        (status = 400, description = "`invalid_code`: not a current code of the pending secret, \
          or `malformed_body`"),
        (status = 409, description = "`totp_already_enabled`, or `totp_not_set_up`: no setup by this session to confirm"),
        (status = 429, description = "`too_many_attempts`: too many wrong second-factor codes for \
          this account within the window from this client's pool; or `rate_limited`"),
    ))]
pub async fn enable(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<TotpEnableRequest>,
) -> Answer {
    let codes: RecoveryCodes = manage::enable(&state, &client, &signed, &body.code).await?;
    Ok(super::private_json(&codes))
}

/// Turns TOTP off, proving the password and a current code or an unused recovery code. The
/// recovery codes die with it; the account's address is mailed a notice.
#[utoipa::path(post, path = "/api/mfa/totp/disable", tag = "mfa",
    operation_id = "totp_disable",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "TOTP is off; a notice was mailed"),
        (status = 400, description = "`invalid_code`: the code or recovery code is wrong or used, \
          or `malformed_body`"),
        rows::ProvenByPasswordAndFactor,
    ))]
pub async fn disable(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<TotpDisableRequest>,
) -> Answer {
    let proof = Proof::with_password(&body.password, &body.code, &body.recovery_code);
    manage::disable(&state, &client, &signed, proof).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces the recovery codes, proving the password and a current `code` or an unused
/// `recovery_code`; the old ones stop working. The owner is mailed a notice.
#[utoipa::path(post, path = "/api/mfa/recovery_codes", tag = "mfa",
    operation_id = "recovery_codes",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new recovery codes, shown this once", body = RecoveryCodes),
        (status = 400, description = "`invalid_code`: the code or recovery code is wrong or used \
          (with `attempts_left`), or `malformed_body`"),
        rows::ProvenByPasswordAndFactor,
    ))]
pub async fn regenerate_recovery_codes(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<RecoveryCodesRequest>,
) -> Answer {
    let proof = Proof::with_password(&body.password, &body.code, &body.recovery_code);
    let codes = manage::replace_recovery_codes(&state, &client, &signed, proof).await?;
    Ok(super::private_json(&codes))
}

/// The signed-in account's second factors.
#[utoipa::path(get, path = "/api/mfa", tag = "mfa",
    operation_id = "mfa_status",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What is on", body = MfaStatus),
    ))]
pub async fn status(state: State, signed: SignedInUser) -> Answer {
    let status: MfaStatus = manage::status(&state, &signed.user).await?;
    Ok(HttpResponse::Ok().json(status))
}
