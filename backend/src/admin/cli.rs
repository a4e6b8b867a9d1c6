//! `backend admin …`: operator commands that act on the database directly, with the same
//! configuration as the server (`APP_*`, `.env`). Each prints its result as one JSON document
//! on stdout and writes one audit log line (target `audit`, on stderr: who ran it, what, on
//! which account; never a hash, token or code); every write is also a row of the audit trail
//! (`admin_audit`, as `cli:<user>`). The actions are [`super::operator`]'s, the same the admin
//! API runs.

use std::{
    net::IpAddr,
    sync::{atomic::AtomicBool, Arc},
    time::Duration,
};

use anyhow::bail;
use mongodb::bson::oid::ObjectId;
use serde_json::{json, Value};

use super::{
    audit,
    keys::{self, KeyName},
    operator::{self, Operator},
};
use crate::{
    account::Goodbye,
    config::Settings,
    error::ApiError,
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
    /// cooldown) or of a client address (code mails and wrong admin API keys per address)
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
    /// Admin API keys: create (shown once), list, revoke
    ApiKey {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// An account's activity log, newest first (what its owner sees, with the actor)
    Activity {
        user: String,
        /// At most this many entries (1–100)
        #[arg(long, default_value_t = 50)]
        limit: u32,
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

#[derive(Debug, clap::Subcommand)]
pub enum KeyAction {
    /// Create a key and print it (once: only its hash is stored)
    Create {
        /// A unique name for the key (shown in the audit trail)
        #[arg(long)]
        name: String,
        /// The key may only read (every write answers 403 forbidden)
        #[arg(long)]
        read_only: bool,
    },
    /// List the keys (never the keys themselves)
    List,
    /// Revoke a key by name: refused from the next request on, on every instance
    Revoke { name: String },
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
            Action::ApiKey {
                action: KeyAction::Create { .. },
            } => "api_key_create",
            Action::ApiKey {
                action: KeyAction::List,
            } => "api_key_list",
            Action::ApiKey {
                action: KeyAction::Revoke { .. },
            } => "api_key_revoke",
            Action::Activity { .. } => "activity",
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
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_default();
    let operator = Operator::cli(&user);
    let name = action.name();
    let result = execute(&state, &operator, action).await;
    match &result {
        Ok((user_id, detail)) => tracing::info!(
            target: "audit",
            audit = true,
            action = name,
            operator = user,
            user_id = user_id.map(|id| id.to_hex()).unwrap_or_default(),
            detail = %detail,
            outcome = "done",
            "admin action"
        ),
        Err(e) => tracing::warn!(
            target: "audit",
            audit = true,
            action = name,
            operator = user,
            outcome = "failed",
            error = %e,
            "admin action"
        ),
    }
    result.map(|(_, value)| value)
}

/// `operator`'s write `action` on `target`, recorded in the audit trail.
async fn write<T>(
    state: &AppState,
    operator: &Operator,
    action: &str,
    target: &str,
    work: impl std::future::Future<Output = Result<T, ApiError>>,
) -> anyhow::Result<T> {
    audit::audited(state, operator, action, target, work)
        .await
        .map_err(|e| match e {
            ApiError::NotFound => NoSuchAccount(target.to_owned()).into(),
            e => anyhow::anyhow!("{e}"),
        })
}

/// Does the work; the account acted on (for the audit line) and the answer.
async fn execute(
    state: &AppState,
    op: &Operator,
    action: Action,
) -> anyhow::Result<(Option<ObjectId>, Value)> {
    let user_id = |user: &UserDoc| user.id.to_hex();
    match action {
        Action::Find { user } => {
            let user = find(&state.store, &user).await?;
            Ok((Some(user.id), describe(&user)))
        }
        Action::Sessions { user } => {
            let user = find(&state.store, &user).await?;
            let sessions: Vec<Value> = operator::sessions(state, &user)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
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
                json!({ "user_id": user_id(&user), "sessions": sessions }),
            ))
        }
        Action::Disable { user } => {
            let user = find(&state.store, &user).await?;
            let id = user_id(&user);
            let frozen = write(
                state,
                op,
                "disable",
                &id,
                operator::disable(state, op, &user),
            )
            .await?;
            Ok((
                Some(user.id),
                json!({ "user_id": id, "disabled": true, "sessions_frozen": frozen }),
            ))
        }
        Action::Enable { user } => {
            let user = find(&state.store, &user).await?;
            let id = user_id(&user);
            let ended = write(state, op, "enable", &id, operator::enable(state, op, &user)).await?;
            Ok((
                Some(user.id),
                json!({ "user_id": id, "disabled": false, "sessions_ended": ended }),
            ))
        }
        Action::EndSessions { user } => {
            let user = find(&state.store, &user).await?;
            let id = user_id(&user);
            let ended = write(
                state,
                op,
                "end_sessions",
                &id,
                operator::end_sessions(state, op, &user),
            )
            .await?;
            Ok((
                Some(user.id),
                json!({ "user_id": id, "sessions_ended": ended }),
            ))
        }
        Action::ClearThrottles { ip, account } => match (ip, account) {
            (Some(ip), _) => {
                let (key, cleared) = write(
                    state,
                    op,
                    "clear_throttles",
                    &ip.to_string(),
                    operator::clear_ip_throttles(state, ip),
                )
                .await?;
                Ok((None, json!({ "ip": key, "records_cleared": cleared })))
            }
            (None, Some(account)) => {
                let user = find(&state.store, &account).await?;
                let id = user_id(&user);
                let cleared = write(
                    state,
                    op,
                    "clear_throttles",
                    &id,
                    operator::clear_account_throttles(state, &user),
                )
                .await?;
                Ok((
                    Some(user.id),
                    json!({ "user_id": id, "records_cleared": cleared }),
                ))
            }
            (None, None) => bail!("name --ip or --account"),
        },
        Action::ResetMfa { account } => {
            let user = find(&state.store, &account).await?;
            let id = user_id(&user);
            let removed = write(
                state,
                op,
                "reset_mfa",
                &id,
                operator::reset_second_factors(state, op, &user),
            )
            .await?;
            wait_for_mail(&state.store, &user.email).await?;
            Ok((
                Some(user.id),
                json!({
                    "user_id": id,
                    "totp_removed": removed.totp,
                    "passkeys_removed": removed.passkeys,
                }),
            ))
        }
        Action::Delete { user, yes } => {
            if !yes {
                bail!("deleting an account is final: repeat with --yes");
            }
            let user = find(&state.store, &user).await?;
            let id = user_id(&user);
            write(
                state,
                op,
                "delete",
                &id,
                operator::delete(state, op, &user, Goodbye::Send),
            )
            .await?;
            wait_for_mail(&state.store, &user.email).await?;
            Ok((Some(user.id), json!({ "user_id": id, "deleted": true })))
        }
        Action::ApiKey { action } => api_key(state, op, action).await.map(|v| (None, v)),
        Action::Activity { user, limit } => {
            let user = find(&state.store, &user).await?;
            let entries: Vec<Value> = state
                .store
                .list_activity(user.id, None, limit.clamp(1, 100))
                .await?
                .into_iter()
                .map(|entry| {
                    let mut entry = entry;
                    entry.remove("user_id");
                    entry.remove("expires_at");
                    mongodb::bson::Bson::Document(entry).into_relaxed_extjson()
                })
                .collect();
            Ok((
                None,
                json!({ "user_id": user_id(&user), "entries": entries }),
            ))
        }
        Action::Webhooks(WebhooksAction::Failed { limit }) => {
            let failed = crate::webhooks::operator::list_deliveries(
                state,
                crate::store::DeliveryStatus::Failed,
                limit,
            )
            .await?;
            Ok((None, json!({ "deliveries": failed })))
        }
        Action::Webhooks(WebhooksAction::Retry { id }) => {
            let delivery = crate::webhooks::operator::retry(state, &id).await?;
            Ok((None, json!({ "requeued": delivery })))
        }
    }
}

async fn api_key(state: &AppState, op: &Operator, action: KeyAction) -> anyhow::Result<Value> {
    match action {
        KeyAction::Create { name, read_only } => {
            let name = KeyName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let (key, doc) = keys::generate(state, &name, read_only);
            let stored = state.store.insert_api_key(&doc).await?;
            let outcome = if stored { "done" } else { "name_taken" };
            audit::record(state, op, "api_key_create", name.as_str(), outcome).await;
            if !stored {
                bail!(
                    "a key named `{}` exists already (names are never reused)",
                    name.as_str()
                );
            }
            Ok(json!({
                "name": name.as_str(),
                "read_only": read_only,
                "key": key,
                "note": "shown once: only its hash is stored",
            }))
        }
        KeyAction::List => {
            let keys: Vec<Value> = state
                .store
                .list_api_keys()
                .await?
                .iter()
                .map(|k| {
                    json!({
                        "name": k.name,
                        "read_only": k.read_only,
                        "created_at": k.created_at.try_to_rfc3339_string().unwrap_or_default(),
                        "revoked": k.revoked,
                        "revoked_at": k.revoked_at.and_then(|t| t.try_to_rfc3339_string().ok()),
                    })
                })
                .collect();
            Ok(json!({ "keys": keys }))
        }
        KeyAction::Revoke { name } => {
            let revoked = state.store.revoke_api_key(&name, state.clock.now()).await?;
            let outcome = if revoked { "done" } else { "not_found" };
            audit::record(state, op, "api_key_revoke", &name, outcome).await;
            if !revoked {
                bail!("no live key is named `{name}`");
            }
            Ok(json!({ "name": name, "revoked": true }))
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

/// The account named by `who` (see [`operator::find`]), or [`NoSuchAccount`].
async fn find(store: &Store, who: &str) -> anyhow::Result<UserDoc> {
    operator::find(store, who)
        .await
        .map_err(|e| anyhow::anyhow!("looking up the account: {e}"))?
        .ok_or_else(|| NoSuchAccount(who.trim().to_owned()).into())
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
