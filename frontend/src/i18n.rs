//! Every word the app shows, in Korean and English. Components ask for text by key or by
//! error code; nothing else in the crate holds user-facing strings.

use crate::form::{Alert, Field, Issue};
use leptos::prelude::*;
use shared::{rules, ErrorCode, Locale};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ko,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ko, Lang::En];

    /// BCP 47 tag for `<html lang>` and storage.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Ko => "한국어",
            Lang::En => "English",
        }
    }

    /// Language of the verification mail.
    pub fn locale(self) -> Locale {
        match self {
            Lang::Ko => Locale::Ko,
            Lang::En => Locale::En,
        }
    }

    /// `ko`, `ko-KR` → Korean; `en`, `en-GB` → English; anything else → none.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language in the browser's preference list; Korean otherwise.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Lang {
        preferred
            .into_iter()
            .find_map(Lang::from_tag)
            .unwrap_or_default()
    }
}

/// Static texts of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// The text for `key` in `lang`.
pub fn t(lang: Lang, key: T) -> &'static str {
    let (ko, en) = match key {
        T::AppName => ("이메일 인증 가입", "Email-verified signup"),
        T::Language => ("언어", "Language"),
        T::SignupTitle => ("회원가입", "Create an account"),
        T::SignupLead => (
            "이메일로 받은 인증 코드로 가입을 완료합니다.",
            "We'll email you a code to confirm your address.",
        ),
        T::LoginTitle => ("로그인", "Log in"),
        T::LoginLead => (
            "아이디와 비밀번호를 입력해 주세요.",
            "Enter your username and password.",
        ),
        T::HomeTitle => ("내 정보", "My account"),
        T::ShowPassword => ("보기", "Show"),
        T::HidePassword => ("숨기기", "Hide"),
        T::VerifyEmail => ("이메일 인증", "Verify email"),
        T::Sending => ("보내는 중…", "Sending…"),
        T::Resend => ("다시 보내기", "Resend code"),
        T::SignUp => ("회원가입", "Sign up"),
        T::SigningUp => ("가입하는 중…", "Signing up…"),
        T::LogIn => ("로그인", "Log in"),
        T::LoggingIn => ("로그인하는 중…", "Logging in…"),
        T::LogOut => ("로그아웃", "Log out"),
        T::HaveAccount => ("이미 계정이 있나요?", "Already have an account?"),
        T::NoAccount => ("아직 계정이 없나요?", "New here?"),
        T::CodeExpiredHint => (
            "코드가 만료되었습니다. '다시 보내기'로 새 코드를 받아 주세요.",
            "This code has expired. Use “Resend code” to get a new one.",
        ),
        T::Loading => ("불러오는 중…", "Loading…"),
        T::Retry => ("다시 시도", "Try again"),
        T::NotFoundTitle => ("페이지를 찾을 수 없습니다", "Page not found"),
        T::GoHome => ("처음으로", "Go to the start page"),
        T::ProfileUsername => ("아이디", "Username"),
        T::ProfileEmail => ("이메일", "Email"),
        T::ProfileNickname => ("닉네임", "Nickname"),
        T::ForgotPassword => ("비밀번호를 잊으셨나요?", "Forgot password?"),
        T::ResetTitle => ("비밀번호 재설정", "Reset your password"),
        T::ResetLead => (
            "가입한 이메일로 받은 재설정 코드로 새 비밀번호를 정합니다.",
            "We'll email you a code to set a new password.",
        ),
        T::SendResetCode => ("재설정 코드 받기", "Send reset code"),
        T::ChangePassword => ("비밀번호 변경", "Change password"),
        T::ChangingPassword => ("변경하는 중…", "Changing password…"),
        T::RememberedPassword => ("비밀번호가 생각나셨나요?", "Remembered it?"),
        T::LogOutEverywhere => ("모든 기기에서 로그아웃", "Log out everywhere"),
        T::LoggingOutEverywhere => ("로그아웃하는 중…", "Logging out…"),
        T::Devices => ("로그인한 기기", "Devices"),
        T::DevicesLead => (
            "이 계정으로 로그인한 기기입니다. 모르는 기기가 있으면 로그아웃시키고 비밀번호를 바꾸세요.",
            "Where this account is signed in. If you don't recognise one, end it and change your password.",
        ),
        T::ThisDevice => ("이 기기", "This device"),
        T::EndSession => ("로그아웃시키기", "End session"),
        T::EndingSession => ("로그아웃시키는 중…", "Ending…"),
        T::LastUsed => ("마지막 사용", "Last used"),
        T::UnknownBrowser => ("알 수 없는 브라우저", "Unknown browser"),
        T::Settings => ("계정 설정", "Account settings"),
        T::SettingsLead => (
            "비밀번호와 이메일 주소를 바꾸거나 계정을 삭제합니다.",
            "Change your password or email address, or delete the account.",
        ),
        T::BackToAccount => ("내 정보로 돌아가기", "Back to my account"),
        T::ChangePasswordTitle => ("비밀번호 변경", "Change password"),
        T::ChangePasswordLead => (
            "비밀번호를 바꾸면 이 기기를 뺀 모든 기기에서 로그아웃됩니다.",
            "Changing your password signs you out everywhere except here.",
        ),
        T::ChangeEmailTitle => ("이메일 변경", "Change email"),
        T::ChangeEmailLead => (
            "새 주소로 받은 인증 코드를 입력하면 주소가 바뀝니다. 이전 주소로 알림이 갑니다.",
            "Enter the code sent to the new address to move the account. The old address is told.",
        ),
        T::SendEmailCode => ("인증 코드 받기", "Send code"),
        T::ConfirmEmailChange => ("이메일 변경", "Change email"),
        T::ChangingEmail => ("바꾸는 중…", "Changing…"),
        T::DeleteAccountTitle => ("계정 삭제", "Delete account"),
        T::DeleteAccount => ("계정 영구 삭제", "Delete account for good"),
        T::DeletingAccount => ("삭제하는 중…", "Deleting…"),
    };
    pick(lang, ko, en)
}

