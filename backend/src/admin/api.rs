//! The admin HTTP API: JSON under `/admin/api/`, on its own listener (`APP_ADMIN_PORT` on
//! `APP_ADMIN_ADDR`, loopback by default; no port, no listener), never on the public one.
//!
//! Every request presents an admin API key (`Authorization: Bearer adm_…`, [`super::keys`]);
//! a missing, wrong or revoked key is `401`, and a client address that presented
//! [`KEY_FAILURES`] wrong keys within [`KEY_FAILURE_WINDOW`] gets `429` for every key until the
//! window frees (shared by every instance). A read-only key on a write is `403 forbidden`. Every
//! write is audited ([`super::audit`]), refused ones too. The handlers are thin: they parse,
//! call [`super::operator`] (the command line's implementation too), and answer.
//!
//! The endpoints are declared once, in [`table`], which the listener and the OpenAPI document
//! (`/admin/api/openapi.json`, committed as `openapi/admin.json`) both read. What every endpoint
//! shares is added there, not by each `#[utoipa::path]`: the key's security and rows (`401`,
//! `429`, and `403` on a write), and under `/admin/api/users/{id}` the `404` of a missing account.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    dev::{Payload, Server},
    http::header,
    middleware::{from_fn, DefaultHeaders},
    web, App, FromRequest, HttpRequest, HttpResponse, HttpServer,
};
use anyhow::Context as _;
use mongodb::bson::{oid::ObjectId, DateTime, Document};
use serde::Deserialize;
use shared::{
    admin::{
        AdminActivity, AdminActivityList, AdminOutcome, AdminPasskey, AdminSession,
        AdminSessionList, AdminSignIn, AdminStats, AdminUser, AdminUserPage, AdminUserRow,
        AuditEntry, AuditPage, WebhookDelivery, WebhookDeliveryList,
    },
    ErrorCode,
};
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme},
    IntoParams, OpenApi,
};

use super::{
    audit, keys,
    operator::{self, Operator},
    stats::{self, StatsCache},
    webhooks::Deliveries,
};
use crate::{
    account::Goodbye,
    domain::field_error,
    error::ApiError,
    routes::{self, endpoint, Answer, Endpoint, State},
    state::AppState,
    store::{Admission, EventKind, Limit, SearchKeys, UserCursor, UserDoc},
    throttle::ClientIp,
};

/// Wrong keys a client address may present within [`KEY_FAILURE_WINDOW`].
pub const KEY_FAILURES: u64 = 10;
pub const KEY_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Rows per page: the default and the most.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
/// Longest search prefix, in bytes (an email address's limit).
const MAX_QUERY_BYTES: usize = 254;

const KEY_LIMIT: Limit = Limit {
    kind: EventKind::AdminKeyFailure,
    window: KEY_FAILURE_WINDOW,
    max: KEY_FAILURES,
};

/// The caller of an admin request: a live key.
pub struct Caller {
    pub operator: Operator,
    pub read_only: bool,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = bearer(req).map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let ClientIp(ip) = ClientIp::of(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no application state")))?;
            let client = ip.map(|ip| ip.to_string()).unwrap_or_default();
            let rate_key = ip
                .map(|ip| state.proxies.rate_key_of(ip).to_string())
                .unwrap_or_default();
            let now = state.clock.now();
            // Asked before the key is: a guesser over the limit learns nothing more.
            if let Some(retry_after) = state.store.peek(KEY_LIMIT, &rate_key, now).await? {
                return Err(ApiError::RateLimited { retry_after });
            }
            let Some(presented) = presented else {
                return Err(ApiError::InvalidApiKey);
            };
            match keys::authenticate(&state, &presented).await? {
                Some(key) => Ok(Caller {
                    operator: Operator::api(&key.name, &client),
                    read_only: key.read_only,
                }),
                None => {
                    tracing::warn!(event = "admin_key_refused", ip = %client, "wrong admin API key");
                    match state.store.admit(KEY_LIMIT, &rate_key, now).await? {
                        Admission::Refused { retry_after } => {
                            Err(ApiError::RateLimited { retry_after })
                        }
                        Admission::Admitted(_) => Err(ApiError::InvalidApiKey),
                    }
                }
            }
        })
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The write `action` of `caller` on `target`: refused for a read-only key, audited either way.
async fn write<T>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: &str,
    work: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    if caller.read_only {
        audit::record(state, &caller.operator, action, target, "forbidden").await;
        return Err(ApiError::Forbidden);
    }
    audit::audited(state, &caller.operator, action, target, work).await
}

