//! The typed API client: the only module that speaks HTTP. Every request and answer is a
//! `shared` DTO, so a renamed field breaks the build instead of the page.

use gloo_net::http::{Method, RequestBuilder, Response};
use serde::{de::DeserializeOwned, Serialize};
use shared::{
    AccountDeleteRequest, EmailAuthRequest, EmailAuthResponse, EmailChangeConfirm,
    EmailChangeRequest, ErrorCode, LoginRequest, LoginResponse, PasswordChangeRequest,
    PasswordResetConfirm, PasswordResetRequest, Problem, RefreshRequest, RegisterRequest,
    SessionList, UserProfile,
};
use shared::{ActivityList, LoginCodeConfirm, LoginCodeRequest, NotMeRequest, NotMeResponse};
use shared::{
    LoginMfaRequest, MfaChallenge, MfaStatus, MfaTicket, PasskeyInfo, PasskeyList,
    PasskeyLoginFinish, PasskeyRegisterFinish, PasskeyRegisterStart, RecoveryCodes,
    RecoveryCodesRequest, StepUpRequest, TotpDisableRequest, TotpEnableRequest, TotpSetup,
    WebauthnChallenge,
};

/// Why a call did not produce its success body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The API answered with a problem+json body (`retry_after` filled from the
    /// `Retry-After` header when the body lacks it).
    Problem(Problem),
    /// No answer at all (offline, connection refused, CORS, aborted).
    Network,
    /// An answer that is not the API's: an error page from a proxy, or an unreadable body.
    Unexpected { status: u16 },
}

impl ApiError {
    /// The token was refused: the session is over (not a wrong password, also a 401).
    pub fn is_unauthorized(&self) -> bool {
        match self {
            ApiError::Problem(p) => p.code == ErrorCode::InvalidToken,
            ApiError::Unexpected { status } => *status == 401,
            ApiError::Network => false,
        }
    }
}

/// `POST /api/email_auth`: mail a code to the address.
pub async fn email_auth(body: &EmailAuthRequest) -> Result<EmailAuthResponse, ApiError> {
    parse(post("/api/email_auth", Auth::None, body).await)
}

/// `POST /api/register`: create the account with the typed code.
pub async fn register(body: &RegisterRequest) -> Result<UserProfile, ApiError> {
    parse(post("/api/register", Auth::None, body).await)
}

/// What a right password gets: the tokens, or (second factor on) a ticket for the second step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum LoginAnswer {
    /// Tried first: only this shape has `mfa_required` and `mfa_token`.
    SecondStep(MfaChallenge),
    Tokens(LoginResponse),
}

/// `POST /api/login`, with the refresh token going to the cookie.
pub async fn login(body: &LoginRequest) -> Result<LoginAnswer, ApiError> {
    parse(post("/api/login", Auth::Cookie, body).await)
}

/// `POST /api/login/code/request`: mail a sign-in code (`202`, the same answer for an
/// address without an account).
pub async fn login_code_request(body: &LoginCodeRequest) -> Result<EmailAuthResponse, ApiError> {
    parse(post("/api/login/code/request", Auth::None, body).await)
}

/// `POST /api/login/code/confirm`: answered exactly like `login` (cookie transport).
pub async fn login_code_confirm(body: &LoginCodeConfirm) -> Result<LoginAnswer, ApiError> {
    parse(post("/api/login/code/confirm", Auth::Cookie, body).await)
}

/// `POST /api/security/not-me`: the token of a new-sign-in alert's link; every session of the
/// account ends and a reset code is mailed.
pub async fn not_me(body: &NotMeRequest) -> Result<NotMeResponse, ApiError> {
    parse(post("/api/security/not-me", Auth::None, body).await)
}

/// `GET /api/account/activity`: a page of the activity log, newest first, older than
/// `before` (a cursor from `next_before`) when given.
pub async fn activity(token: &str, before: Option<&str>) -> Result<ActivityList, ApiError> {
    let mut path = "/api/account/activity?limit=50".to_owned();
    if let Some(before) = before {
        path.push_str("&before=");
        path.push_str(&String::from(js_sys::encode_uri_component(before)));
    }
    parse(get(&path, token).await)
}

/// `POST /api/login/mfa`: the second step of a password login (same transport as `login`).
pub async fn login_mfa(body: &LoginMfaRequest) -> Result<LoginResponse, ApiError> {
    parse(post("/api/login/mfa", Auth::Cookie, body).await)
}

/// `POST /api/login/mfa/passkey/start`: request options for the ticket's account's passkeys.
pub async fn login_mfa_passkey_start(body: &MfaTicket) -> Result<WebauthnChallenge, ApiError> {
    parse(post("/api/login/mfa/passkey/start", Auth::None, body).await)
}

/// `POST /api/passkeys/login/start`: request options for any discoverable passkey.
pub async fn passkey_login_start() -> Result<WebauthnChallenge, ApiError> {
    let empty = Some("{}".to_owned());
    parse(call(Method::POST, "/api/passkeys/login/start", Auth::None, empty).await)
}

