//! Prints the OpenAPI document exactly as committed in `openapi/openapi.json` (pretty JSON, a
//! trailing newline). `just openapi` runs
//! `cargo run -q -p backend --example openapi > openapi/openapi.json`.

use std::io::Write;

fn main() {
    std::io::stdout()
        .write_all(backend::openapi::pretty().as_bytes())
        .expect("writing to stdout");
}
