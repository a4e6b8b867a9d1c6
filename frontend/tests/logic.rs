//! Pure client logic: the i18n tables, the form checks and the problem-to-field mapping.
//! Run in headless Chromium (see the crate README section in the report / justfile).

use frontend::api::{parse_retry_after, with_retry_after, ApiError};
use frontend::form::{
    check_email_auth, check_login, check_register, check_reset_confirm, check_reset_request,
    feedback, seconds_left, Alert, Field, FieldErrors, Issue, ResetInput, SignupInput,
};
use frontend::i18n::{self, Notice, T};
use shared::Locale;
use shared::{rules, ErrorCode, FieldError, Problem};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Every variant of `ErrorCode` (derived in `shared`: a new code is here at once).
fn all_error_codes() -> Vec<ErrorCode> {
    ErrorCode::all().collect()
}

const ALL_T: [T; 56] = [
    T::AppName,
    T::Language,
    T::SignupTitle,
    T::SignupLead,
    T::LoginTitle,
    T::LoginLead,
    T::HomeTitle,
    T::ShowPassword,
    T::HidePassword,
    T::VerifyEmail,
    T::Sending,
    T::Resend,
    T::SignUp,
    T::SigningUp,
    T::LogIn,
    T::LoggingIn,
    T::LogOut,
    T::HaveAccount,
    T::NoAccount,
    T::CodeExpiredHint,
    T::Loading,
    T::Retry,
    T::NotFoundTitle,
    T::GoHome,
    T::ProfileUsername,
    T::ProfileEmail,
    T::ProfileNickname,
    T::ForgotPassword,
    T::ResetTitle,
    T::ResetLead,
    T::SendResetCode,
    T::ChangePassword,
    T::ChangingPassword,
    T::RememberedPassword,
    T::LogOutEverywhere,
    T::LoggingOutEverywhere,
    T::Devices,
    T::DevicesLead,
    T::ThisDevice,
    T::EndSession,
    T::EndingSession,
    T::LastUsed,
    T::UnknownBrowser,
    T::Settings,
    T::SettingsLead,
    T::BackToAccount,
    T::ChangePasswordTitle,
    T::ChangePasswordLead,
    T::ChangeEmailTitle,
    T::ChangeEmailLead,
    T::SendEmailCode,
    T::ConfirmEmailChange,
    T::ChangingEmail,
    T::DeleteAccountTitle,
    T::DeleteAccount,
    T::DeletingAccount,
];

fn has_hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// Korean text is Korean, English text has no Hangul: catches swapped or missing pairs.
fn assert_language(lang: Locale, text: &str, what: &str) {
    assert!(!text.trim().is_empty(), "{what}: empty in {lang:?}");
    match lang {
        Locale::Ko => assert!(
            has_hangul(text),
            "{what}: Korean text without Hangul: {text}"
        ),
        Locale::En => assert!(
            !has_hangul(text),
            "{what}: English text with Hangul: {text}"
        ),
    }
}

#[wasm_bindgen_test]
fn every_error_code_has_a_distinct_message_in_both_languages() {
    let codes = all_error_codes();
    for lang in Locale::ALL {
        let mut seen = std::collections::HashSet::new();
        for code in &codes {
            let text = i18n::error_message(lang, *code);
            assert_language(lang, &text, code.as_str());
            assert!(
                seen.insert(text.clone()),
                "{code} shares its {lang:?} message: {text}"
            );
        }
    }
}

