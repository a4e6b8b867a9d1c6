//! The mails, in Korean and English, as plain text and HTML. No user-supplied text is placed
//! in them, so there is nothing to escape.

use std::time::Duration;

use mongodb::bson::DateTime;
use shared::Locale;

use crate::domain::VerificationCode;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn html_page(lang: &str, heading: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><body style=\"font-family:system-ui,sans-serif;\
         color:#1f2937;max-width:480px;margin:auto;padding:24px\">\
         <h1 style=\"font-size:20px\">{heading}</h1>{body}</body></html>"
    )
}

pub fn code(code: &VerificationCode, valid_for: Duration, locale: Locale) -> Rendered {
    let minutes = valid_for.as_secs().div_ceil(60);
    let digits = code.expose();
    let code_html = format!(
        "<p style=\"font-size:32px;letter-spacing:8px;font-weight:700;font-family:monospace\">{digits}</p>"
    );
    match locale {
        Locale::Ko => Rendered {
            subject: "[이메일 인증] 인증 번호".into(),
            text: format!(
                "인증 번호: {digits}\n\n이 번호는 {minutes}분 동안 유효합니다.\n\
                 본인이 요청하지 않았다면 이 메일을 무시하세요. 누구에게도 번호를 알려 주지 마세요.\n"
            ),
            html: html_page(
                "ko",
                "이메일 인증 번호",
                &format!(
                    "{code_html}<p>이 번호는 {minutes}분 동안 유효합니다.</p>\
                     <p>본인이 요청하지 않았다면 이 메일을 무시하세요. 누구에게도 번호를 알려 주지 마세요.</p>"
                ),
            ),
        },
        Locale::En => Rendered {
            subject: "Your verification code".into(),
            text: format!(
                "Verification code: {digits}\n\nThe code is valid for {minutes} minutes.\n\
                 If you did not ask for it, ignore this mail. Never share the code with anyone.\n"
            ),
            html: html_page(
                "en",
                "Your verification code",
                &format!(
                    "{code_html}<p>The code is valid for {minutes} minutes.</p>\
                     <p>If you did not ask for it, ignore this mail. Never share the code with anyone.</p>"
                ),
            ),
        },
    }
}

pub fn reset_code(code: &VerificationCode, valid_for: Duration, locale: Locale) -> Rendered {
    let minutes = valid_for.as_secs().div_ceil(60);
    let digits = code.expose();
    let code_html = format!(
        "<p style=\"font-size:32px;letter-spacing:8px;font-weight:700;font-family:monospace\">{digits}</p>"
    );
    match locale {
        Locale::Ko => Rendered {
            subject: "[비밀번호 재설정] 인증 번호".into(),
            text: format!(
                "비밀번호 재설정 인증 번호: {digits}\n\n이 번호는 {minutes}분 동안 유효합니다.\n\
                 비밀번호를 바꾸면 모든 기기에서 로그아웃됩니다.\n\
                 본인이 요청하지 않았다면 이 메일을 무시하세요. 비밀번호는 바뀌지 않습니다.\n"
            ),
            html: html_page(
                "ko",
                "비밀번호 재설정 인증 번호",
                &format!(
                    "{code_html}<p>이 번호는 {minutes}분 동안 유효합니다. 비밀번호를 바꾸면 모든 기기에서 로그아웃됩니다.</p>\
                     <p>본인이 요청하지 않았다면 이 메일을 무시하세요. 비밀번호는 바뀌지 않습니다.</p>"
                ),
            ),
        },
        Locale::En => Rendered {
            subject: "Your password reset code".into(),
            text: format!(
                "Password reset code: {digits}\n\nThe code is valid for {minutes} minutes.\n\
                 Changing your password signs you out everywhere.\n\
                 If you did not ask for it, ignore this mail: your password stays as it is.\n"
            ),
            html: html_page(
                "en",
                "Your password reset code",
                &format!(
                    "{code_html}<p>The code is valid for {minutes} minutes. Changing your password signs you out everywhere.</p>\
                     <p>If you did not ask for it, ignore this mail: your password stays as it is.</p>"
                ),
            ),
        },
    }
}