fn pick(lang: Lang, ko: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

/// The `<label>` of a field.
pub fn label(lang: Lang, field: Field) -> &'static str {
    let (ko, en) = match field {
        Field::Username => ("아이디", "Username"),
        Field::Password => ("비밀번호", "Password"),
        Field::PasswordConfirm => ("비밀번호 확인", "Confirm password"),
        Field::Nickname => ("닉네임", "Nickname"),
        Field::Email => ("이메일", "Email"),
        Field::Code => ("인증 코드", "Verification code"),
        Field::NewPassword => ("새 비밀번호", "New password"),
        Field::NewPasswordConfirm => ("새 비밀번호 확인", "Confirm new password"),
        Field::CurrentPassword => ("현재 비밀번호", "Current password"),
        Field::NewEmail => ("새 이메일", "New email"),
        Field::ConfirmUsername => ("아이디 다시 입력", "Type your username"),
    };
    pick(lang, ko, en)
}

/// The signup hint under a field, with the limits from `shared::rules`.
pub fn hint(lang: Lang, field: Field) -> String {
    use rules::*;
    match (lang, field) {
        (Lang::Ko, Field::Username) => {
            format!("영문, 숫자, _ {USERNAME_MIN_LEN}–{USERNAME_MAX_LEN}자")
        }
        (Lang::En, Field::Username) => {
            format!("{USERNAME_MIN_LEN}–{USERNAME_MAX_LEN} letters, digits or _")
        }
        (Lang::Ko, Field::Password | Field::NewPassword) => {
            format!("{PASSWORD_MIN_LEN}자 이상, 아이디나 이메일 아이디(@ 앞부분)가 들어가지 않게")
        }
        (Lang::En, Field::Password | Field::NewPassword) => format!(
            "At least {PASSWORD_MIN_LEN} characters, without your username or the part of your email before @"
        ),
        (Lang::Ko, Field::Nickname) => format!(
            "{NICKNAME_MIN_LEN}–{NICKNAME_MAX_LEN}자, 글자와 숫자 (단어 사이 띄어쓰기 가능)"
        ),
        (Lang::En, Field::Nickname) => format!(
            "{NICKNAME_MIN_LEN}–{NICKNAME_MAX_LEN} letters or digits, single spaces between words"
        ),
        (Lang::Ko, Field::Email) => "인증 코드를 받을 주소".to_owned(),
        (Lang::En, Field::Email) => "We'll send the verification code here".to_owned(),
        (Lang::Ko, Field::Code) => format!("메일로 받은 숫자 {CODE_LEN}자리"),
        (Lang::En, Field::Code) => format!("The {CODE_LEN} digits from the email"),
        (Lang::Ko, Field::NewEmail) => "이 주소로 인증 코드를 보냅니다".to_owned(),
        (Lang::En, Field::NewEmail) => "We'll send a code to this address".to_owned(),
        (Lang::Ko, Field::ConfirmUsername) => "삭제할 계정의 아이디를 그대로 입력하세요".to_owned(),
        (Lang::En, Field::ConfirmUsername) => {
            "Enter the username of the account to delete".to_owned()
        }
        (Lang::Ko, Field::CurrentPassword) => "지금 쓰고 있는 비밀번호".to_owned(),
        (Lang::En, Field::CurrentPassword) => "The password you use now".to_owned(),
        (_, Field::PasswordConfirm | Field::NewPasswordConfirm) => String::new(),
    }
}

