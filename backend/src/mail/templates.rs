//! The mails, in Korean and English, as plain text and HTML: minijinja templates. The defaults
//! are embedded in the binary (`backend/templates/mail/<lang>/`, and `layout.html`, the HTML
//! frame of both languages); an operator overrides any of
//! them without recompiling by putting a file of the same name in `APP_MAIL_TEMPLATES_DIR`
//! (read at start-up). Every template is compiled and rendered with sample values at start-up,
//! so a broken override stops the server instead of a mail. In HTML templates every value is
//! escaped (minijinja escapes `.html` templates); a variable a template uses but is not given
//! is an error, never an empty hole.

use std::{collections::BTreeMap, path::Path, time::Duration};

use anyhow::Context;
use minijinja::{context, Environment, UndefinedBehavior, Value};
use mongodb::bson::DateTime;
use shared::Locale;

use super::Notice;
use crate::domain::{CodePurpose, VerificationCode};

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Every mail kind; each has `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html` per language.
pub const KINDS: [&str; 19] = [
    "code",
    "reset_code",
    "email_change_code",
    "email_change_taken",
    "no_account",
    "account_exists",
    "password_changed",
    "email_changed",
    "account_deleted",
    "second_factor_disabled",
    "second_factor_enabled",
    "passkey_added",
    "passkey_removed",
    "recovery_codes_replaced",
    "second_step_failing",
    "second_factors_removed",
    "sign_in_code",
    "sign_in_no_account",
    "new_sign_in",
];

macro_rules! embedded {
    ($($lang:literal / $file:literal),* $(,)?) => {
        &[$((concat!($lang, "/", $file), include_str!(concat!("../../templates/mail/", $lang, "/", $file)))),*]
    };
}

macro_rules! both_languages {
    ($($file:literal),* $(,)?) => {
        embedded!($("ko" / $file, "en" / $file),*)
    };
}

/// The HTML frame every HTML part extends (`lang` says the language).
const LAYOUT: (&str, &str) = (
    "layout.html",
    include_str!("../../templates/mail/layout.html"),
);

/// The built-in templates, by name.
const DEFAULTS: &[(&str, &str)] = both_languages!(
    "footer.txt",
    "code.subject.txt",
    "code.txt",
    "code.html",
    "reset_code.subject.txt",
    "reset_code.txt",
    "reset_code.html",
    "email_change_code.subject.txt",
    "email_change_code.txt",
    "email_change_code.html",
    "email_change_taken.subject.txt",
    "email_change_taken.txt",
    "email_change_taken.html",
    "no_account.subject.txt",
    "no_account.txt",
    "no_account.html",
    "account_exists.subject.txt",
    "account_exists.txt",
    "account_exists.html",
    "password_changed.subject.txt",
    "password_changed.txt",
    "password_changed.html",
    "email_changed.subject.txt",
    "email_changed.txt",
    "email_changed.html",
    "account_deleted.subject.txt",
    "account_deleted.txt",
    "account_deleted.html",
    "second_factor_disabled.subject.txt",
    "second_factor_disabled.txt",
    "second_factor_disabled.html",
    "second_factor_enabled.subject.txt",
    "second_factor_enabled.txt",
    "second_factor_enabled.html",
    "passkey_added.subject.txt",
    "passkey_added.txt",
    "passkey_added.html",
    "passkey_removed.subject.txt",
    "passkey_removed.txt",
    "passkey_removed.html",
    "recovery_codes_replaced.subject.txt",
    "recovery_codes_replaced.txt",
    "recovery_codes_replaced.html",
    "second_step_failing.subject.txt",
    "second_step_failing.txt",
    "second_step_failing.html",
    "second_factors_removed.subject.txt",
    "second_factors_removed.txt",
    "second_factors_removed.html",
    "sign_in_code.subject.txt",
    "sign_in_code.txt",
    "sign_in_code.html",
    "sign_in_no_account.subject.txt",
    "sign_in_no_account.txt",
    "sign_in_no_account.html",
    "new_sign_in.subject.txt",
    "new_sign_in.txt",
    "new_sign_in.html",
);

fn lang(locale: Locale) -> &'static str {
    match locale {
        Locale::Ko => "ko",
        Locale::En => "en",
    }
}

/// The compiled templates and the values every mail gets.
pub struct Templates {
    env: Environment<'static>,
    product: String,
    support_email: Option<String>,
}

