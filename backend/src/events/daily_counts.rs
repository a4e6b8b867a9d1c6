//! The daily-counts sink: a sign-up or a sign-in is counted on its UTC day in `daily_counts`
//! (one document per day), which `GET /admin/api/stats` reads back (`admin::stats`).

use mongodb::bson::DateTime;

use super::{Context, Event};
use crate::state::AppState;

/// The UTC day of `at`, `YYYY-MM-DD`.
pub fn day_of(at: DateTime) -> String {
    let text = at.try_to_rfc3339_string().unwrap_or_default();
    text.get(..10).unwrap_or_default().to_owned()
}

/// The events sink: counts a sign-up or a sign-in on its day.
pub async fn count(state: &AppState, context: &Context, event: &Event) -> anyhow::Result<()> {
    let field = match event {
        Event::UserCreated { .. } => "sign_ups",
        Event::SignedIn { .. } => "sign_ins",
        _ => return Ok(()),
    };
    state.store.count_day(&day_of(context.at), field).await?;
    Ok(())
}