/// The message for an API error code, whatever field (if any) it is about.
pub fn error_message(lang: Lang, code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    let (ko, en) = match code {
        MalformedBody => (
            "요청을 처리할 수 없습니다. 페이지를 새로고침해 주세요.",
            "The request could not be read. Please reload the page.",
        ),
        UnsupportedMediaType => (
            "지원하지 않는 요청 형식입니다. 페이지를 새로고침해 주세요.",
            "Unsupported request format. Please reload the page.",
        ),
        PayloadTooLarge => (
            "입력한 내용이 너무 깁니다.",
            "What you entered is too long.",
        ),
        NotFound => ("요청한 항목을 찾을 수 없습니다.", "That was not found."),
        MethodNotAllowed => (
            "허용되지 않는 요청입니다. 페이지를 새로고침해 주세요.",
            "That request is not allowed. Please reload the page.",
        ),
        ValidationFailed => (
            "입력한 내용을 확인해 주세요.",
            "Please check the highlighted fields.",
        ),
        UsernameTaken => (
            "이미 사용 중인 아이디입니다.",
            "This username is already taken.",
        ),
        NicknameTaken => (
            "이미 사용 중인 닉네임입니다.",
            "This nickname is already taken.",
        ),
        EmailTaken => (
            "이미 가입된 이메일입니다.",
            "This email address is already registered.",
        ),
        ResendCooldown => (
            "인증 코드를 방금 보냈습니다. 잠시 후에 다시 요청할 수 있습니다.",
            "A code was just sent. You can ask for another one shortly.",
        ),
        TooManyCodes => (
            "인증 코드를 너무 많이 요청했습니다.",
            "Too many codes have been requested for this address.",
        ),
        InvalidCode => (
            "인증 코드가 일치하지 않습니다.",
            "That code is not correct.",
        ),
        CodeExpired => (
            "인증 코드가 만료되었습니다. 새 코드를 받아 주세요.",
            "This code has expired. Please request a new one.",
        ),
        TooManyGuesses => (
            "이 주소로 잘못된 코드가 너무 많이 입력되었습니다. 나중에 다시 시도해 주세요.",
            "Too many wrong codes for this address. Please try again later.",
        ),
        MailUnavailable => (
            "지금은 메일을 보낼 수 없습니다. 잠시 후 다시 시도해 주세요.",
            "We can't send email right now. Please try again in a moment.",
        ),
        InvalidCredentials => (
            "아이디 또는 비밀번호가 올바르지 않습니다.",
            "Wrong username or password.",
        ),
        InvalidToken => (
            "로그인이 만료되었습니다. 다시 로그인해 주세요.",
            "Your session has expired. Please log in again.",
        ),
        TooManyAttempts => (
            "로그인 시도가 너무 많습니다. 잠시 후 다시 시도해 주세요.",
            "Too many failed log-ins for this account. Please wait a moment.",
        ),
        RateLimited => (
            "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
            "Too many requests. Please wait a moment.",
        ),
        AccountDisabled => (
            "이 계정은 사용이 중지되었습니다. 고객 지원에 문의해 주세요.",
            "This account has been disabled. Please contact support.",
        ),
        ServiceUnavailable => (
            "서비스를 잠시 사용할 수 없습니다. 잠시 후 다시 시도해 주세요.",
            "The service is briefly unavailable. Please try again in a moment.",
        ),
        Internal => (
            "서버에서 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
            "Something went wrong on our side. Please try again in a moment.",
        ),
        Required => ("필수 항목입니다.", "This field is required."),
        TooShort => ("너무 짧습니다.", "This is too short."),
        TooLong => ("너무 깁니다.", "This is too long."),
        InvalidCharacters => (
            "사용할 수 없는 문자가 들어 있습니다.",
            "This contains characters that are not allowed.",
        ),
        InvalidFormat => (
            "형식이 올바르지 않습니다.",
            "This is not in the right format.",
        ),
        WeakPassword => (
            "추측하기 쉬운 비밀번호입니다. 아이디나 이메일 아이디(@ 앞부분)가 들어가지 않게 해 주세요.",
            "This password is too easy to guess: it contains your username or the part of your email before @.",
        ),
        CommonPassword => (
            "너무 흔한 비밀번호입니다. 다른 비밀번호를 써 주세요.",
            "This password is one of the most common ones. Please choose another.",
        ),
    };
    pick(lang, ko, en)
}