impl Templates {
    /// The built-in templates, with the files of `overrides` (same relative names, e.g.
    /// `en/code.html`) in their place. Fails on an unreadable or broken template, and on a
    /// template that does not render with sample values (a variable it was not given).
    pub fn new(
        overrides: Option<&Path>,
        product: &str,
        support_email: Option<&str>,
    ) -> anyhow::Result<Self> {
        let mut sources: BTreeMap<&'static str, String> = DEFAULTS
            .iter()
            .chain(std::iter::once(&LAYOUT))
            .map(|(name, source)| (*name, (*source).to_owned()))
            .collect();
        if let Some(dir) = overrides {
            let mut found = 0;
            for (name, source) in sources.iter_mut() {
                let path = dir.join(name);
                if path.is_file() {
                    *source = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading mail template {}", path.display()))?;
                    found += 1;
                }
            }
            tracing::info!(dir = %dir.display(), overridden = found, "mail templates loaded");
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in sources {
            env.add_template_owned(name, source)
                .with_context(|| format!("mail template {name}"))?;
        }
        let templates = Self {
            env,
            product: product.to_owned(),
            support_email: support_email.map(str::to_owned),
        };
        templates.check()?;
        Ok(templates)
    }

    /// Renders every template in every language with sample values.
    fn check(&self) -> anyhow::Result<()> {
        let sample =
            VerificationCode::parse("123456".into()).map_err(|_| anyhow::anyhow!("sample code"))?;
        let at = DateTime::from_millis(0);
        for locale in [Locale::Ko, Locale::En] {
            for purpose in [
                CodePurpose::Signup,
                CodePurpose::PasswordReset,
                CodePurpose::EmailChange,
            ] {
                self.code_mail(purpose, &sample, Duration::from_secs(600), locale)?;
            }
            self.email_change_taken(locale)?;
            self.no_account(locale)?;
            self.account_exists(locale)?;
            for notice in sample_notices() {
                self.notice(&notice, at, locale)?;
            }
        }
        Ok(())
    }

    /// `kind` in `locale` with `values` (plus `product`, `support_email` and `lang`).
    fn render(&self, kind: &str, locale: Locale, values: Value) -> anyhow::Result<Rendered> {
        let lang = lang(locale);
        let ctx = context! {
            product => &self.product,
            support_email => &self.support_email,
            lang => lang,
            ..values
        };
        let part = |ext: &str| -> anyhow::Result<String> {
            let name = format!("{lang}/{kind}.{ext}");
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&ctx))
                .with_context(|| format!("rendering mail template {name}"))
        };
        // One line, whatever the template: a subject with a line break would end the header.
        let subject = part("subject.txt")?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Rendered {
            subject,
            text: part("txt")?,
            html: part("html")?,
        })
    }

    /// The mail that carries a code for `purpose`: `code` (signup), `reset_code`,
    /// `email_change_code` (sent to the new address) or `sign_in_code` (signs in without the
    /// password). Values: `code`, `minutes`.
    pub fn code_mail(
        &self,
        purpose: CodePurpose,
        code: &VerificationCode,
        valid_for: Duration,
        locale: Locale,
    ) -> anyhow::Result<Rendered> {
        let kind = match purpose {
            CodePurpose::Signup => "code",
            CodePurpose::PasswordReset => "reset_code",
            CodePurpose::EmailChange => "email_change_code",
            CodePurpose::SignIn => "sign_in_code",
        };
        let values = context! {
            code => code.expose(),
            minutes => valid_for.as_secs().div_ceil(60),
        };
        self.render(kind, locale, values)
    }

    /// A sign-in code was asked for an address that has no account. No values.
    pub fn sign_in_no_account(&self, locale: Locale) -> anyhow::Result<Rendered> {
        self.render("sign_in_no_account", locale, context! {})
    }

    /// An account tried to move to this address, which has an account already. No values.
    pub fn email_change_taken(&self, locale: Locale) -> anyhow::Result<Rendered> {
        self.render("email_change_taken", locale, context! {})
    }

    /// A reset was asked for an address without an account. No values.
    pub fn no_account(&self, locale: Locale) -> anyhow::Result<Rendered> {
        self.render("no_account", locale, context! {})
    }

    /// A signup code was asked for an address that has an account. No values.
    pub fn account_exists(&self, locale: Locale) -> anyhow::Result<Rendered> {
        self.render("account_exists", locale, context! {})
    }

    /// A security notice. Values: `when` (the reader's local time), and `new_email_masked`
    /// for `email_changed`.
    pub fn notice(
        &self,
        notice: &Notice,
        at: DateTime,
        locale: Locale,
    ) -> anyhow::Result<Rendered> {
        let when = match locale {
            // Korean readers get Korean time (UTC+9, no daylight saving).
            Locale::Ko => format!("{} (한국 시간)", minute_of(at, 9 * 60)),
            Locale::En => format!("{} UTC", minute_of(at, 0)),
        };
        let values = match notice {
            Notice::EmailChanged { new_email_masked } => context! {
                when => when,
                new_email_masked => new_email_masked,
            },
            Notice::PasskeyAdded { name } | Notice::PasskeyRemoved { name } => context! {
                when => when,
                name => name,
            },
            Notice::SecondFactorsRemoved { reason } => context! {
                when => when,
                reason => reason,
            },
            Notice::NewSignIn {
                browser,
                system,
                ip,
                method,
                link,
            } => context! {
                when => when,
                utc => format!("{} UTC", minute_of(at, 0)),
                in_words => in_words(at, locale),
                browser => browser,
                system => system,
                ip => ip,
                method => method_words(method, locale),
                link => link,
            },
            _ => context! { when => when },
        };
        self.render(notice.kind(), locale, values)
    }
}

