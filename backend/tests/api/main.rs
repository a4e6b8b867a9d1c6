//! Integration tests: the real app on port 0, against the real MongoDB-wire server (a fresh
//! database per test) and a real SMTP server inside the test process.

mod account;
mod account_lifecycle;
mod admin;
mod admin_api;
mod alerts;
mod claims;
mod client_ip;
mod codes;
mod docs;
mod email_auth;
mod email_domains;
mod fuzz_replay;
mod hash_queue;
mod helpers;
mod http;
mod integration;
mod login;
mod login_code;
mod look_alike_nicknames;
mod mail_pool;
mod metrics;
mod mfa;
mod nick;
mod passkeys;
mod production;
mod races;
mod register;
mod routes;
mod scale_out;
mod session_cache;
mod sessions;
mod spa;
mod store_shapes;
mod takeover;
#[cfg(feature = "otel")]
mod traces;
mod webhook_receiver;
mod webhooks;
