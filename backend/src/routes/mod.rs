//! One module per endpoint.

pub mod docs;
pub mod email_auth;
pub mod health;
pub mod login;
pub mod nick;
pub mod register;
pub mod spa;

use actix_web::{web, ResponseError};

use crate::error::ApiError;

/// Registers the API routes. Wrong methods on a known path answer 405 problem+json with the
/// `Allow` header RFC 9110 requires.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/email_auth", "POST").route(web::post().to(email_auth::email_auth)))
        .service(resource("/api/register", "POST").route(web::post().to(register::register)))
        .service(resource("/api/login", "POST").route(web::post().to(login::login)))
        .service(resource("/api/nick", "GET").route(web::get().to(nick::nick)))
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

/// The client's address as seen by this server (the TCP peer).
pub(crate) fn client_ip(req: &actix_web::HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string())
}
