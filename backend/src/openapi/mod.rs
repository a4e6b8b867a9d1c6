//! The OpenAPI 3.1 document, built from the endpoint table (`routes::table`): each handler's
//! `#[utoipa::path]` says what is particular to it, and [`problems`] adds the rows its
//! declaration implies (a JSON body, bearer security, the per-IP limit, the database) and makes
//! every error row exact. Served at `/api/openapi.json` with offline docs at `/api/docs`
//! ([`docs`]), committed as `openapi/openapi.json`.

pub mod docs;
pub mod problems;
pub mod rows;

use actix_web::{http::header, HttpResponse};
use serde_json::Value;
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
                       log in for a session: a 15-minute access token and a single-use, rotating refresh token. Errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "MIT"),
    ),
    components(schemas(shared::ErrorCode, shared::FieldError, shared::Problem, shared::Locale)),
    tags(
        (name = "signup", description = "Email verification and account creation"),
        (name = "account", description = "Log in, sessions, the profile, and managing the account"),
        (name = "passkeys", description = "WebAuthn passkeys: register, list and delete them; sign in with one alone"),
        (name = "mfa", description = "The second factor: TOTP and recovery codes"),
        (name = "integration", description = "For other services: the public keys that verify our tokens, and token introspection"),
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
        // Introspection: other services present the shared `APP_INTROSPECTION_SECRET`.
        components.add_security_scheme(
            "introspection",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI object: the declaration above, every endpoint of the table with the rows its
/// declaration implies, the schemas they name, the security schemes, exact problem rows.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    let mut schemas = routes::Schemas::new();
    for endpoint in routes::table() {
        let mut operation = (endpoint.operation)();
        problems::imply(&mut operation, &endpoint);
        api.paths
            .add_path_operation(&endpoint.path, vec![endpoint.method], operation);
        (endpoint.schemas)(&mut schemas);
    }
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.extend(schemas);
    BearerAuth.modify(&mut api);
    problems::ProblemCodes.modify(&mut api);
    api
}

/// The document as served at `/api/openapi.json` and committed as `openapi/openapi.json`.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(openapi()).expect("the document serialises");
    camel_case_links(&mut doc);
    doc
}

/// The committed form of [`document`]: pretty JSON with a trailing newline.
pub fn pretty() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document serialises");
    text.push('\n');
    text
}

/// utoipa 5.5 serialises Link Objects with snake_case keys (`operation_id`, `request_body`);
/// OpenAPI spells them `operationId`, `operationRef` and `requestBody`.
fn camel_case_links(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses"))
        .filter_map(Value::as_object_mut)
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(Value::as_object_mut) else {
            continue;
        };
        for link in links.values_mut().filter_map(Value::as_object_mut) {
            *link = std::mem::take(link)
                .into_iter()
                .map(|(key, value)| {
                    let key = match key.as_str() {
                        "operation_id" => "operationId".to_owned(),
                        "operation_ref" => "operationRef".to_owned(),
                        "request_body" => "requestBody".to_owned(),
                        _ => key,
                    };
                    (key, value)
                })
                .collect();
        }
    }
}

/// The served document, built once: it only depends on the code.
static SERVED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| document().to_string());

pub fn prebuild() {
    std::sync::LazyLock::force(&SERVED);
}

/// Registers the document (`GET /api/openapi.json`) and its docs pages (`GET /api/docs`).
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    let get = || "GET".to_owned();
    cfg.service(routes::resource("/api/openapi.json", get()).route(web::get().to(serve)))
        .service(routes::resource("/api/docs", get()).route(web::get().to(docs::index)))
        .service(routes::resource("/api/docs/", get()).route(web::get().to(docs::index)))
        .service(routes::resource("/api/docs/{file}", get()).route(web::get().to(docs::file)));
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("application/json")
        .body(SERVED.as_str())
}
