//! Second factors and passkeys: the bodies of `/api/mfa/*`, `/api/login/mfa` and
//! `/api/passkeys/*`.
//!
//! WebAuthn options and credentials travel as the JSON the WebAuthn Level 3 `toJSON()` forms
//! use (binary fields as unpadded base64url). They are carried here as opaque JSON values so
//! that this crate needs no WebAuthn library; the server parses them with `webauthn-rs`.

use serde::{Deserialize, Serialize};

use crate::object::ObjectOnly;

/// A way to pass the second step of a password login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MfaMethod {
    /// A 6-digit code from an authenticator app (RFC 6238).
    Totp,
    /// One of the single-use recovery codes shown when TOTP was enabled.
    RecoveryCode,
    /// One of the account's passkeys (`POST /api/login/mfa/passkey/start`, then
    /// `POST /api/login/mfa` with `passkey`).
    Passkey,
}

dto! {
    /// `200` answer of `POST /api/login` (right password) when the account has a second factor on:
    /// no token yet, only a ticket for `POST /api/login/mfa`. The ticket lives 5 minutes, allows 5
    /// wrong codes and is single-use.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "mfa_required": true,
        "mfa_token": "mfa1_Vb0v7cQ2o9yB3kXr1sZp8uLq4wEj6nHt5aMd0fGi2c",
        "methods": ["totp", "recovery_code", "passkey"]
    })))]
    pub struct MfaChallenge {
        /// Always `true`: tells this answer from a `LoginResponse`.
        pub mfa_required: bool,
        /// The ticket for `POST /api/login/mfa`.
        pub mfa_token: String,
        /// The methods this account can use for the second step.
        pub methods: Vec<MfaMethod>,
    }
}

/// `POST /api/login/mfa`: finish a password login with exactly one of `code`,
/// `recovery_code` or `passkey`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "mfa_token": "mfa1_Vb0v7cQ2o9yB3kXr1sZp8uLq4wEj6nHt5aMd0fGi2c", "code": "123456"
})))]
#[serde(deny_unknown_fields)]
pub struct LoginMfaRequest {
    /// The ticket from `POST /api/login`.
    pub mfa_token: String,
    /// A current TOTP code (6 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// An unused recovery code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
    /// The assertion (`PublicKeyCredential.toJSON()`) answering the options of
    /// `POST /api/login/mfa/passkey/start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub passkey: Option<serde_json::Value>,
}

dto! {
    /// `POST /api/login/mfa/passkey/start`: ask for WebAuthn request options for the second step.
    #[serde(deny_unknown_fields)]
    pub struct MfaTicket {
        /// The ticket from `POST /api/login`.
        pub mfa_token: String,
    }

    /// `200` answer of `POST /api/mfa/totp/setup`: a new secret, not active until
    /// `POST /api/mfa/totp/enable` confirms a code from it.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "otpauth_uri": "otpauth://totp/emailauth:hong_gildong?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=emailauth&algorithm=SHA1&digits=6&period=30"
    })))]
    pub struct TotpSetup {
        /// The shared secret, base32 (for typing into an app by hand).
        pub secret: String,
        /// The same secret as an `otpauth://` URI (what the QR code encodes).
        pub otpauth_uri: String,
    }

    /// `POST /api/mfa/totp/enable`: turn TOTP on by proving the app shows the right codes.
    #[cfg_attr(feature = "openapi", schema(example = json!({"code": "123456"})))]
    #[serde(deny_unknown_fields)]
    pub struct TotpEnableRequest {
        /// A current code from the secret of the last setup.
        pub code: String,
    }

    /// `200` answer of `POST /api/mfa/totp/enable` and `POST /api/mfa/recovery_codes`: ten
    /// single-use recovery codes, shown this once (only their hashes are stored).
    pub struct RecoveryCodes {
        pub recovery_codes: Vec<String>,
    }

    /// `POST /api/mfa/totp/disable`: turn TOTP off with the password and exactly one of `code` or
    /// `recovery_code`.
    #[serde(deny_unknown_fields)]
    pub struct TotpDisableRequest {
        /// The account's password. At most 128 characters.
        #[password]
        pub password: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub recovery_code: Option<String>,
    }

    /// `POST /api/mfa/recovery_codes`: replace the recovery codes (the old ones stop working),
    /// proving the password and exactly one of a current `code` or an unused `recovery_code`.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "password": "my current passphrase", "code": "123456"
    })))]
    #[serde(deny_unknown_fields)]
    pub struct RecoveryCodesRequest {
        /// The account's password. At most 128 characters.
        #[password]
        pub password: String,
        /// A current TOTP code (6 digits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub code: Option<String>,
        /// An unused recovery code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub recovery_code: Option<String>,
    }

    /// Fresh proof for a change to the account's factors (adding or removing a passkey, setting up
    /// TOTP): the password, and when the account has TOTP on, exactly one of a current `code` or an
    /// unused `recovery_code`. May be left out (`{}`) when this session proved the same within the
    /// last few minutes (`APP_STEP_UP_TTL_SECS`, 300 by default) — a sign-in alone never counts.
    #[derive(Default)]
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "password": "my current passphrase", "code": "123456"
    })))]
    #[serde(deny_unknown_fields, from = "ObjectOnly<StepUpFields>")]
    pub struct StepUpRequest {
        /// The account's password. At most 128 characters.
        #[password]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub password: Option<String>,
        /// A current TOTP code (6 digits), when TOTP is on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub code: Option<String>,
        /// An unused recovery code, when TOTP is on (instead of `code`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub recovery_code: Option<String>,
    }

    /// `200` answer of `GET /api/mfa`: the signed-in account's second factors.
    pub struct MfaStatus {
        pub totp_enabled: bool,
        /// Unused recovery codes left (0 when TOTP is off).
        pub recovery_codes_remaining: u32,
        /// Registered passkeys.
        pub passkeys: u32,
    }
}

