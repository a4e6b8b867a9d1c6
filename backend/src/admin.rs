//! `backend admin …`: operator commands that act on the database directly, with the same
//! configuration as the server (`APP_*`, `.env`). Each prints its result as one JSON document
//! on stdout and writes one audit log line (target `audit`, on stderr: who ran it, what, on
//! which account; never a hash, token or code).

use std::{
    net::IpAddr,
    sync::{atomic::AtomicBool, Arc},
    time::Duration,
};

use anyhow::{bail, Context};
use mongodb::bson::oid::ObjectId;
use serde_json::{json, Value};

use crate::{
    account::{delete_account, keys_of, reset_second_factors, FactorReset},
    config::Settings,
    domain::EmailAddress,
    events::{self, Context as EventContext, EndReason, Event},
    startup::build_state,
    state::AppState,
    store::{Store, UserDoc},
};

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Show an account: USER is a username, an email address or an account id
    Find { user: String },
    /// List the live sessions of an account
    Sessions { user: String },
    /// Disable an account: login and refresh answer 403 account_disabled, and its access
    /// tokens are refused from the next request on
    Disable { user: String },
    /// Enable a disabled account again (its frozen sessions end: it signs in anew)
    Enable { user: String },
    /// End every session of an account (all its access and refresh tokens)
    EndSessions { user: String },
    /// Lift the throttles of an account (failed logins, code mails, wrong codes, resend
    /// cooldown) or of a client address (code mails per address)
    ClearThrottles {
        /// A client IP address
        #[arg(long, required_unless_present = "account", conflicts_with = "account")]
        ip: Option<IpAddr>,
        /// An account (username, email address or id)
        #[arg(long)]
        account: Option<String>,
    },
    /// Remove every second factor of an account (TOTP, its recovery codes, every passkey) and
    /// end its sessions; the owner is mailed. For an owner who lost their authenticator.
    ResetMfa {
        /// The account (username, email address or id)
        #[arg(long)]
        account: String,
    },
    /// Delete an account for good, as its owner's own deletion does (goodbye mail included)
    Delete {
        user: String,
        /// Confirm the deletion (required)
        #[arg(long)]
        yes: bool,
    },
    /// Outbound webhook deliveries: list the failed ones, re-queue one
    #[command(subcommand)]
    Webhooks(WebhooksAction),
}

#[derive(Debug, clap::Subcommand)]
pub enum WebhooksAction {
    /// List the deliveries given up after their retry period, newest first
    Failed {
        /// At most this many (1–1000)
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Put a failed delivery back in its endpoint's queue, due now (same webhook-id)
    Retry {
        /// The delivery's id (`id` in `webhooks failed`)
        id: String,
    },
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Find { .. } => "find",
            Action::Sessions { .. } => "sessions",
            Action::Disable { .. } => "disable",
            Action::Enable { .. } => "enable",
            Action::EndSessions { .. } => "end_sessions",
            Action::ClearThrottles { .. } => "clear_throttles",
            Action::ResetMfa { .. } => "reset_mfa",
            Action::Delete { .. } => "delete",
            Action::Webhooks(WebhooksAction::Failed { .. }) => "webhooks_failed",
            Action::Webhooks(WebhooksAction::Retry { .. }) => "webhooks_retry",
        }
    }
}

/// An answer for an account that does not exist: exit status 1, nothing changed.
#[derive(Debug, thiserror::Error)]
#[error("no account matches `{0}`")]
pub struct NoSuchAccount(pub String);

/// Runs `action`; the JSON to print.
pub async fn run(settings: Settings, action: Action) -> anyhow::Result<Value> {
    let store = Store::connect(
        &settings.mongodb_uri,
        &settings.mongodb_db,
        settings.mongodb_timeout,
    )
    .await?;
    let state = build_state(&settings, store, Arc::new(AtomicBool::new(true)))?;
    let operator = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_default();
    let name = action.name();
    let result = execute(&state, &operator, action).await;
    match &result {
        Ok((user_id, detail)) => tracing::info!(
            target: "audit",
            audit = true,
            action = name,
            operator,
            user_id = user_id.map(|id| id.to_hex()).unwrap_or_default(),
            detail = %detail,
            outcome = "done",
            "admin action"
        ),
        Err(e) => tracing::warn!(
            target: "audit",
            audit = true,
            action = name,
            operator,
            outcome = "failed",
            error = %e,
            "admin action"
        ),
    }
    result.map(|(_, value)| value)
}

