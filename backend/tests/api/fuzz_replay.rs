//! The fuzz targets' properties (fuzz/checks/) under `cargo test`: every committed seed, the
//! local corpus when there is one (fuzz/corpus/, left by `just fuzz`), and random inputs from
//! proptest. The coverage-guided search itself runs with `just fuzz`; this keeps its findings
//! (seeds, regressions) checked on every test run without the instrumented build.

use std::{
    cell::RefCell,
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use proptest::{prelude::*, test_runner::TestRunner};
use request_bodies::Outcome;
use serde_json::{json, Value};

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

/// Hands `check` the bytes of every input of `target` (see [`inputs`]), after asserting that
/// the committed seeds (at least three) are there.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let files = inputs(target);
    assert!(
        files.len() >= 3,
        "the committed seeds of {target} are missing: {files:?}"
    );
    for file in files {
        check(&std::fs::read(&file).unwrap());
    }
}

#[test]
fn input_rules_hold_for_every_seed_and_corpus_entry() {
    replay("input_rules", |bytes| {
        // libFuzzer hands a `&str` target only the inputs that are UTF-8.
        if let Ok(text) = std::str::from_utf8(bytes) {
            input_rules::check(text);
        }
    });
}

#[test]
fn request_bodies_hold_for_every_seed_and_corpus_entry() {
    replay("request_bodies", request_bodies::check);
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

/// The request types of `request_bodies::check`, by the selector byte it reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    EmailAuth,
    Register,
    Login,
}

impl Kind {
    fn selector(self) -> u8 {
        self as u8
    }

    /// Its fields; `locale` is optional.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::EmailAuth => &["username", "nickname", "email", "locale"],
            Kind::Register => &["username", "password", "nickname", "email", "code"],
            Kind::Login => &["username", "password"],
        }
    }
}

/// What a generated body breaks: nothing, one field's value (the JSON still fits the type), or
/// its shape (a required field missing, an unknown one, a number for a string, a locale that
/// is neither `ko` nor `en`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Break {
    Nothing,
    Value(&'static str),
    Missing(&'static str),
    Unknown,
    WrongType(&'static str),
}

/// The fields with a rule of their own, in the order the value strategies below draw them.
const RULED_FIELDS: [&str; 5] = ["username", "nickname", "email", "password", "code"];

/// `values` (one per [`RULED_FIELDS`], in that order) by field name.
fn by_field(values: [String; 5]) -> BTreeMap<&'static str, String> {
    RULED_FIELDS.into_iter().zip(values).collect()
}

/// Values every rule accepts. The username holds a `_` and the address's local part a digit,
/// and the password neither, so the password never contains either (weak_password); three
/// random words are no common password.
fn valid_values() -> impl Strategy<Value = BTreeMap<&'static str, String>> {
    (
        "u_[A-Za-z0-9_]{1,18}",
        prop_oneof![
            "[가-힣]{2,10}",
            "[a-zA-Z]{2,10}",
            "[가-힣]{1,5} [가-힣]{1,5}"
        ],
        "[a-z]{0,6}[0-9][a-z0-9]{0,6}@[a-z]{2,10}\\.(com|net|kr)",
        "[a-z]{3,8}( [a-z]{3,8}){2,3}",
        "[0-9]{6}",
        prop_oneof![Just("ko".to_owned()), Just("en".to_owned())],
    )
        .prop_map(|(username, nickname, email, password, code, locale)| {
            let mut values = by_field([username, nickname, email, password, code]);
            values.insert("locale", locale);
            values
        })
}

/// For each field, a string its rule refuses (too short or long, a character it forbids, a
/// header-injection attempt), for the kind's own rule (a login's username need only be
/// non-empty, its password at most 128 characters).
fn broken_values(kind: Kind) -> impl Strategy<Value = BTreeMap<&'static str, String>> {
    let username = if kind == Kind::Login {
        Just(String::new()).boxed()
    } else {
        prop_oneof![
            "[A-Za-z0-9_]{0,2}",
            "[A-Za-z0-9_]{21,30}",
            "[a-z]{1,5}[ .@가-힣\u{0}\r\n-][a-z]{1,5}",
        ]
        .boxed()
    };
    let password = if kind == Kind::Login {
        prop_oneof![Just(String::new()), "[a-z]{129,140}"].boxed()
    } else {
        prop_oneof!["[a-z ]{0,7}", "[a-z]{129,140}"].boxed()
    };
    (
        username,
        prop_oneof![
            Just(String::new()),
            Just("   ".to_owned()),
            "[가-힣]",
            "[가-힣]{1,4}  [가-힣]{1,4}",
            "[가-힣]{1,4}[\u{0}-\u{1f}\u{7f}\u{200b}\u{202e}][가-힣]{1,4}",
            "[가-힣]{21,30}",
            "[ＡＢＣ][a-z]{2,5}",
        ],
        prop_oneof![
            "[a-z]{1,8}",
            "[a-z]{1,8}@[a-z]{1,8}",
            "[a-z]{1,4}@@[a-z]{1,4}\\.com",
            "[a-z]{1,4}[ \r\n\t<>,;\"\\\\()][a-z]{0,4}@x\\.com",
            "[a-z]{1,4}@x\\.com[\r\n]Bcc: [a-z]{1,4}@y\\.com",
            "[a-z]{65,70}@x\\.com",
            "[a-z]{1,4}@(127\\.0\\.0\\.1|\\[::1\\])",
        ],
        password,
        prop_oneof!["[0-9]{0,5}", "[0-9]{7,9}", "[a-z]{6}", "[0-9]{5}[a-z ]",],
    )
        .prop_map(|(username, nickname, email, password, code)| {
            by_field([username, nickname, email, password, code])
        })
}