#[wasm_bindgen_test]
fn every_static_text_notice_label_and_hint_exists_in_both_languages() {
    for lang in Locale::ALL {
        for key in ALL_T {
            assert_language(lang, &i18n::t(lang, key), &format!("{key:?}"));
        }
        for notice in [
            Notice::Registered,
            Notice::SessionExpired,
            Notice::LoggedOut,
            Notice::LoggedOutEverywhere,
            Notice::PasswordChanged,
            Notice::PasswordChangedHere,
            Notice::EmailChanged,
            Notice::AccountDeleted,
        ] {
            assert_language(lang, &i18n::notice(lang, &notice), &format!("{notice:?}"));
        }
        for field in Field::ALL {
            assert_language(lang, &i18n::label(lang, field), &format!("label {field:?}"));
            if !field.is_confirmation() {
                assert_language(lang, &i18n::hint(lang, field), &format!("hint {field:?}"));
            }
        }
        for alert in [
            Alert::FixFields,
            Alert::Network,
            Alert::Server { status: 502 },
        ] {
            assert_language(
                lang,
                &i18n::alert_message(lang, &alert),
                &format!("{alert:?}"),
            );
        }
    }
}

#[wasm_bindgen_test]
fn hints_and_length_messages_quote_the_shared_limits() {
    let hint = i18n::hint(Locale::En, Field::Username);
    for limit in [rules::USERNAME_MIN_LEN, rules::USERNAME_MAX_LEN] {
        assert!(hint.contains(&limit.to_string()), "{hint}");
    }
    let short = format!("{}자 이상 입력해 주세요.", rules::PASSWORD_MIN_LEN);
    let long = format!("Use at most {} characters.", rules::NICKNAME_MAX_LEN);
    for (lang, field, code, expected) in [
        (Locale::Ko, Field::Password, ErrorCode::TooShort, short),
        (Locale::En, Field::Nickname, ErrorCode::TooLong, long),
    ] {
        let message = i18n::issue_message(lang, field, &Issue::Rule(code));
        assert_eq!(message, expected);
    }
}

#[wasm_bindgen_test]
fn wrong_code_messages_carry_the_attempts_left() {
    let wrong =
        |lang, n| i18n::issue_message(lang, Field::Code, &Issue::WrongCode { attempts_left: n });
    assert_eq!(
        wrong(Locale::En, Some(3)),
        "That code is not correct. 3 attempts left."
    );
    assert_eq!(
        wrong(Locale::En, Some(1)),
        "That code is not correct. 1 attempt left."
    );
    assert!(wrong(Locale::En, Some(0)).contains("request a new code"));
    assert_eq!(
        wrong(Locale::Ko, Some(4)),
        "인증 코드가 일치하지 않습니다. 남은 시도: 4회"
    );
    assert_eq!(
        wrong(Locale::Ko, None),
        i18n::error_message(Locale::Ko, ErrorCode::InvalidCode)
    );
}

#[wasm_bindgen_test]
fn greetings_times_and_waits() {
    assert_eq!(i18n::welcome(Locale::Ko, "길동"), "길동님 환영합니다");
    assert_eq!(i18n::welcome(Locale::En, "Gildong"), "Welcome, Gildong");
    assert_eq!(i18n::clock(600), "10:00");
    assert_eq!(i18n::clock(65), "1:05");
    assert_eq!(i18n::duration(Locale::Ko, 125), "2분 5초");
    assert_eq!(i18n::duration(Locale::En, 45), "45 s");
    assert_eq!(i18n::duration(Locale::Ko, 86_399), "23시간 59분");
    assert_eq!(i18n::duration(Locale::En, 86_399), "23 h 59 min");
    let alert = Alert::Api {
        code: ErrorCode::ResendCooldown,
        retry_after: Some(42),
    };
    assert!(i18n::alert_message(Locale::Ko, &alert).ends_with("42초 후에 다시 시도해 주세요."));
}

#[wasm_bindgen_test]
fn language_follows_the_browser_with_korean_as_default() {
    assert_eq!(Locale::negotiate(["en-US", "ko"]), Locale::En);
    assert_eq!(Locale::negotiate(["fr-FR", "ko-KR", "en"]), Locale::Ko);
    assert_eq!(Locale::negotiate(["fr-FR", "EN_gb"]), Locale::En);
    assert_eq!(Locale::negotiate(["de", "ja"]), Locale::Ko);
    assert_eq!(Locale::negotiate([]), Locale::Ko);
}

