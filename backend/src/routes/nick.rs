use shared::UserProfile;

use super::{Answer, State};
use crate::{auth::AuthUser, error::ApiError};

/// The signed-in user's profile.
#[utoipa::path(get, path = "/api/nick", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserProfile),
        (status = 401, description = "`invalid_token`: missing, malformed, tampered, expired or \
          foreign token, its session has ended, or the user no longer exists",
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
    ))]
pub async fn nick(state: State, auth: AuthUser) -> Answer {
    // The hot path: the session and the profile both come from the session cache when this
    // instance may trust it, so a request then reads nothing from the database.
    let user = state
        .store
        .find_profile(auth.user_id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    Ok(super::private_json(&UserProfile {
        username: user.username,
        nickname: user.nickname,
        email: user.email,
    }))
}
