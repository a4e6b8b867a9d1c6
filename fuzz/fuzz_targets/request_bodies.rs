//! libFuzzer entry for `fuzz/checks/request_bodies.rs` (the property itself lives there).
#![no_main]

#[path = "../checks/request_bodies.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
