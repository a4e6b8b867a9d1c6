//! Request and response bodies of the JSON API.

use serde::{Deserialize, Serialize};

use crate::object::ObjectOnly;

/// Language of the verification mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Korean (the default).
    #[default]
    Ko,
    /// English.
    En,
}

impl Locale {
    /// Every language, the default first (the order of the client's language switch).
    pub const ALL: [Locale; 2] = [Locale::Ko, Locale::En];

    /// BCP 47 tag: the wire name, `<html lang>`, the client's stored choice, and the name of
    /// the message and mail template files.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ko => "ko",
            Locale::En => "en",
        }
    }

    /// `ko`, `ko-KR` → Korean; `en`, `en-GB` → English; anything else → none.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next()?;
        Locale::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The first supported language in a preference list (the browser's); Korean otherwise.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Locale {
        preferred
            .into_iter()
            .find_map(Locale::from_tag)
            .unwrap_or_default()
    }
}

dto! {
    /// `POST /api/email_auth`: ask for a verification code for a prospective account.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "username": "hong_gildong", "nickname": "길동", "email": "gildong@example.com", "locale": "ko"
    })))]
    #[serde(deny_unknown_fields)]
    pub struct EmailAuthRequest {
        /// 3–20 ASCII letters, digits or `_`; unique case-insensitively.
        #[username]
        pub username: String,
        /// 2–20 letters, digits and single inner spaces after NFC and trimming (so the raw value
        /// may be longer); no invisible or control characters; unique up to case and Unicode
        /// look-alikes (UTS #39 confusable skeleton).
        #[cfg_attr(feature = "openapi", schema(min_length = 2))]
        pub nickname: String,
        /// Where the six-digit code is sent. At most 254 bytes, one `@`, local part at most 64
        /// bytes, a dotted domain name (not an IP address); no whitespace, control characters,
        /// quotes, backslashes, angle brackets, commas, semicolons or parentheses.
        #[email]
        pub email: String,
        /// Language of the mail (`ko` when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub locale: Option<Locale>,
    }

    /// `202 Accepted` answer of `POST /api/email_auth`. The code itself is only ever mailed.
    #[derive(Copy)]
    #[cfg_attr(feature = "openapi", schema(example = json!({"expires_in": 600, "resend_after": 60})))]
    pub struct EmailAuthResponse {
        /// Seconds until the mailed code expires.
        pub expires_in: u64,
        /// Seconds before another code may be requested for the same address.
        pub resend_after: u64,
    }

    /// `POST /api/register`: create the account with the mailed code.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "username": "hong_gildong", "password": "correct horse battery staple",
        "nickname": "길동", "email": "gildong@example.com", "code": "042917"
    })))]
    #[serde(deny_unknown_fields)]
    pub struct RegisterRequest {
        /// As in `POST /api/email_auth`.
        #[username]
        pub username: String,
        /// 8–128 characters (Unicode scalar values), not containing the username or the email's
        /// local part (≥ 3 characters, `weak_password`), not a common password (`common_password`).
        #[new_password]
        pub password: String,
        /// As in `POST /api/email_auth`.
        #[cfg_attr(feature = "openapi", schema(min_length = 2))]
        pub nickname: String,
        /// The address the code was mailed to.
        #[email]
        pub email: String,
        /// The six digits from the mail.
        #[code]
        pub code: String,
    }

    /// The public profile of an account: `201` of register, `200` of nick.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "username": "hong_gildong", "nickname": "길동", "email": "gildong@example.com"
    })))]
    pub struct UserProfile {
        pub username: String,
        pub nickname: String,
        pub email: String,
    }

    /// `POST /api/login`.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "username": "hong_gildong", "password": "correct horse battery staple"
    })))]
    #[serde(deny_unknown_fields)]
    pub struct LoginRequest {
        /// The username (compared case-insensitively).
        #[cfg_attr(feature = "openapi", schema(min_length = 1))]
        pub username: String,
        /// At most 128 characters.
        #[password]
        pub password: String,
    }

    /// `200` answer of `POST /api/login` and `POST /api/token/refresh`.
    ///
    /// API clients get the refresh token in the body. A browser client asks for the cookie
    /// transport (`X-Token-Transport: cookie`): the refresh token then travels only in the
    /// `HttpOnly` cookie `emailauth_refresh` and `refresh_token` is absent here, so page script
    /// never sees it.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.signature",
        "token_type": "Bearer", "expires_in": 900,
        "refresh_token": "rt1_3q2-7wAAAAAAAAABhJ3v0k9yqgQ4b6c0YbWm3Jd0uVnq8x2cXg1Zt5Hk7FqLrE",
        "refresh_expires_in": 2592000
    })))]
    pub struct LoginResponse {
        /// A JWT to send as `Authorization: Bearer <token>`; it names its session (`sid`).
        pub access_token: String,
        /// Always `Bearer`.
        pub token_type: String,
        /// Seconds until the access token expires (15 minutes by default).
        pub expires_in: u64,
        /// Single-use: exchange it at `POST /api/token/refresh` for a new pair before it expires.
        /// Absent with the cookie transport.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub refresh_token: Option<String>,
        /// Seconds until the refresh token expires unused (the session's idle expiry, capped by
        /// its absolute expiry).
        pub refresh_expires_in: u64,
    }

    /// `POST /api/token/refresh`.
    #[derive(Default)]
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "refresh_token": "rt1_3q2-7wAAAAAAAAABhJ3v0k9yqgQ4b6c0YbWm3Jd0uVnq8x2cXg1Zt5Hk7FqLrE"
    })))]
    #[serde(deny_unknown_fields, from = "ObjectOnly<RefreshFields>")]
    pub struct RefreshRequest {
        /// The refresh token from the last login or refresh. Omit it (send `{}`) when it travels in
        /// the `emailauth_refresh` cookie.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub refresh_token: Option<String>,
    }

    /// One live session of the signed-in person, in `GET /api/sessions`.
    pub struct SessionInfo {
        /// The session's id (what `DELETE /api/sessions/{id}` takes).
        pub id: String,
        /// When the session began (the login), RFC 3339.
        pub created_at: String,
        /// When its refresh token was last used (or the login), RFC 3339.
        pub last_used_at: String,
        /// The client address at login or last refresh.
        pub ip: String,
        /// The client's `User-Agent` at login or last refresh, truncated to 256 characters.
        pub user_agent: String,
        /// Whether this is the session of the token that made the request.
        pub current: bool,
        /// How the session was signed in to: `password`, `passkey`, `email_code`, or the first
        /// factor and the second step (`password+totp`, `password+recovery_code`,
        /// `password+passkey`, `email_code+totp`, …). Absent for sessions older than this field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub method: Option<String>,
    }

    /// `200` answer of `GET /api/sessions`: newest use first.
    pub struct SessionList {
        pub sessions: Vec<SessionInfo>,
    }

    /// `200` answer of the health endpoints.
    pub struct HealthStatus {
        /// `ok`, or `unavailable` when a dependency does not answer.
        pub status: String,
    }

    /// `POST /api/password_reset/request`: mail a reset code. Answered the same way whether or not
    /// the address has an account.
    #[cfg_attr(feature = "openapi", schema(example = json!({"email": "gildong@example.com", "locale": "ko"})))]
    #[serde(deny_unknown_fields)]
    pub struct PasswordResetRequest {
        /// The account's address. At most 254 bytes.
        #[email]
        pub email: String,
        /// Language of the mail (`ko` when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub locale: Option<Locale>,
    }

    /// `POST /api/password_reset/confirm`: set a new password with the mailed code. Every token
    /// issued before is invalidated.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "email": "gildong@example.com", "code": "042917", "new_password": "a new long passphrase"
    })))]
    #[serde(deny_unknown_fields)]
    pub struct PasswordResetConfirm {
        #[email]
        pub email: String,
        /// The six digits from the reset mail.
        #[code]
        pub code: String,
        /// 8–128 characters, not a common password, not containing the username or the email's
        /// local part.
        #[new_password]
        pub new_password: String,
        /// `false` (the default): the reset also removes every passkey and turns two-step login
        /// off, so that nothing added by someone who knew the old password outlives it. `true`
        /// keeps them (the owner recognises every one of them).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pub keep_second_factors: bool,
    }

    /// `POST /api/password/change`: set a new password while signed in, proving the current one.
    /// (The examples of this and the other account-changing bodies deliberately do not use the
    /// `LoginRequest` example's password: contract runs sign in as that user and send examples.)
    /// Every other session of the account ends; the one of this request stays.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "current_password": "my current passphrase", "new_password": "a new long passphrase"
    })))]
    #[serde(deny_unknown_fields)]
    pub struct PasswordChangeRequest {
        /// The password in use now. At most 128 characters.
        #[password]
        pub current_password: String,
        /// 8–128 characters, not a common password, not containing the username or the email's
        /// local part.
        #[new_password]
        pub new_password: String,
    }

    /// `POST /api/email/change/request`: mail a code to a new address for the signed-in account.
    /// Answered the same way whether or not the new address belongs to another account.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "new_email": "gildong.new@example.com", "password": "my current passphrase"
    })))]
    #[serde(deny_unknown_fields)]
    pub struct EmailChangeRequest {
        /// Where the code is sent: the address the account should have. At most 254 bytes.
        #[email]
        pub new_email: String,
        /// The account's password. At most 128 characters.
        #[password]
        pub password: String,
    }

    /// `POST /api/email/change/confirm`: move the signed-in account to the new address with the
    /// code mailed there.
    #[cfg_attr(feature = "openapi", schema(example = json!({"code": "042917"})))]
    #[serde(deny_unknown_fields)]
    pub struct EmailChangeConfirm {
        /// The six digits from the mail to the new address.
        #[code]
        pub code: String,
    }

    /// `DELETE /api/account`: delete the signed-in account for good, proving its password.
    #[cfg_attr(feature = "openapi", schema(example = json!({"password": "my current passphrase"})))]
    #[serde(deny_unknown_fields)]
    pub struct AccountDeleteRequest {
        /// The account's password. At most 128 characters.
        #[password]
        pub password: String,
    }
}

