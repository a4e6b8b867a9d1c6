//! The activity log as the page shows it, with no DOM and no HTTP: consecutive refused
//! sign-ins become one entry with their count, everything else stays one entry per event.

use shared::{ActivityEvent, ActivityKind};

/// One row of the activity page: `event` (for a group, the newest of them) and how many
/// events it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub event: ActivityEvent,
    pub count: usize,
}

/// Whether `next` joins the group of refused sign-ins that `group` started: both refused,
/// with the same method, from the same address and browser.
fn joins(group: &ActivityEvent, next: &ActivityEvent) -> bool {
    group.kind == ActivityKind::SignInRefused
        && next.kind == ActivityKind::SignInRefused
        && group.method == next.method
        && group.ip == next.ip
        && group.user_agent == next.user_agent
}

/// The rows for `events` (newest first, as the API lists them): runs of refused sign-ins
/// grouped, the newest of a run standing for it.
pub fn group(events: &[ActivityEvent]) -> Vec<Entry> {
    let mut rows: Vec<Entry> = Vec::new();
    for event in events {
        match rows.last_mut() {
            Some(last) if joins(&last.event, event) => last.count += 1,
            _ => rows.push(Entry {
                event: event.clone(),
                count: 1,
            }),
        }
    }
    rows
}

/// The kind's name on the wire (`signed_in`), for `data-kind` and the Fluent ids.
pub fn kind_name(kind: ActivityKind) -> &'static str {
    use ActivityKind as K;
    match kind {
        K::UserCreated => "user_created",
        K::SignedIn => "signed_in",
        K::SignInRefused => "sign_in_refused",
        K::NewSignInAlert => "new_sign_in_alert",
        K::NotMe => "not_me",
        K::SessionEnded => "session_ended",
        K::PasswordChanged => "password_changed",
        K::PasswordReset => "password_reset",
        K::EmailChanged => "email_changed",
        K::TotpEnabled => "totp_enabled",
        K::TotpDisabled => "totp_disabled",
        K::RecoveryCodesReplaced => "recovery_codes_replaced",
        K::PasskeyAdded => "passkey_added",
        K::PasskeyRemoved => "passkey_removed",
        K::AccountDisabled => "account_disabled",
        K::AccountEnabled => "account_enabled",
    }
}

/// Whether an entry offers "this wasn't me": a sign-in that did not start the session asking.
pub fn offers_not_me(event: &ActivityEvent) -> bool {
    event.kind == ActivityKind::SignedIn && !event.current_session
}

/// The section of the account area a path belongs to (its navigation entry), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Devices,
    Activity,
    Security,
    Settings,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Overview,
        Section::Devices,
        Section::Activity,
        Section::Security,
        Section::Settings,
    ];

    /// Where its navigation entry leads.
    pub fn href(self) -> &'static str {
        match self {
            Section::Overview => "/",
            Section::Devices => "/devices",
            Section::Activity => "/activity",
            Section::Security => "/settings/security",
            Section::Settings => "/settings",
        }
    }

    /// The section of `path` (`/settings/security/disable` is security, `/settings/email`
    /// settings).
    pub fn of(path: &str) -> Option<Section> {
        let path = path.trim_end_matches('/');
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        Some(match path {
            "" => Section::Overview,
            _ if under("/devices") => Section::Devices,
            _ if under("/activity") => Section::Activity,
            _ if under("/settings/security") => Section::Security,
            _ if under("/settings") => Section::Settings,
            _ => return None,
        })
    }
}
