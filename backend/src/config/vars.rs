//! The one declaration of the configuration: every `APP_*` variable with its type and its
//! default ([`Vars`]), read from a map of variables through `figment`. A test holds the table
//! of `docs/configuration.md` to these names and defaults.

use std::{collections::HashMap, net::IpAddr, path::PathBuf};

use figment::{
    value::{Dict, Map, Value},
    Figment, Metadata, Profile, Provider,
};
use serde::{Deserialize, Serialize};

use super::{Environment, JwtAlgorithm, LogFormat, SmtpTls};

/// Every `APP_*` variable with its type and default: the one declaration of the configuration.
/// Field `foo_bar` is read from `APP_FOO_BAR`; an unset or empty variable keeps the default.
/// [`Settings::from_vars`] turns it into [`Settings`] (secrets, cross-checks, derived values),
/// and a test holds the table of `docs/configuration.md` to these names and defaults.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Vars {
    pub env: Environment,
    pub host: IpAddr,
    pub port: u16,
    pub mongodb_uri: String,
    pub mongodb_db: String,
    pub mongodb_timeout_secs: u64,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_username: Option<String>,
    #[serde(skip_serializing)]
    pub smtp_password: Option<String>,
    pub smtp_tls: SmtpTls,
    pub smtp_timeout_secs: u64,
    pub smtp_connections: u32,
    pub mail_from: String,
    pub product_name: String,
    pub support_email: Option<String>,
    pub mail_templates_dir: Option<PathBuf>,
    pub outbox_interval_secs: u64,
    pub sessions_upkeep_secs: u64,
    #[serde(skip_serializing)]
    pub jwt_secret: Option<String>,
    #[serde(skip_serializing)]
    pub jwt_previous_secret: Option<String>,
    pub jwt_algorithm: JwtAlgorithm,
    /// EdDSA signing key, PKCS#8 PEM; unset: derived from the JWT secret.
    #[serde(skip_serializing)]
    pub jwt_private_key: Option<String>,
    /// EdDSA, after a rotation: the previous public key (SPKI PEM).
    pub jwt_previous_public_key: Option<String>,
    pub jwt_ttl_secs: u64,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub session_ttl_secs: u64,
    pub session_idle_secs: u64,
    pub refresh_grace_secs: u64,
    pub session_cache_capacity: u64,
    pub session_cache_heartbeat_ms: u64,
    pub session_cache_max_lag_ms: u64,
    pub public_origin: Option<String>,
    #[serde(skip_serializing)]
    pub code_pepper: Option<String>,
    pub code_ttl_secs: u64,
    pub code_max_attempts: u32,
    pub code_max_failures_per_day: u32,
    pub resend_cooldown_secs: u64,
    pub codes_per_email_per_hour: u32,
    pub codes_per_ip_per_hour: u32,
    pub login_max_failures: u32,
    pub login_failure_window_secs: u64,
    pub login_device_ttl_secs: u64,
    pub login_known_network_ttl_secs: u64,
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// Comma-separated addresses or networks.
    pub trusted_proxies: Option<String>,
    pub ipv6_prefix: crate::throttle::Ipv6Prefix,
    /// Comma-separated origins.
    pub cors_origins: Option<String>,
    /// Unset: the number of cores.
    pub hash_concurrency: Option<usize>,
    /// Unset: [`HASH_QUEUE_PER_THREAD`] × the hashing threads.
    pub hash_queue: Option<usize>,
    pub static_dir: PathBuf,
    pub shutdown_grace_secs: u64,
    /// Unset: `json` in production, `pretty` otherwise.
    pub log_format: Option<LogFormat>,
    /// Where development secrets are generated and kept.
    pub dev_secrets_file: PathBuf,
    /// Bearer secret of `POST /api/token/introspect`; unset: no such endpoint.
    #[serde(skip_serializing)]
    pub introspection_secret: Option<String>,
    /// Unset: no metrics listener; `0`: any free port (tests).
    pub metrics_port: Option<u16>,
    pub metrics_addr: IpAddr,
    /// Unset: no admin listener; `0`: any free port (tests).
    pub admin_port: Option<u16>,
    pub admin_addr: IpAddr,
    pub admin_console_dir: PathBuf,
    pub webauthn_rp_id: String,
    pub webauthn_rp_origin: String,
    pub webauthn_rp_name: String,
    pub webauthn_challenge_ttl_secs: u64,
    pub totp_issuer: String,
    /// 32 bytes, hex or base64; development generates one.
    #[serde(skip_serializing)]
    pub mfa_encryption_key: Option<String>,
    pub mfa_ticket_ttl_secs: u64,
    pub mfa_ticket_max_attempts: u32,
    pub mfa_max_failures: u32,
    pub mfa_failure_window_secs: u64,
    pub step_up_ttl_secs: u64,
    pub passkeys_max: u32,
    pub sessions_max: u32,
    pub login_max_failures_total: u32,
    pub new_signin_alerts: bool,
    pub not_me_ttl_secs: u64,
    pub activity_retention_days: u64,
    /// Comma-separated endpoint URLs; unset: no webhooks.
    pub webhook_urls: Option<String>,
    /// `whsec_` + base64 of at least 24 bytes.
    #[serde(skip_serializing)]
    pub webhook_secret: Option<String>,
    /// During a rotation: the secret receivers knew before (both signatures are sent).
    #[serde(skip_serializing)]
    pub webhook_previous_secret: Option<String>,
    /// Comma-separated event types (`user.created`, `session.*`); unset: every type.
    pub webhook_events: Option<String>,
    /// Comma-separated hosts, addresses or networks that production may deliver to although
    /// they are loopback, private, link-local or metadata addresses.
    pub webhook_allow_private: Option<String>,
    pub webhook_timeout_ms: u64,
    pub webhook_retry_base_ms: u64,
    pub webhook_retry_max_secs: u64,
    pub webhook_retry_for_secs: u64,
    pub webhook_poll_ms: u64,
}

