//! The message files: each parses cleanly, has exactly the ids of the Korean reference, and
//! every message the app asks for resolves in every language without a Fluent error. Native
//! (`cargo test -p frontend`), no browser.
#![cfg(not(target_family = "wasm"))]

mod common;

use common::issues;
use fluent_syntax::ast::Entry;
use frontend::form::{Alert, Field, Issue};
use frontend::i18n::{self, Notice, T};
use shared::{ErrorCode, Locale};
use std::collections::BTreeSet;
use strum::IntoEnumIterator;

/// The ids of the messages and terms of a file; fails on a syntax error or a duplicate id.
fn ids(locale: Locale) -> BTreeSet<String> {
    let source = i18n::source(locale);
    let resource = fluent_syntax::parser::parse(source)
        .unwrap_or_else(|(_, errors)| panic!("{}.ftl: {errors:?}", locale.tag()));
    let mut ids = BTreeSet::new();
    for entry in resource.body {
        let id = match entry {
            Entry::Message(m) => m.id.name.to_owned(),
            Entry::Term(t) => format!("-{}", t.id.name),
            Entry::Junk { content } => panic!("{}.ftl: junk {content:?}", locale.tag()),
            _ => continue,
        };
        assert!(ids.insert(id.clone()), "{}.ftl: {id} twice", locale.tag());
    }
    ids
}

#[test]
fn every_language_has_exactly_the_korean_ids() {
    let reference = ids(Locale::Ko);
    for locale in Locale::ALL {
        let have = ids(locale);
        let missing: Vec<_> = reference.difference(&have).collect();
        let extra: Vec<_> = have.difference(&reference).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}.ftl: missing {missing:?}, not in ko.ftl {extra:?}",
            locale.tag()
        );
    }
}

/// Every message the app can ask for, rendered: (what, text).
fn everything(lang: Locale) -> Vec<(String, String)> {
    let mut out = vec![("native_name".to_owned(), i18n::native_name(lang))];
    out.extend(T::iter().map(|key| (format!("{key:?}"), i18n::t(lang, key))));
    for field in Field::ALL {
        out.push((format!("label {field:?}"), i18n::label(lang, field)));
        if !matches!(field, Field::PasswordConfirm | Field::NewPasswordConfirm) {
            out.push((format!("hint {field:?}"), i18n::hint(lang, field)));
        }
        for issue in issues() {
            let text = i18n::issue_message(lang, field, &issue);
            out.push((format!("issue {field:?} {issue:?}"), text));
        }
    }
    for code in ErrorCode::all() {
        out.push((format!("error {code:?}"), i18n::error_message(lang, code)));
        for retry_after in [None, Some(59), Some(61)] {
            let alert = Alert::Api { code, retry_after };
            out.push((format!("{alert:?}"), i18n::alert_message(lang, &alert)));
        }
    }
    for alert in [
        Alert::FixFields,
        Alert::Network,
        Alert::Server { status: 503 },
    ] {
        out.push((format!("{alert:?}"), i18n::alert_message(lang, &alert)));
    }
    for notice in Notice::iter() {
        out.push((format!("{notice:?}"), i18n::notice(lang, &notice)));
    }
    for secs in [5, 60, 65, 3600, 86_399] {
        out.push((format!("duration {secs}"), i18n::duration(lang, secs)));
        out.push((
            format!("code_expires_in {secs}"),
            i18n::code_expires_in(lang, secs),
        ));
        out.push((format!("resend_in {secs}"), i18n::resend_in(lang, secs)));
    }
    let email = "gildong@example.com";
    out.push(("code_sent".into(), i18n::code_sent(lang, email)));
    out.push(("reset_code_sent".into(), i18n::reset_code_sent(lang, email)));
    out.push((
        "delete_warning".into(),
        i18n::delete_warning(lang, "gildong"),
    ));
    out.push(("welcome".into(), i18n::welcome(lang, "길동")));
    out.push(("login_code_sent".into(), i18n::login_code_sent(lang, email)));
    for n in [0, 1, 2] {
        out.push((format!("not_me_done {n}"), i18n::not_me_done(lang, n)));
    }
    for secs in [0, 90, 7200, 86_400 * 2] {
        out.push((
            format!("ago {secs}"),
            i18n::ago(lang, secs).unwrap_or_default(),
        ));
    }
    out.push((
        "browser_on_system".into(),
        i18n::browser_on_system(lang, Some("Chrome"), Some("Linux")),
    ));
    out.push(("last_used_at".into(), i18n::last_used_at(lang, "x")));
    for method in ["password", "email_code+totp", "passkey", "x"] {
        out.push((format!("method {method}"), i18n::method(lang, method)));
    }
    out
}