/// The message next to `field` for `issue`, naming the field's limits where that helps.
pub fn issue_message(lang: Lang, field: Field, issue: &Issue) -> String {
    use rules::*;
    let code = match issue {
        Issue::PasswordMismatch => {
            return pick(
                lang,
                "비밀번호가 일치하지 않습니다.",
                "The passwords do not match.",
            )
            .into()
        }
        Issue::VerifyFirst => {
            return pick(
                lang,
                "'이메일 인증'을 눌러 인증 코드를 먼저 받아 주세요.",
                "Press “Verify email” to get a code first.",
            )
            .into()
        }
        Issue::WrongCode { attempts_left } => return wrong_code(lang, *attempts_left),
        Issue::NotThisAccount => {
            return pick(
                lang,
                "이 계정의 아이디와 다릅니다.",
                "That is not this account's username.",
            )
            .into()
        }
        Issue::Rule(code) => *code,
    };
    let min_max = match field {
        Field::Username => Some((USERNAME_MIN_LEN, USERNAME_MAX_LEN)),
        Field::Nickname => Some((NICKNAME_MIN_LEN, NICKNAME_MAX_LEN)),
        Field::Password
        | Field::PasswordConfirm
        | Field::NewPassword
        | Field::NewPasswordConfirm
        | Field::CurrentPassword => Some((PASSWORD_MIN_LEN, PASSWORD_MAX_LEN)),
        Field::ConfirmUsername => Some((USERNAME_MIN_LEN, USERNAME_MAX_LEN)),
        Field::Email | Field::NewEmail | Field::Code => None,
    };
    match (code, min_max, lang) {
        (ErrorCode::TooShort, Some((min, _)), Lang::Ko) => format!("{min}자 이상 입력해 주세요."),
        (ErrorCode::TooShort, Some((min, _)), Lang::En) => {
            format!("Use at least {min} characters.")
        }
        (ErrorCode::TooLong, Some((_, max)), Lang::Ko) => format!("{max}자 이하로 입력해 주세요."),
        (ErrorCode::TooLong, Some((_, max)), Lang::En) => format!("Use at most {max} characters."),
        _ => match (field, code) {
            (Field::Username, ErrorCode::InvalidCharacters) => pick(
                lang,
                "영문, 숫자, 밑줄(_)만 쓸 수 있습니다.",
                "Use only letters a–z, digits and _.",
            )
            .into(),
            (Field::Nickname, ErrorCode::InvalidCharacters) => pick(
                lang,
                "글자와 숫자, 단어 사이 한 칸 띄어쓰기만 쓸 수 있습니다.",
                "Use letters, digits and single spaces between words.",
            )
            .into(),
            (
                Field::Email | Field::NewEmail,
                ErrorCode::InvalidFormat | ErrorCode::InvalidCharacters,
            ) => pick(
                lang,
                "올바른 이메일 주소를 입력해 주세요.",
                "Enter a valid email address.",
            )
            .into(),
            (Field::Code, ErrorCode::InvalidFormat) => match lang {
                Lang::Ko => format!("메일로 받은 숫자 {CODE_LEN}자리를 입력해 주세요."),
                Lang::En => format!("Enter the {CODE_LEN} digits from the email."),
            },
            _ => error_message(lang, code).into(),
        },
    }
}