fn valid_input() -> SignupInput {
    SignupInput {
        username: "hong_gildong".into(),
        password: "correct horse battery".into(),
        password_confirm: "correct horse battery".into(),
        nickname: "  홍 길동 ".into(),
        email: " gildong@example.com ".into(),
        code: "042917".into(),
    }
}

fn issue(errors: &FieldErrors, field: Field) -> Option<Issue> {
    errors.get(field).cloned()
}

/// Asserts that `found` says `issue` at each of its fields.
fn assert_issues(found: &FieldErrors, expected: &[(Field, Issue)]) {
    for (field, issue_there) in expected {
        assert_eq!(
            issue(found, *field).as_ref(),
            Some(issue_there),
            "{field:?}"
        );
    }
}

/// Asserts that `found` (the checks of an empty form) says "required" at each of `fields`.
fn assert_required(found: &FieldErrors, fields: &[Field]) {
    let required = fields
        .iter()
        .map(|&f| (f, Issue::Rule(ErrorCode::Required)));
    assert_issues(found, &required.collect::<Vec<_>>());
}

#[wasm_bindgen_test]
fn email_auth_checks_use_the_shared_rules() {
    let input = valid_input();
    assert!(check_email_auth(&input).is_empty());
    assert_eq!(input.nickname(), "홍 길동");
    assert_eq!(input.email(), "gildong@example.com");

    let empty = check_email_auth(&SignupInput::default());
    assert_required(&empty, &[Field::Username, Field::Nickname, Field::Email]);
    assert_eq!(
        issue(&empty, Field::Password),
        None,
        "password is not part of this step"
    );

    let bad = SignupInput {
        username: "ab".into(),
        nickname: "a  b".into(),
        email: "no-at-sign".into(),
        ..valid_input()
    };
    let found = check_email_auth(&bad);
    assert_issues(
        &found,
        &[
            (Field::Username, Issue::Rule(ErrorCode::TooShort)),
            (Field::Nickname, Issue::Rule(ErrorCode::InvalidCharacters)),
            (Field::Email, Issue::Rule(ErrorCode::InvalidFormat)),
        ],
    );
    assert_eq!(found.first(), Some(Field::Username));
}

#[wasm_bindgen_test]
fn register_checks_password_confirmation_and_code() {
    assert!(check_register(&valid_input(), true).is_empty());

    let not_requested = check_register(&valid_input(), false);
    assert_eq!(
        issue(&not_requested, Field::Email),
        Some(Issue::VerifyFirst)
    );
    assert_eq!(issue(&not_requested, Field::Code), None);

    // One thing off at a time (the password, its confirmation, the code).
    let with = |password: &str, confirm: &str, code: &str| {
        let input = SignupInput {
            password: password.into(),
            password_confirm: confirm.into(),
            code: code.into(),
            ..valid_input()
        };
        check_register(&input, true)
    };
    let (pass, code) = ("correct horse battery", "042917");
    let mismatch = with(pass, "something else", code);
    assert_issues(
        &mismatch,
        &[(Field::PasswordConfirm, Issue::PasswordMismatch)],
    );
    assert_eq!(mismatch.first(), Some(Field::PasswordConfirm));
    let same_as_username = with("Hong_Gildong", "Hong_Gildong", code);
    let short_code = with(pass, pass, " 12345 ");
    for (found, field, rule) in [
        (same_as_username, Field::Password, ErrorCode::WeakPassword),
        (short_code, Field::Code, ErrorCode::InvalidFormat),
    ] {
        assert_issues(&found, &[(field, Issue::Rule(rule))]);
    }
    assert_eq!(
        SignupInput {
            code: " 042917\n".into(),
            ..valid_input()
        }
        .code(),
        "042917"
    );
}

#[wasm_bindgen_test]
fn login_checks_only_presence() {
    assert!(
        check_login("a", "b").is_empty(),
        "login must not apply signup rules"
    );
    let found = check_login("  ", "");
    assert_required(&found, &[Field::Username, Field::Password]);
}