impl Default for Vars {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            mongodb_uri: "mongodb://127.0.0.1:27017".into(),
            mongodb_db: "emailauth".into(),
            mongodb_timeout_secs: 5,
            smtp_host: "127.0.0.1".into(),
            smtp_port: 1025,
            smtp_username: None,
            smtp_password: None,
            smtp_tls: SmtpTls::None,
            smtp_timeout_secs: 10,
            smtp_connections: 16,
            mail_from: "Email Auth <no-reply@example.com>".into(),
            product_name: "Email Auth".into(),
            support_email: None,
            mail_templates_dir: None,
            outbox_interval_secs: 30,
            sessions_upkeep_secs: 60,
            jwt_secret: None,
            jwt_previous_secret: None,
            jwt_algorithm: JwtAlgorithm::EdDSA,
            jwt_private_key: None,
            jwt_previous_public_key: None,
            jwt_ttl_secs: 900,
            jwt_issuer: "emailauth".into(),
            jwt_audience: "emailauth-api".into(),
            session_ttl_secs: 30 * 24 * 3600,
            session_idle_secs: 7 * 24 * 3600,
            refresh_grace_secs: 10,
            session_cache_capacity: 100_000,
            session_cache_heartbeat_ms: 100,
            session_cache_max_lag_ms: 300,
            public_origin: None,
            code_pepper: None,
            code_ttl_secs: 600,
            code_max_attempts: 5,
            code_max_failures_per_day: 20,
            resend_cooldown_secs: 60,
            codes_per_email_per_hour: 5,
            codes_per_ip_per_hour: 30,
            login_max_failures: 10,
            login_failure_window_secs: 900,
            login_device_ttl_secs: 365 * 24 * 3600,
            login_known_network_ttl_secs: 90 * 24 * 3600,
            rate_limit_per_second: 5,
            rate_limit_burst: 30,
            trusted_proxies: None,
            ipv6_prefix: crate::throttle::Ipv6Prefix::default(),
            cors_origins: None,
            hash_concurrency: None,
            hash_queue: None,
            static_dir: "frontend/dist".into(),
            shutdown_grace_secs: 30,
            log_format: None,
            dev_secrets_file: ".dev-secrets.env".into(),
            introspection_secret: None,
            metrics_port: None,
            metrics_addr: IpAddr::from([127, 0, 0, 1]),
            admin_port: None,
            admin_addr: IpAddr::from([127, 0, 0, 1]),
            admin_console_dir: "console/dist".into(),
            webauthn_rp_id: "localhost".into(),
            webauthn_rp_origin: "http://localhost:8080".into(),
            webauthn_rp_name: "emailauth".into(),
            webauthn_challenge_ttl_secs: 300,
            totp_issuer: "emailauth".into(),
            mfa_encryption_key: None,
            mfa_ticket_ttl_secs: 300,
            mfa_ticket_max_attempts: 5,
            mfa_max_failures: 10,
            mfa_failure_window_secs: 900,
            step_up_ttl_secs: 300,
            passkeys_max: 20,
            sessions_max: 100,
            login_max_failures_total: 50,
            new_signin_alerts: true,
            not_me_ttl_secs: 7 * 24 * 3600,
            activity_retention_days: 90,
            webhook_urls: None,
            webhook_secret: None,
            webhook_previous_secret: None,
            webhook_events: None,
            webhook_allow_private: None,
            webhook_timeout_ms: 10_000,
            webhook_retry_base_ms: 30_000,
            webhook_retry_max_secs: 3600,
            webhook_retry_for_secs: 3 * 24 * 3600,
            webhook_poll_ms: 1000,
        }
    }
}