/// [`write`] on the account `id`: `work` gets the account, or the write is `404 not_found`
/// (audited as such) when there is none. `target` names what is written in the audit trail.
async fn write_on<T>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    id: &str,
    target: &str,
    work: impl AsyncFnOnce(UserDoc) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    write(state, caller, action, target, async {
        work(operator::account(&state.store, id).await?).await
    })
    .await
}

fn time(t: DateTime) -> String {
    t.try_to_rfc3339_string().unwrap_or_default()
}

fn invalid(field: &str, code: ErrorCode) -> ApiError {
    ApiError::Validation(vec![field_error(field, code)])
}

/// `limit`, checked: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
fn page_size(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(invalid("limit", ErrorCode::InvalidFormat)),
    }
}

/// A users cursor: `<created_at milliseconds>.<account id>`.
fn user_cursor(text: &str) -> Result<UserCursor, ApiError> {
    let bad = || invalid("cursor", ErrorCode::InvalidFormat);
    let (millis, id) = text.split_once('.').ok_or_else(bad)?;
    Ok(UserCursor {
        created_at: DateTime::from_millis(millis.parse().map_err(|_| bad())?),
        id: ObjectId::parse_str(id).map_err(|_| bad())?,
    })
}

/// An audit cursor: `<at milliseconds>.<entry id>`.
fn audit_cursor(text: &str) -> Result<(DateTime, ObjectId), ApiError> {
    user_cursor(text).map(|c| (c.created_at, c.id))
}

fn user_cursor_text(cursor: UserCursor) -> String {
    format!(
        "{}.{}",
        cursor.created_at.timestamp_millis(),
        cursor.id.to_hex()
    )
}

/// The `{id}` of `/admin/api/users/{id}…`: an account (`404 not_found` when no account has it).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccountId {
    /// The account id
    id: String,
}

impl std::ops::Deref for AccountId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A prefix of the username, the nickname or the email address (case-insensitive); absent
    /// or empty: every account.
    q: Option<String>,
    /// Rows per page, 1–100 (default 20).
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Accounts whose username, nickname or email address starts with `q`, newest first. Each
/// prefix is one range read on its unique index (no collection scan): the work grows with the
/// matches, not with the accounts.
#[utoipa::path(get, path = "/admin/api/users", tag = "accounts", operation_id = "admin_search_users",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AdminUserPage),
        (status = 422, description = "`validation_failed`: `q` is too long, or `limit` or `cursor` is not valid"),
    ))]
pub async fn search(state: State, _caller: Caller, query: web::Query<SearchQuery>) -> Answer {
    let limit = page_size(query.limit)?;
    let after = query.cursor.as_deref().map(user_cursor).transpose()?;
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    if q.len() > MAX_QUERY_BYTES {
        return Err(invalid("q", ErrorCode::TooLong));
    }
    let keys = SearchKeys::of(q);
    let mut users = state
        .store
        .search_users(keys.as_ref(), after, limit + 1)
        .await?;
    let more = users.len() > limit;
    users.truncate(limit);
    let next_cursor = more
        .then(|| users.last().map(|u| user_cursor_text(UserCursor::of(u))))
        .flatten();
    let users = users.iter().map(row).collect();
    Ok(routes::private_json(&AdminUserPage { users, next_cursor }))
}

fn row(user: &UserDoc) -> AdminUserRow {
    AdminUserRow {
        id: user.id.to_hex(),
        username: user.username.clone(),
        nickname: user.nickname.clone(),
        email: user.email.clone(),
        created_at: time(user.created_at),
        disabled: user.disabled,
    }
}