/// Does the work; the account acted on (for the audit line) and the answer.
async fn execute(
    state: &AppState,
    operator: &str,
    action: Action,
) -> anyhow::Result<(Option<ObjectId>, Value)> {
    let store = &state.store;
    let now = state.clock.now();
    // Events of operator actions name the operator; the client is the command line.
    let context = |user: ObjectId| EventContext::operator(state, user, operator, "cli");
    match action {
        Action::Find { user } => {
            let user = find(store, &user).await?;
            Ok((Some(user.id), describe(&user)))
        }
        Action::Sessions { user } => {
            let user = find(store, &user).await?;
            let sessions: Vec<Value> = store
                .list_sessions(user.id, now)
                .await?
                .iter()
                .map(|s| {
                    json!({
                        "id": s.id,
                        "created_at": s.created_at.try_to_rfc3339_string().unwrap_or_default(),
                        "last_used_at": s.last_used_at.try_to_rfc3339_string().unwrap_or_default(),
                        "expires_at": s.expires_at.try_to_rfc3339_string().unwrap_or_default(),
                        "ip": s.ip,
                        "user_agent": s.user_agent,
                        "disabled": s.disabled,
                        "method": s.method,
                    })
                })
                .collect();
            Ok((
                Some(user.id),
                json!({ "user_id": user.id.to_hex(), "sessions": sessions }),
            ))
        }
        Action::Disable { user } => {
            let user = find(store, &user).await?;
            let sessions = store
                .disable_user(user.id)
                .await?
                .ok_or_else(|| NoSuchAccount(user.id.to_hex()))?;
            events::emit(state, &context(user.id), Event::UserDisabled).await;
            Ok((
                Some(user.id),
                json!({ "user_id": user.id.to_hex(), "disabled": true, "sessions_frozen": sessions }),
            ))
        }
        Action::Enable { user } => {
            let user = find(store, &user).await?;
            let ended = store
                .enable_user(user.id)
                .await?
                .ok_or_else(|| NoSuchAccount(user.id.to_hex()))?;
            events::emit(state, &context(user.id), Event::UserEnabled).await;
            Ok((
                Some(user.id),
                json!({ "user_id": user.id.to_hex(), "disabled": false, "sessions_ended": ended }),
            ))
        }
        Action::EndSessions { user } => {
            let user = find(store, &user).await?;
            let ended = store.end_sessions_of(user.id, None).await?;
            let happened = events::sessions_ended(ended.clone(), EndReason::Operator);
            events::emit_all(state, &context(user.id), happened).await;
            let ended = ended.len();
            Ok((
                Some(user.id),
                json!({ "user_id": user.id.to_hex(), "sessions_ended": ended }),
            ))
        }
        Action::ClearThrottles { ip, account } => match (ip, account) {
            (Some(ip), _) => {
                let key = state.proxies.rate_key_of(ip).to_string();
                let cleared = store.clear_ip_throttles(&key).await?;
                Ok((None, json!({ "ip": key, "records_cleared": cleared })))
            }
            (None, Some(account)) => {
                let user = find(store, &account).await?;
                let cleared = store.clear_account_throttles(keys_of(&user)).await?;
                Ok((
                    Some(user.id),
                    json!({ "user_id": user.id.to_hex(), "records_cleared": cleared }),
                ))
            }
            (None, None) => bail!("name --ip or --account"),
        },
        Action::ResetMfa { account } => {
            let user = find(store, &account).await?;
            let removed =
                reset_second_factors(state, &context(user.id), &user, FactorReset::Operator)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .ok_or_else(|| NoSuchAccount(user.id.to_hex()))?;
            wait_for_mail(store, &user.email).await?;
            Ok((
                Some(user.id),
                json!({
                    "user_id": user.id.to_hex(),
                    "totp_removed": removed.totp,
                    "passkeys_removed": removed.passkeys,
                }),
            ))
        }
        Action::Delete { user, yes } => {
            if !yes {
                bail!("deleting an account is final: repeat with --yes");
            }
            let user = find(store, &user).await?;
            let deleted = delete_account(state, &context(user.id), &user)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if !deleted {
                return Err(NoSuchAccount(user.id.to_hex()).into());
            }
            wait_for_mail(store, &user.email).await?;
            Ok((
                Some(user.id),
                json!({ "user_id": user.id.to_hex(), "deleted": true }),
            ))
        }
        Action::Webhooks(WebhooksAction::Failed { limit }) => {
            let failed = crate::webhooks::list_deliveries(
                state,
                crate::store::DeliveryStatus::Failed,
                limit,
            )
            .await?;
            Ok((None, json!({ "deliveries": failed })))
        }
        Action::Webhooks(WebhooksAction::Retry { id }) => {
            let delivery = crate::webhooks::retry(state, &id).await?;
            Ok((None, json!({ "requeued": delivery })))
        }
    }
}

/// A notice is sent in the background: give it its chance before the process ends. A mail not
/// sent by then stays in the outbox, where the server's worker retries it.
async fn wait_for_mail(store: &Store, to: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while store.outbox_pending_to(to).await? > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The account named by `who`: an email address (has `@`), an account id (24 hex digits) or
/// a username.
async fn find(store: &Store, who: &str) -> anyhow::Result<UserDoc> {
    let who = who.trim();
    let user = if who.contains('@') {
        let email = EmailAddress::parse(who.to_owned())
            .map_err(|code| anyhow::anyhow!("`{who}` is not a valid email address ({code})"))?;
        store.find_user_by_email_key(&email.key()).await?
    } else if who.len() == 24 && who.bytes().all(|b| b.is_ascii_hexdigit()) {
        store.find_user_by_id(who).await?
    } else {
        store
            .find_user_by_username_key(&who.to_ascii_lowercase())
            .await?
    };
    user.ok_or_else(|| NoSuchAccount(who.to_owned()))
        .context("looking up the account")
}

/// What an operator may see of an account: no hash.
fn describe(user: &UserDoc) -> Value {
    json!({
        "id": user.id.to_hex(),
        "username": user.username,
        "nickname": user.nickname,
        "email": user.email,
        "created_at": user.created_at.try_to_rfc3339_string().unwrap_or_default(),
        "locale": user.locale,
        "disabled": user.disabled,
    })
}
