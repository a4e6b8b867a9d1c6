//! The new sign-in and account-area logic that needs no browser: waits in hours and minutes,
//! times in words, the activity log's sentences and grouping, the account navigation, and the
//! step-up and sign-in-by-code checks. Native (`cargo test -p frontend --test account`).
#![cfg(not(target_family = "wasm"))]

use frontend::activity::{group, offers_not_me, Section};
use frontend::form::{self, Field, Issue};
use frontend::i18n::{self, T};
use shared::{ActivityEvent, ActivityKind, ErrorCode, FieldError, Locale, Problem};
use strum::IntoEnumIterator;

use Locale::{En, Ko};

fn has_hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// Korean text is Korean, English text has no Hangul (the language check of `logic.rs`).
fn assert_language(lang: Locale, text: &str, what: &str) {
    assert!(!text.trim().is_empty(), "{what}: empty in {lang:?}");
    assert!(
        !text.contains('{'),
        "{what}: unresolved in {lang:?}: {text}"
    );
    match lang {
        Ko => assert!(
            has_hangul(text),
            "{what}: Korean text without Hangul: {text}"
        ),
        En => assert!(
            !has_hangul(text),
            "{what}: English text with Hangul: {text}"
        ),
    }
}

#[test]
fn every_static_text_is_in_its_language() {
    for lang in Locale::ALL {
        for key in T::iter() {
            assert_language(lang, &i18n::t(lang, key), &format!("{key:?}"));
        }
    }
}

#[test]
fn long_waits_read_in_hours_and_minutes() {
    assert_eq!(i18n::duration(Ko, 86_399), "23시간 59분");
    assert_eq!(i18n::duration(En, 86_399), "23 h 59 min");
    assert_eq!(i18n::duration(Ko, 3600), "1시간");
    assert_eq!(i18n::duration(En, 3661), "1 h 1 min");
    // Under an hour nothing changes.
    assert_eq!(i18n::duration(Ko, 3599), "59분 59초");
    assert_eq!(i18n::duration(En, 125), "2 min 5 s");
    assert_eq!(i18n::duration(Ko, 45), "45초");
    // The resend button and the alerts use the same words.
    assert_eq!(i18n::resend_in(Ko, 42), "다시 보내기 (42초)");
    assert_eq!(i18n::resend_in(En, 7200), "Resend in 2 h");
    assert_eq!(
        i18n::retry_in(Ko, 86_399),
        "23시간 59분 후에 다시 시도해 주세요."
    );
    assert!(!i18n::retry_in(En, 86_399).contains("1439"));
}

#[test]
fn times_in_words() {
    assert_eq!(i18n::ago(Ko, 5).as_deref(), Some("방금 전"));
    assert_eq!(i18n::ago(En, 5).as_deref(), Some("just now"));
    assert_eq!(i18n::ago(En, 60).as_deref(), Some("1 minute ago"));
    assert_eq!(i18n::ago(En, 180).as_deref(), Some("3 minutes ago"));
    assert_eq!(i18n::ago(Ko, 180).as_deref(), Some("3분 전"));
    assert_eq!(i18n::ago(En, 7200).as_deref(), Some("2 hours ago"));
    assert_eq!(i18n::ago(Ko, 86_400 * 3).as_deref(), Some("3일 전"));
    assert_eq!(i18n::ago(En, 86_400 * 31), None, "a date instead");
    assert_eq!(
        i18n::browser_on_system(En, Some("Chrome"), Some("macOS")),
        "Chrome on macOS"
    );
    assert_eq!(
        i18n::browser_on_system(Ko, Some("Chrome"), Some("macOS")),
        "macOS의 Chrome"
    );
    assert_eq!(i18n::browser_on_system(En, None, Some("Linux")), "Linux");
    assert_eq!(
        i18n::browser_on_system(Ko, None, None),
        i18n::t(Ko, T::UnknownBrowser)
    );
}

fn event(kind: ActivityKind) -> ActivityEvent {
    ActivityEvent {
        id: "e".into(),
        kind,
        at: "2026-12-03T09:00:00Z".into(),
        ip: "203.0.113.7".into(),
        user_agent: "Mozilla/5.0 (Macintosh) Chrome/120.0 Safari/537.36".into(),
        method: None,
        session_id: None,
        current_session: false,
        reason: None,
        actor: "owner".into(),
        passkey_name: None,
    }
}