pub fn email_change_code(code: &VerificationCode, valid_for: Duration, locale: Locale) -> Rendered {
    let minutes = valid_for.as_secs().div_ceil(60);
    let digits = code.expose();
    let code_html = format!(
        "<p style=\"font-size:32px;letter-spacing:8px;font-weight:700;font-family:monospace\">{digits}</p>"
    );
    match locale {
        Locale::Ko => Rendered {
            subject: "[이메일 변경] 인증 번호".into(),
            text: format!(
                "이메일 주소 변경 인증 번호: {digits}\n\n이 번호는 {minutes}분 동안 유효합니다.\n\
                 번호를 입력하면 계정의 이메일 주소가 이 주소로 바뀝니다.\n\
                 본인이 요청하지 않았다면 이 메일을 무시하세요. 누구에게도 번호를 알려 주지 마세요.\n"
            ),
            html: html_page(
                "ko",
                "이메일 주소 변경 인증 번호",
                &format!(
                    "{code_html}<p>이 번호는 {minutes}분 동안 유효합니다. 번호를 입력하면 계정의 이메일 주소가 이 주소로 바뀝니다.</p>\
                     <p>본인이 요청하지 않았다면 이 메일을 무시하세요. 누구에게도 번호를 알려 주지 마세요.</p>"
                ),
            ),
        },
        Locale::En => Rendered {
            subject: "Your email change code".into(),
            text: format!(
                "Email change code: {digits}\n\nThe code is valid for {minutes} minutes.\n\
                 Entering it moves your account to this address.\n\
                 If you did not ask for it, ignore this mail. Never share the code with anyone.\n"
            ),
            html: html_page(
                "en",
                "Your email change code",
                &format!(
                    "{code_html}<p>The code is valid for {minutes} minutes. Entering it moves your account to this address.</p>\
                     <p>If you did not ask for it, ignore this mail. Never share the code with anyone.</p>"
                ),
            ),
        },
    }
}

/// Sent instead of an email-change code when the new address already has an account.
pub fn email_change_taken(locale: Locale) -> Rendered {
    match locale {
        Locale::Ko => Rendered {
            subject: "[이메일 변경] 다른 계정이 이 주소로 옮기려 했습니다".into(),
            text: "누군가 다른 계정의 이메일 주소를 이 주소로 바꾸려 했습니다. 이 주소에는 이미 \
                   계정이 있으므로 아무것도 바뀌지 않았습니다.\n\
                   본인이 요청하지 않았다면 이 메일을 무시하세요.\n"
                .into(),
            html: html_page(
                "ko",
                "다른 계정이 이 주소로 옮기려 했습니다",
                "<p>누군가 다른 계정의 이메일 주소를 이 주소로 바꾸려 했습니다. 이 주소에는 이미 \
                 계정이 있으므로 아무것도 바뀌지 않았습니다.</p>\
                 <p>본인이 요청하지 않았다면 이 메일을 무시하세요.</p>",
            ),
        },
        Locale::En => Rendered {
            subject: "Someone tried to move an account to this address".into(),
            text: "Someone tried to change the email address of an account to this one. This \
                   address already has an account, so nothing was changed.\n\
                   If it wasn't you, ignore this mail.\n"
                .into(),
            html: html_page(
                "en",
                "Someone tried to move an account to this address",
                "<p>Someone tried to change the email address of an account to this one. This \
                 address already has an account, so nothing was changed.</p>\
                 <p>If it wasn't you, ignore this mail.</p>",
            ),
        },
    }
}

pub fn no_account(locale: Locale) -> Rendered {
    match locale {
        Locale::Ko => Rendered {
            subject: "[비밀번호 재설정] 가입된 계정이 없습니다".into(),
            text: "이 이메일 주소로 가입된 계정이 없어 비밀번호를 재설정할 수 없습니다.\n\
                   다른 주소로 가입했는지 확인해 주세요. 본인이 요청하지 않았다면 이 메일을 무시하세요.\n"
                .into(),
            html: html_page(
                "ko",
                "가입된 계정이 없습니다",
                "<p>이 이메일 주소로 가입된 계정이 없어 비밀번호를 재설정할 수 없습니다.</p>\
                 <p>다른 주소로 가입했는지 확인해 주세요. 본인이 요청하지 않았다면 이 메일을 무시하세요.</p>",
            ),
        },
        Locale::En => Rendered {
            subject: "No account for this address".into(),
            text: "There is no account with this email address, so no password was reset.\n\
                   Perhaps you signed up with another address. If you did not ask, ignore this mail.\n"
                .into(),
            html: html_page(
                "en",
                "No account for this address",
                "<p>There is no account with this email address, so no password was reset.</p>\
                 <p>Perhaps you signed up with another address. If you did not ask, ignore this mail.</p>",
            ),
        },
    }
}

