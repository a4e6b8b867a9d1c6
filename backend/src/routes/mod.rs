//! One module per endpoint.

pub mod account;
pub mod docs;
pub mod email_auth;
pub mod email_change;
pub mod health;
pub mod integration;
pub mod login;
pub mod login_mfa;
pub mod logout;
pub mod logout_all;
pub mod mfa;
pub mod nick;
pub mod passkeys;
pub mod password_change;
pub mod password_reset;
mod reauth;
pub mod register;
pub mod sessions;
pub mod spa;
pub mod token_refresh;

use actix_web::{middleware::from_fn, web, ResponseError};

use crate::{error::ApiError, throttle::limit_by_ip};

/// The paths behind the per-client-IP token bucket: each must document `429 rate_limited`
/// (tests/openapi.rs checks the document against this list).
pub const PER_IP_LIMITED: [&str; 19] = [
    "/api/email_auth",
    "/api/register",
    "/api/login",
    "/api/login/mfa",
    "/api/login/mfa/passkey/start",
    "/api/mfa/totp/disable",
    "/api/mfa/recovery_codes",
    "/api/token/refresh",
    "/api/logout",
    "/api/logout_all",
    "/api/sessions/{id}",
    "/api/password_reset/request",
    "/api/password_reset/confirm",
    "/api/password/change",
    "/api/email/change/request",
    "/api/email/change/confirm",
    "/api/account",
    "/api/passkeys/login/start",
    "/api/passkeys/login/finish",
];

/// Registers the API routes. Wrong methods on a known path answer 405 problem+json with the
/// `Allow` header RFC 9110 requires.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // The authentication endpoints sit behind the per-client-IP token bucket.
    let auth = |path: &str, allow: &'static str, route: actix_web::Route| {
        assert!(
            PER_IP_LIMITED.contains(&path),
            "{path} is rate limited: list it in PER_IP_LIMITED"
        );
        resource(path, allow)
            .route(route)
            .wrap(from_fn(limit_by_ip))
    };
    cfg.service(auth(
        "/api/email_auth",
        "POST",
        web::post().to(email_auth::email_auth),
    ))
    .service(auth(
        "/api/register",
        "POST",
        web::post().to(register::register),
    ))
    .service(auth("/api/login", "POST", web::post().to(login::login)))
    .service(auth(
        "/api/login/mfa",
        "POST",
        web::post().to(login_mfa::login_mfa),
    ))
    .service(auth(
        "/api/mfa/totp/disable",
        "POST",
        web::post().to(mfa::disable),
    ))
    .service(auth(
        "/api/mfa/recovery_codes",
        "POST",
        web::post().to(mfa::regenerate_recovery_codes),
    ))
    .service(resource("/api/mfa", "GET").route(web::get().to(mfa::status)))
    .service(resource("/api/mfa/totp/setup", "POST").route(web::post().to(mfa::setup)))
    .service(resource("/api/mfa/totp/enable", "POST").route(web::post().to(mfa::enable)))
    .service(auth(
        "/api/token/refresh",
        "POST",
        web::post().to(token_refresh::refresh),
    ))
    .service(auth("/api/logout", "POST", web::post().to(logout::logout)))
    .service(auth(
        "/api/logout_all",
        "POST",
        web::post().to(logout_all::logout_all),
    ))
    .service(auth(
        "/api/password_reset/request",
        "POST",
        web::post().to(password_reset::request),
    ))
    .service(auth(
        "/api/password_reset/confirm",
        "POST",
        web::post().to(password_reset::confirm),
    ))
    .service(auth(
        "/api/password/change",
        "POST",
        web::post().to(password_change::change),
    ))
    .service(auth(
        "/api/email/change/request",
        "POST",
        web::post().to(email_change::request),
    ))
    .service(auth(
        "/api/email/change/confirm",
        "POST",
        web::post().to(email_change::confirm),
    ))
    .service(auth(
        "/api/account",
        "DELETE",
        web::delete().to(account::delete),
    ))
    .service(auth(
        "/api/sessions/{id}",
        "DELETE",
        web::delete().to(sessions::end),
    ))
    .service(auth(
        "/api/login/mfa/passkey/start",
        "POST",
        web::post().to(passkeys::mfa_start),
    ))
    .service(auth(
        "/api/passkeys/login/start",
        "POST",
        web::post().to(passkeys::login_start),
    ))
    .service(auth(
        "/api/passkeys/login/finish",
        "POST",
        web::post().to(passkeys::login_finish),
    ))
    .service(
        resource("/api/passkeys/register/start", "POST")
            .route(web::post().to(passkeys::register_start)),
    )
    .service(
        resource("/api/passkeys/register/finish", "POST")
            .route(web::post().to(passkeys::register_finish)),
    )
    .service(resource("/api/passkeys", "GET").route(web::get().to(passkeys::list)))
    .service(resource("/api/passkeys/{id}", "DELETE").route(web::delete().to(passkeys::delete)))
    .service(resource("/api/sessions", "GET").route(web::get().to(sessions::list)))
    .service(resource("/api/nick", "GET").route(web::get().to(nick::nick)))
    .service(
        resource("/api/token/introspect", "POST").route(web::post().to(integration::introspect)),
    )
    .service(resource("/.well-known/jwks.json", "GET").route(web::get().to(integration::jwks)))
    .service(resource("/api/openapi.json", "GET").route(web::get().to(crate::openapi::serve)))
    .service(resource("/api/docs", "GET").route(web::get().to(docs::index)))
    .service(resource("/api/docs/", "GET").route(web::get().to(docs::index)))
    .service(resource("/api/docs/{file}", "GET").route(web::get().to(docs::file)))
    .service(resource("/health/live", "GET").route(web::get().to(health::live)))
    .service(resource("/health/ready", "GET").route(web::get().to(health::ready)));
}

/// A resource whose other methods answer 405 with `Allow: <allow>`.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut response = ApiError::MethodNotAllowed.error_response();
        response.headers_mut().insert(
            actix_web::http::header::ALLOW,
            actix_web::http::header::HeaderValue::from_static(allow),
        );
        response
    }))
}
