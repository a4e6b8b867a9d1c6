//! Every text the app can show, in every language, against `texts.golden`: the file was
//! written from the hand-written tables before the messages moved to `locales/*.ftl`, so it
//! proves the move changed no word. Native (`cargo test -p frontend`), no browser.
//!
//! After an intended wording change: `UPDATE_GOLDEN=1 cargo test -p frontend --test texts`,
//! then review the diff of `texts.golden`.
#![cfg(not(target_family = "wasm"))]

mod common;

use common::issues;
use frontend::form::{Alert, Field};
use frontend::i18n::{self, Notice, T};
use shared::{ErrorCode, Locale};
use std::fmt::Write;
use strum::IntoEnumIterator;

const EMAILS: [&str; 2] = ["gildong@example.com", "a@b.co"];
const NAMES: [&str; 2] = ["hong_gildong", "길동"];

/// A text with a wait in seconds, and one with a name or an address.
type ByWait = fn(Locale, u64) -> String;
type ByText = fn(Locale, &str) -> String;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/texts.golden");

fn alerts() -> Vec<Alert> {
    let mut all = vec![
        Alert::FixFields,
        Alert::Network,
        Alert::Server { status: 502 },
    ];
    for code in ErrorCode::all() {
        for retry_after in [
            None,
            Some(0),
            Some(1),
            Some(42),
            Some(60),
            Some(125),
            Some(3600),
        ] {
            all.push(Alert::Api { code, retry_after });
        }
    }
    all
}

/// One line per (language, message, arguments).
fn render_all() -> String {
    let mut out = String::new();
    let mut line = |lang: Locale, what: String, text: &str| {
        writeln!(out, "{}\t{what}\t{text}", lang.tag()).unwrap();
    };
    for lang in Locale::ALL {
        line(lang, "native_name".into(), &i18n::native_name(lang));
        for key in T::iter() {
            line(lang, format!("t {key:?}"), &i18n::t(lang, key));
        }
        for field in Field::ALL {
            line(lang, format!("label {field:?}"), &i18n::label(lang, field));
            line(lang, format!("hint {field:?}"), &i18n::hint(lang, field));
            for issue in issues() {
                line(
                    lang,
                    format!("issue {field:?} {issue:?}"),
                    &i18n::issue_message(lang, field, &issue),
                );
            }
        }
        for code in ErrorCode::all() {
            line(
                lang,
                format!("error {code:?}"),
                &i18n::error_message(lang, code),
            );
            line(
                lang,
                format!("wait_lead {code:?}"),
                &i18n::wait_lead(lang, code).unwrap_or_else(|| "-".into()),
            );
        }
        for alert in alerts() {
            line(
                lang,
                format!("alert {alert:?}"),
                &i18n::alert_message(lang, &alert),
            );
        }
        for notice in Notice::iter() {
            line(
                lang,
                format!("notice {notice:?}"),
                &i18n::notice(lang, &notice),
            );
        }
        let waits: [(&str, ByWait); 4] = [
            ("duration", i18n::duration),
            ("retry_in", i18n::retry_in),
            ("code_expires_in", i18n::code_expires_in),
            ("resend_in", i18n::resend_in),
        ];
        for secs in [0, 1, 45, 59, 60, 61, 125, 600, 3600, 3661] {
            for (name, text) in waits {
                line(lang, format!("{name} {secs}"), &text(lang, secs));
            }
        }
        let by_email: [(&str, ByText); 2] = [
            ("code_sent", i18n::code_sent),
            ("reset_code_sent", i18n::reset_code_sent),
        ];
        let by_name: [(&str, ByText); 2] = [
            ("delete_warning", i18n::delete_warning),
            ("welcome", i18n::welcome),
        ];
        for (values, texts) in [(EMAILS, by_email), (NAMES, by_name)] {
            for value in values {
                for (name, text) in texts {
                    line(lang, format!("{name} {value}"), &text(lang, value));
                }
            }
        }
    }
    out
}

#[test]
fn every_text_is_what_it_was() {
    let now = render_all();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &now).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(GOLDEN).unwrap();
    for (i, (was, is)) in golden.lines().zip(now.lines()).enumerate() {
        assert_eq!(is, was, "line {} of texts.golden", i + 1);
    }
    assert_eq!(
        now.lines().count(),
        golden.lines().count(),
        "number of texts"
    );
}