/// [`RefreshRequest`]'s fields as read from the wire (an object only: [`ObjectOnly`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshFields {
    #[serde(default)]
    refresh_token: Option<String>,
}

impl From<ObjectOnly<RefreshFields>> for RefreshRequest {
    fn from(ObjectOnly(f): ObjectOnly<RefreshFields>) -> Self {
        RefreshRequest {
            refresh_token: f.refresh_token,
        }
    }
}

#[cfg(test)]
mod locale_tests {
    use super::Locale;

    #[test]
    fn tag_is_the_wire_name() {
        for locale in Locale::ALL {
            let wire = serde_json::to_string(&locale).unwrap();
            assert_eq!(wire, format!("\"{}\"", locale.tag()));
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        }
    }

    #[test]
    fn negotiate_takes_the_first_supported_language() {
        assert_eq!(Locale::negotiate(["en-US", "ko"]), Locale::En);
        assert_eq!(Locale::negotiate(["fr-FR", "ko-KR", "en"]), Locale::Ko);
        assert_eq!(Locale::negotiate(["fr-FR", "EN_gb"]), Locale::En);
        assert_eq!(Locale::negotiate(["de", "ja", ""]), Locale::Ko);
        assert_eq!(Locale::negotiate([]), Locale::Ko);
    }
}