fn refused(method: &str) -> ActivityEvent {
    ActivityEvent {
        method: Some(method.into()),
        ..event(ActivityKind::SignInRefused)
    }
}

#[test]
fn activity_reads_as_sentences_in_both_languages() {
    let passkey = ActivityEvent {
        method: Some("passkey".into()),
        ..event(ActivityKind::SignedIn)
    };
    assert_eq!(i18n::activity(En, &passkey, 1), "Signed in with a passkey");
    assert_eq!(i18n::activity(Ko, &passkey, 1), "패스키로 로그인했습니다");
    let two_step = ActivityEvent {
        method: Some("password+totp".into()),
        ..event(ActivityKind::SignedIn)
    };
    assert_eq!(
        i18n::activity(En, &two_step, 1),
        "Signed in with a password and an authenticator code"
    );
    assert_eq!(
        i18n::activity(Ko, &two_step, 1),
        "비밀번호와 인증 앱 코드로 로그인했습니다"
    );
    assert_eq!(
        i18n::activity(En, &refused("password"), 3),
        "3 failed sign-ins (a password)"
    );
    assert_eq!(
        i18n::activity(Ko, &refused("email_code"), 1),
        "로그인에 실패했습니다 (이메일 코드)"
    );
    let ended = ActivityEvent {
        reason: Some("logout_all".into()),
        ..event(ActivityKind::SessionEnded)
    };
    assert_eq!(i18n::activity(En, &ended, 1), "Signed out everywhere");
    let unknown_reason = ActivityEvent {
        reason: Some("something_new".into()),
        ..event(ActivityKind::SessionEnded)
    };
    assert_eq!(i18n::activity(En, &unknown_reason, 1), "Signed out");
    let added = ActivityEvent {
        passkey_name: Some("노트북".into()),
        ..event(ActivityKind::PasskeyAdded)
    };
    assert_eq!(i18n::activity(En, &added, 1), "Passkey “노트북” added");
    // Every kind has its words in both languages, an unknown method too.
    let kinds = [
        ActivityKind::UserCreated,
        ActivityKind::SignedIn,
        ActivityKind::SignInRefused,
        ActivityKind::NewSignInAlert,
        ActivityKind::NotMe,
        ActivityKind::SessionEnded,
        ActivityKind::PasswordChanged,
        ActivityKind::PasswordReset,
        ActivityKind::EmailChanged,
        ActivityKind::TotpEnabled,
        ActivityKind::TotpDisabled,
        ActivityKind::RecoveryCodesReplaced,
        ActivityKind::PasskeyAdded,
        ActivityKind::PasskeyRemoved,
        ActivityKind::AccountDisabled,
        ActivityKind::AccountEnabled,
    ];
    i18n::take_faults();
    for lang in Locale::ALL {
        for kind in kinds {
            let e = ActivityEvent {
                method: Some("carrier_pigeon".into()),
                passkey_name: Some("key".into()),
                ..event(kind)
            };
            assert_language(lang, &i18n::activity(lang, &e, 2), &format!("{kind:?}"));
        }
        for reason in [
            "logout",
            "revoked",
            "logout_all",
            "reuse",
            "password",
            "operator",
            "not_me",
        ] {
            let e = ActivityEvent {
                reason: Some(reason.into()),
                ..event(ActivityKind::SessionEnded)
            };
            assert_language(lang, &i18n::activity(lang, &e, 1), reason);
        }
        for n in [0, 1, 5] {
            assert_language(lang, &i18n::not_me_done(lang, n), "not_me_done");
        }
        assert_language(
            lang,
            &i18n::login_code_sent(lang, "a@b.co"),
            "login_code_sent",
        );
        assert_language(lang, &i18n::last_used_at(lang, "x"), "last_used_at");
    }
    assert_eq!(i18n::take_faults(), Vec::<String>::new());
}