/// One account: its profile, second factors, live sessions and last sign-in.
#[utoipa::path(get, path = "/admin/api/users/{id}", tag = "accounts", operation_id = "admin_get_user",
    params(AccountId),
    responses(
        (status = 200, description = "The account", body = AdminUser),
    ))]
pub async fn user(state: State, _caller: Caller, id: web::Path<AccountId>) -> Answer {
    let user = operator::account(&state.store, &id).await?;
    let passkeys = state
        .store
        .passkeys_of(user.id)
        .await?
        .into_iter()
        .map(|p| AdminPasskey {
            id: p.id.to_hex(),
            name: p.name,
            created_at: time(p.created_at),
            last_used_at: p.last_used_at.map(time),
        })
        .collect();
    let live_sessions = operator::sessions(&state, &user).await?.len() as u64;
    let email_verified_at = state
        .store
        .last_email_change(user.id)
        .await?
        .unwrap_or(user.created_at);
    Ok(routes::private_json(&AdminUser {
        id: user.id.to_hex(),
        username: user.username,
        nickname: user.nickname,
        email: user.email,
        email_verified_at: time(email_verified_at),
        created_at: time(user.created_at),
        locale: user.locale.tag().to_owned(),
        disabled: user.disabled,
        totp: user.totp.is_some(),
        passkeys,
        live_sessions,
        last_sign_in: user.last_sign_in.map(|s| AdminSignIn {
            at: time(s.at),
            method: s.method,
            ip: s.ip,
        }),
    }))
}

/// The account's live sessions, most recently used first.
#[utoipa::path(get, path = "/admin/api/users/{id}/sessions", tag = "accounts", operation_id = "admin_list_sessions",
    params(AccountId),
    responses(
        (status = 200, description = "The live sessions", body = AdminSessionList),
    ))]
pub async fn sessions(state: State, _caller: Caller, id: web::Path<AccountId>) -> Answer {
    let user = operator::account(&state.store, &id).await?;
    let sessions = operator::sessions(&state, &user)
        .await?
        .into_iter()
        .map(|s| AdminSession {
            id: s.id,
            created_at: time(s.created_at),
            last_used_at: time(s.last_used_at),
            expires_at: time(s.expires_at),
            ip: s.ip,
            user_agent: s.user_agent,
            disabled: s.disabled,
            method: s.method,
        })
        .collect();
    Ok(routes::private_json(&AdminSessionList { sessions }))
}

/// Ends every session of the account: its access and refresh tokens are refused from the next
/// request on, on every instance.
#[utoipa::path(delete, path = "/admin/api/users/{id}/sessions", tag = "accounts", operation_id = "admin_end_sessions",
    params(AccountId),
    responses(
        (status = 200, description = "The sessions are ended", body = AdminOutcome),
    ))]
pub async fn end_sessions(state: State, caller: Caller, id: web::Path<AccountId>) -> Answer {
    let ended = write_on(&state, &caller, "end_sessions", &id, &id, async |user| {
        operator::end_sessions(&state, &caller.operator, &user).await
    })
    .await?;
    Ok(routes::private_json(&AdminOutcome {
        user_id: id.into_inner().id,
        sessions_ended: Some(ended),
        ..Default::default()
    }))
}

/// Ends one session of the account.
#[utoipa::path(delete, path = "/admin/api/users/{id}/sessions/{sid}", tag = "accounts", operation_id = "admin_end_session",
    params(("id" = String, Path, description = "The account id"),
           ("sid" = String, Path, description = "A session id from its sessions")),
    responses(
        (status = 204, description = "The session is ended"),
        (status = 404, description = "`not_found`: no such account, or no live session of it has this id"),
    ))]
