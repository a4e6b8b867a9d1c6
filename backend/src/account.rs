//! What happens to a whole account, whoever asks: its owner (`routes::account`, the password
//! reset) or an operator (`backend admin`). One implementation behind every way in.

use crate::{
    error::ApiError,
    events::{self, Context, EndReason, Event},
    mail::Notice,
    notices,
    state::AppState,
    store::{AccountKeys, RemovedFactors, UserDoc},
};

/// The keys the limits file an account's records under.
pub fn keys_of(user: &UserDoc) -> AccountKeys<'_> {
    AccountKeys {
        id: user.id,
        username_key: &user.username_key,
        email_key: &user.email_key,
    }
}

/// Deletes `user` for good, as `DELETE /api/account` and `backend admin delete` both do: its
/// sessions, the account, its codes, what the limits remember about it, its activity log and
/// its queued notices, then the goodbye mail. `context` says who asked. `false` when the
/// account was already gone.
pub async fn delete_account(
    state: &AppState,
    context: &Context,
    user: &UserDoc,
) -> Result<bool, ApiError> {
    delete_account_with(state, context, user, Goodbye::Send).await
}

/// Whether a deletion mails its goodbye.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goodbye {
    Send,
    /// An operator's deletion with `?notify=false` (the owner asked by other means).
    Skip,
}

/// [`delete_account`], with or without the goodbye mail.
pub async fn delete_account_with(
    state: &AppState,
    context: &Context,
    user: &UserDoc,
    goodbye: Goodbye,
) -> Result<bool, ApiError> {
    let ip = &context.ip;
    let store = &state.store;
    // Sessions, then the account, then sessions again: a login that proved the password while
    // this ran either started its session before the account went (ended by the second
    // sweep) or finds the account gone when it checks again, and ends its own.
    store.delete_sessions_of(user.id).await?;
    if !store.delete_user(user.id).await? {
        return Ok(false);
    }
    let sessions = store.delete_sessions_of(user.id).await?;
    // Its passkeys: none signs anyone in without the account (the sign-in reads it), yet the
    // public keys are the person's data and go with the account. Its second-step tickets and
    // its pending passkey registration die with it too.
    if let Err(e) = store.delete_passkeys_of(user.id).await {
        tracing::warn!(error = %e, user_id = %user.id, "passkeys of a deleted account left behind");
    }
    if let Err(e) = store.delete_mfa_tickets_of(user.id).await {
        tracing::warn!(error = %e, user_id = %user.id, "tickets of a deleted account left to expire");
    }
    if let Err(e) = store.delete_challenges_of(user.id).await {
        tracing::warn!(error = %e, user_id = %user.id, "challenge of a deleted account left to expire");
    }
    if let Err(e) = store.delete_not_me_links_of(user.id).await {
        tracing::warn!(error = %e, user_id = %user.id, "alert links of a deleted account left to expire");
    }
    if let Err(e) = store.delete_activity_of(user.id).await {
        tracing::warn!(error = %e, user_id = %user.id, "activity of a deleted account left to expire");
    }
    // What remains is bookkeeping that expires on its own (TTL indexes): a failure here must
    // not turn a done deletion into an error the client cannot retry (its token is dead).
    if let Err(e) = store
        .delete_codes_of(&user.email_key, &user.id.to_hex())
        .await
    {
        tracing::warn!(error = %e, user_id = %user.id, "codes of a deleted account left to expire");
    }
    if let Err(e) = store.delete_account_records(keys_of(user)).await {
        tracing::warn!(error = %e, user_id = %user.id, "limit records of a deleted account left to expire");
    }
    // Notices still queued for the address are moot; the goodbye below replaces them.
    if let Err(e) = store.delete_outbox_to(&user.email).await {
        tracing::warn!(error = %e, user_id = %user.id, "queued notices of a deleted account left");
    }
    tracing::info!(event = "account_deleted", user_id = %user.id, sessions, ip, "account deleted");
    // The deletion itself goes to the webhooks (the activity log went with the account).
    if let Err(e) = events::webhooks::enqueue(state, context, &Event::UserDeleted).await {
        tracing::warn!(error = %e, user_id = %user.id, "user.deleted not queued");
    }
    if goodbye == Goodbye::Send {
        notices::notify(state, user, Notice::AccountDeleted).await;
    }
    Ok(true)
}

/// Why an account's second factors are removed: the owner's password reset, or an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorReset {
    PasswordReset,
    Operator,
}

/// Removes every second factor of `user` (TOTP with its recovery codes, every passkey), ends
/// its sessions and mails the owner what went. What was removed (`None`: the account is gone).
pub async fn reset_second_factors(
    state: &AppState,
    context: &Context,
    user: &UserDoc,
    why: FactorReset,
) -> Result<Option<RemovedFactors>, ApiError> {
    let passkeys = state.store.passkeys_of(user.id).await?;
    let Some(removed) = state.store.reset_second_factors(user.id).await? else {
        return Ok(None);
    };
    let ended = state.store.end_sessions_of(user.id, None).await?;
    let sessions = ended.len();
    let mut happened = vec![];
    if removed.totp {
        happened.push(Event::TotpDisabled);
    }
    happened.extend(passkeys.into_iter().map(|p| Event::PasskeyRemoved {
        passkey_id: p.id,
        name: p.name,
    }));
    let reason = match why {
        FactorReset::PasswordReset => EndReason::Password,
        FactorReset::Operator => EndReason::Operator,
    };
    happened.extend(events::sessions_ended(ended, reason));
    events::emit_all(state, context, happened).await;
    if let Err(e) = state.store.delete_mfa_tickets_of(user.id).await {
        tracing::warn!(error = %e, user_id = %user.id, "tickets left to expire");
    }
    tracing::info!(event = "second_factors_removed", user_id = %user.id, totp = removed.totp, passkeys = removed.passkeys, sessions, reason = ?why, "second factors removed");
    if removed.any() {
        let reason = match why {
            FactorReset::PasswordReset => "reset",
            FactorReset::Operator => "operator",
        };
        notices::notify(
            state,
            user,
            Notice::SecondFactorsRemoved {
                reason: reason.into(),
            },
        )
        .await;
    }
    Ok(Some(removed))
}