pub fn account_exists(locale: Locale) -> Rendered {
    match locale {
        Locale::Ko => Rendered {
            subject: "[이메일 인증] 이미 가입된 주소입니다".into(),
            text: "이 이메일 주소로 이미 가입된 계정이 있습니다. 로그인해 주세요.\n\
                   본인이 요청하지 않았다면 이 메일을 무시하세요.\n"
                .into(),
            html: html_page(
                "ko",
                "이미 가입된 주소입니다",
                "<p>이 이메일 주소로 이미 가입된 계정이 있습니다. 로그인해 주세요.</p>\
                 <p>본인이 요청하지 않았다면 이 메일을 무시하세요.</p>",
            ),
        },
        Locale::En => Rendered {
            subject: "You already have an account".into(),
            text: "An account with this email address already exists. Please log in instead.\n\
                   If you did not ask for a code, ignore this mail.\n"
                .into(),
            html: html_page(
                "en",
                "You already have an account",
                "<p>An account with this email address already exists. Please log in instead.</p>\
                 <p>If you did not ask for a code, ignore this mail.</p>",
            ),
        },
    }
}

/// The mail of a security notice.
pub fn notice(notice: &super::Notice, at: DateTime, locale: Locale) -> Rendered {
    use super::Notice;
    let (ko_when, en_when) = (
        format!("{} (한국 시간)", minute_of(at, 9 * 60)),
        format!("{} UTC", minute_of(at, 0)),
    );
    let (subject, heading, lines): (String, String, Vec<String>) = match (notice, locale) {
        (Notice::PasswordChanged, _) => return password_changed(at, locale),
        (Notice::EmailChanged { new_email_masked }, Locale::Ko) => (
            "[이메일 변경] 계정의 이메일 주소가 변경되었습니다".into(),
            "이메일 주소가 변경되었습니다".into(),
            vec![
                format!("계정의 이메일 주소가 {ko_when}에 {new_email_masked}(으)로 변경되었습니다."),
                "본인이 변경하지 않았다면 고객 지원에 바로 알려 주세요.".into(),
            ],
        ),
        (Notice::EmailChanged { new_email_masked }, Locale::En) => (
            "Your email address was changed".into(),
            "Your email address was changed".into(),
            vec![
                format!("The email address of your account was changed to {new_email_masked} at {en_when}."),
                "If it wasn't you, contact support right away.".into(),
            ],
        ),
        (Notice::AccountDeleted, Locale::Ko) => (
            "[계정 삭제] 계정이 삭제되었습니다".into(),
            "계정이 삭제되었습니다".into(),
            vec![
                format!("계정이 {ko_when}에 삭제되었습니다. 그동안 이용해 주셔서 감사합니다."),
                "본인이 삭제하지 않았다면 고객 지원에 바로 알려 주세요.".into(),
            ],
        ),
        (Notice::AccountDeleted, Locale::En) => (
            "Your account was deleted".into(),
            "Your account was deleted".into(),
            vec![
                format!("Your account was deleted at {en_when}. Thank you for having been with us."),
                "If it wasn't you, contact support right away.".into(),
            ],
        ),
        (Notice::SecondFactorDisabled, Locale::Ko) => (
            "[2단계 인증 해제] 2단계 인증이 꺼졌습니다".into(),
            "2단계 인증이 꺼졌습니다".into(),
            vec![
                format!("계정의 2단계 인증이 {ko_when}에 꺼졌습니다."),
                "본인이 끄지 않았다면 비밀번호를 재설정하고 고객 지원에 알려 주세요.".into(),
            ],
        ),
        (Notice::SecondFactorDisabled, Locale::En) => (
            "Two-step verification was turned off".into(),
            "Two-step verification was turned off".into(),
            vec![
                format!("Two-step verification of your account was turned off at {en_when}."),
                "If it wasn't you, reset your password and contact support.".into(),
            ],
        ),
    };
    let lang = match locale {
        Locale::Ko => "ko",
        Locale::En => "en",
    };
    let html_body: String = lines.iter().map(|l| format!("<p>{l}</p>")).collect();
    Rendered {
        html: html_page(lang, &heading, &html_body),
        text: lines.join("\n\n") + "\n",
        subject,
    }
}