pub async fn end_session(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Answer {
    let (id, sid) = path.into_inner();
    let target = format!("{id} {sid}");
    write_on(&state, &caller, "end_session", &id, &target, async |user| {
        operator::end_session(&state, &caller.operator, &user, &sid).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Disables the account: login and refresh answer `403 account_disabled`, and its access
/// tokens are refused from the next request on, on every instance.
#[utoipa::path(post, path = "/admin/api/users/{id}/disable", tag = "accounts", operation_id = "admin_disable_user",
    params(AccountId),
    responses(
        (status = 200, description = "The account is disabled", body = AdminOutcome),
    ))]
pub async fn disable(state: State, caller: Caller, id: web::Path<AccountId>) -> Answer {
    let frozen = write_on(&state, &caller, "disable", &id, &id, async |user| {
        operator::disable(&state, &caller.operator, &user).await
    })
    .await?;
    Ok(routes::private_json(&AdminOutcome {
        user_id: id.into_inner().id,
        disabled: Some(true),
        sessions_frozen: Some(frozen),
        ..Default::default()
    }))
}

/// Enables the account again; the sessions its disabling froze end (its owner signs in anew).
#[utoipa::path(post, path = "/admin/api/users/{id}/enable", tag = "accounts", operation_id = "admin_enable_user",
    params(AccountId),
    responses(
        (status = 200, description = "The account is enabled", body = AdminOutcome),
    ))]
pub async fn enable(state: State, caller: Caller, id: web::Path<AccountId>) -> Answer {
    let ended = write_on(&state, &caller, "enable", &id, &id, async |user| {
        operator::enable(&state, &caller.operator, &user).await
    })
    .await?;
    Ok(routes::private_json(&AdminOutcome {
        user_id: id.into_inner().id,
        disabled: Some(false),
        sessions_ended: Some(ended),
        ..Default::default()
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// `false`: no goodbye mail (default `true`).
    notify: Option<bool>,
}

/// Deletes the account for good, as its owner's own deletion does: sessions, passkeys,
/// codes, activity, limits, queued mail; then the goodbye mail unless `notify=false`.
#[utoipa::path(delete, path = "/admin/api/users/{id}", tag = "accounts", operation_id = "admin_delete_user",
    params(AccountId, DeleteQuery),
    responses(
        (status = 204, description = "The account is deleted"),
    ))]
pub async fn delete(
    state: State,
    caller: Caller,
    id: web::Path<AccountId>,
    query: web::Query<DeleteQuery>,
) -> Answer {
    let goodbye = match query.notify {
        Some(false) => Goodbye::Skip,
        _ => Goodbye::Send,
    };
    write_on(&state, &caller, "delete", &id, &id, async |user| {
        operator::delete(&state, &caller.operator, &user, goodbye).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes every second factor (TOTP with its recovery codes, every passkey) and ends the
/// account's sessions; the owner is mailed.
#[utoipa::path(post, path = "/admin/api/users/{id}/mfa/reset", tag = "accounts", operation_id = "admin_reset_mfa",
    params(AccountId),
    responses(
        (status = 200, description = "What was removed", body = AdminOutcome),
    ))]
pub async fn reset_mfa(state: State, caller: Caller, id: web::Path<AccountId>) -> Answer {
    let removed = write_on(&state, &caller, "reset_mfa", &id, &id, async |user| {
        operator::reset_second_factors(&state, &caller.operator, &user).await
    })
    .await?;
    Ok(routes::private_json(&AdminOutcome {
        user_id: id.into_inner().id,
        totp_removed: Some(removed.totp),
        passkeys_removed: Some(removed.passkeys),
        ..Default::default()
    }))
}

/// Removes one passkey of the account (the owner is mailed, as when they remove it).
#[utoipa::path(delete, path = "/admin/api/users/{id}/passkeys/{pid}", tag = "accounts", operation_id = "admin_delete_passkey",
    params(("id" = String, Path, description = "The account id"),
           ("pid" = String, Path, description = "A passkey id from the account")),
    responses(
        (status = 204, description = "The passkey is removed"),
        (status = 404, description = "`not_found`: no such account, or it has no passkey with this id"),
    ))]
