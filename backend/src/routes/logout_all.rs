use actix_web::{web, HttpRequest, HttpResponse};

use crate::{auth::AuthUser, error::ApiError, startup::AppState};

/// Invalidates every token of the signed-in user, on every device and every instance,
/// including the one used for this request.
#[utoipa::path(post, path = "/api/logout_all", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every token issued so far is revoked"),
        (status = 401, description = "`invalid_token`", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 429, description = "`rate_limited`: too many requests from this client address", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn logout_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    state.store.revoke_tokens(auth.user.id).await?;
    let ip = state
        .proxies
        .client_ip(&req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    tracing::info!(event = "logout_all", user_id = %auth.user.id, %ip, "every token revoked");
    Ok(HttpResponse::NoContent().finish())
}
