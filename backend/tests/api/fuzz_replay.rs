//! The fuzz targets' properties (fuzz/checks/) under `cargo test`: every committed seed, the
//! local corpus when there is one (fuzz/corpus/, left by `just fuzz`), and random inputs from
//! proptest. The coverage-guided search itself runs with `just fuzz`; this keeps its findings
//! (seeds, regressions) checked on every test run without the instrumented build.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

#[path = "../../../fuzz/checks/input_rules.rs"]
mod input_rules;
#[path = "../../../fuzz/checks/request_bodies.rs"]
mod request_bodies;

/// The files of `fuzz/seeds/<target>` and `fuzz/corpus/<target>`.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for dir in ["seeds", "corpus"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        files.extend(entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

#[test]
fn input_rules_hold_for_every_seed_and_corpus_entry() {
    let files = inputs("input_rules");
    assert!(
        files.len() >= 3,
        "the committed seeds are missing: {files:?}"
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        // libFuzzer hands a `&str` target only the inputs that are UTF-8.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            input_rules::check(text);
        }
    }
}

#[test]
fn request_bodies_hold_for_every_seed_and_corpus_entry() {
    let files = inputs("request_bodies");
    assert!(
        files.len() >= 3,
        "the committed seeds are missing: {files:?}"
    );
    for file in files {
        request_bodies::check(&std::fs::read(&file).unwrap());
    }
}

/// JSON-looking bodies for one of the three request types, so that random cases reach the
/// domain conversion rather than stopping at the JSON parser.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just("username"),
        Just("password"),
        Just("nickname"),
        Just("email"),
        Just("code"),
        Just("locale"),
        Just("extra"),
    ];
    let value = prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9_.@ -]{0,40}",
        "[0-9]{0,8}",
        "\\PC{0,20}@\\PC{0,20}",
    ];
    (
        any::<u8>(),
        proptest::collection::btree_map(field, value, 0..6),
    )
        .prop_map(|(selector, fields)| {
            let mut data = vec![selector];
            data.extend(serde_json::to_vec(&fields).unwrap());
            data
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn input_rules_hold_for_random_text(
        a in any::<String>(), b in "\\PC{0,30}", c in "[a-z@.]{0,30}"
    ) {
        input_rules::check(&format!("{a}\u{1F}{b}\u{1F}{c}"));
    }

    #[test]
    fn request_bodies_hold_for_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        request_bodies::check(&data);
    }

    #[test]
    fn request_bodies_hold_for_random_json(data in body()) {
        request_bodies::check(&data);
    }
}
