use actix_web::{web, HttpResponse};
use shared::{Locale, RegisterRequest, UserProfile};

use super::{Answer, State};
use crate::verification;
use crate::{
    domain::{CodePurpose, Registration},
    error::ApiError,
    events::{self, Context, Event},
    openapi::rows,
    signin::Client,
    state::AppState,
    store::{InsertError, NewUser, UniqueField, UserDoc},
};

/// Creates the account when the mailed code matches. The code is checked only here, on the
/// server, against its stored HMAC; it is consumed only when the account is created.
#[utoipa::path(post, path = "/api/register", tag = "signup",
    responses(
        (status = 201, description = "Account created", body = UserProfile,
         links(("login" = (operation_id = "login",
            description = "Log in with the new account's username and password",
            request_body = json!({"username": "$request.body#/username", "password": "$request.body#/password"}))))),
        (status = 400, description = "`invalid_code` (with `attempts_left`), `code_expired` \
          (expired, used, exhausted or never sent) or `malformed_body`. A wrong code gets the \
          same answer whether or not the address already has an account"),
        (status = 409, description = "`username_taken`, `nickname_taken` or `email_taken`"),
        (status = 422, description = "`validation_failed` (including `weak_password`)"),
        (status = 429, description = "`too_many_guesses`: too many wrong codes for this address \
          within 24 hours (signup and reset codes together; even the right code waits), or \
          `rate_limited`: too many requests from this client address"),
        rows::PasswordHashing,
    ))]
pub async fn register(state: State, client: Client, body: web::Json<RegisterRequest>) -> Answer {
    let registration = Registration::try_from(body.into_inner())?;
    let (profile, _) = verification::redeem(
        &state,
        CodePurpose::Signup,
        None,
        &registration.email,
        &registration.code,
        |locale| create_user(&state, &client, &registration, locale),
    )
    .await?;
    Ok(HttpResponse::Created().json(profile))
}

async fn create_user(
    state: &AppState,
    client: &Client,
    r: &Registration,
    locale: Locale,
) -> Result<UserProfile, ApiError> {
    let password_hash = state.hasher.hash(&r.password).await?;
    let inserted = state
        .store
        .insert_user(NewUser {
            username: r.username.as_str().to_owned(),
            username_key: r.username.key(),
            nickname: r.nickname.as_str().to_owned(),
            nickname_key: r.nickname.key(),
            email: r.email.as_str().to_owned(),
            email_key: r.email.key(),
            password_hash,
            locale,
        })
        .await;
    let user = match inserted {
        Ok(user) => {
            tracing::info!(event = "signup", user_id = %user.id, "account created");
            let created = Event::UserCreated {
                username: user.username.clone(),
                nickname: user.nickname.clone(),
                email: user.email.clone(),
                created_at: user.created_at,
            };
            events::emit(state, &Context::of(state, user.id, client, None), created).await;
            user
        }
        Err(InsertError::Duplicate(field)) => match replayed(state, r).await? {
            Some(user) => user,
            None => {
                return Err(match field {
                    UniqueField::Username => ApiError::UsernameTaken,
                    UniqueField::Nickname => ApiError::NicknameTaken,
                    UniqueField::Email => ApiError::EmailTaken,
                })
            }
        },
        Err(InsertError::Db(e)) => return Err(e.into()),
    };
    Ok(UserProfile {
        username: user.username,
        nickname: user.nickname,
        email: user.email,
    })
}

/// The account this very registration already created, if it did. When the database dies
/// between committing an insert and acknowledging it, the person gets a 503 for an account
/// that exists; their retry (same code, which was not consumed) must then get the 201, not a
/// 409 for their own account. It is the same registration only if username, nickname and
/// email all match and the password verifies against the stored hash.
async fn replayed(state: &AppState, r: &Registration) -> Result<Option<UserDoc>, ApiError> {
    let Some(user) = state
        .store
        .find_user_by_username_key(&r.username.key())
        .await?
    else {
        return Ok(None);
    };
    if user.email_key != r.email.key() || user.nickname_key != r.nickname.key() {
        return Ok(None);
    }
    let same_password = state
        .hasher
        .verify(&r.password, Some(&user.password_hash))
        .await?;
    if same_password {
        tracing::info!(event = "signup_replayed", user_id = %user.id, "retry of a committed signup");
    }
    Ok(same_password.then_some(user))
}