#[test]
fn every_message_resolves_in_every_language_without_fluent_errors() {
    i18n::take_faults();
    for lang in Locale::ALL {
        for (what, text) in everything(lang) {
            assert!(!text.trim().is_empty(), "{}: {what} is empty", lang.tag());
            // Isolation marks are off: they would show up in titles and accessible names.
            assert!(
                !text.contains(['\u{2068}', '\u{2069}']),
                "{}: {what}: {text:?}",
                lang.tag()
            );
            // An unresolved reference or variable renders as `{...}`.
            assert!(!text.contains('{'), "{}: {what}: {text:?}", lang.tag());
        }
        let faults = i18n::take_faults();
        assert!(faults.is_empty(), "{faults:#?}");
    }
}

#[test]
fn a_missing_message_is_noted() {
    i18n::take_faults();
    assert_eq!(i18n::message(Locale::En, "no-such-id", None), "no-such-id");
    assert_eq!(i18n::take_faults().len(), 1);
}

/// What does not resolve is written as Fluent writes it, and noted.
#[test]
fn an_unknown_variable_is_noted() {
    i18n::take_faults();
    assert_eq!(
        i18n::message(Locale::En, "hint-new-password", None),
        "At least {$min} characters, without your username or the part of your email before @"
    );
    assert_eq!(i18n::take_faults().len(), 1);
    // A select without its number takes the default variant.
    assert_eq!(
        i18n::message(Locale::En, "ago-days", Some(&[("m", 1u64.into())])),
        "{$n} days ago"
    );
    assert_eq!(i18n::take_faults().len(), 1);
}

/// An exact `[n]` key wins over the plural category; Korean has only `other`.
#[test]
fn selects_take_the_exact_number_then_the_plural_category() {
    let left = |lang, n: u64| i18n::message(lang, "not-me-done", Some(&[("n", n.into())]));
    assert!(left(Locale::En, 0).starts_with("No device was signed in."));
    assert!(left(Locale::En, 1).starts_with("1 device was signed out."));
    assert!(left(Locale::En, 2).starts_with("2 devices were signed out."));
    assert!(left(Locale::Ko, 1).starts_with("1개 기기에서"));
    assert!(i18n::take_faults().is_empty());
}

/// Today's texts, copied from the tables before they moved to the .ftl files
/// (`tests/texts.golden` holds all of them).
#[test]
fn spot_checks_against_the_former_tables() {
    use Locale::{En, Ko};
    assert_eq!(i18n::t(Ko, T::AppName), "이메일 인증 가입");
    assert_eq!(
        i18n::t(En, T::CodeExpiredHint),
        "This code has expired. Use “Resend code” to get a new one."
    );
    assert_eq!(i18n::native_name(Ko), "한국어");
    assert_eq!(i18n::native_name(En), "English");
    assert_eq!(i18n::hint(En, Field::Username), "3–20 letters, digits or _");
    assert_eq!(
        i18n::hint(Ko, Field::NewPassword),
        i18n::hint(Ko, Field::Password)
    );
    assert_eq!(i18n::hint(Ko, Field::PasswordConfirm), "");
    for (lang, attempts_left, text) in [
        (En, Some(1), "That code is not correct. 1 attempt left."),
        (En, Some(3), "That code is not correct. 3 attempts left."),
        (
            En,
            Some(0),
            "That code is not correct and no attempts are left. Please request a new code.",
        ),
        (Ko, Some(1), "인증 코드가 일치하지 않습니다. 남은 시도: 1회"),
        (Ko, None, "인증 코드가 일치하지 않습니다."),
    ] {
        let wrong = Issue::WrongCode { attempts_left };
        assert_eq!(i18n::issue_message(lang, Field::Code, &wrong), text);
    }
    assert_eq!(i18n::duration(Ko, 125), "2분 5초");
    assert_eq!(i18n::duration(En, 120), "2 min");
    let limited = Alert::Api {
        code: ErrorCode::TooManyAttempts,
        retry_after: Some(42),
    };
    assert_eq!(
        i18n::alert_message(Ko, &limited),
        "이 계정에 로그인 실패가 너무 많아 잠시 로그인할 수 없습니다. 42초 후에 다시 시도해 주세요."
    );
    assert_eq!(
        i18n::alert_message(En, &Alert::Server { status: 502 }),
        "The server had a problem (502). Please try again in a moment."
    );
    assert_eq!(i18n::wait_lead(En, ErrorCode::InvalidCode), None);
    assert_eq!(i18n::code_expires_in(En, 65), "Code expires in 1:05");
    assert_eq!(i18n::resend_in(Ko, 42), "다시 보내기 (42초)");
    assert_eq!(
        i18n::code_sent(Ko, "a@b.co"),
        "a@b.co(으)로 인증 코드를 보냈습니다. 메일함을 확인해 주세요."
    );
    assert_eq!(i18n::welcome(En, "Gildong"), "Welcome, Gildong");
    assert_eq!(
        i18n::issue_message(Ko, Field::Nickname, &Issue::Rule(ErrorCode::TooLong)),
        "20자 이하로 입력해 주세요."
    );
}
