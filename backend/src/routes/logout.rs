use actix_web::{web, HttpRequest, HttpResponse};
use mongodb::bson::DateTime;

use crate::{auth::AuthUser, error::ApiError, startup::AppState};

/// Revokes the token used for this request, on every instance at once; the user's other
/// tokens (other devices, other tabs) keep working. The token's id is stored on the user until
/// the token expires, and the bearer check reads it with the user it already reads.
#[utoipa::path(post, path = "/api/logout", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "This token is revoked"),
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
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let store = &state.store;
    let user_id = auth.user.id;
    if auth.claims.jti.is_empty() {
        // A token from before tokens had ids cannot be told apart from the user's other such
        // tokens: the only way to be sure it dies is to end them all.
        store.revoke_tokens(user_id).await?;
    } else {
        let exp = i64::try_from(auth.claims.exp)
            .ok()
            .and_then(|secs| secs.checked_mul(1000))
            .map_or(DateTime::MAX, DateTime::from_millis);
        store
            .revoke_token(user_id, &auth.claims.jti, exp, DateTime::now())
            .await?;
    }
    let ip = state
        .proxies
        .client_ip(&req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    tracing::info!(event = "logout", user_id = %user_id, %ip, "token revoked");
    Ok(HttpResponse::NoContent().finish())
}
