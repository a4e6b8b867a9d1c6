//! The OpenAPI 3.1 document, generated from the handlers' annotations and the `shared` types.

use actix_web::{http::header, HttpResponse};
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Email-verified signup API",
        description = "Sign up with a six-digit code that only the server and the mailbox ever see; \
                       log in for an expiring JWT. Errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "MIT"),
    ),
    paths(
        routes::email_auth::email_auth,
        routes::register::register,
        routes::login::login,
        routes::nick::nick,
        routes::health::live,
        routes::health::ready,
    ),
    components(schemas(shared::ErrorCode, shared::FieldError, shared::Problem, shared::Locale)),
    modifiers(&BearerAuth),
    tags(
        (name = "signup", description = "Email verification and account creation"),
        (name = "account", description = "Log in and read the profile"),
        (name = "health", description = "Liveness and readiness probes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(ApiDoc::openapi())
}