#[test]
fn kind_names_are_the_wire_names() {
    for kind in [
        ActivityKind::UserCreated,
        ActivityKind::SignInRefused,
        ActivityKind::RecoveryCodesReplaced,
    ] {
        let wire = serde_json::to_value(kind).unwrap();
        assert_eq!(wire.as_str(), Some(frontend::activity::kind_name(kind)));
    }
}

#[test]
fn refused_sign_ins_in_a_row_are_one_entry() {
    let signed_in = event(ActivityKind::SignedIn);
    let other_address = ActivityEvent {
        ip: "198.51.100.1".into(),
        ..refused("password")
    };
    let events = vec![
        refused("password"),
        refused("password"),
        refused("password"),
        refused("totp"),
        signed_in.clone(),
        refused("password"),
        other_address,
    ];
    let rows = group(&events);
    let counts: Vec<_> = rows.iter().map(|r| (r.event.kind, r.count)).collect();
    assert_eq!(
        counts,
        vec![
            (ActivityKind::SignInRefused, 3),
            (ActivityKind::SignInRefused, 1),
            (ActivityKind::SignedIn, 1),
            (ActivityKind::SignInRefused, 1),
            (ActivityKind::SignInRefused, 1),
        ]
    );
    assert!(group(&[]).is_empty());
    // "This wasn't me" on another session's sign-in only.
    assert!(offers_not_me(&signed_in));
    let mine = ActivityEvent {
        current_session: true,
        ..signed_in
    };
    assert!(!offers_not_me(&mine));
    assert!(!offers_not_me(&refused("password")));
}

#[test]
fn every_account_path_has_its_navigation_entry() {
    assert_eq!(Section::of("/"), Some(Section::Overview));
    assert_eq!(Section::of("/devices"), Some(Section::Devices));
    assert_eq!(Section::of("/activity"), Some(Section::Activity));
    assert_eq!(Section::of("/settings"), Some(Section::Settings));
    assert_eq!(Section::of("/settings/email"), Some(Section::Settings));
    assert_eq!(Section::of("/settings/security"), Some(Section::Security));
    assert_eq!(
        Section::of("/settings/security/recovery"),
        Some(Section::Security)
    );
    assert_eq!(Section::of("/settingsx"), None);
    assert_eq!(Section::of("/login"), None);
    for section in Section::ALL {
        assert_eq!(Section::of(section.href()), Some(section));
    }
}

fn problem(code: ErrorCode, errors: Option<Vec<FieldError>>) -> Problem {
    Problem {
        type_: "about:blank".into(),
        title: String::new(),
        status: 422,
        detail: String::new(),
        code,
        errors,
        attempts_left: None,
        retry_after: None,
    }
}

#[test]
fn a_missing_step_up_is_told_from_other_refusals() {
    let required = |field: &str| FieldError {
        field: field.into(),
        code: ErrorCode::Required,
        message: String::new(),
    };
    assert!(form::asks_for_step_up(&problem(
        ErrorCode::ValidationFailed,
        Some(vec![required("password")])
    )));
    assert!(form::asks_for_step_up(&problem(
        ErrorCode::ValidationFailed,
        Some(vec![required("code")])
    )));
    assert!(!form::asks_for_step_up(&problem(
        ErrorCode::ValidationFailed,
        Some(vec![required("name")])
    )));
    assert!(!form::asks_for_step_up(&problem(
        ErrorCode::InvalidCredentials,
        None
    )));
    let checked = form::check_step_up("", true, "12");
    assert_eq!(
        checked.get(Field::Password),
        Some(&Issue::Rule(ErrorCode::Required))
    );
    assert!(checked.get(Field::Code).is_some());
    assert!(form::check_step_up("pw", false, "").is_empty());
    assert!(form::check_step_up("pw", true, "123456").is_empty());
}

#[test]
fn sign_in_by_code_checks_address_and_code() {
    assert!(form::check_login_code_request("gildong@example.com").is_empty());
    assert!(form::check_login_code_request(" gildong@example.com ").is_empty());
    assert!(form::check_login_code_request("not an address")
        .get(Field::Email)
        .is_some());
    assert!(form::check_login_code("gildong@example.com", "042917").is_empty());
    assert!(form::check_login_code("gildong@example.com", "42")
        .get(Field::Code)
        .is_some());
}
