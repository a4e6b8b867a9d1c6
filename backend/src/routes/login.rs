use actix_web::{http::header, web, HttpResponse};
use shared::{LoginRequest, LoginResponse};

use crate::{domain::Credentials, error::ApiError, startup::AppState};

/// Exchanges a username and password for an access token. Unknown users and wrong passwords
/// get the same answer after the same work (a dummy hash is verified when there is no user).
#[utoipa::path(post, path = "/api/login", tag = "account",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse,
         links(("nick" = (operation_id = "nick",
            description = "Read the profile with the token: `Authorization: Bearer <access_token>`",
            parameters(("header.Authorization" = "Bearer {$response.body#/access_token}")))))),
        (status = 400, description = "`malformed_body`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: empty or over-long fields", body = shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let credentials = Credentials::try_from(body.into_inner())?;
    let user = state
        .store
        .find_user_by_username_key(&credentials.username.to_ascii_lowercase())
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let verified = state
        .hasher
        .verify(&credentials.password, stored)
        .await
        .map_err(ApiError::Internal)?;
    let user = match (verified, user) {
        (true, Some(user)) => user,
        _ => {
            tracing::info!(event = "login_failed", "login refused");
            return Err(ApiError::InvalidCredentials);
        }
    };
    let token = state
        .jwt
        .issue(&user.id.to_hex())
        .map_err(ApiError::Internal)?;
    tracing::info!(event = "login", user_id = %user.id, "signed in");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token: token,
            token_type: "Bearer".into(),
            expires_in: state.jwt.ttl().as_secs(),
        }))
}
