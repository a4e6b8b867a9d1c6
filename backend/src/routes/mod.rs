//! The HTTP routes: thin handlers (parse the request, call the service, answer), one module
//! per endpoint or feature; no route module imports another.
//!
//! Every endpoint is declared once, in [`table`]: its handler's `#[utoipa::path]` gives its
//! method, path and documentation, and the group it is listed in says whether the per-client-IP
//! token bucket guards it. Registering the routes ([`configure`]), the OpenAPI document
//! (the `openapi` module, which also derives the response rows such a declaration implies) and the
//! tests that list endpoints all read this one table.
//!
//! A handler's `#[utoipa::path]` says only what is its own: its request body comes from its
//! `web::Json` argument, the rows several endpoints share are worded once in `openapi::rows`,
//! and an error row's body is always `Problem`. Handlers take [`State`] and answer [`Answer`].

pub mod account;
pub mod activity;
pub mod email_auth;
pub mod email_change;
pub mod health;
pub mod integration;
pub mod login;
pub mod login_code;
pub mod login_mfa;
pub mod logout;
pub mod logout_all;
pub mod mfa;
pub mod nick;
pub mod passkeys;
pub mod password_change;
pub mod password_reset;
pub mod register;
pub mod security;
pub mod sessions;
pub mod spa;
pub mod token_refresh;

use actix_web::{
    http::{
        header::{HeaderValue, ALLOW},
        Method,
    },
    middleware::from_fn,
    web, ResponseError, Route,
};
use utoipa::openapi::{path::HttpMethod, path::Operation, schema::Schema, RefOr};

use crate::{
    error::{json_error, ApiError},
    state::{AppState, MAX_BODY_BYTES},
    throttle::limit_by_ip,
};

/// The application state, as a handler takes it.
pub type State = web::Data<AppState>;

/// What a handler answers: the response, or the one error type (`error.rs`).
pub type Answer = Result<actix_web::HttpResponse, ApiError>;

/// The schemas an endpoint's documentation refers to, to be added to the document's components.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// One endpoint, as declared in [`table`].
pub struct Endpoint {
    pub method: HttpMethod,
    pub path: String,
    /// Behind the per-client-IP token bucket (`throttle::limit_by_ip`).
    pub limited: bool,
    /// Reads or writes the database (so it may answer `503 service_unavailable`).
    pub database: bool,
    /// The handler, as a route for `method`.
    route: fn(Route) -> Route,
    /// Its documentation, from `#[utoipa::path]`.
    pub operation: fn() -> Operation,
    pub schemas: fn(&mut Schemas),
}

impl Endpoint {
    /// The endpoint whose documentation is `P` (a handler's `#[utoipa::path]` struct) and whose
    /// handler `route` attaches.
    pub fn of<P: utoipa::Path + utoipa::__dev::SchemaReferences>(
        route: fn(Route) -> Route,
    ) -> Self {
        let methods = P::methods();
        assert_eq!(methods.len(), 1, "{}: one method per handler", P::path());
        Self {
            method: methods[0].clone(),
            path: P::path(),
            limited: false,
            database: true,
            route,
            operation: P::operation,
            schemas: P::schemas,
        }
    }

    fn limited(self) -> Self {
        Self {
            limited: true,
            ..self
        }
    }

    /// Answers without the database (the public keys, liveness).
    fn without_database(self) -> Self {
        Self {
            database: false,
            ..self
        }
    }

    /// The HTTP method, as actix names it.
    pub fn http_method(&self) -> Method {
        match self.method {
            HttpMethod::Get => Method::GET,
            HttpMethod::Post => Method::POST,
            HttpMethod::Put => Method::PUT,
            HttpMethod::Delete => Method::DELETE,
            HttpMethod::Patch => Method::PATCH,
            HttpMethod::Head => Method::HEAD,
            HttpMethod::Options => Method::OPTIONS,
            HttpMethod::Trace => Method::TRACE,
        }
    }
}

/// `endpoint!(module::handler)`: the [`Endpoint`] of a handler with `#[utoipa::path]`.
macro_rules! endpoint {
    ($module:ident :: $handler:ident) => {
        paste::paste! {
            Endpoint::of::<$module::[<__path_ $handler>]>(|route| route.to($module::$handler))
        }
    };
}

pub(crate) use endpoint;

/// How every endpoint reads a JSON body (the public listener's and the admin one's): at most
/// [`MAX_BODY_BYTES`], `Content-Type: application/json` required, refusals as problem+json.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .content_type_required(true)
        .error_handler(|err, _req| json_error(err, MAX_BODY_BYTES).into())
}