/// The prefix of every variable.
pub const PREFIX: &str = "APP_";

/// `APP_*` variables as a figment provider. Every value stays a string (figment's own `Env`
/// would read `APP_SMTP_PASSWORD=12345678` as a number); numbers and booleans are read from
/// them by [`Figment::extract_lossy`].
struct AppVars<'a>(&'a HashMap<String, String>);

impl Provider for AppVars<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named("APP_* environment variables")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = self
            .0
            .iter()
            .filter_map(|(key, value)| {
                let name = key.strip_prefix(PREFIX)?;
                let value = value.trim();
                (!value.is_empty()).then(|| (name.to_ascii_lowercase(), Value::from(value)))
            })
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

impl Vars {
    /// Defaults overlaid with `vars`. Errors name the variable: `APP_PORT: invalid type …`.
    pub fn from_map(vars: &HashMap<String, String>) -> anyhow::Result<Self> {
        Figment::new()
            .merge(AppVars(vars))
            .extract_lossy()
            .map_err(|errors: figment::Error| {
                let lines: Vec<String> = errors
                    .into_iter()
                    .map(|e| {
                        let name = e.path.join("_").to_ascii_uppercase();
                        format!("{PREFIX}{name}: {}", e.kind)
                    })
                    .collect();
                anyhow::anyhow!(lines.join("; "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{testing::*, Settings};

    #[test]
    fn bad_values_are_named() {
        let err = Settings::from_vars(&vars(&[
            ("APP_PORT", "eighty"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("APP_PORT"), "{err}");
        let err = Settings::from_vars(&vars(&[
            ("APP_SMTP_TLS", "ssl"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("APP_SMTP_TLS"), "{err}");
    }

    /// The configuration table of `docs/configuration.md` is held to [`Vars`]: every variable
    /// has a row, every concrete default is the one written there, and no row names a variable
    /// that does not exist.
    #[test]
    fn the_docs_table_lists_every_variable_with_its_default() {
        let page = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/configuration.md"
        ))
        .unwrap();
        // `| `APP_A` / `APP_B` | `x` / `y` | what it does |` → (names, defaults column)
        let rows: Vec<(Vec<String>, &str)> = page
            .lines()
            .filter(|line| line.starts_with("| `APP_"))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let names = cells[1]
                    .split('/')
                    .map(|name| name.trim().trim_matches('`').to_owned())
                    .collect();
                (names, cells[2])
            })
            .collect();
        let serde_json::Value::Object(defaults) = serde_json::to_value(Vars::default()).unwrap()
        else {
            panic!("Vars serialises as a map");
        };
        // Skipped when serialising, so that no secret is ever written out.
        let secrets = [
            "smtp_password",
            "jwt_secret",
            "jwt_previous_secret",
            "jwt_private_key",
            "code_pepper",
            "introspection_secret",
            "mfa_encryption_key",
            "webhook_secret",
            "webhook_previous_secret",
        ];
        let mut known: Vec<String> = secrets.iter().map(|k| k.to_string()).collect();
        for (key, default) in &defaults {
            let name = format!("{PREFIX}{}", key.to_ascii_uppercase());
            known.push(key.clone());
            let row = rows.iter().find(|(names, _)| names.contains(&name));
            let Some((_, written)) = row else {
                panic!("docs/configuration.md has no row for {name}");
            };
            let default = match default {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            assert!(
                written.contains(&format!("`{default}`")),
                "docs/configuration.md gives {name} the default {written}, the code `{default}`"
            );
        }
        for secret in secrets {
            let name = format!("{PREFIX}{}", secret.to_ascii_uppercase());
            assert!(
                rows.iter().any(|(names, _)| names.contains(&name)),
                "{name}"
            );
            let set = vars(&[(name.as_str(), STRONG)]);
            assert!(Vars::from_map(&set).is_ok(), "{name} is read");
        }
        for (names, _) in &rows {
            for name in names {
                let key = name.trim_start_matches(PREFIX).to_ascii_lowercase();
                assert!(
                    known.contains(&key),
                    "docs/configuration.md lists {name}, which is not read"
                );
            }
        }
    }

    #[test]
    fn numbers_that_look_like_text_and_text_that_looks_like_numbers() {
        // A numeric password stays text; an empty variable is unset.
        let s = with_secrets(&[
            ("APP_SMTP_PASSWORD", "12345678"),
            ("APP_MONGODB_DB", "2026"),
            ("APP_SUPPORT_EMAIL", "  "),
            ("APP_LOG_FORMAT", "json"),
            ("APP_ENV", "dev"),
        ])
        .unwrap();
        assert_eq!(s.smtp.password(), Some("12345678"));
        assert_eq!(s.mongodb_db, "2026");
        assert_eq!(s.mail.support_email, None);
        assert!(s.log_json);
        assert_eq!(s.env, Environment::Development);
        assert_refused(&[("APP_LOG_FORMAT", "xml")], "APP_LOG_FORMAT");
    }

    #[test]
    fn the_ipv6_prefix_defaults_to_64_and_is_bounded() {
        let with = |prefix: Option<&str>| {
            let mut v = vars(&[("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)]);
            if let Some(p) = prefix {
                v.insert("APP_IPV6_PREFIX".into(), p.into());
            }
            Settings::from_vars(&v)
        };
        assert_eq!(with(None).unwrap().throttle.ipv6_prefix.bits(), 64);
        assert_eq!(with(Some("56")).unwrap().throttle.ipv6_prefix.bits(), 56);
        assert_eq!(with(Some("128")).unwrap().throttle.ipv6_prefix.bits(), 128);
        for bad in ["31", "129", "0", "64bits"] {
            let err = with(Some(bad)).unwrap_err().to_string();
            assert!(
                err.contains("APP_IPV6_PREFIX") && err.contains("between 32 and 128"),
                "{bad}: {err}"
            );
        }
    }
}
