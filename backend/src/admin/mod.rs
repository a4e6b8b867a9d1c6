//! Operating the service: the operator's actions on accounts, reached two ways that share one
//! implementation and one audit trail.
//!
//! - [`operator`]: the actions themselves (disable, enable, end sessions, reset second
//!   factors, delete, …). Each goes through the same store calls and services as the owner's
//!   own action (`account::delete_account`, `account::reset_second_factors`), emits the same
//!   account events with the operator as actor, and reaches every instance's cache the same
//!   way (its own at once, the others through their change streams).
//! - [`cli`]: `backend admin …`, acting on the database directly.
//! - [`api`]: the admin HTTP API (`/admin/api/…`), on its own listener (`APP_ADMIN_PORT`,
//!   loopback by default), never on the public one; authenticated by [`keys`].
//! - [`audit`]: every write, from either, is one row of `admin_audit` (who, what, on what, the
//!   outcome, from where).
//! - [`stats`]: the counts the API shows, maintained as events happen and cached.
//! - [`webhooks`]: the failed webhook deliveries the API lists and retries, behind a trait.

pub mod api;
pub mod audit;
pub mod cli;
pub mod keys;
pub mod operator;
pub mod stats;
pub mod webhooks;

pub use cli::{run, Action, NoSuchAccount};