/// One notice of every kind, with sample values.
fn sample_notices() -> [Notice; 11] {
    [
        Notice::PasswordChanged,
        Notice::EmailChanged {
            new_email_masked: "n***@example.com".into(),
        },
        Notice::AccountDeleted,
        Notice::SecondFactorDisabled,
        Notice::SecondFactorEnabled,
        Notice::PasskeyAdded {
            name: "YubiKey".into(),
        },
        Notice::PasskeyRemoved {
            name: "YubiKey".into(),
        },
        Notice::RecoveryCodesReplaced,
        Notice::SecondStepFailing,
        Notice::SecondFactorsRemoved {
            reason: "reset".into(),
        },
        Notice::NewSignIn {
            browser: "Chrome".into(),
            system: "macOS".into(),
            ip: "203.0.113.7".into(),
            method: "passkey".into(),
            link: "https://auth.example.com/security/not-me#token=abc".into(),
        },
    ]
}

/// The day of `at` in words, in UTC: "Thursday, 3 December 2026" / "2026년 12월 3일 목요일".
fn in_words(at: DateTime, locale: Locale) -> String {
    let days = at.timestamp_millis().div_euclid(86_400_000);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 3).rem_euclid(7) as usize;
    let date = minute_of(at, 0);
    let (year, month, day) = (
        date.get(0..4).unwrap_or_default(),
        date.get(5..7).unwrap_or_default().trim_start_matches('0'),
        date.get(8..10).unwrap_or_default().trim_start_matches('0'),
    );
    match locale {
        Locale::Ko => {
            const DAYS: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];
            format!("{year}년 {month}월 {day}일 {}요일", DAYS[weekday])
        }
        Locale::En => {
            const DAYS: [&str; 7] = [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ];
            const MONTHS: [&str; 12] = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ];
            let month = month
                .parse::<usize>()
                .ok()
                .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
                .unwrap_or(&"");
            format!("{}, {day} {month} {year}", DAYS[weekday])
        }
    }
}

