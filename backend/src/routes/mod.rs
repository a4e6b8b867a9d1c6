//! One module per endpoint.

pub mod docs;
pub mod email_auth;
pub mod health;
pub mod login;
pub mod nick;
pub mod register;
pub mod spa;

use actix_web::{web, HttpResponse};

use crate::error::ApiError;

/// Registers the API routes. Wrong methods on a known path answer 405 problem+json.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(resource("/api/email_auth").route(web::post().to(email_auth::email_auth)))
        .service(resource("/api/register").route(web::post().to(register::register)))
        .service(resource("/api/login").route(web::post().to(login::login)))
        .service(resource("/api/nick").route(web::get().to(nick::nick)))
        .service(resource("/api/openapi.json").route(web::get().to(crate::openapi::serve)))
        .service(resource("/api/docs").route(web::get().to(docs::index)))
        .service(resource("/api/docs/").route(web::get().to(docs::index)))
        .service(resource("/api/docs/{file}").route(web::get().to(docs::file)))
        .service(resource("/health/live").route(web::get().to(health::live)))
        .service(resource("/health/ready").route(web::get().to(health::ready)));
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// The client's address as seen by this server (the TCP peer).
pub(crate) fn client_ip(req: &actix_web::HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string())
}
