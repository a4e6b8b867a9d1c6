//! The audit trail (`admin_audit`): one row per write an operator makes, through the API or
//! the command line, whatever its outcome (a refused or failed write is a row too): the key's
//! name (or `cli:<user>`), the action, its target, the outcome (`done` or the problem code),
//! the client address. Never a key, hash, token or code.

use std::future::Future;

use mongodb::bson::oid::ObjectId;

use super::operator::Operator;
use crate::{error::ApiError, state::AppState, store::AuditDoc};

/// Records one write of `operator`.
pub async fn record(
    state: &AppState,
    operator: &Operator,
    action: &str,
    target: &str,
    outcome: &str,
) {
    let entry = AuditDoc {
        id: ObjectId::new(),
        at: state.clock.now(),
        key_name: operator.audit_name(),
        action: action.to_owned(),
        target: target.to_owned(),
        outcome: outcome.to_owned(),
        client: operator.client.clone(),
    };
    tracing::info!(
        target: "audit",
        audit = true,
        action,
        operator = %entry.key_name,
        target_id = target,
        outcome,
        client = %entry.client,
        "admin write"
    );
    // The write is done (or refused) either way; a lost row is logged loudly and counted.
    if let Err(e) = state.store.insert_audit(&entry).await {
        tracing::error!(error = %e, action, target_id = target, "audit row not written");
        metrics::counter!("admin_audit_failures_total").increment(1);
    }
}

/// Runs `work` and records its outcome.
pub async fn audited<T>(
    state: &AppState,
    operator: &Operator,
    action: &str,
    target: &str,
    work: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let result = work.await;
    let outcome = match &result {
        Ok(_) => "done",
        Err(e) => e.code().as_str(),
    };
    record(state, operator, action, target, outcome).await;
    result
}
