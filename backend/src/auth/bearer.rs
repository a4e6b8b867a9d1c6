use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use mongodb::bson::oid::ObjectId;

use super::Claims;
use crate::{error::ApiError, state::AppState, store::SessionDoc};

/// The authenticated caller of a request: extracting it checks the bearer token's signature
/// and times, then reads its session by id (one indexed read). A session that was ended (log
/// out, ending it from another device, log out everywhere, a password reset, a reused refresh
/// token) or has expired refuses the token on every instance at once. Any failure is
/// `401 invalid_token` with `WWW-Authenticate`, except a session whose account an operator
/// disabled: `403 account_disabled`.
#[derive(Debug)]
pub struct AuthUser {
    pub user_id: ObjectId,
    pub session: SessionDoc,
    /// The verified claims of the token used.
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
            let claims = state
                .jwt
                .verify(&token, state.clock.now_secs())
                .ok_or(ApiError::InvalidToken)?;
            let user_id = ObjectId::parse_str(&claims.sub).map_err(|_| ApiError::InvalidToken)?;
            let session = state
                .store
                .find_live_session(&claims.sid, user_id, state.clock.now())
                .await?
                .ok_or(ApiError::InvalidToken)?;
            // Marked by `backend admin disable`: refused from the next request on.
            if session.disabled {
                return Err(ApiError::AccountDisabled);
            }
            Ok(AuthUser {
                user_id,
                session,
                claims,
            })
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The authenticated caller and its account, read fresh: what a handler that changes the
/// account takes. An account deleted meanwhile is an invalid token.
#[derive(Debug)]
pub struct SignedInUser {
    pub auth: AuthUser,
    pub user: crate::store::UserDoc,
}

impl FromRequest for SignedInUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = AuthUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let auth = auth.await?;
            let state = state.ok_or(ApiError::InvalidToken)?;
            let user = state
                .store
                .find_user_by_id(&auth.user_id.to_hex())
                .await?
                .ok_or(ApiError::InvalidToken)?;
            Ok(SignedInUser { auth, user })
        })
    }
}