/// How a session was signed in to, in words (`password+totp` → "password and authenticator
/// code").
fn method_words(method: &str, locale: Locale) -> String {
    let word = |part: &str| match (part, locale) {
        ("password", Locale::Ko) => "비밀번호",
        ("password", Locale::En) => "password",
        ("email_code", Locale::Ko) => "이메일 인증 번호",
        ("email_code", Locale::En) => "emailed code",
        ("passkey", Locale::Ko) => "패스키",
        ("passkey", Locale::En) => "passkey",
        ("totp", Locale::Ko) => "인증 앱 코드",
        ("totp", Locale::En) => "authenticator code",
        ("recovery_code", Locale::Ko) => "복구 코드",
        ("recovery_code", Locale::En) => "recovery code",
        (_, Locale::Ko) => "기타",
        (_, Locale::En) => "other",
    };
    let joiner = match locale {
        Locale::Ko => " + ",
        Locale::En => " and ",
    };
    method.split('+').map(word).collect::<Vec<_>>().join(joiner)
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

    fn defaults() -> Templates {
        Templates::new(None, "Email Auth", None).unwrap()
    }

    fn password_changed(at: DateTime, locale: Locale) -> Rendered {
        defaults()
            .notice(&Notice::PasswordChanged, at, locale)
            .unwrap()
    }

    fn code(c: &VerificationCode, d: Duration, locale: Locale) -> Rendered {
        defaults()
            .code_mail(CodePurpose::Signup, c, d, locale)
            .unwrap()
    }

    fn reset_code(c: &VerificationCode, d: Duration, locale: Locale) -> Rendered {
        defaults()
            .code_mail(CodePurpose::PasswordReset, c, d, locale)
            .unwrap()
    }

    fn account_exists(locale: Locale) -> Rendered {
        defaults().account_exists(locale).unwrap()
    }

    fn no_account(locale: Locale) -> Rendered {
        defaults().no_account(locale).unwrap()
    }

    /// Every template in both languages renders with nothing left unfilled, names the
    /// product, and is a whole HTML page in its language.
    #[test]
    fn every_template_renders_in_both_languages_with_no_placeholder_left() {
        let t = Templates::new(None, "Acme Login", Some("help@acme.example")).unwrap();
        let c = VerificationCode::parse("042917".into()).unwrap();
        let at = DateTime::from_millis(1_709_251_170_000);
        for locale in [Locale::Ko, Locale::En] {
            let mut all: Vec<Rendered> = [
                CodePurpose::Signup,
                CodePurpose::PasswordReset,
                CodePurpose::EmailChange,
                CodePurpose::SignIn,
            ]
            .into_iter()
            .map(|purpose| {
                t.code_mail(purpose, &c, Duration::from_secs(600), locale)
                    .unwrap()
            })
            .collect();
            all.extend([
                t.email_change_taken(locale).unwrap(),
                t.no_account(locale).unwrap(),
                t.account_exists(locale).unwrap(),
                t.sign_in_no_account(locale).unwrap(),
            ]);
            for notice in sample_notices() {
                all.push(t.notice(&notice, at, locale).unwrap());
            }
            assert_eq!(all.len(), KINDS.len());
            for r in all {
                for part in [&r.subject, &r.text, &r.html] {
                    assert!(!part.trim().is_empty());
                    for left in ["{{", "}}", "{%", "%}", "undefined", "none"] {
                        assert!(!part.contains(left), "{left} left in {part}");
                    }
                }
                assert!(!r.subject.contains('\n'));
                assert!(
                    r.text.contains("Acme Login") && r.html.contains("Acme Login"),
                    "{}",
                    r.text
                );
                assert!(r.html.contains(&format!("lang=\"{}\"", lang(locale))));
                assert!(
                    r.html.starts_with("<!doctype html>") && r.html.trim_end().ends_with("</html>")
                );
            }
        }
    }

    #[test]
    fn values_are_escaped_in_html_and_subjects_stay_on_one_line() {
        let t = Templates::new(None, "<b>Acme</b>", None).unwrap();
        let notice = Notice::EmailChanged {
            new_email_masked: "<script>alert(1)</script>@x.example".into(),
        };
        let r = t
            .notice(&notice, DateTime::from_millis(0), Locale::En)
            .unwrap();
        assert!(
            !r.html.contains("<script>") && r.html.contains("&lt;script&gt;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<b>Acme") && r.html.contains("&lt;b&gt;Acme"));
        // Plain text is not HTML: it carries the value as it is.
        assert!(r.text.contains("<script>alert(1)</script>@x.example"));
    }

    #[test]
    fn an_operator_overrides_a_template_from_a_directory() {
        let dir = std::env::temp_dir().join(format!("mail-templates-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("en")).unwrap();
        std::fs::write(
            dir.join("en/code.subject.txt"),
            "{{ product }}:\n code {{ code }}",
        )
        .unwrap();
        std::fs::write(
            dir.join("en/code.txt"),
            "Your code is {{ code }} ({{ minutes }} min).",
        )
        .unwrap();
        let t = Templates::new(Some(&dir), "Acme", None).unwrap();
        let c = VerificationCode::parse("042917".into()).unwrap();
        let signup_code = |locale| {
            t.code_mail(CodePurpose::Signup, &c, Duration::from_secs(300), locale)
                .unwrap()
        };
        let r = signup_code(Locale::En);
        assert_eq!(r.subject, "Acme: code 042917");
        assert_eq!(r.text, "Your code is 042917 (5 min).");
        assert!(r.html.contains("042917"), "the HTML part keeps the default");
        let ko = signup_code(Locale::Ko);
        assert!(
            ko.subject.contains("인증 번호"),
            "other languages keep theirs"
        );

        // A broken override, or one using a value the mail does not have, stops the start-up.
        std::fs::write(dir.join("en/code.txt"), "{% if %}").unwrap();
        let err = Templates::new(Some(&dir), "Acme", None).err().unwrap();
        assert!(format!("{err:#}").contains("en/code.txt"), "{err:#}");
        std::fs::write(dir.join("en/code.txt"), "{{ password }}").unwrap();
        let err = Templates::new(Some(&dir), "Acme", None).err().unwrap();
        assert!(format!("{err:#}").contains("en/code.txt"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
            let r = code(&c, Duration::from_secs(600), locale);
            assert!(r.text.contains("042917") && r.html.contains("042917"));
            assert!(r.text.contains("10"));
        }
        assert!(code(&c, Duration::from_secs(600), Locale::Ko)
            .text
            .contains("인증 번호"));
    }

    #[test]
    fn notices_carry_no_digits() {
        for locale in [Locale::Ko, Locale::En] {
            let taken = defaults().email_change_taken(locale).unwrap();
            for r in [account_exists(locale), no_account(locale), taken] {
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
