//! libFuzzer entry for `fuzz/checks/input_rules.rs` (the property itself lives there).
#![no_main]

#[path = "../checks/input_rules.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &str| checks::check(data));