pub async fn delete_passkey(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Answer {
    let (id, pid) = path.into_inner();
    let target = format!("{id} {pid}");
    write_on(
        &state,
        &caller,
        "delete_passkey",
        &id,
        &target,
        async |user| operator::delete_passkey(&state, &caller.operator, &user, &pid).await,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// Entries, 1–100 (default 20).
    limit: Option<usize>,
}

/// The account's activity log, newest first (what its owner sees, with the actor).
#[utoipa::path(get, path = "/admin/api/users/{id}/activity", tag = "accounts", operation_id = "admin_user_activity",
    params(AccountId, LimitQuery),
    responses(
        (status = 200, description = "The newest entries", body = AdminActivityList),
        (status = 422, description = "`validation_failed`: `limit` is not valid"),
    ))]
pub async fn activity(
    state: State,
    _caller: Caller,
    id: web::Path<AccountId>,
    query: web::Query<LimitQuery>,
) -> Answer {
    let limit = page_size(query.limit)?;
    let user = operator::account(&state.store, &id).await?;
    let entries = state
        .store
        .list_activity(user.id, None, u32::try_from(limit).unwrap_or(u32::MAX))
        .await?
        .iter()
        .map(activity_entry)
        .collect();
    Ok(routes::private_json(&AdminActivityList { entries }))
}

fn activity_entry(entry: &Document) -> AdminActivity {
    let text = |field: &str| entry.get_str(field).ok().map(str::to_owned);
    AdminActivity {
        id: entry
            .get_object_id("_id")
            .map(|id| id.to_hex())
            .unwrap_or_default(),
        kind: text("kind").unwrap_or_default(),
        at: entry
            .get_datetime("at")
            .map(|t| time(*t))
            .unwrap_or_default(),
        ip: text("ip").unwrap_or_default(),
        user_agent: text("user_agent").unwrap_or_default(),
        actor: text("actor").unwrap_or_default(),
        session_id: text("session_id"),
        method: text("method"),
        reason: text("reason"),
        passkey_name: text("passkey_name"),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries, 1–100 (default 20).
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The audit trail: every write through this API or the command line, newest first.
#[utoipa::path(get, path = "/admin/api/audit", tag = "audit", operation_id = "admin_audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of the audit trail", body = AuditPage),
        (status = 422, description = "`validation_failed`: `limit` or `cursor` is not valid"),
    ))]
pub async fn audit_trail(state: State, _caller: Caller, query: web::Query<AuditQuery>) -> Answer {
    let limit = page_size(query.limit)?;
    let after = query.cursor.as_deref().map(audit_cursor).transpose()?;
    let mut found = state.store.audit_page(after, limit + 1).await?;
    let more = found.len() > limit;
    found.truncate(limit);
    let next_cursor = more
        .then(|| {
            found
                .last()
                .map(|e| format!("{}.{}", e.at.timestamp_millis(), e.id.to_hex()))
        })
        .flatten();
    let entries = found
        .into_iter()
        .map(|e| AuditEntry {
            id: e.id.to_hex(),
            at: time(e.at),
            key_name: e.key_name,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            client: e.client,
        })
        .collect();
    Ok(routes::private_json(&AuditPage {
        entries,
        next_cursor,
    }))
}

/// Accounts, live sessions, and sign-ups and sign-ins per UTC day for the last 30 days: from
/// maintained counts and indexed counts, cached for a minute.
#[utoipa::path(get, path = "/admin/api/stats", tag = "stats", operation_id = "admin_stats",
    responses((status = 200, description = "The numbers", body = AdminStats)))]
pub async fn stats(state: State, cache: web::Data<StatsCache>, _caller: Caller) -> Answer {
    Ok(routes::private_json(&stats::read(&state, &cache).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `failed` (the only status listed).
    status: String,
    /// Deliveries, 1–100 (default 20).
    limit: Option<usize>,
}

/// The installed webhooks' deliveries, or `not_found` without webhooks.
fn deliveries(installed: &Installed) -> Result<&dyn Deliveries, ApiError> {
    installed.0.as_deref().ok_or(ApiError::NotFound)
}

/// What [`server`] was given of the webhooks.
pub struct Installed(Option<Arc<dyn Deliveries>>);

/// Webhook deliveries given up after their retry period, newest first.
#[utoipa::path(get, path = "/admin/api/webhooks/deliveries", tag = "webhooks", operation_id = "admin_failed_deliveries",
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "The failed deliveries", body = WebhookDeliveryList),
        (status = 404, description = "`not_found`: this server has no webhooks"),
        (status = 422, description = "`validation_failed`: `status` is not `failed`, or `limit` is not valid"),
    ))]