fn wrong_code(lang: Lang, attempts_left: Option<u32>) -> String {
    match (lang, attempts_left) {
        (Lang::Ko, None) => "인증 코드가 일치하지 않습니다.".into(),
        (Lang::En, None) => "That code is not correct.".into(),
        (Lang::Ko, Some(0)) => {
            "인증 코드가 일치하지 않습니다. 남은 시도가 없으니 새 코드를 받아 주세요.".into()
        }
        (Lang::En, Some(0)) => {
            "That code is not correct and no attempts are left. Please request a new code.".into()
        }
        (Lang::Ko, Some(n)) => format!("인증 코드가 일치하지 않습니다. 남은 시도: {n}회"),
        (Lang::En, Some(1)) => "That code is not correct. 1 attempt left.".into(),
        (Lang::En, Some(n)) => format!("That code is not correct. {n} attempts left."),
    }
}

/// The form-wide message.
pub fn alert_message(lang: Lang, alert: &Alert) -> String {
    match alert {
        Alert::FixFields => error_message(lang, ErrorCode::ValidationFailed).into(),
        Alert::Api { code, retry_after } => match retry_after {
            Some(secs) if *secs > 0 => {
                let lead = wait_lead(lang, *code).unwrap_or_else(|| error_message(lang, *code));
                format!("{lead} {}", retry_in(lang, *secs))
            }
            _ => error_message(lang, *code).into(),
        },
        Alert::Network => pick(
            lang,
            "서버에 연결할 수 없습니다. 인터넷 연결을 확인하고 다시 시도해 주세요.",
            "Can't reach the server. Check your connection and try again.",
        )
        .into(),
        Alert::Server { status } => match lang {
            Lang::Ko => {
                format!("서버에 일시적인 문제가 있습니다 ({status}). 잠시 후 다시 시도해 주세요.")
            }
            Lang::En => {
                format!("The server had a problem ({status}). Please try again in a moment.")
            }
        },
    }
}

/// What a refusal with a known wait says before "try again in …": the plain message of these
/// codes ends in "please wait a moment" or the like, which the exact wait replaces.
pub fn wait_lead(lang: Lang, code: ErrorCode) -> Option<&'static str> {
    let (ko, en) = match code {
        ErrorCode::TooManyAttempts => (
            "이 계정에 로그인 실패가 너무 많아 잠시 로그인할 수 없습니다.",
            "Too many failed log-ins for this account, so logging in is paused.",
        ),
        ErrorCode::RateLimited => (
            "요청이 너무 많습니다.",
            "Too many requests from your connection.",
        ),
        ErrorCode::MailUnavailable => (
            "지금은 메일을 보낼 수 없습니다.",
            "We can't send email right now.",
        ),
        ErrorCode::ServiceUnavailable => (
            "서비스를 잠시 사용할 수 없습니다.",
            "The service is briefly unavailable.",
        ),
        ErrorCode::Internal => (
            "서버에서 문제가 생겼습니다.",
            "Something went wrong on our side.",
        ),
        ErrorCode::ResendCooldown => (
            "이 주소로 코드를 방금 보냈습니다.",
            "A code was just sent to this address.",
        ),
        ErrorCode::TooManyGuesses => (
            "이 주소로 잘못된 코드가 너무 많이 입력되었습니다.",
            "Too many wrong codes for this address.",
        ),
        _ => return None,
    };
    Some(pick(lang, ko, en))
}

/// "Try again in …" for a wait in seconds.
pub fn retry_in(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::Ko => format!("{} 후에 다시 시도해 주세요.", duration(lang, secs)),
        Lang::En => format!("Try again in {}.", duration(lang, secs)),
    }
}

/// A wait in words: `45초`, `2분 5초`; `45 s`, `2 min 5 s`.
pub fn duration(lang: Lang, secs: u64) -> String {
    let (m, s) = (secs / 60, secs % 60);
    match (lang, m, s) {
        (Lang::Ko, 0, s) => format!("{s}초"),
        (Lang::Ko, m, 0) => format!("{m}분"),
        (Lang::Ko, m, s) => format!("{m}분 {s}초"),
        (Lang::En, 0, s) => format!("{s} s"),
        (Lang::En, m, 0) => format!("{m} min"),
        (Lang::En, m, s) => format!("{m} min {s} s"),
    }
}

