//! Prints the admin API's OpenAPI document exactly as committed in `openapi/admin.json`
//! (pretty JSON, a trailing newline). `just openapi` runs
//! `cargo run -q -p backend --example admin_openapi > openapi/admin.json`.

use std::io::Write;

fn main() {
    std::io::stdout()
        .write_all(backend::admin::api::pretty().as_bytes())
        .expect("writing to stdout");
}