pub async fn failed_deliveries(
    state: State,
    installed: web::Data<Installed>,
    _caller: Caller,
    query: web::Query<DeliveriesQuery>,
) -> Answer {
    let hooks = deliveries(&installed)?;
    if query.status != "failed" {
        return Err(invalid("status", ErrorCode::InvalidFormat));
    }
    let limit = page_size(query.limit)? as u32;
    let deliveries = hooks.failed(&state, limit).await?;
    Ok(routes::private_json(&WebhookDeliveryList { deliveries }))
}

/// Puts a failed delivery back in its endpoint's queue, due now (same `webhook-id`).
#[utoipa::path(post, path = "/admin/api/webhooks/deliveries/{id}/retry", tag = "webhooks", operation_id = "admin_retry_delivery",
    params(("id" = String, Path, description = "A failed delivery's id")),
    responses(
        (status = 200, description = "The delivery, queued again", body = WebhookDelivery),
        (status = 404, description = "`not_found`: no failed delivery has this id, or this server has no webhooks"),
    ))]
pub async fn retry_delivery(
    state: State,
    installed: web::Data<Installed>,
    caller: Caller,
    id: web::Path<String>,
) -> Answer {
    let delivery = write(&state, &caller, "webhook_retry", &id, async {
        deliveries(&installed)?.retry(&state, &id).await
    })
    .await?;
    Ok(routes::private_json(&delivery))
}

/// Every endpoint of the admin API, once.
pub fn table() -> Vec<Endpoint> {
    vec![
        endpoint!(self::search),
        endpoint!(self::user),
        endpoint!(self::delete),
        endpoint!(self::sessions),
        endpoint!(self::end_sessions),
        endpoint!(self::end_session),
        endpoint!(self::disable),
        endpoint!(self::enable),
        endpoint!(self::reset_mfa),
        endpoint!(self::delete_passkey),
        endpoint!(self::activity),
        endpoint!(self::audit_trail),
        endpoint!(self::stats),
        endpoint!(self::failed_deliveries),
        endpoint!(self::retry_delivery),
    ]
}

/// Whether an endpoint writes (and so refuses read-only keys).
fn writes(endpoint: &Endpoint) -> bool {
    endpoint.method != utoipa::openapi::path::HttpMethod::Get
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Email-verified signup: admin API",
        description = "For operators, on the admin listener only (`APP_ADMIN_PORT`). Authenticate with an admin API key (`backend admin api-key create --name NAME [--read-only]`) as `Authorization: Bearer adm_…`. Every write is audited. Errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "MIT"),
    ),
    components(schemas(shared::ErrorCode, shared::FieldError, shared::Problem)),
    tags(
        (name = "accounts", description = "Find accounts and act on them: sessions, disabling, second factors, deletion"),
        (name = "audit", description = "The audit trail of every write"),
        (name = "stats", description = "Accounts, sessions, sign-ups and sign-ins"),
        (name = "webhooks", description = "Failed webhook deliveries, and retrying them (404 without webhooks)"),
    )
)]
struct AdminDoc;

