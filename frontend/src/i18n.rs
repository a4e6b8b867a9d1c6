//! Every word the app shows. The texts live in `locales/<tag>.ftl` (Project Fluent syntax), one
//! file per `shared::Locale`, built into the WASM and parsed once per language at first use.
//! Components ask for text by key (`T`), by field or by error code; this module turns those
//! into message ids and arguments, and nothing else in the crate holds user-facing strings.
//! `tests/locales.rs` proves every id resolves in every language.
//!
//! The files use a small part of Fluent, and this module reads exactly that part (the
//! `fluent-bundle` runtime, with its CLDR tables, was a tenth of the WASM): `id = text`,
//! continuation lines, `#` comments, variables `{ $name }`, message references `{ other-id }`,
//! and selects on a number `{ $n -> [0] … [one] … *[other] … }` (an exact number first, then the
//! language's plural category, `plural`). Anything else in a message drops that message (it
//! then shows its id and is noted); `tests/locales.rs` parses the files with `fluent-syntax`
//! and fails on any syntax error.

use crate::form::{Alert, Field, Issue};
use leptos::prelude::*;
use shared::{rules, ErrorCode, Locale};
use std::borrow::Cow;
use std::cell::RefCell;

/// The Fluent source of `locale`. A new language is a `Locale` variant (in `shared`, for the
/// mail too), its `.ftl` file, one arm here and one in `plural`.
pub fn source(locale: Locale) -> &'static str {
    match locale {
        Locale::Ko => include_str!("../locales/ko.ftl"),
        Locale::En => include_str!("../locales/en.ftl"),
    }
}

/// The CLDR cardinal plural category of the whole number `n` (the `[one]`, `*[other]` keys of a
/// select): Korean has no plural forms; English has `one` for 1.
fn plural(locale: Locale, n: u64) -> &'static str {
    match locale {
        Locale::Ko => "other",
        Locale::En if n == 1 => "one",
        Locale::En => "other",
    }
}

/// A value for a message's `{ $name }`: a whole number (which a select chooses by) or a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Number(u64),
    Text(Cow<'a, str>),
}

macro_rules! number_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(n: $t) -> Self {
                Value::Number(n as u64)
            }
        }
    )*};
}
number_value!(u16, u32, u64, usize);

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Text(Cow::Owned(s))
    }
}

/// The arguments of one message, by name.
pub type Args<'a> = [(&'a str, Value<'a>)];

