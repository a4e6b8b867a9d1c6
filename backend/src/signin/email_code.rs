//! An emailed code as the first factor (`POST /api/login/code/request` and `/confirm`). It
//! proves one factor, the mailbox: an account with TOTP on goes on to the second step, as
//! after a password.
//!
//! The code lives on the verification engine (`verification`), purpose `SignIn`, in its own
//! collection: its HMAC names the purpose, so no signup, reset or email-change code signs in
//! and no sign-in code does anything else. It shares that engine's limits with every other
//! code (resend cooldown, hourly caps per address and per client address, five attempts per
//! code, the daily ceiling on wrong guesses per address across resends and purposes).
//!
//! Whether the address has an account changes only what the mail says: the answer, the stored
//! document (a code, or a decoy no code matches) and the work done are the same, and a wrong
//! code is answered byte for byte alike. A disabled account is told so only after a right code.

use shared::EmailAuthResponse;

use super::{pools, Client, Method, Outcome, Proof};
use crate::{
    domain::{CodePurpose, CodeRequest, SignInCode},
    error::ApiError,
    events::{self, Context, Event},
    state::AppState,
    verification::{self, Outgoing},
};

/// Mails a sign-in code to the account with `request.email` (in the account's language), or,
/// when no account has it, a notice saying so (in the request's language).
pub async fn request(
    state: &AppState,
    client: &Client,
    request: CodeRequest,
) -> Result<EmailAuthResponse, ApiError> {
    let user = state
        .store
        .find_user_by_email_key(&request.email.key())
        .await?;
    let (outgoing, locale) = match &user {
        Some(user) => (Outgoing::Code(CodePurpose::SignIn), user.locale),
        None => (Outgoing::NoAccountSignIn, request.locale),
    };
    verification::send(state, &request.email, locale, client.ip, outgoing).await
}

/// Proves `attempt`'s code, then [`super::finish`]. A right code also clears the failed
/// passwords counted in this client's pool for the account, as a right password does.
pub async fn confirm(
    state: &AppState,
    client: &Client,
    attempt: SignInCode,
) -> Result<Outcome, ApiError> {
    let store = &state.store;
    let key = attempt.email.key();
    let redeemed = verification::redeem(
        state,
        CodePurpose::SignIn,
        None,
        &attempt.email,
        &attempt.code,
        |_| async {
            store
                .find_user_by_email_key(&key)
                .await?
                .ok_or(ApiError::CodeExpired)
        },
    )
    .await;
    let user = match redeemed {
        Ok((user, _)) => user,
        Err(e @ ApiError::InvalidCode { .. }) => {
            refused(state, client, &key);
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    pools::cleared_by_sign_in(state, client, &user).await;
    super::finish(state, client, Proof::first(user, Method::EmailCode)).await
}

/// Records a wrong code in the activity log of the address's account, if it has one, after
/// the answer: the lookup and the record would otherwise make a wrong code for an address with
/// an account slower than one for an address without.
fn refused(state: &AppState, client: &Client, email_key: &str) {
    let (client, key) = (client.clone(), email_key.to_owned());
    state.deferred.later(move |state| async move {
        match state.store.find_user_by_email_key(&key).await {
            Ok(Some(user)) => {
                let context = Context::of(&state, user.id, &client, None);
                let event = Event::SignInRefused {
                    factor: "email_code",
                    pool: "address",
                };
                events::emit(&state, &context, event).await;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "a refused sign-in code was not recorded"),
        }
    });
}