/// `answer` marked never to be stored (`Cache-Control: no-store`): every answer that carries
/// an account's data, a token or a secret.
pub fn no_store(mut answer: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    answer.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    answer
}

/// `200` with `body` as JSON, never to be stored ([`no_store`]): the answer of every read of
/// an account's data (the public API's and the admin API's).
pub fn private_json(body: &impl serde::Serialize) -> actix_web::HttpResponse {
    no_store(actix_web::HttpResponse::Ok()).json(body)
}

/// Every endpoint of the API, once.
pub fn table() -> Vec<Endpoint> {
    // Behind the per-client-IP token bucket: everything that authenticates someone, sends a
    // mail, or changes or manages an account or its factors.
    let limited = [
        endpoint!(email_auth::email_auth),
        endpoint!(register::register),
        endpoint!(login::login),
        endpoint!(login_code::request),
        endpoint!(login_code::confirm),
        endpoint!(login_mfa::login_mfa),
        endpoint!(login_mfa::mfa_start),
        endpoint!(passkeys::login_start),
        endpoint!(passkeys::login_finish),
        endpoint!(token_refresh::refresh),
        endpoint!(logout::logout),
        endpoint!(logout_all::logout_all),
        endpoint!(sessions::end),
        endpoint!(password_reset::request),
        endpoint!(password_reset::confirm),
        endpoint!(password_change::change),
        endpoint!(email_change::request),
        endpoint!(email_change::confirm),
        endpoint!(account::delete),
        endpoint!(mfa::status),
        endpoint!(mfa::setup),
        endpoint!(mfa::enable),
        endpoint!(mfa::disable),
        endpoint!(mfa::regenerate_recovery_codes),
        endpoint!(passkeys::register_start),
        endpoint!(passkeys::register_finish),
        endpoint!(passkeys::list),
        endpoint!(passkeys::delete),
        endpoint!(security::not_me),
    ];
    // Reads of a session (one indexed read, or the cache), other services' checks, probes.
    let open = [
        endpoint!(nick::nick),
        endpoint!(sessions::list),
        endpoint!(activity::list),
        endpoint!(integration::introspect),
        endpoint!(integration::jwks).without_database(),
        endpoint!(health::live).without_database(),
        endpoint!(health::ready),
    ];
    limited
        .into_iter()
        .map(Endpoint::limited)
        .chain(open)
        .collect()
}

/// The paths behind the per-client-IP token bucket.
pub fn limited_paths() -> Vec<String> {
    let mut paths: Vec<String> = table()
        .into_iter()
        .filter(|e| e.limited)
        .map(|e| e.path)
        .collect();
    paths.dedup();
    paths
}

/// Registers the endpoints of [`table`]. Wrong methods on a known path answer 405
/// problem+json with the `Allow` header RFC 9110 requires.
pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_endpoints(cfg, table());
}

/// Registers `endpoints` (the public table, or the admin API's), grouped by path.
pub fn configure_endpoints(cfg: &mut web::ServiceConfig, endpoints: Vec<Endpoint>) {
    let mut paths: Vec<(String, Vec<Endpoint>)> = vec![];
    for endpoint in endpoints {
        match paths.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, endpoints)) => endpoints.push(endpoint),
            None => paths.push((endpoint.path.clone(), vec![endpoint])),
        }
    }
    for (path, endpoints) in paths {
        let limited = endpoints[0].limited;
        assert!(
            endpoints.iter().all(|e| e.limited == limited),
            "{path}: every method of a path is limited alike"
        );
        let allow: Vec<String> = endpoints
            .iter()
            .map(|e| e.http_method().as_str().to_owned())
            .collect();
        let allow = allow.join(", ");
        let mut resource = resource(&path, allow);
        for endpoint in endpoints {
            resource = resource.route((endpoint.route)(web::method(endpoint.http_method())));
        }
        if limited {
            cfg.service(resource.wrap(from_fn(limit_by_ip)));
        } else {
            cfg.service(resource);
        }
    }
}

/// A resource whose other methods answer 405 with `Allow: <allow>`.
pub fn resource(path: &str, allow: String) -> actix_web::Resource {
    let allow = HeaderValue::from_str(&allow).unwrap_or_else(|_| HeaderValue::from_static("GET"));
    web::resource(path).default_service(web::to(move || {
        let allow = allow.clone();
        async move {
            let mut response = ApiError::MethodNotAllowed.error_response();
            response.headers_mut().insert(ALLOW, allow);
            response
        }
    }))
}