fn problem(status: u16, code: ErrorCode) -> Problem {
    Problem {
        type_: "about:blank".into(),
        title: "t".into(),
        status,
        detail: "d".into(),
        code,
        errors: None,
        attempts_left: None,
        retry_after: None,
    }
}

fn field_error(field: &str, code: ErrorCode) -> FieldError {
    FieldError {
        field: field.into(),
        code,
        message: "m".into(),
    }
}

#[wasm_bindgen_test]
fn validation_problems_go_next_to_their_fields() {
    let p = Problem {
        errors: Some(vec![
            field_error("password", ErrorCode::WeakPassword),
            field_error("username", ErrorCode::TooShort),
            field_error("locale", ErrorCode::InvalidFormat),
        ]),
        ..problem(422, ErrorCode::ValidationFailed)
    };
    let fb = feedback(&p);
    assert_eq!(
        issue(&fb.fields, Field::Password),
        Some(Issue::Rule(ErrorCode::WeakPassword))
    );
    assert_eq!(
        issue(&fb.fields, Field::Username),
        Some(Issue::Rule(ErrorCode::TooShort))
    );
    assert_eq!(fb.fields.first(), Some(Field::Username));
    assert_eq!(fb.alert, Some(Alert::FixFields));
}

#[wasm_bindgen_test]
fn wrong_and_expired_codes_go_to_the_code_field() {
    // As the backend sends it, with errors[] …
    let json = r#"{"type":"about:blank","title":"Invalid verification code","status":400,
        "detail":"The code does not match. 4 attempts left.","code":"invalid_code",
        "errors":[{"field":"code","code":"invalid_code","message":"The code does not match."}],
        "attempts_left":4}"#;
    let p: Problem = serde_json::from_str(json).expect("problem body");
    let fb = feedback(&p);
    assert_eq!(
        issue(&fb.fields, Field::Code),
        Some(Issue::WrongCode {
            attempts_left: Some(4)
        })
    );
    assert_eq!(fb.alert, None);

    // … and without.
    let bare = Problem {
        attempts_left: Some(2),
        ..problem(400, ErrorCode::InvalidCode)
    };
    assert_eq!(
        issue(&feedback(&bare).fields, Field::Code),
        Some(Issue::WrongCode {
            attempts_left: Some(2)
        })
    );
    let expired = feedback(&problem(400, ErrorCode::CodeExpired));
    assert_eq!(
        issue(&expired.fields, Field::Code),
        Some(Issue::Rule(ErrorCode::CodeExpired))
    );
    assert_eq!(expired.alert, None);
}

#[wasm_bindgen_test]
fn conflicts_mark_the_taken_field() {
    for (code, field) in [
        (ErrorCode::UsernameTaken, Field::Username),
        (ErrorCode::NicknameTaken, Field::Nickname),
        (ErrorCode::EmailTaken, Field::Email),
    ] {
        let fb = feedback(&problem(409, code));
        assert_eq!(issue(&fb.fields, field), Some(Issue::Rule(code)), "{code}");
        assert_eq!(fb.alert, None, "{code}");
    }
}

#[wasm_bindgen_test]
fn other_problems_become_the_form_alert() {
    let cooldown = Problem {
        retry_after: Some(42),
        ..problem(429, ErrorCode::ResendCooldown)
    };
    let fb = feedback(&cooldown);
    assert!(fb.fields.is_empty());
    assert_eq!(
        fb.alert,
        Some(Alert::Api {
            code: ErrorCode::ResendCooldown,
            retry_after: Some(42)
        })
    );
    let creds = feedback(&problem(401, ErrorCode::InvalidCredentials));
    assert_eq!(
        creds.alert,
        Some(Alert::Api {
            code: ErrorCode::InvalidCredentials,
            retry_after: None
        })
    );
}

