use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use super::Claims;
use crate::{error::ApiError, startup::AppState, store::UserDoc};

/// The authenticated user of a request: extracting it checks the bearer token, that the user
/// still exists, and that the token was not revoked since (log out, log out everywhere,
/// password reset), all from the one read of the user by id. Any failure is
/// `401 invalid_token` with `WWW-Authenticate`.
#[derive(Debug)]
pub struct AuthUser {
    pub user: UserDoc,
    /// The verified claims of the token used (its id, for logging out).
    pub claims: Claims,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req).map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(ApiError::InvalidToken);
            };
            let claims = state.jwt.verify(&token).ok_or(ApiError::InvalidToken)?;
            let user = state
                .store
                .find_user_by_id(&claims.sub)
                .await?
                .filter(|user| user.token_version == claims.ver && !user.has_revoked(&claims.jti))
                .ok_or(ApiError::InvalidToken)?;
            Ok(AuthUser { user, claims })
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