/// The admin API's OpenAPI object.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use crate::openapi::problems::{add_row, imply};
    let mut api = AdminDoc::openapi();
    let mut schemas = routes::Schemas::new();
    for endpoint in table() {
        let mut operation = (endpoint.operation)();
        // Every endpoint takes a key, and one under `/admin/api/users/{id}` an account.
        operation.security = Some(vec![SecurityRequirement::new(
            "admin_key",
            Vec::<String>::new(),
        )]);
        add_row(
            &mut operation,
            401,
            "invalid_token",
            "the admin API key is missing, wrong or revoked (with `WWW-Authenticate`)",
            true,
        );
        if endpoint.path.starts_with("/admin/api/users/{id}") {
            add_row(
                &mut operation,
                404,
                "not_found",
                "no account has this id",
                false,
            );
        }
        if writes(&endpoint) {
            add_row(
                &mut operation,
                403,
                "forbidden",
                "the key is read-only",
                false,
            );
        }
        add_row(
            &mut operation,
            429,
            "rate_limited",
            "too many wrong keys from this client address",
            false,
        );
        imply(&mut operation, &endpoint);
        api.paths
            .add_path_operation(&endpoint.path, vec![endpoint.method], operation);
        (endpoint.schemas)(&mut schemas);
    }
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.extend(schemas);
    let mut scheme = Http::new(HttpAuthScheme::Bearer);
    scheme.bearer_format = Some("adm_ and 64 hex digits".into());
    components.add_security_scheme("admin_key", SecurityScheme::Http(scheme));
    utoipa::Modify::modify(&crate::openapi::problems::ProblemCodes, &mut api);
    api
}

/// The committed form (`openapi/admin.json`): pretty JSON with a trailing newline.
pub fn pretty() -> String {
    let mut text = serde_json::to_string_pretty(&openapi()).expect("the document serialises");
    text.push('\n');
    text
}

static SERVED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    serde_json::to_string(&openapi()).expect("the document serialises")
});

async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("application/json")
        .body(SERVED.as_str())
}

async fn not_found() -> Answer {
    Err(ApiError::NotFound)
}

/// Where the built console is (`APP_ADMIN_CONSOLE_DIR`).
struct ConsoleDir(std::path::PathBuf);

/// `GET /admin` and `/admin/…` outside the API: the console's files, `index.html` for the
/// rest. The page needs no key to load; everything it shows comes from the API, which does.
async fn console(req: HttpRequest, dir: web::Data<ConsoleDir>) -> Answer {
    let path = req.path();
    if path == "/admin/api" || path.starts_with("/admin/api/") {
        return Err(ApiError::NotFound);
    }
    let inside = path.strip_prefix("/admin").unwrap_or_default();
    let inside = if inside.is_empty() { "/" } else { inside };
    routes::spa::serve_dir(&req, &dir.0, inside).await
}

/// The admin listener: the routes of [`table`], the document and the console, nothing else.
pub fn server(
    addr: std::net::SocketAddr,
    console_dir: std::path::PathBuf,
    state: State,
    grace: Duration,
) -> anyhow::Result<(Server, u16)> {
    std::sync::LazyLock::force(&SERVED);
    let listener =
        TcpListener::bind(addr).with_context(|| format!("binding the admin listener {addr}"))?;
    let port = listener.local_addr()?.port();
    tracing::info!(address = %listener.local_addr()?, "admin API listening");
    let cache = web::Data::new(StatsCache::default());
    let installed = web::Data::new(Installed(super::webhooks::installed(&state)));
    let console_dir = web::Data::new(ConsoleDir(console_dir));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(cache.clone())
            .app_data(installed.clone())
            .app_data(console_dir.clone())
            .app_data(routes::json_config())
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|_err, _req| invalid("query", ErrorCode::InvalidFormat).into()),
            )
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "no-referrer"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; frame-ancestors 'none'",
                    )),
            )
            .wrap(from_fn(crate::telemetry::log_requests))
            .configure(|cfg| routes::configure_endpoints(cfg, table()))
            .service(
                routes::resource("/admin/api/openapi.json", "GET".into())
                    .route(web::get().to(document)),
            )
            .service(web::resource("/admin").route(web::get().to(console)))
            .service(web::resource("/admin/{tail:.*}").route(web::get().to(console)))
            .default_service(web::to(not_found))
    })
    .workers(2)
    .listen(listener)?
    .shutdown_timeout(grace.as_secs())
    .run();
    Ok((server, port))
}