#[wasm_bindgen_test]
fn retry_after_header_fills_in_for_the_body() {
    assert_eq!(parse_retry_after(" 60 "), Some(60));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    let p = with_retry_after(problem(429, ErrorCode::TooManyCodes), Some(300));
    assert_eq!(p.retry_after, Some(300));
    let body_wins = Problem {
        retry_after: Some(5),
        ..problem(429, ErrorCode::ResendCooldown)
    };
    assert_eq!(with_retry_after(body_wins, Some(300)).retry_after, Some(5));
}

#[wasm_bindgen_test]
fn only_refused_tokens_end_the_session() {
    assert!(ApiError::Problem(problem(401, ErrorCode::InvalidToken)).is_unauthorized());
    assert!(ApiError::Unexpected { status: 401 }.is_unauthorized());
    assert!(!ApiError::Network.is_unauthorized());
    assert!(!ApiError::Problem(problem(503, ErrorCode::ServiceUnavailable)).is_unauthorized());
}

#[wasm_bindgen_test]
fn countdowns_round_up_and_stop_at_zero() {
    assert_eq!(seconds_left(10_500.0, 0.0), 11);
    assert_eq!(seconds_left(60_000.0, 0.0), 60);
    assert_eq!(seconds_left(1_000.0, 999.0), 1);
    assert_eq!(seconds_left(1_000.0, 1_000.0), 0);
    assert_eq!(seconds_left(0.0, 5_000.0), 0);
    assert_eq!(seconds_left(f64::NAN, 0.0), 0);
}

#[wasm_bindgen_test]
fn field_names_match_the_request_bodies() {
    let body = serde_json::to_value(shared::RegisterRequest {
        username: String::new(),
        password: String::new(),
        nickname: String::new(),
        email: String::new(),
        code: String::new(),
    })
    .unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let reset = serde_json::to_value(shared::PasswordResetConfirm {
        email: String::new(),
        code: String::new(),
        new_password: String::new(),
        keep_second_factors: false,
    })
    .unwrap();
    let change = serde_json::to_value(shared::PasswordChangeRequest {
        current_password: String::new(),
        new_password: String::new(),
    })
    .unwrap();
    let email_change = serde_json::to_value(shared::EmailChangeRequest {
        new_email: String::new(),
        password: String::new(),
    })
    .unwrap();
    // The second step's codes and a new passkey's name.
    let mfa = serde_json::to_value(shared::LoginMfaRequest {
        mfa_token: String::new(),
        code: Some(String::new()),
        recovery_code: Some(String::new()),
        passkey: None,
    })
    .unwrap();
    let passkey = serde_json::to_value(shared::PasskeyRegisterFinish {
        challenge_id: String::new(),
        name: String::new(),
        credential: serde_json::Value::Null,
    })
    .unwrap();
    let keys: Vec<&str> = keys
        .into_iter()
        .chain(mfa.as_object().unwrap().keys().map(String::as_str))
        .chain(passkey.as_object().unwrap().keys().map(String::as_str))
        .chain(reset.as_object().unwrap().keys().map(String::as_str))
        .chain(change.as_object().unwrap().keys().map(String::as_str))
        .chain(email_change.as_object().unwrap().keys().map(String::as_str))
        .collect();
    for field in Field::ALL {
        let sent = keys.contains(&field.name());
        assert_eq!(sent, !field.is_confirmation(), "{field:?}");
        if sent {
            assert_eq!(Field::from_wire(field.name()), Some(field));
        }
    }
    assert_eq!(Field::from_wire("password_confirm"), None);
    assert_eq!(Field::from_wire("new_password_confirm"), None);
}

fn valid_reset() -> ResetInput {
    ResetInput {
        email: " gildong@example.com ".into(),
        code: " 042917 ".into(),
        new_password: "a new long passphrase".into(),
        new_password_confirm: "a new long passphrase".into(),
    }
}