pub fn password_changed(at: DateTime, locale: Locale) -> Rendered {
    match locale {
        Locale::Ko => {
            // Korean readers get Korean time (UTC+9, no daylight saving).
            let when = format!("{} (한국 시간)", minute_of(at, 9 * 60));
            Rendered {
                subject: "[비밀번호 변경] 비밀번호가 변경되었습니다".into(),
                text: format!(
                    "계정의 비밀번호가 {when}에 변경되었습니다. 모든 기기에서 로그아웃되었습니다.\n\n\
                     본인이 변경했다면 이 메일을 무시하세요.\n\
                     본인이 변경하지 않았다면 지금 바로 이 이메일 주소로 비밀번호를 다시 재설정하고 \
                     고객 지원에 알려 주세요.\n"
                ),
                html: html_page(
                    "ko",
                    "비밀번호가 변경되었습니다",
                    &format!(
                        "<p>계정의 비밀번호가 {when}에 변경되었습니다. 모든 기기에서 로그아웃되었습니다.</p>\
                         <p>본인이 변경했다면 이 메일을 무시하세요.</p>\
                         <p><strong>본인이 변경하지 않았다면</strong> 지금 바로 이 이메일 주소로 \
                         비밀번호를 다시 재설정하고 고객 지원에 알려 주세요.</p>"
                    ),
                ),
            }
        }
        Locale::En => {
            let when = format!("{} UTC", minute_of(at, 0));
            Rendered {
                subject: "Your password was changed".into(),
                text: format!(
                    "The password of your account was changed at {when}, and you were signed out \
                     everywhere.\n\nIf it was you, ignore this mail.\n\
                     If it wasn't you, reset your password again right away with this email \
                     address, and contact support.\n"
                ),
                html: html_page(
                    "en",
                    "Your password was changed",
                    &format!(
                        "<p>The password of your account was changed at {when}, and you were \
                         signed out everywhere.</p><p>If it was you, ignore this mail.</p>\
                         <p><strong>If it wasn't you</strong>, reset your password again right \
                         away with this email address, and contact support.</p>"
                    ),
                ),
            }
        }
    }
}

/// `YYYY-MM-DD hh:mm` of `at` shifted by `offset_minutes` from UTC (proleptic Gregorian).
fn minute_of(at: DateTime, offset_minutes: i64) -> String {
    let minutes = at.timestamp_millis().div_euclid(60_000) + offset_minutes;
    let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_civil_dates_in_the_readers_zone() {
        // 2024-02-29T23:59:30Z, a leap day.
        let at = DateTime::from_millis(1_709_251_170_000);
        assert_eq!(minute_of(at, 0), "2024-02-29 23:59");
        assert_eq!(minute_of(at, 9 * 60), "2024-03-01 08:59");
        assert_eq!(minute_of(DateTime::from_millis(0), 0), "1970-01-01 00:00");
        assert_eq!(
            minute_of(DateTime::from_millis(4_102_444_800_000), 0),
            "2100-01-01 00:00"
        );
    }

    #[test]
    fn the_password_changed_notice_says_when_and_what_to_do_in_both_languages() {
        let at = DateTime::from_millis(1_709_251_170_000);
        let ko = password_changed(at, Locale::Ko);
        assert!(ko.subject.contains("비밀번호가 변경"), "{}", ko.subject);
        assert!(
            ko.text.contains("2024-03-01 08:59 (한국 시간)"),
            "{}",
            ko.text
        );
        assert!(ko.html.contains("2024-03-01 08:59") && ko.html.contains("lang=\"ko\""));
        assert!(ko.text.contains("재설정") && ko.text.contains("고객 지원"));
        let en = password_changed(at, Locale::En);
        assert_eq!(en.subject, "Your password was changed");
        assert!(en.text.contains("2024-02-29 23:59 UTC"), "{}", en.text);
        assert!(en.text.contains("reset your password again") && en.text.contains("support"));
        for r in [ko, en] {
            // No code-like run of digits a reader could mistake for a code.
            assert!(r
                .text
                .split(|c: char| !c.is_ascii_digit())
                .all(|run| run.len() < 6));
            assert!(r
                .html
                .split(|c: char| !c.is_ascii_digit())
                .all(|run| run.len() < 6));
        }
    }

    #[test]
    fn code_mails_carry_the_code_in_both_parts_and_languages() {
        let c = VerificationCode::parse("042917".into()).unwrap();
        for locale in [Locale::Ko, Locale::En] {
            for r in [
                code(&c, Duration::from_secs(600), locale),
                email_change_code(&c, Duration::from_secs(600), locale),
            ] {
                assert!(r.text.contains("042917") && r.html.contains("042917"));
                assert!(r.text.contains("10"));
            }
        }
        assert!(code(&c, Duration::from_secs(600), Locale::Ko)
            .text
            .contains("인증 번호"));
    }

    #[test]
    fn notices_carry_no_digits() {
        for locale in [Locale::Ko, Locale::En] {
            for r in [
                account_exists(locale),
                no_account(locale),
                email_change_taken(locale),
            ] {
                assert!(!r.text.chars().any(|c| c.is_ascii_digit()));
                let runs = r.html.split(|c: char| !c.is_ascii_digit());
                assert!(runs.into_iter().all(|run| run.len() < 6), "{}", r.html);
            }
        }
    }

    #[test]
    fn reset_mails_differ_from_signup_mails() {
        let c = VerificationCode::parse("042917".into()).unwrap();
        let signup = code(&c, Duration::from_secs(600), Locale::En);
        let reset = reset_code(&c, Duration::from_secs(600), Locale::En);
        assert_ne!(signup.subject, reset.subject);
        assert!(reset.text.contains("042917") && reset.html.contains("042917"));
    }
}