/// `m:ss`, for the code's remaining time.
pub fn clock(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The remaining-time line under the code field.
pub fn code_expires_in(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::Ko => format!("남은 시간 {}", clock(secs)),
        Lang::En => format!("Code expires in {}", clock(secs)),
    }
}

/// The resend button while the cooldown runs.
pub fn resend_in(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::Ko => format!("다시 보내기 ({secs}초)"),
        Lang::En => format!("Resend in {secs} s"),
    }
}

/// Confirmation after a code was mailed.
pub fn code_sent(lang: Lang, email: &str) -> String {
    match lang {
        Lang::Ko => format!("{email}(으)로 인증 코드를 보냈습니다. 메일함을 확인해 주세요."),
        Lang::En => format!("We sent a code to {email}. Check your inbox."),
    }
}

/// The warning of the delete page, naming the account.
pub fn delete_warning(lang: Lang, username: &str) -> String {
    match lang {
        Lang::Ko => format!(
            "{username} 계정을 영구히 삭제합니다. 계정 정보와 모든 로그인이 지워지고 되돌릴 수 없습니다. \
             아이디와 이메일은 다시 가입에 쓸 수 있게 됩니다."
        ),
        Lang::En => format!(
            "This deletes the account {username} for good: its data and every session go, and \
             it cannot be undone. The username and email become free to sign up again."
        ),
    }
}

/// Confirmation after a reset was requested. The answer is the same whether or not the
/// address has an account, and so is this text.
pub fn reset_code_sent(lang: Lang, email: &str) -> String {
    match lang {
        Lang::Ko => format!(
            "{email}(으)로 가입한 계정이 있으면 재설정 코드를 보냈습니다. 메일함을 확인해 주세요."
        ),
        Lang::En => format!(
            "If {email} belongs to an account, we sent a reset code to it. Check your inbox."
        ),
    }
}

/// The greeting on the main page.
pub fn welcome(lang: Lang, nickname: &str) -> String {
    match lang {
        Lang::Ko => format!("{nickname}님 환영합니다"),
        Lang::En => format!("Welcome, {nickname}"),
    }
}

/// One-time notices carried to the login page.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

pub fn notice(lang: Lang, notice: &Notice) -> &'static str {
    let (ko, en) = match notice {
        Notice::Registered => (
            "가입이 완료되었습니다. 로그인해 주세요.",
            "Your account is ready. Please log in.",
        ),
        Notice::SessionExpired => (
            "로그인이 만료되었습니다. 다시 로그인해 주세요.",
            "Your session has expired. Please log in again.",
        ),
        Notice::LoggedOut => ("로그아웃되었습니다.", "You have been logged out."),
        Notice::LoggedOutEverywhere => (
            "모든 기기에서 로그아웃되었습니다.",
            "You have been logged out on every device.",
        ),
        Notice::PasswordChanged => (
            "비밀번호가 변경되었습니다. 모든 기기에서 로그아웃되었습니다. 새 비밀번호로 로그인해 주세요.",
            "Your password has been changed and you have been logged out on every device. Please log in with your new password.",
        ),
        Notice::PasswordChangedHere => (
            "비밀번호를 바꿨습니다. 다른 기기에서는 모두 로그아웃되었습니다.",
            "Your password is changed. Every other device has been logged out.",
        ),
        Notice::EmailChanged => (
            "이메일 주소를 바꿨습니다. 이전 주소로 알림을 보냈습니다.",
            "Your email address is changed. We told the old address.",
        ),
        Notice::AccountDeleted => (
            "계정을 삭제했습니다. 그동안 이용해 주셔서 감사합니다.",
            "Your account is deleted. Thank you for having been with us.",
        ),
    };
    pick(lang, ko, en)
}

/// The current language, provided at the root; every text read through it re-renders on a
/// switch.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang: RwSignal::new(lang),
        }
    }

    /// Reactive: the current language.
    pub fn get(&self) -> Lang {
        self.lang.get()
    }

    /// Reactive: a static text in the current language.
    pub fn t(&self, key: T) -> &'static str {
        t(self.get(), key)
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}