/// [`StepUpRequest`]'s fields as read from the wire (an object only: [`ObjectOnly`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepUpFields {
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    recovery_code: Option<String>,
}

impl From<ObjectOnly<StepUpFields>> for StepUpRequest {
    fn from(ObjectOnly(f): ObjectOnly<StepUpFields>) -> Self {
        StepUpRequest {
            password: f.password,
            code: f.code,
            recovery_code: f.recovery_code,
        }
    }
}

/// `200` answer of the WebAuthn `start` endpoints: the options to hand to
/// `navigator.credentials.create()` / `.get()` (as `publicKey`), and the id of the server-side
/// challenge that `finish` consumes (single-use, 5 minutes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebauthnChallenge {
    pub challenge_id: String,
    /// `{"publicKey": {...}}` with binary fields as base64url.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: serde_json::Value,
}

/// `{}`: the body of the WebAuthn `start` endpoints that need nothing. Only an empty object is
/// accepted (a derived `Deserialize` would also take `[]`, which the schema refuses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, from = "ObjectOnly<NoFields>")]
pub struct EmptyBody {}

/// [`EmptyBody`] as read from the wire (an object only: [`ObjectOnly`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

impl From<ObjectOnly<NoFields>> for EmptyBody {
    fn from(_: ObjectOnly<NoFields>) -> Self {
        EmptyBody {}
    }
}

/// `POST /api/passkeys/register/start` (signed in): the step-up proof.
pub type PasskeyRegisterStart = StepUpRequest;

/// `POST /api/passkeys/register/finish`: store the new credential under a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegisterFinish {
    pub challenge_id: String,
    /// A name the owner recognises ("YubiKey", "노트북"): 1 to 64 characters after trimming,
    /// no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = r"\S")
    )]
    pub name: String,
    /// `PublicKeyCredential.toJSON()` of the new credential.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: serde_json::Value,
}

/// `POST /api/passkeys/login/finish`: sign in with a discoverable passkey alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginFinish {
    pub challenge_id: String,
    /// `PublicKeyCredential.toJSON()` of the assertion.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: serde_json::Value,
}

dto! {
    /// One passkey of the signed-in account: `201` of register/finish, items of `GET /api/passkeys`.
    pub struct PasskeyInfo {
        /// What `DELETE /api/passkeys/{id}` takes.
        pub id: String,
        pub name: String,
        /// Unix seconds.
        pub created_at: i64,
        /// Unix seconds of the last sign-in with it, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_used_at: Option<i64>,
    }

    /// `200` answer of `GET /api/passkeys`, newest first.
    pub struct PasskeyList {
        pub passkeys: Vec<PasskeyInfo>,
    }
}

#[cfg(test)]
mod tests {
    use super::EmptyBody;

    #[test]
    fn an_empty_body_is_an_empty_object_only() {
        assert_eq!(
            serde_json::from_str::<EmptyBody>("{}").unwrap(),
            EmptyBody {}
        );
        assert!(serde_json::from_str::<EmptyBody>("[]").is_err());
        assert!(serde_json::from_str::<EmptyBody>(r#"{"a": 1}"#).is_err());
        assert!(serde_json::from_str::<EmptyBody>("null").is_err());
    }
}

/// What a right first factor answers with `200` (`POST /api/login`, `/api/login/code/confirm`):
/// a session, or the ticket of the second step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginAnswer {
    /// No second factor needed: signed in.
    Session(crate::LoginResponse),
    /// TOTP is on: the ticket for `POST /api/login/mfa`.
    Challenge(MfaChallenge),
}