#[wasm_bindgen_test]
fn reset_request_checks_only_the_email() {
    assert!(check_reset_request(&valid_reset()).is_empty());
    let empty = check_reset_request(&ResetInput::default());
    assert_eq!(
        issue(&empty, Field::Email),
        Some(Issue::Rule(ErrorCode::Required))
    );
    assert_eq!(
        issue(&empty, Field::NewPassword),
        None,
        "the password is not part of this step"
    );
    let bad = check_reset_request(&ResetInput {
        email: "gildong@@example.com".into(),
        ..valid_reset()
    });
    assert_eq!(
        issue(&bad, Field::Email),
        Some(Issue::Rule(ErrorCode::InvalidFormat))
    );
}

#[wasm_bindgen_test]
fn reset_confirm_checks_code_new_password_and_confirmation() {
    let input = valid_reset();
    assert!(check_reset_confirm(&input).is_empty());
    assert_eq!(input.email(), "gildong@example.com");
    assert_eq!(input.code(), "042917");

    let empty = check_reset_confirm(&ResetInput::default());
    let fields = [
        Field::Email,
        Field::Code,
        Field::NewPassword,
        Field::NewPasswordConfirm,
    ];
    assert_required(&empty, &fields);
    assert_eq!(empty.first(), Some(Field::Email));

    // One thing off at a time (the new password, its confirmation, the code): what the check
    // says at `field`.
    let with = |new_password: &str, confirm: &str, code: &str| {
        check_reset_confirm(&ResetInput {
            new_password: new_password.into(),
            new_password_confirm: confirm.into(),
            code: code.into(),
            ..valid_reset()
        })
    };
    let (pass, code) = ("a new long passphrase", " 042917 ");
    // The email's local part (case-insensitively) makes the password weak; the username is
    // unknown on this page and left to the server.
    let weak = "my GilDong password";
    let mismatch = with(pass, "a new long passphrasE", code);
    let rule = |code| Some(Issue::Rule(code));
    for (found, field, expected) in [
        (
            with("short", "short", code),
            Field::NewPassword,
            rule(ErrorCode::TooShort),
        ),
        (
            with(weak, weak, code),
            Field::NewPassword,
            rule(ErrorCode::WeakPassword),
        ),
        (
            mismatch.clone(),
            Field::NewPasswordConfirm,
            Some(Issue::PasswordMismatch),
        ),
        (mismatch, Field::NewPassword, None),
        (
            with(pass, pass, "12a456"),
            Field::Code,
            rule(ErrorCode::InvalidFormat),
        ),
    ] {
        assert_eq!(issue(&found, field), expected, "{field:?}");
    }
    assert_eq!(
        with("short", "short", code).first(),
        Some(Field::NewPassword)
    );
}

#[wasm_bindgen_test]
fn reset_problems_go_next_to_the_new_password_and_code() {
    for code in [
        ErrorCode::TooShort,
        ErrorCode::TooLong,
        ErrorCode::WeakPassword,
        ErrorCode::CommonPassword,
    ] {
        let p = Problem {
            errors: Some(vec![field_error("new_password", code)]),
            ..problem(422, ErrorCode::ValidationFailed)
        };
        let fb = feedback(&p);
        assert_eq!(
            issue(&fb.fields, Field::NewPassword),
            Some(Issue::Rule(code)),
            "{code}"
        );
        assert_eq!(fb.fields.first(), Some(Field::NewPassword));
        assert_eq!(fb.alert, Some(Alert::FixFields));
    }
    let wrong = Problem {
        attempts_left: Some(3),
        ..problem(400, ErrorCode::InvalidCode)
    };
    assert_eq!(
        issue(&feedback(&wrong).fields, Field::Code),
        Some(Issue::WrongCode {
            attempts_left: Some(3)
        })
    );
    // The limits quoted next to the new password are the shared ones.
    assert_eq!(
        i18n::issue_message(
            Locale::En,
            Field::NewPassword,
            &Issue::Rule(ErrorCode::TooShort)
        ),
        format!("Use at least {} characters.", rules::PASSWORD_MIN_LEN)
    );
    assert_eq!(
        i18n::issue_message(
            Locale::Ko,
            Field::NewPassword,
            &Issue::Rule(ErrorCode::CommonPassword)
        ),
        i18n::error_message(Locale::Ko, ErrorCode::CommonPassword)
    );
    assert_eq!(
        i18n::issue_message(
            Locale::Ko,
            Field::NewPasswordConfirm,
            &Issue::PasswordMismatch
        ),
        "비밀번호가 일치하지 않습니다."
    );
}