/// A body of `kind` from valid values with at most one thing broken.
fn case(kind: Kind) -> impl Strategy<Value = (Break, Vec<u8>)> {
    (
        valid_values(),
        broken_values(kind),
        0..10u8,
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(valid, broken, choice, pick)| {
            let fields = kind.fields();
            let required: Vec<&'static str> =
                fields.iter().copied().filter(|f| *f != "locale").collect();
            let mut body: serde_json::Map<String, Value> = fields
                .iter()
                .map(|f| (f.to_string(), json!(valid[f])))
                .collect();
            let broke = match choice {
                0..=2 => Break::Nothing,
                3..=7 => {
                    let f = *pick.get(&required);
                    body.insert(f.to_owned(), json!(broken[f]));
                    Break::Value(f)
                }
                8 => match pick.index(3) {
                    0 => {
                        let f = *pick.get(&required);
                        body.remove(f);
                        Break::Missing(f)
                    }
                    1 => {
                        body.insert("extra".into(), json!("x"));
                        Break::Unknown
                    }
                    _ => {
                        let f = *pick.get(&required);
                        body.insert(f.to_owned(), json!(123456));
                        Break::WrongType(f)
                    }
                },
                _ if kind == Kind::EmailAuth => {
                    body.insert(
                        "locale".into(),
                        json!(["fr", "KO", "ko-KR", ""][pick.index(4)]),
                    );
                    Break::WrongType("locale")
                }
                _ => Break::Nothing,
            };
            let mut data = vec![kind.selector()];
            data.extend(serde_json::to_vec(&Value::Object(body)).unwrap());
            (broke, data)
        })
}

/// Mostly-valid bodies with one thing broken, for each request type: every valid body is
/// accepted (and its values parse again to themselves, checked inside), every broken value is
/// refused naming its field, every broken shape never reaches the domain; and enough cases
/// reach each branch for each type and field.
#[test]
fn request_bodies_with_one_thing_broken_reach_each_branch() {
    const CASES: u32 = 600;
    for kind in [Kind::EmailAuth, Kind::Register, Kind::Login] {
        // (branch, field) -> cases that ended there.
        let counts: RefCell<BTreeMap<(&'static str, &'static str), u32>> = Default::default();
        let mut runner = TestRunner::new(ProptestConfig::with_cases(CASES));
        runner
            .run(&case(kind), |(broke, data)| {
                let outcome = request_bodies::outcome(&data);
                let body = String::from_utf8_lossy(&data[1..]).into_owned();
                let branch = match (&broke, &outcome) {
                    (Break::Nothing, Outcome::Accepted) => ("accepted", ""),
                    (Break::Value(f), Outcome::Refused(fields)) => {
                        prop_assert!(
                            fields.iter().any(|g| g == f),
                            "{kind:?}: broken {f} refused naming {fields:?}: {body}"
                        );
                        ("refused", *f)
                    }
                    (
                        Break::Missing(_) | Break::Unknown | Break::WrongType(_),
                        Outcome::Unparsed,
                    ) => ("unparsed", ""),
                    _ => {
                        return Err(TestCaseError::fail(format!(
                            "{kind:?}: {broke:?} ended {outcome:?}: {body}"
                        )))
                    }
                };
                *counts.borrow_mut().entry(branch).or_default() += 1;
                Ok(())
            })
            .unwrap();
        let counts = counts.into_inner();
        // Expected shares: 30 % accepted, 50 % refused spread over the required fields, 10 %
        // (20 % for email_auth) unparsed. The floors are a third of that.
        let at_least = |branch: (&str, &str), floor: u32| {
            let n = counts.get(&branch).copied().unwrap_or(0);
            assert!(
                n >= floor,
                "{kind:?}: {branch:?} reached {n} times, want {floor}: {counts:?}"
            );
        };
        at_least(("accepted", ""), CASES * 3 / 10 / 3);
        at_least(("unparsed", ""), CASES / 10 / 3);
        let required = kind.fields().iter().filter(|f| **f != "locale").count() as u32;
        for f in kind.fields().iter().filter(|f| **f != "locale") {
            at_least(("refused", f), CASES / 2 / required / 3);
        }
    }
}
