//! What other services use to trust our access tokens: the public keys (JWKS) to verify them
//! offline, and introspection (RFC 7662) to learn at once whether one is still live.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use mongodb::bson::oid::ObjectId;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use super::{Answer, State};
use crate::{
    error::ApiError,
    state::{AppState, MAX_BODY_BYTES},
};

/// How long verifiers may cache the key set. A token with a `kid` they do not know yet (just
/// after a rotation) is their cue to fetch it again.
const JWKS_MAX_AGE_SECS: u64 = 300;

/// One public key (RFC 7517, RFC 8037 for Ed25519).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kty": "OKP", "crv": "Ed25519",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "EdDSA", "use": "sig"}))]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// The RFC 7638 thumbprint: what the tokens' `kid` header names.
    pub kid: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

/// The key set.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// The public keys that verify our access tokens (EdDSA): the current one, and after a
/// rotation the previous one until the tokens it signed have expired. Verify `alg` = `EdDSA`,
/// `iss`, `aud` and `exp`; pick the key by the token's `kid`. Empty when the deployment signs
/// with HS256 (a shared secret is never published).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "integration",
    operation_id = "jwks",
    responses(
        (status = 200, description = "The key set", body = Jwks,
         headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
    ))]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    let keys = state
        .jwt
        .public_keys()
        .iter()
        .map(|key| {
            use base64::Engine;
            Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.x),
                kid: key.kid.clone(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
            }
        })
        .collect();
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECS}"),
        ))
        .json(Jwks { keys })
}

/// An introspection request: the token, as a form field (RFC 7662) or in JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"token": "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9..."}))]
pub struct IntrospectRequest {
    /// The access token to check.
    pub token: String,
    /// Accepted and ignored: only access tokens are introspected.
    #[serde(default)]
    pub token_type_hint: Option<String>,
}

/// The RFC 7662 answer. Inactive tokens get `{"active": false}` and nothing else.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({"active": true, "sub": "665f1c2e9b1e8a3d4c5b6a79",
    "username": "Hong_Gildong", "exp": 1800000900, "iat": 1800000000, "nbf": 1800000000,
    "sid": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jti": "8d9c...", "iss": "emailauth",
    "aud": "emailauth-api", "token_type": "Bearer"}))]
pub struct Introspection {
    pub active: bool,
    /// The account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The session: ending it makes the token inactive at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

/// Token introspection (RFC 7662) for services that must see a logout or a disabled account
/// at once rather than at the token's expiry. Authenticated with
/// `Authorization: Bearer <APP_INTROSPECTION_SECRET>`; absent (404) when that is not set. A
/// token is active when its signature and times are valid *and* its session is live (the same
/// check as every request here); anything else, garbage included, is `{"active": false}`.
#[utoipa::path(post, path = "/api/token/introspect", tag = "integration",
    operation_id = "introspect",
    security(("introspection" = [])),
    request_body(description = "The token: a form (`token=…`, as RFC 7662 says) or JSON",
        content(
            (IntrospectRequest = "application/x-www-form-urlencoded"),
            (IntrospectRequest = "application/json"),
        )),
    responses(
        (status = 200, description = "Whether the token is active, and its claims if so", body = Introspection),
        (status = 400, description = "`malformed_body`: no `token`"),
        (status = 401, description = "`invalid_token`: the introspection secret is missing or wrong",
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 404, description = "`not_found`: introspection is not enabled (`APP_INTROSPECTION_SECRET` unset)"),
        (status = 415, description = "`unsupported_media_type`: neither a form nor JSON"),
    ))]
pub async fn introspect(state: State, req: HttpRequest, body: web::Bytes) -> Answer {
    let Some(secret) = &state.introspection_secret else {
        return Err(ApiError::NotFound);
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, value)| value.trim())
        .unwrap_or_default();
    // Constant time: the comparison must not tell how much of a guess was right.
    if !bool::from(
        presented
            .as_bytes()
            .ct_eq(secret.expose_secret().as_bytes()),
    ) {
        tracing::warn!(
            event = "introspection_refused",
            "wrong introspection secret"
        );
        return Err(ApiError::InvalidToken);
    }
    // The raw body is read here rather than by the JSON extractor: hold it to the same limit.
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let request: IntrospectRequest = if content_type
        .starts_with("application/x-www-form-urlencoded")
    {
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::MalformedBody(e.to_string()))?
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedBody(e.to_string()))?
    } else {
        return Err(ApiError::UnsupportedMediaType);
    };
    let answer = inspect(&state, request.token.trim()).await?;
    Ok(super::private_json(&answer))
}

/// The introspection of `token`: the bearer check's verification and session read, then the
/// account for its username.
async fn inspect(state: &AppState, token: &str) -> Result<Introspection, ApiError> {
    let inactive = Introspection::default();
    let Some(claims) = state.jwt.verify(token, state.clock.now_secs()) else {
        return Ok(inactive);
    };
    let Ok(user_id) = ObjectId::parse_str(&claims.sub) else {
        return Ok(inactive);
    };
    let session = state
        .store
        .find_live_session(&claims.sid, user_id, state.clock.now())
        .await?;
    if session.is_none_or(|s| s.disabled) {
        return Ok(inactive);
    }
    let Some(user) = state.store.find_user_by_id(&claims.sub).await? else {
        return Ok(inactive);
    };
    if user.disabled {
        return Ok(inactive);
    }
    Ok(Introspection {
        active: true,
        sub: Some(claims.sub),
        username: Some(user.username),
        exp: Some(claims.exp),
        iat: Some(claims.iat),
        nbf: Some(claims.nbf),
        sid: Some(claims.sid),
        jti: Some(claims.jti),
        iss: Some(claims.iss),
        aud: Some(claims.aud),
        token_type: Some("Bearer".into()),
    })
}