/// `POST /api/passkeys/login/finish`: the assertion, answered like `login` (cookie transport).
pub async fn passkey_login_finish(body: &PasskeyLoginFinish) -> Result<LoginResponse, ApiError> {
    parse(post("/api/passkeys/login/finish", Auth::Cookie, body).await)
}

/// `GET /api/mfa`: the account's second factors.
pub async fn mfa_status(token: &str) -> Result<MfaStatus, ApiError> {
    parse(get("/api/mfa", token).await)
}

/// `POST /api/mfa/totp/setup`: a new pending secret (behind a step-up: `proof` may be empty
/// right after one).
pub async fn totp_setup(token: &str, proof: &StepUpRequest) -> Result<TotpSetup, ApiError> {
    parse(post("/api/mfa/totp/setup", Auth::Bearer(token), proof).await)
}

/// `POST /api/mfa/totp/enable`: TOTP on; the recovery codes, shown once.
pub async fn totp_enable(token: &str, body: &TotpEnableRequest) -> Result<RecoveryCodes, ApiError> {
    parse(post("/api/mfa/totp/enable", Auth::Bearer(token), body).await)
}

/// `POST /api/mfa/totp/disable` (`204`).
pub async fn totp_disable(token: &str, body: &TotpDisableRequest) -> Result<(), ApiError> {
    no_content(post("/api/mfa/totp/disable", Auth::Bearer(token), body).await)
}

/// `POST /api/mfa/recovery_codes`: new recovery codes (the old ones stop working).
pub async fn recovery_codes(
    token: &str,
    body: &RecoveryCodesRequest,
) -> Result<RecoveryCodes, ApiError> {
    parse(post("/api/mfa/recovery_codes", Auth::Bearer(token), body).await)
}

/// `GET /api/passkeys`.
pub async fn passkeys(token: &str) -> Result<PasskeyList, ApiError> {
    parse(get("/api/passkeys", token).await)
}

/// `POST /api/passkeys/register/start`: creation options (behind a step-up).
pub async fn passkey_register_start(
    token: &str,
    proof: &PasskeyRegisterStart,
) -> Result<WebauthnChallenge, ApiError> {
    parse(post("/api/passkeys/register/start", Auth::Bearer(token), proof).await)
}

/// `POST /api/passkeys/register/finish` (`201`): the stored passkey.
pub async fn passkey_register_finish(
    token: &str,
    body: &PasskeyRegisterFinish,
) -> Result<PasskeyInfo, ApiError> {
    parse(post("/api/passkeys/register/finish", Auth::Bearer(token), body).await)
}

/// `DELETE /api/passkeys/{id}` (`204`, behind a step-up).
pub async fn delete_passkey(token: &str, id: &str, proof: &StepUpRequest) -> Result<(), ApiError> {
    let path = format!("/api/passkeys/{}", js_sys::encode_uri_component(id));
    let body = Some(json(proof)?);
    no_content(call(Method::DELETE, &path, Auth::Bearer(token), body).await)
}

/// `POST /api/token/refresh` with the refresh cookie (the browser sends it; this code never
/// sees it): a new access token, and a new cookie.
pub async fn refresh() -> Result<LoginResponse, ApiError> {
    parse(
        post(
            "/api/token/refresh",
            Auth::Cookie,
            &RefreshRequest::default(),
        )
        .await,
    )
}

/// `GET /api/sessions`: the account's live sessions (devices).
pub async fn sessions(token: &str) -> Result<SessionList, ApiError> {
    parse(get("/api/sessions", token).await)
}

/// `DELETE /api/sessions/{id}`: ends that session (`204`).
pub async fn end_session(token: &str, id: &str) -> Result<(), ApiError> {
    let path = format!("/api/sessions/{}", js_sys::encode_uri_component(id));
    no_content(call(Method::DELETE, &path, Auth::Bearer(token), None).await)
}

/// `POST /api/password/change` (`204`): every other session of the account ends.
pub async fn password_change(token: &str, body: &PasswordChangeRequest) -> Result<(), ApiError> {
    no_content(post("/api/password/change", Auth::Bearer(token), body).await)
}

/// `POST /api/email/change/request`: a code to the new address (`202`, as for signup).
pub async fn email_change_request(
    token: &str,
    body: &EmailChangeRequest,
) -> Result<EmailAuthResponse, ApiError> {
    parse(post("/api/email/change/request", Auth::Bearer(token), body).await)
}

/// `POST /api/email/change/confirm`: the account with its new address.
pub async fn email_change_confirm(
    token: &str,
    body: &EmailChangeConfirm,
) -> Result<UserProfile, ApiError> {
    parse(post("/api/email/change/confirm", Auth::Bearer(token), body).await)
}

