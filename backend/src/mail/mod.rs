//! Outgoing mail through lettre: one pool of SMTP connections per process ([`pool`]), every
//! send bounded by a timeout (lettre's own only covers the TCP connect).

mod pool;
mod templates;

use std::time::Duration;

use anyhow::Context;
use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    Message,
};
use shared::Locale;

use crate::{
    config::SmtpSettings,
    domain::CodePurpose,
    domain::{EmailAddress, VerificationCode},
};
pub use templates::{Rendered, Templates, KINDS};

/// A security notice: what happened to the account (the mail says when).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    PasswordChanged,
    /// Sent to the old address; names the new one masked (`n***@example.com`).
    EmailChanged {
        new_email_masked: String,
    },
    AccountDeleted,
    SecondFactorDisabled,
    /// TOTP was turned on.
    SecondFactorEnabled,
    PasskeyAdded {
        name: String,
    },
    PasskeyRemoved {
        name: String,
    },
    RecoveryCodesReplaced,
    /// The strangers' second-step pool filled: someone who knows the password is failing
    /// the second step.
    SecondStepFailing,
    /// Every passkey and TOTP were removed; `reason` is `reset` (a password reset) or
    /// `operator` (`backend admin reset-mfa`).
    SecondFactorsRemoved {
        reason: String,
    },
    /// A sign-in from a new device on a new network: what the `User-Agent` says, the client
    /// address, how (`password`, `email_code+totp`, …) and the "this wasn't me" link.
    NewSignIn {
        browser: String,
        system: String,
        ip: String,
        method: String,
        link: String,
    },
}

impl Notice {
    /// The name in logs and in the outbox.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::PasswordChanged => "password_changed",
            Notice::EmailChanged { .. } => "email_changed",
            Notice::AccountDeleted => "account_deleted",
            Notice::SecondFactorDisabled => "second_factor_disabled",
            Notice::SecondFactorEnabled => "second_factor_enabled",
            Notice::PasskeyAdded { .. } => "passkey_added",
            Notice::PasskeyRemoved { .. } => "passkey_removed",
            Notice::RecoveryCodesReplaced => "recovery_codes_replaced",
            Notice::SecondStepFailing => "second_step_failing",
            Notice::SecondFactorsRemoved { .. } => "second_factors_removed",
            Notice::NewSignIn { .. } => "new_sign_in",
        }
    }
}

/// What is mailed instead of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsteadOfCode {
    /// A password reset for an address that has no account.
    NoAccount,
    /// A signup for an address that already has one.
    AccountExists,
    /// An email change to an address another account has.
    EmailChangeTaken,
    /// A sign-in code for an address that has no account.
    NoAccountSignIn,
}

#[derive(Clone)]
pub struct Mailer {
    pool: std::sync::Arc<pool::SmtpPool>,
    from: Mailbox,
    timeout: Duration,
    templates: std::sync::Arc<Templates>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The mail server refused the recipient's address itself (501 syntax error in the
    /// address, 553 mailbox name not allowed): the person must correct it; retrying won't help.
    #[error("SMTP server refused the recipient address ({0})")]
    RecipientRefused(u16),
    #[error("SMTP send did not finish within {0:?}")]
    Timeout(Duration),
    #[error("SMTP send failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("SMTP connection failed: {0}")]
    Connect(String),
    #[error("building the message failed: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("recipient address refused: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("rendering the mail failed: {0:#}")]
    Template(anyhow::Error),
}

impl Mailer {
    pub fn new(settings: &SmtpSettings, from: &str, templates: Templates) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .context("APP_MAIL_FROM is not a valid mailbox")?;
        Ok(Self {
            pool: std::sync::Arc::new(pool::SmtpPool::new(settings, Duration::from_secs(30))?),
            from,
            timeout: settings.timeout,
            templates: std::sync::Arc::new(templates),
        })
    }

    pub async fn send_code(
        &self,
        to: &EmailAddress,
        code: &VerificationCode,
        purpose: CodePurpose,
        valid_for: Duration,
        locale: Locale,
    ) -> Result<(), MailError> {
        let rendered = self
            .templates
            .code_mail(purpose, code, valid_for, locale)
            .map_err(MailError::Template)?;
        let kind = match purpose {
            CodePurpose::Signup => "code_signup",
            CodePurpose::PasswordReset => "code_password_reset",
            CodePurpose::EmailChange => "code_email_change",
            CodePurpose::SignIn => "code_sign_in",
        };
        self.send(to, rendered, kind).await
    }

    /// A notice mailed where a code would be, so that the answer never tells whether the
    /// address has an account.
    pub async fn send_instead_of_code(
        &self,
        to: &EmailAddress,
        notice: InsteadOfCode,
        locale: Locale,
    ) -> Result<(), MailError> {
        let t = &self.templates;
        let (rendered, kind) = match notice {
            InsteadOfCode::NoAccount => (t.no_account(locale), "no_account"),
            InsteadOfCode::AccountExists => (t.account_exists(locale), "account_exists"),
            InsteadOfCode::EmailChangeTaken => (t.email_change_taken(locale), "email_change_taken"),
            InsteadOfCode::NoAccountSignIn => (t.sign_in_no_account(locale), "sign_in_no_account"),
        };
        self.send(to, rendered.map_err(MailError::Template)?, kind)
            .await
    }

    /// A security notice: what happened and when, and what to do if it was not them.
    pub async fn send_notice(
        &self,
        to: &EmailAddress,
        notice: &Notice,
        at: mongodb::bson::DateTime,
        locale: Locale,
    ) -> Result<(), MailError> {
        let rendered = self
            .templates
            .notice(notice, at, locale)
            .map_err(MailError::Template)?;
        self.send(to, rendered, notice.kind()).await
    }

    /// Sends one mail of `kind` (counted in the metrics, sent or not).
    #[tracing::instrument(name = "smtp.send", skip_all, fields(mail.kind = kind))]
    async fn send(
        &self,
        to: &EmailAddress,
        rendered: Rendered,
        kind: &'static str,
    ) -> Result<(), MailError> {
        let result = self.send_once(to, rendered).await;
        crate::stats::mail(kind, result.is_ok());
        result
    }

    async fn send_once(&self, to: &EmailAddress, rendered: Rendered) -> Result<(), MailError> {
        // The address was parsed by EmailAddress (no whitespace/CRLF), so it cannot inject
        // headers; lettre parses it again into a Mailbox.
        let to: Mailbox = to.as_str().parse()?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(rendered.text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(rendered.html),
                    ),
            )?;
        let formatted = message.formatted();
        let sent = self.pool.send(message.envelope(), &formatted);
        match tokio::time::timeout(self.timeout, sent).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(MailError::Smtp(e))) => match e.status().map(u16::from) {
                Some(code @ (501 | 553)) => Err(MailError::RecipientRefused(code)),
                _ => Err(MailError::Smtp(e)),
            },
            Ok(Err(e)) => Err(e),
            Err(_) => Err(MailError::Timeout(self.timeout)),
        }
    }
}