/// One piece of a parsed message.
#[derive(Debug)]
enum Part {
    Text(&'static str),
    /// A line break inside a multi-line text (continuation lines, their indent removed).
    Newline,
    Var(&'static str),
    /// Another message of the same file, formatted with the same arguments.
    Ref(&'static str),
    Select {
        on: &'static str,
        variants: Vec<(Key, Vec<Part>)>,
        default: usize,
    },
}

/// The key of a select's variant.
#[derive(Debug, PartialEq)]
enum Key {
    Exact(u64),
    Category(&'static str),
}

type Messages = Vec<(&'static str, Vec<Part>)>;

/// The messages of a file, in file order (a duplicate id keeps the first, as `get` finds it;
/// tests/locales.rs fails on duplicates).
fn parse_file(source: &'static str) -> Messages {
    let mut messages = Messages::new();
    // The current entry: its id, and its value's start and end in `source`.
    let mut open: Option<(&'static str, usize, usize)> = None;
    let mut close = |open: &mut Option<(&'static str, usize, usize)>| {
        if let Some((id, start, end)) = open.take() {
            if let Some(pattern) = Parser::new(&source[start..end]).message() {
                messages.push((id, pattern));
            }
        }
    };
    let mut at = 0;
    for line in source.split_inclusive('\n') {
        let (start, end) = (at, at + line.trim_end().len());
        at += line.len();
        if line.starts_with([' ', '\t']) {
            // A continuation line (or an indented blank one) of the open entry.
            if let Some((_, _, value_end)) = &mut open {
                if !line.trim().is_empty() {
                    *value_end = end;
                }
            }
            continue;
        }
        close(&mut open);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((id, _)) = line.split_once('=') {
            let id = id.trim_end();
            if is_identifier(id) {
                let value_start = start + id.len() + line[id.len()..].find('=').unwrap_or(0) + 1;
                open = Some((
                    &source[start..start + id.len()],
                    value_start,
                    end.max(value_start),
                ));
            }
        }
    }
    close(&mut open);
    messages
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads one message value; `None` on anything outside the supported part of Fluent.
struct Parser {
    s: &'static str,
    at: usize,
}

impl Parser {
    fn new(s: &'static str) -> Self {
        Self { s, at: 0 }
    }

    fn rest(&self) -> &'static str {
        &self.s[self.at..]
    }

    fn skip_blank(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn skip_inline_blank(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    fn eat(&mut self, token: &str) -> bool {
        let found = self.rest().starts_with(token);
        if found {
            self.at += token.len();
        }
        found
    }

    /// A name: up to the first character that cannot be in an identifier.
    fn name(&mut self) -> Option<&'static str> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..len];
        self.at += len;
        is_identifier(name).then_some(name)
    }

    /// The whole value (its leading blank, even a line break, is not part of it).
    fn message(mut self) -> Option<Vec<Part>> {
        self.skip_blank();
        let parts = self.pattern(true)?;
        (self.at == self.s.len()).then_some(parts)
    }

    /// Text and placeables up to the end of the value (`multiline`) or of the line (a select's
    /// variant); trailing blanks are not part of it.
    fn pattern(&mut self, multiline: bool) -> Option<Vec<Part>> {
        let mut parts = vec![];
        loop {
            let rest = self.rest();
            let len = rest.find(['{', '}', '\n']).unwrap_or(rest.len());
            if len > 0 {
                parts.push(Part::Text(&rest[..len]));
                self.at += len;
            }
            match self.rest().chars().next() {
                Some('{') => {
                    self.at += 1;
                    parts.push(self.placeable()?);
                }
                Some('\n') if multiline => {
                    self.skip_blank();
                    if self.at < self.s.len() {
                        parts.push(Part::Newline);
                    }
                }
                Some('}') if multiline => return None,
                _ => break,
            }
        }
        // The value's trailing blanks.
        if let Some(Part::Text(last)) = parts.last_mut() {
            *last = last.trim_end();
            if last.is_empty() {
                parts.pop();
            }
        }
        Some(parts)
    }

    /// After `{`: a variable, a message reference or a select, and its `}`.
    fn placeable(&mut self) -> Option<Part> {
        self.skip_blank();
        let part = if self.eat("$") {
            let on = self.name()?;
            self.skip_blank();
            if self.eat("->") {
                self.select(on)?
            } else {
                Part::Var(on)
            }
        } else {
            Part::Ref(self.name()?)
        };
        self.skip_blank();
        self.eat("}").then_some(part)
    }

    /// The variants of `{ $on -> … }`, up to (not including) its `}`.
    fn select(&mut self, on: &'static str) -> Option<Part> {
        let mut variants = vec![];
        let mut default = None;
        loop {
            self.skip_blank();
            if self.rest().starts_with('}') || self.rest().is_empty() {
                break;
            }
            if self.eat("*") {
                default = Some(variants.len());
            }
            if !self.eat("[") {
                return None;
            }
            let rest = self.rest();
            let len = rest.find(']')?;
            let key = rest[..len].trim();
            self.at += len + 1;
            let key = match key.parse() {
                Ok(n) => Key::Exact(n),
                Err(_) if is_identifier(key) => Key::Category(key),
                Err(_) => return None,
            };
            self.skip_inline_blank();
            variants.push((key, self.pattern(false)?));
        }
        Some(Part::Select {
            on,
            variants,
            default: default?,
        })
    }
}

thread_local! {
    static FILES: Vec<Messages> =
        Locale::ALL.into_iter().map(|l| parse_file(source(l))).collect();
    static FAULTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn find<'m>(messages: &'m Messages, id: &str) -> Option<&'m [Part]> {
    messages
        .iter()
        .find(|(have, _)| *have == id)
        .map(|(_, parts)| parts.as_slice())
}

/// Writes `parts` with `args` into `out`; what does not resolve is written as Fluent writes it
/// (`{$name}`, `{id}`) and noted in `faults`.
fn format(
    locale: Locale,
    messages: &Messages,
    parts: &[Part],
    args: &Args,
    out: &mut String,
    faults: &mut Vec<String>,
    depth: u8,
) {
    let arg = |name: &str| args.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Newline => out.push('\n'),
            Part::Var(name) => match arg(name) {
                Some(Value::Number(n)) => out.push_str(&n.to_string()),
                Some(Value::Text(text)) => out.push_str(text),
                None => {
                    out.push_str(&format!("{{${name}}}"));
                    faults.push(format!("unknown variable ${name}"));
                }
            },
            Part::Ref(id) => match find(messages, id) {
                Some(referenced) if depth < 8 => {
                    format(locale, messages, referenced, args, out, faults, depth + 1)
                }
                _ => {
                    out.push_str(&format!("{{{id}}}"));
                    faults.push(format!("unknown message {id}"));
                }
            },
            Part::Select {
                on,
                variants,
                default,
            } => {
                let chosen = match arg(on) {
                    Some(Value::Number(n)) => variants
                        .iter()
                        .position(|(k, _)| *k == Key::Exact(*n))
                        .or_else(|| {
                            let category = Key::Category(plural(locale, *n));
                            variants.iter().position(|(k, _)| *k == category)
                        }),
                    Some(Value::Text(text)) => variants
                        .iter()
                        .position(|(k, _)| matches!(k, Key::Category(c) if c == text)),
                    None => {
                        faults.push(format!("unknown variable ${on}"));
                        None
                    }
                };
                let (_, variant) = &variants[chosen.unwrap_or(*default)];
                format(locale, messages, variant, args, out, faults, depth);
            }
        }
    }
}

/// The message `id` of `locale` with `args`. A missing message shows its id, and, like a
/// part that does not resolve (an unknown variable, say), is noted for `take_faults`.
pub fn message(locale: Locale, id: &str, args: Option<&Args>) -> String {
    let mut faults = vec![];
    let text = FILES.with(|files| {
        let messages = files.get(index(locale))?;
        let parts = find(messages, id)?;
        let mut out = String::new();
        format(
            locale,
            messages,
            parts,
            args.unwrap_or_default(),
            &mut out,
            &mut faults,
            0,
        );
        Some(out)
    });
    let text = text.unwrap_or_else(|| {
        faults.push("no such message".to_owned());
        id.to_owned()
    });
    if !faults.is_empty() {
        FAULTS.with(|f| {
            let mut f = f.borrow_mut();
            // Bounded: a fault repeats on every render.
            if f.len() < 100 {
                f.push(format!("{}: {id}: {}", locale.tag(), faults.join(", ")));
            }
        });
    }
    text
}

/// The position of `locale` in `Locale::ALL`, which is the order of `FILES`.
fn index(locale: Locale) -> usize {
    Locale::ALL
        .iter()
        .position(|l| *l == locale)
        .unwrap_or_default()
}

/// The faults `message` noted on this thread since the last call (for tests).
pub fn take_faults() -> Vec<String> {
    FAULTS.with(|f| std::mem::take(&mut *f.borrow_mut()))
}

/// Whether `locale` has the message `id`.
fn has(locale: Locale, id: &str) -> bool {
    FILES.with(|f| f.get(index(locale)).is_some_and(|m| find(m, id).is_some()))
}

fn with(locale: Locale, id: &str, args: &Args) -> String {
    message(locale, id, Some(args))
}

/// `too_many_attempts` → `too-many-attempts`: Fluent ids read better in kebab-case.
fn kebab(name: &str) -> String {
    name.replace('_', "-")
}

/// Static texts of the interface; the Fluent id is the variant in kebab-case (`AppName` →
/// `app-name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum T {
    AppName,
    Language,
    SignupTitle,
    SignupLead,
    LoginTitle,
    LoginLead,
    HomeTitle,
    ShowPassword,
    HidePassword,
    VerifyEmail,
    Sending,
    Resend,
    SignUp,
    SigningUp,
    LogIn,
    LoggingIn,
    LogOut,
    HaveAccount,
    NoAccount,
    CodeExpiredHint,
    Loading,
    Retry,
    NotFoundTitle,
    GoHome,
    ProfileUsername,
    ProfileEmail,
    ProfileNickname,
    ForgotPassword,
    ResetTitle,
    ResetLead,
    SendResetCode,
    ChangePassword,
    ChangingPassword,
    RememberedPassword,
    LogOutEverywhere,
    LoggingOutEverywhere,
    Devices,
    DevicesLead,
    ThisDevice,
    EndSession,
    EndingSession,
    LastUsed,
    UnknownBrowser,
    Settings,
    SettingsLead,
    BackToAccount,
    ChangePasswordTitle,
    ChangePasswordLead,
    ChangeEmailTitle,
    ChangeEmailLead,
    SendEmailCode,
    ConfirmEmailChange,
    ChangingEmail,
    DeleteAccountTitle,
    DeleteAccount,
    DeletingAccount,
    SecurityTitle,
    SecurityLead,
    TotpTitle,
    TotpOn,
    TotpOff,
    SetUpTotp,
    SettingUpTotp,
    TotpScanLead,
    TotpSecret,
    EnableTotp,
    EnablingTotp,
    RecoveryCodesTitle,
    RecoveryCodesLead,
    CopyCodes,
    CodesCopied,
    DisableTotp,
    DisablingTotp,
    DisableTotpLead,
    NewRecoveryCodes,
    MakingRecoveryCodes,
    NewRecoveryCodesLead,
    PasskeysTitle,
    PasskeysLead,
    NoPasskeys,
    AddPasskey,
    AddingPasskey,
    DeletePasskey,
    SignInWithPasskey,
    MfaTitle,
    MfaLead,
    MfaRecoveryLead,
    UseRecoveryCode,
    UseTotpCode,
    UsePasskey,
    Verify,
    Verifying,
    StartOver,
    LoginWithCode,
    LoginWithPassword,
    LoginCodeLead,
    SendLoginCode,
    TotpQrLabel,
    StepUpTitle,
    StepUpLead,
    StepUpLeadTotp,
    Confirm,
    Cancel,
    NotMeTitle,
    NotMeLead,
    NotMeButton,
    NotMeWorking,
    NotMeNoToken,
    NotMeUsed,
    NotMeContinue,
    ResetCodeMailed,
    AccountNav,
    Menu,
    Overview,
    ActivityTitle,
    ActivityLead,
    ActivityEmpty,
    ShowOlder,
    ThisWasntMe,
    ThisSession,
    PasskeyOfferTitle,
    PasskeyOfferLead,
    PasskeyOfferAdd,
    NotNow,
}

impl T {
    /// The Fluent id.
    pub fn id(self) -> &'static str {
        self.into()
    }
}

/// The text for `key` in `lang`.
pub fn t(lang: Locale, key: T) -> String {
    message(lang, key.id(), None)
}

/// The language's own name, for the switch.
pub fn native_name(lang: Locale) -> String {
    message(lang, "language-name", None)
}

/// The `<label>` of a field.
pub fn label(lang: Locale, field: Field) -> String {
    message(lang, &format!("label-{}", kebab(field.name())), None)
}

/// The length limits of a field, for hints and messages.
fn limits(field: Field) -> Option<(usize, usize)> {
    use rules::*;
    match field {
        Field::Username | Field::ConfirmUsername => Some((USERNAME_MIN_LEN, USERNAME_MAX_LEN)),
        Field::Nickname => Some((NICKNAME_MIN_LEN, NICKNAME_MAX_LEN)),
        Field::Password
        | Field::PasswordConfirm
        | Field::NewPassword
        | Field::NewPasswordConfirm
        | Field::CurrentPassword => Some((PASSWORD_MIN_LEN, PASSWORD_MAX_LEN)),
        Field::PasskeyName => Some((1, crate::form::PASSKEY_NAME_MAX_LEN)),
        Field::Email | Field::NewEmail | Field::Code | Field::RecoveryCode => None,
    }
}

/// The signup hint under a field, with the limits from `shared::rules` (`$min`, `$max`,
/// `$len`); the confirmations have none.
pub fn hint(lang: Locale, field: Field) -> String {
    if matches!(field, Field::PasswordConfirm | Field::NewPasswordConfirm) {
        return String::new();
    }
    let (min, max) = limits(field).unwrap_or_default();
    with(
        lang,
        &format!("hint-{}", kebab(field.name())),
        &[
            ("min", min.into()),
            ("max", max.into()),
            ("len", rules::CODE_LEN.into()),
        ],
    )
}

/// The message for an API error code, whatever field (if any) it is about.
pub fn error_message(lang: Locale, code: ErrorCode) -> String {
    message(lang, &format!("error-{}", kebab(code.as_str())), None)
}

/// The message next to `field` for `issue`, naming the field's limits where that helps.
pub fn issue_message(lang: Locale, field: Field, issue: &Issue) -> String {
    let code = match issue {
        Issue::PasswordMismatch => return message(lang, "issue-password-mismatch", None),
        Issue::VerifyFirst => return message(lang, "issue-verify-first", None),
        Issue::WrongCode {
            attempts_left: None,
        } => return message(lang, "issue-wrong-code", None),
        Issue::WrongCode {
            attempts_left: Some(n),
        } => return with(lang, "issue-wrong-code-left", &[("n", (*n).into())]),
        Issue::NotThisAccount => return message(lang, "issue-not-this-account", None),
        Issue::Rule(code) => *code,
    };
    match (code, limits(field)) {
        (ErrorCode::TooShort, Some((min, _))) => {
            with(lang, "issue-too-short", &[("min", min.into())])
        }
        (ErrorCode::TooLong, Some((_, max))) => {
            with(lang, "issue-too-long", &[("max", max.into())])
        }
        _ => match (field, code) {
            (Field::Username, ErrorCode::InvalidCharacters) => {
                message(lang, "issue-username-invalid-characters", None)
            }
            (Field::Nickname, ErrorCode::InvalidCharacters) => {
                message(lang, "issue-nickname-invalid-characters", None)
            }
            (
                Field::Email | Field::NewEmail,
                ErrorCode::InvalidFormat | ErrorCode::InvalidCharacters,
            ) => message(lang, "issue-email-invalid", None),
            (Field::Code, ErrorCode::InvalidFormat) => with(
                lang,
                "issue-code-invalid-format",
                &[("len", rules::CODE_LEN.into())],
            ),
            _ => error_message(lang, code),
        },
    }
}

/// The form-wide message.
pub fn alert_message(lang: Locale, alert: &Alert) -> String {
    match alert {
        Alert::FixFields => error_message(lang, ErrorCode::ValidationFailed),
        Alert::Api { code, retry_after } => match retry_after {
            Some(secs) if *secs > 0 => {
                let lead = wait_lead(lang, *code).unwrap_or_else(|| error_message(lang, *code));
                with(
                    lang,
                    "wait-then-retry",
                    &[
                        ("lead", lead.into()),
                        ("retry", retry_in(lang, *secs).into()),
                    ],
                )
            }
            _ => error_message(lang, *code),
        },
        Alert::Network => message(lang, "alert-network", None),
        Alert::Server { status } => with(lang, "alert-server", &[("status", (*status).into())]),
    }
}

/// What a refusal with a known wait says before "try again in …": the plain message of these
/// codes ends in "please wait a moment" or the like, which the exact wait replaces. The codes
/// that have one are those with a `wait-` message.
pub fn wait_lead(lang: Locale, code: ErrorCode) -> Option<String> {
    let id = format!("wait-{}", kebab(code.as_str()));
    has(lang, &id).then(|| message(lang, &id, None))
}

/// "Try again in …" for a wait in seconds.
pub fn retry_in(lang: Locale, secs: u64) -> String {
    with(
        lang,
        "retry-in",
        &[("duration", duration(lang, secs).into())],
    )
}

/// A wait in words: `45초`, `2분 5초`, `23시간 59분`; `45 s`, `2 min 5 s`, `23 h 59 min`. From
/// an hour on, hours and minutes (the seconds are dropped: nobody counts them for a day).
pub fn duration(lang: Locale, secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let id = match (h, m, s) {
        (0, 0, _) => "duration-s",
        (0, _, 0) => "duration-m",
        (0, _, _) => "duration-m-s",
        (_, 0, _) => "duration-h",
        _ => "duration-h-m",
    };
    with(
        lang,
        id,
        &[("h", h.into()), ("m", m.into()), ("s", s.into())],
    )
}

/// `m:ss`, for the code's remaining time.
pub fn clock(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The remaining-time line under the code field.
pub fn code_expires_in(lang: Locale, secs: u64) -> String {
    with(lang, "code-expires-in", &[("clock", clock(secs).into())])
}

/// The resend button while the cooldown runs.
pub fn resend_in(lang: Locale, secs: u64) -> String {
    with(
        lang,
        "resend-in",
        &[("duration", duration(lang, secs).into())],
    )
}

/// Confirmation after a code was mailed.
pub fn code_sent(lang: Locale, email: &str) -> String {
    with(lang, "code-sent", &[("email", email.into())])
}

/// Confirmation after a sign-in code was asked for (the same with or without an account).
pub fn login_code_sent(lang: Locale, email: &str) -> String {
    with(lang, "login-code-sent", &[("email", email.into())])
}

/// What "this wasn't me" did: `n` sessions ended, a reset code mailed.
pub fn not_me_done(lang: Locale, n: u64) -> String {
    with(lang, "not-me-done", &[("n", n.into())])
}

/// How long ago, in words, for a time `secs` seconds back: `방금 전`, `3분 전`; `just now`,
/// `3 minutes ago`. `None` past 30 days (say the date instead).
pub fn ago(lang: Locale, secs: u64) -> Option<String> {
    let (id, n) = match secs {
        0..60 => return Some(message(lang, "ago-now", None)),
        60..3600 => ("ago-minutes", secs / 60),
        3600..86_400 => ("ago-hours", secs / 3600),
        86_400..2_592_000 => ("ago-days", secs / 86_400),
        _ => return None,
    };
    Some(with(lang, id, &[("n", n.into())]))
}

/// `Chrome on macOS`, `macOS의 Chrome`; one of them alone when the other is unknown.
pub fn browser_on_system(lang: Locale, browser: Option<&str>, system: Option<&str>) -> String {
    match (browser, system) {
        (Some(b), Some(s)) => with(
            lang,
            "browser-on-system",
            &[("browser", b.into()), ("system", s.into())],
        ),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => t(lang, T::UnknownBrowser),
    }
}

/// `마지막 사용 3분 전`, `Last used 3 minutes ago`.
pub fn last_used_at(lang: Locale, when: &str) -> String {
    with(lang, "last-used-at", &[("when", when.into())])
}

/// A sign-in method as recorded (`password`, `email_code+totp`, …) in words: each factor's
/// `method-` text, two joined by `method-and`; an unknown factor is "another method".
pub fn method(lang: Locale, recorded: &str) -> String {
    let one = |factor: &str| {
        let id = format!("method-{}", kebab(factor));
        if has(lang, &id) {
            message(lang, &id, None)
        } else {
            message(lang, "method-other", None)
        }
    };
    let mut parts = recorded.split('+').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => with(
            lang,
            "method-and",
            &[("a", one(a).into()), ("b", one(b).into())],
        ),
        (Some(a), None) => one(a),
        (None, _) => message(lang, "method-other", None),
    }
}

/// What an activity entry (or `count` refused sign-ins in a row) says happened.
pub fn activity(lang: Locale, event: &shared::ActivityEvent, count: usize) -> String {
    use shared::ActivityKind as K;
    let kind = kebab(crate::activity::kind_name(event.kind));
    let method_text = || method(lang, event.method.as_deref().unwrap_or_default());
    match event.kind {
        K::SignedIn => with(
            lang,
            "activity-signed-in",
            &[("method", method_text().into())],
        ),
        K::SignInRefused => with(
            lang,
            "activity-sign-in-refused",
            &[("method", method_text().into()), ("n", count.into())],
        ),
        K::SessionEnded => {
            let id = event
                .reason
                .as_deref()
                .map(|r| format!("activity-session-ended-{}", kebab(r)))
                .filter(|id| has(lang, id))
                .unwrap_or_else(|| "activity-session-ended".to_owned());
            message(lang, &id, None)
        }
        K::PasskeyAdded | K::PasskeyRemoved => with(
            lang,
            &format!("activity-{kind}"),
            &[(
                "name",
                event.passkey_name.clone().unwrap_or_default().into(),
            )],
        ),
        _ => message(lang, &format!("activity-{kind}"), None),
    }
}

/// The warning of the delete page, naming the account.
pub fn delete_warning(lang: Locale, username: &str) -> String {
    with(lang, "delete-warning", &[("username", username.into())])
}

/// Confirmation after a reset was requested. The answer is the same whether or not the
/// address has an account, and so is this text.
pub fn reset_code_sent(lang: Locale, email: &str) -> String {
    with(lang, "reset-code-sent", &[("email", email.into())])
}

/// How many unused recovery codes are left.
pub fn recovery_codes_left(lang: Locale, n: u32) -> String {
    with(lang, "recovery-codes-left", &[("n", n.into())])
}

/// When a passkey was added (a date, `YYYY-MM-DD`, in the browser's time zone).
pub fn passkey_added(lang: Locale, date: &str) -> String {
    with(lang, "passkey-added", &[("date", date.into())])
}

/// The greeting on the main page.
pub fn welcome(lang: Locale, nickname: &str) -> String {
    with(lang, "welcome", &[("nickname", nickname.into())])
}

/// One-time notices carried to the login page; the Fluent id is `notice-` and the variant in
/// kebab-case.
#[derive(Debug, Clone, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Notice {
    Registered,
    SessionExpired,
    LoggedOut,
    LoggedOutEverywhere,
    PasswordChanged,
    /// The password was changed from the settings page (this session stays).
    PasswordChangedHere,
    /// The email address was changed.
    EmailChanged,
    AccountDeleted,
    /// Two-step login with an authenticator app was turned off.
    TotpDisabled,
}

pub fn notice(lang: Locale, notice: &Notice) -> String {
    let name: &'static str = notice.into();
    message(lang, &format!("notice-{name}"), None)
}

/// The current language, provided at the root; every text read through it re-renders on a
/// switch.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Locale>,
}

impl I18n {
    pub fn new(lang: Locale) -> Self {
        Self {
            lang: RwSignal::new(lang),
        }
    }

    /// Reactive: the current language.
    pub fn get(&self) -> Locale {
        self.lang.get()
    }

    /// Reactive: a static text in the current language.
    pub fn t(&self, key: T) -> String {
        t(self.get(), key)
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}
