//! The signup API: email verification codes that only the server ever sees, argon2id password
//! hashes, expiring JWTs, MongoDB storage with uniqueness enforced by indexes.

pub mod account;
pub mod admin;
pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod extract;
pub mod mail;
pub mod mfa;
pub mod notices;
pub mod openapi;
pub mod passkeys;
pub mod rendezvous;
pub mod routes;
pub mod session;
pub mod signin;
pub mod startup;
pub mod state;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod user_agent;
pub mod verification;
pub mod webhooks;