/// `DELETE /api/account` (`204`): the account and everything of it, for good.
pub async fn delete_account(token: &str, body: &AccountDeleteRequest) -> Result<(), ApiError> {
    let body = Some(json(body)?);
    no_content(call(Method::DELETE, "/api/account", Auth::Bearer(token), body).await)
}

/// `POST /api/password_reset/request`: mail a reset code (same answer with or without an
/// account behind the address).
pub async fn password_reset_request(
    body: &PasswordResetRequest,
) -> Result<EmailAuthResponse, ApiError> {
    parse(post("/api/password_reset/request", Auth::None, body).await)
}

/// `POST /api/password_reset/confirm`: set the new password with the typed code (`204`).
pub async fn password_reset_confirm(body: &PasswordResetConfirm) -> Result<(), ApiError> {
    no_content(post("/api/password_reset/confirm", Auth::None, body).await)
}

/// `POST /api/logout` as the holder of `token`: ends this session on the server (its access
/// and refresh tokens), and clears the refresh cookie (`204`).
pub async fn logout(token: &str) -> Result<(), ApiError> {
    no_content(call(Method::POST, "/api/logout", Auth::Bearer(token), None).await)
}

/// `POST /api/logout_all` as the holder of `token`: ends every session of the account, this
/// one included (`204`).
pub async fn logout_all(token: &str) -> Result<(), ApiError> {
    no_content(call(Method::POST, "/api/logout_all", Auth::Bearer(token), None).await)
}

/// `GET /api/nick` as the holder of `token`.
pub async fn nick(token: &str) -> Result<UserProfile, ApiError> {
    parse(get("/api/nick", token).await)
}

/// Who a request is from.
#[derive(Debug, Clone, Copy)]
enum Auth<'a> {
    /// Nobody yet (signup, the first login step, reset).
    None,
    /// The holder of this access token.
    Bearer(&'a str),
    /// A login or refresh: the server keeps the refresh token in its `HttpOnly` cookie, out
    /// of this page's reach, instead of the response body (`X-Token-Transport: cookie`).
    Cookie,
}

/// A DTO as a JSON body. Serialising a DTO cannot fail; a failure would be a bug, reported as
/// unexpected.
fn json(body: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|_| ApiError::Unexpected { status: 0 })
}

/// `POST path` with `body` as JSON.
async fn post(
    path: &str,
    auth: Auth<'_>,
    body: &impl Serialize,
) -> Result<(u16, String), ApiError> {
    let body = json(body)?;
    call(Method::POST, path, auth, Some(body)).await
}

/// `GET path` as the holder of `token`.
async fn get(path: &str, token: &str) -> Result<(u16, String), ApiError> {
    call(Method::GET, path, Auth::Bearer(token), None).await
}

/// The one exchange every call goes through (not generic, so the WASM has it once): the
/// request, then the status and body text of a success answer, or the error the answer
/// stands for.
async fn call(
    method: Method,
    path: &str,
    auth: Auth<'_>,
    body: Option<String>,
) -> Result<(u16, String), ApiError> {
    let mut builder = RequestBuilder::new(path)
        .method(method)
        .header("Accept", "application/json, application/problem+json");
    match auth {
        Auth::None => {}
        Auth::Bearer(token) => {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        Auth::Cookie => builder = builder.header("X-Token-Transport", "cookie"),
    }
    let request = match body {
        Some(body) => builder
            .header("Content-Type", "application/json")
            .body(body)
            .map_err(|_| ApiError::Unexpected { status: 0 })?,
        None => builder.build().map_err(|_| ApiError::Network)?,
    };
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    let status = response.status();
    if !response.ok() {
        return Err(failure(response).await);
    }
    let body = response
        .text()
        .await
        .map_err(|_| ApiError::Unexpected { status })?;
    Ok((status, body))
}

/// A success answer's body as `R`. Only this is generic.
fn parse<R: DeserializeOwned>(answer: Result<(u16, String), ApiError>) -> Result<R, ApiError> {
    let (status, body) = answer?;
    serde_json::from_str(&body).map_err(|_| ApiError::Unexpected { status })
}

/// For answers without a body (`204`): any success status will do.
fn no_content(answer: Result<(u16, String), ApiError>) -> Result<(), ApiError> {
    answer.map(|_| ())
}

/// The error a non-success answer stands for.
async fn failure(response: Response) -> ApiError {
    let status = response.status();
    let retry_header = response
        .headers()
        .get("Retry-After")
        .and_then(|v| parse_retry_after(&v));
    match response.json::<Problem>().await {
        Ok(problem) => ApiError::Problem(with_retry_after(problem, retry_header)),
        Err(_) => ApiError::Unexpected { status },
    }
}

/// `Retry-After` in its delay-seconds form (the API never sends an HTTP date).
pub fn parse_retry_after(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

/// The body's `retry_after` wins; the header fills in when the body has none.
pub fn with_retry_after(mut problem: Problem, header: Option<u64>) -> Problem {
    if problem.retry_after.is_none() {
        problem.retry_after = header;
    }
    problem
}
