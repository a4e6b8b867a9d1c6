//! Reliability tests (issue 8): database outages under load, graceful shutdown, start-up with
//! bad configuration or no database, and hostile input.
//!
//! Every test starts its OWN database server process (`SECANTUS_BIN`, else
//! `$TOOLS_DIR/bin/secantusd-rs`, else `.tools/bin/secantusd-rs`) on a free port with its own
//! data directory, so stopping it never disturbs the shared test database.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod durability;
#[path = "../api/endpoints.rs"]
#[allow(dead_code)]
mod endpoints;
mod hostile;
mod outage;
mod shutdown;
mod startup;
mod support;
#[path = "../api/webhook_receiver.rs"]
#[allow(dead_code)]
mod webhook_receiver;
mod webhooks;