#[wasm_bindgen_test]
fn login_throttling_says_how_long_to_wait() {
    let throttled = Problem {
        retry_after: Some(600),
        ..problem(429, ErrorCode::TooManyAttempts)
    };
    let fb = feedback(&throttled);
    assert!(fb.fields.is_empty(), "not a field's fault");
    let alert = fb.alert.expect("an alert");
    assert_eq!(
        i18n::alert_message(Locale::Ko, &alert),
        "이 계정에 로그인 실패가 너무 많아 잠시 로그인할 수 없습니다. 10분 후에 다시 시도해 주세요."
    );
    assert_eq!(
        i18n::alert_message(Locale::En, &alert),
        "Too many failed log-ins for this account, so logging in is paused. Try again in 10 min."
    );
    let limited = Alert::Api {
        code: ErrorCode::RateLimited,
        retry_after: Some(3),
    };
    assert_eq!(
        i18n::alert_message(Locale::En, &limited),
        "Too many requests from your connection. Try again in 3 s."
    );
    // Without a wait, the plain message (which says to wait a moment) stands alone.
    let unknown = Alert::Api {
        code: ErrorCode::TooManyAttempts,
        retry_after: None,
    };
    assert_eq!(
        i18n::alert_message(Locale::Ko, &unknown),
        i18n::error_message(Locale::Ko, ErrorCode::TooManyAttempts)
    );
    // Every code gets a message with its wait in both languages, never a doubled "wait".
    for code in ErrorCode::all() {
        for lang in Locale::ALL {
            let text = i18n::alert_message(
                lang,
                &Alert::Api {
                    code,
                    retry_after: Some(90),
                },
            );
            assert_language(lang, &text, code.as_str());
            let wait = i18n::retry_in(lang, 90);
            assert!(text.ends_with(&wait), "{text}");
            assert_eq!(text.matches("잠시 후").count(), 0, "{text}");
            assert_eq!(text.matches("in a moment").count(), 0, "{text}");
        }
    }
}

#[wasm_bindgen_test]
fn reset_and_logout_everywhere_texts() {
    let ko = i18n::reset_code_sent(Locale::Ko, "gildong@example.com");
    assert!(
        ko.contains("gildong@example.com") && ko.contains("재설정 코드"),
        "{ko}"
    );
    let en = i18n::reset_code_sent(Locale::En, "gildong@example.com");
    assert!(en.starts_with("If gildong@example.com"), "{en}");
    assert!(i18n::notice(Locale::Ko, &Notice::PasswordChanged)
        .starts_with("비밀번호가 변경되었습니다. 모든 기기에서 로그아웃되었습니다"));
    assert_eq!(
        i18n::t(Locale::Ko, T::ForgotPassword),
        "비밀번호를 잊으셨나요?"
    );
    assert_eq!(i18n::t(Locale::En, T::SendResetCode), "Send reset code");
    assert_eq!(
        i18n::t(Locale::Ko, T::LogOutEverywhere),
        "모든 기기에서 로그아웃"
    );
}

#[wasm_bindgen_test]
fn refreshes_are_scheduled_before_expiry() {
    use frontend::session::refresh_delay;
    use std::time::Duration;
    for (expires_in, delay) in [
        // A minute early for the 15-minute default…
        (900, 840),
        // …a fifth early for short tokens, never sooner than a second.
        (5, 4),
        (1, 1),
        (0, 1),
    ] {
        assert_eq!(
            refresh_delay(expires_in),
            Duration::from_secs(delay),
            "{expires_in}"
        );
    }
    // A timer cannot wait longer than 2^31 - 1 ms.
    assert_eq!(
        refresh_delay(u64::MAX / 2),
        Duration::from_millis(2_147_483_647)
    );
}

