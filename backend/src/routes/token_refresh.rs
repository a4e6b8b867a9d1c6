use actix_web::{http::header, web, HttpRequest, HttpResponse, ResponseError};
use shared::{LoginResponse, RefreshRequest};

use super::State;
use crate::{
    error::ApiError,
    openapi::rows,
    session::{self, ClientInfo, Transport},
};

/// Exchanges a refresh token for a new pair; the token presented is then spent. API clients
/// send it in the body. The browser sends `{}` and the `emailauth_refresh` cookie, from a page
/// of the app's own origin (`Origin` is checked), and gets the new refresh token in the cookie
/// only. A spent token presented again within the grace period (default 10 s: two tabs
/// refreshing at once) gets the session's current pair; after it, the whole session ends. A
/// request carrying more than one refresh cookie is refused and the cookie cleared.
#[utoipa::path(post, path = "/api/token/refresh", tag = "account", operation_id = "refresh",
    params(("X-Token-Transport" = Option<String>, Header,
        description = "`cookie`: answer with the refresh token in the `HttpOnly` cookie only")),
    responses(
        (status = 200, description = "A new pair for the same session", body = LoginResponse,
         headers(("Set-Cookie" = String, description = "With the cookie transport: the new \
           `emailauth_refresh` cookie")),
         links(("nick" = (operation_id = "nick",
            description = "Read the profile with the new token",
            parameters(("header.Authorization" = "Bearer {$response.body#/access_token}")))),
           ("refresh" = (operation_id = "refresh",
            description = "Exchange the new refresh token next time",
            request_body = json!({"refresh_token": "$response.body#/refresh_token"}))))),
        (status = 401, description = "`invalid_token`: the refresh token is missing, malformed, \
          not ours, expired, of an ended session, or was already used (then the session ends); \
          or a cookie refresh from another origin, or with more than one refresh cookie"),
        rows::AccountDisabled,
    ))]
pub async fn refresh(
    state: State,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> HttpResponse {
    let secure = session::secure_cookies(&state, &req);
    let (token, transport) = match body.into_inner().refresh_token {
        Some(token) => (Some(token), Transport::requested(&req)),
        // From another origin the cookie is neither used nor cleared: a foreign page must not
        // be able to log the person out either.
        None if !session::same_origin(&state, &req) => {
            tracing::info!(
                event = "refresh_refused",
                reason = "origin",
                "cookie refresh from another origin"
            );
            return ApiError::InvalidRefreshToken.error_response();
        }
        None => match session::cookie_token(&state, &req) {
            session::CookieToken::One(token) => (Some(token), Transport::Cookie),
            session::CookieToken::None => (None, Transport::Cookie),
            session::CookieToken::Several => {
                tracing::warn!(
                    event = "refresh_refused",
                    reason = "several_cookies",
                    "cookie refresh with more than one refresh cookie"
                );
                (None, Transport::Cookie)
            }
        },
    };
    let result = match token {
        Some(token) => session::refresh(&state, &token, ClientInfo::of(&req)).await,
        None => Err(ApiError::InvalidRefreshToken),
    };
    match result {
        Ok(issued) => session::respond(issued, transport, &state, secure),
        Err(e) => {
            let mut response = e.error_response();
            if transport == Transport::Cookie && matches!(e, ApiError::InvalidRefreshToken) {
                // A dead cookie would only be sent again: drop it.
                if let Ok(clear) =
                    header::HeaderValue::from_str(&session::clear_cookie(&state, secure))
                {
                    response.headers_mut().append(header::SET_COOKIE, clear);
                }
            }
            response
        }
    }
}
