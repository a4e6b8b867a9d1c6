use actix_web::{http::header, HttpResponse};
use shared::UserProfile;

use crate::auth::AuthUser;

/// The signed-in user's profile.
#[utoipa::path(get, path = "/api/nick", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserProfile),
        (status = 401, description = "`invalid_token`: missing, malformed, tampered, expired or \
          foreign token, or the user no longer exists", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn nick(auth: AuthUser) -> HttpResponse {
    let user = auth.user;
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(UserProfile {
            username: user.username,
            nickname: user.nickname,
            email: user.email,
        })
}