#[wasm_bindgen_test]
fn user_agents_get_readable_names() {
    use frontend::session::describe_user_agent;
    let chrome_linux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                        Chrome/120.0.0.0 Safari/537.36";
    assert_eq!(
        describe_user_agent(chrome_linux).as_deref(),
        Some("Chrome · Linux")
    );
    let edge_windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                        Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
    assert_eq!(
        describe_user_agent(edge_windows).as_deref(),
        Some("Edge · Windows")
    );
    let safari_iphone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                         (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    assert_eq!(
        describe_user_agent(safari_iphone).as_deref(),
        Some("Safari · iOS")
    );
    let firefox_mac =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.0; rv:121.0) Gecko/20100101 Firefox/121.0";
    assert_eq!(
        describe_user_agent(firefox_mac).as_deref(),
        Some("Firefox · macOS")
    );
    let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) \
                          Chrome/120.0.0.0 Mobile Safari/537.36";
    assert_eq!(
        describe_user_agent(chrome_android).as_deref(),
        Some("Chrome · Android")
    );
    assert_eq!(describe_user_agent("curl/8.5.0").as_deref(), Some("curl"));
    assert_eq!(describe_user_agent(""), None);
    assert_eq!(describe_user_agent("SomeBot/1.0"), None);
}

#[wasm_bindgen_test]
fn settings_forms_check_before_sending() {
    use frontend::form::{check_delete, check_email_change, check_password_change, Field, Issue};
    let ok = check_password_change(
        "old password!",
        "a brand new passphrase",
        "a brand new passphrase",
        "hong_gildong",
        "gildong@example.com",
    );
    assert!(ok.is_empty(), "{ok:?}");
    let bad = check_password_change("", "short", "other", "hong_gildong", "gildong@example.com");
    assert_eq!(
        bad.get(Field::CurrentPassword),
        Some(&Issue::Rule(ErrorCode::Required))
    );
    assert_eq!(
        bad.get(Field::NewPassword),
        Some(&Issue::Rule(ErrorCode::TooShort))
    );
    assert_eq!(
        bad.get(Field::NewPasswordConfirm),
        Some(&Issue::PasswordMismatch)
    );
    let mine = check_password_change(
        "x",
        "hong_gildong rocks 2024",
        "hong_gildong rocks 2024",
        "hong_gildong",
        "g@example.com",
    );
    assert!(
        mine.get(Field::NewPassword).is_some(),
        "the username is not allowed in it"
    );

    assert!(check_email_change(" new@example.com ", "pw").is_empty());
    let bad = check_email_change("not an address", "");
    assert!(bad.get(Field::NewEmail).is_some());
    assert_eq!(
        bad.get(Field::Password),
        Some(&Issue::Rule(ErrorCode::Required))
    );

    assert!(
        check_delete("Hong_Gildong", "hong_gildong", "pw").is_empty(),
        "usernames ignore case"
    );
    assert_eq!(
        check_delete("someone", "hong_gildong", "pw").get(Field::ConfirmUsername),
        Some(&Issue::NotThisAccount)
    );
    assert_eq!(
        check_delete(" ", "hong_gildong", "").get(Field::ConfirmUsername),
        Some(&Issue::Rule(ErrorCode::Required))
    );
    assert!(Field::ConfirmUsername.is_confirmation(), "never sent");
    assert_eq!(
        Field::from_wire("current_password"),
        Some(Field::CurrentPassword)
    );
    assert_eq!(Field::from_wire("new_email"), Some(Field::NewEmail));
    assert_eq!(Field::from_wire("confirm_username"), None);
}
