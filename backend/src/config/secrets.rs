//! The three secrets (`APP_JWT_SECRET`, `APP_CODE_PEPPER`, `APP_MFA_ENCRYPTION_KEY`) and the
//! rule they share:
//!
//! - a secret that is given is checked first, in every mode (the JWT secret and the pepper at
//!   least [`MIN_SECRET_BYTES`] bytes, the MFA key exactly 32 bytes), so a refused
//!   configuration generates nothing;
//! - in `production` a missing one refuses the start;
//! - in `development` a missing one is read from the git-ignored file `APP_DEV_SECRETS_FILE`
//!   (`.dev-secrets.env`, one `NAME=value` line each) and held to the same rule there, or
//!   generated and appended to it (mode 0600), with a loud warning. One mechanism,
//!   [`DevSecrets::take`], for all three.

use std::{path::Path, sync::Arc};

use anyhow::{bail, Context};
use rand::RngCore;
use secrecy::{SecretBox, SecretString};

use super::{Environment, Vars};

/// Minimum length of the JWT secret and the code pepper, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

const JWT_VAR: &str = "APP_JWT_SECRET";
const PEPPER_VAR: &str = "APP_CODE_PEPPER";
const MFA_KEY_VAR: &str = "APP_MFA_ENCRYPTION_KEY";

/// The secrets every configuration needs, from the environment or (development only) the
/// generated local file.
pub(super) struct Secrets {
    pub jwt: SecretString,
    pub pepper: SecretString,
    pub mfa_key: Arc<SecretBox<[u8; 32]>>,
}

impl Secrets {
    pub(super) fn of(v: &Vars, warnings: &mut Vec<String>) -> anyhow::Result<Self> {
        // A secret that is given is checked whether or not the others are.
        let jwt = v
            .jwt_secret
            .as_deref()
            .map(|s| strong(JWT_VAR, s))
            .transpose()?;
        let pepper = v
            .code_pepper
            .as_deref()
            .map(|s| strong(PEPPER_VAR, s))
            .transpose()?;
        let production = v.env == Environment::Production;
        if production && (jwt.is_none() || pepper.is_none()) {
            bail!(
                "APP_ENV=production requires {JWT_VAR} and {PEPPER_VAR} \
                 (each at least {MIN_SECRET_BYTES} bytes, e.g. `openssl rand -base64 48`)"
            );
        }
        let mfa_key = v
            .mfa_encryption_key
            .as_deref()
            .map(|s| parse_mfa_key(MFA_KEY_VAR, s))
            .transpose()?;
        if production && mfa_key.is_none() {
            bail!(
                "APP_ENV=production requires {MFA_KEY_VAR} (32 random bytes as hex or base64, \
                 e.g. `openssl rand -hex 32`); it encrypts the TOTP secrets"
            );
        }
        let mut file = DevSecrets::at(&v.dev_secrets_file);
        let secrets = Self {
            jwt: match jwt {
                Some(jwt) => jwt,
                None => file.take(JWT_VAR, strong)?,
            },
            pepper: match pepper {
                Some(pepper) => pepper,
                None => file.take(PEPPER_VAR, strong)?,
            },
            mfa_key: Arc::new(SecretBox::new(Box::new(match mfa_key {
                Some(key) => key,
                None => file.take(MFA_KEY_VAR, parse_mfa_key)?,
            }))),
        };
        if !file.taken.is_empty() {
            warnings.push(format!(
                "!!! DEVELOPMENT SECRETS: {} not set; using generated values from {}. Never \
                 run like this in production (APP_ENV=production refuses to). !!!",
                file.taken.join("/"),
                file.path.display()
            ));
        }
        Ok(secrets)
    }
}

/// The development secrets file, read once when a secret is first taken from it.
struct DevSecrets<'a> {
    path: &'a Path,
    lines: Option<Vec<(String, String)>>,
    /// The names taken from it, for the warning.
    taken: Vec<&'static str>,
}

impl<'a> DevSecrets<'a> {
    fn at(path: &'a Path) -> Self {
        Self {
            path,
            lines: None,
            taken: Vec::new(),
        }
    }

    /// The secret `name`: its line in the file, held to `parse` like a given one, or a new
    /// random value appended to the file (which is created if missing).
    fn take<T>(
        &mut self,
        name: &'static str,
        parse: fn(&str, &str) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.taken.push(name);
        let path = self.path;
        if self.lines.is_none() {
            self.lines = Some(read(path)?);
        }
        let stored = self
            .lines
            .iter()
            .flatten()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone());
        if let Some(stored) = stored {
            // Generated ones are 64 characters; a hand-edited file is held to the same rule.
            return parse(&format!("{name} in {}", path.display()), &stored);
        }
        let value = random_secret();
        append(path, name, &value)?;
        parse(name, &value)
    }
}

/// The `NAME=value` lines of `path`; none when it does not exist.
fn read(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    Ok(text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.trim().to_owned()))
        .collect())
}

/// Appends `name=value` to `path` (created with mode 0600 and a header if missing), so that a
/// file from before a secret existed keeps its other secrets.
fn append(path: &Path, name: &str, value: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let new = !path.exists();
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    if new {
        writeln!(
            file,
            "# Generated development secrets (git-ignored). Delete to rotate."
        )?;
    }
    writeln!(file, "{name}={value}")?;
    Ok(())
}

/// A secret of at least [`MIN_SECRET_BYTES`], named `key` in the error.
fn strong(key: &str, value: &str) -> anyhow::Result<SecretString> {
    check_strength(key, value)?;
    Ok(SecretString::from(value))
}

/// Refuses a secret shorter than [`MIN_SECRET_BYTES`], in every environment, naming `key`.
pub(super) fn check_strength(key: &str, value: &str) -> anyhow::Result<()> {
    if value.len() >= MIN_SECRET_BYTES {
        return Ok(());
    }
    bail!(
        "{key} is {} bytes; at least {MIN_SECRET_BYTES} are required \
         (e.g. `openssl rand -base64 48`)",
        value.len()
    )
}

/// Exactly 32 bytes, written as 64 hex digits or as base64 (standard or URL-safe, padded or
/// not). Anything else is refused: a short key would be a weak one.
fn parse_mfa_key(name: &str, raw: &str) -> anyhow::Result<[u8; 32]> {
    use base64::Engine;
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(raw).ok()
    } else {
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        engines.iter().find_map(|e| e.decode(raw).ok())
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{name} must be exactly 32 bytes, as 64 hex digits or base64 \
                 (e.g. `openssl rand -hex 32`)"
            )
        })
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use secrecy::ExposeSecret;

    use crate::config::{testing::*, Settings};

    /// A development secrets file named `name` in a new folder of its own under the
    /// temporary directory, holding `contents` (or not written yet, for `None`).
    fn dev_secrets_file(name: &str, contents: Option<&str>) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("devsecrets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(name);
        if let Some(contents) = contents {
            std::fs::write(&file, contents).unwrap();
        }
        file
    }

    /// Whether loading `settings` warned about `text`.
    fn warns(settings: &Settings, text: &str) -> bool {
        settings.warnings.iter().any(|w| w.contains(text))
    }

    /// Removes the folder of a [`dev_secrets_file`].
    fn remove_dev_secrets(file: &std::path::Path) {
        std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    }

    #[test]
    fn production_refuses_missing_secrets() {
        let err = Settings::from_vars(&vars(&[("APP_ENV", "production")])).unwrap_err();
        assert!(err.to_string().contains("APP_JWT_SECRET"), "{err}");
    }

    #[test]
    fn production_refuses_weak_secrets() {
        let err = Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", "short"),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[test]
    fn short_secrets_are_refused_in_every_mode() {
        for env in ["development", "production"] {
            for key in [
                "APP_JWT_SECRET",
                "APP_CODE_PEPPER",
                "APP_JWT_PREVIOUS_SECRET",
            ] {
                let mut v = vars(&[
                    ("APP_ENV", env),
                    ("APP_JWT_SECRET", STRONG),
                    ("APP_CODE_PEPPER", STRONG),
                    ("APP_SMTP_TLS", "starttls"),
                ]);
                v.insert(key.into(), "short".into());
                let err = Settings::from_vars(&v).unwrap_err().to_string();
                assert!(err.contains(key), "{env} {key}: {err}");
                assert!(err.contains("at least 32"), "{env} {key}: {err}");
                // One byte short is still short; exactly 32 is enough.
                v.insert(key.into(), STRONG[..31].into());
                assert!(Settings::from_vars(&v).is_err(), "{env} {key}: 31 bytes");
                v.insert(key.into(), STRONG.into());
                assert!(Settings::from_vars(&v).is_ok(), "{env} {key}: 32 bytes");
            }
        }
    }

    #[test]
    fn a_short_secret_is_refused_even_when_the_other_is_generated() {
        let file = dev_secrets_file("secrets.env", None);
        for (key, other) in [
            ("APP_JWT_SECRET", "APP_CODE_PEPPER"),
            ("APP_CODE_PEPPER", "APP_JWT_SECRET"),
        ] {
            let err = Settings::from_vars(&vars(&[
                ("APP_DEV_SECRETS_FILE", file.to_str().unwrap()),
                (key, "secret"),
            ]))
            .unwrap_err()
            .to_string();
            assert!(err.contains(key) && !err.contains(other), "{err}");
        }
        assert!(
            !file.exists(),
            "nothing generated for a refused configuration"
        );
        remove_dev_secrets(&file);
    }

    #[test]
    fn a_short_secret_in_the_development_file_is_refused() {
        let file = dev_secrets_file(
            "secrets.env",
            Some(&format!("APP_JWT_SECRET=short\nAPP_CODE_PEPPER={STRONG}\n")),
        );
        let err = Settings::from_vars(&vars(&[("APP_DEV_SECRETS_FILE", file.to_str().unwrap())]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_JWT_SECRET"), "{err}");
        remove_dev_secrets(&file);
    }

    #[test]
    fn development_generates_secrets_once_and_warns() {
        let file = dev_secrets_file("secrets.env", None);
        let v = vars(&[("APP_DEV_SECRETS_FILE", file.to_str().unwrap())]);
        let first = Settings::from_vars(&v).unwrap();
        let second = Settings::from_vars(&v).unwrap();
        assert_eq!(
            first.jwt.secret.expose_secret(),
            second.jwt.secret.expose_secret()
        );
        assert_eq!(first.jwt.secret.expose_secret().len(), 64);
        assert_ne!(
            first.jwt.secret.expose_secret(),
            first.codes.pepper.expose_secret()
        );
        assert!(warns(&first, "DEVELOPMENT SECRETS"), "{:?}", first.warnings);
        remove_dev_secrets(&file);
    }

    #[test]
    fn secrets_never_print() {
        let s = Settings::from_vars(&vars(&[
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains(STRONG));
    }

    #[test]
    fn mfa_settings_defaults_key_formats_and_production_refusal() {
        let s = with_secrets(&[]).unwrap();
        assert_eq!(s.mfa.issuer, "emailauth");
        assert_eq!(s.mfa.ticket_ttl, Duration::from_secs(300));
        assert_eq!(s.mfa.ticket_max_attempts, 5);
        assert_eq!(s.mfa.max_failures, 10);
        assert_eq!(s.mfa.failure_window, Duration::from_secs(900));
        assert!(
            !format!("{:?}", s.mfa).contains("0011"),
            "the key never prints"
        );
        let expected: Vec<u8> = (0..32u8).map(|i| (i % 16) * 17).collect();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&expected);
        let s = with_secrets(&[
            ("APP_MFA_ENCRYPTION_KEY", b64.as_str()),
            ("APP_TOTP_ISSUER", "Example Corp"),
            ("APP_MFA_TICKET_TTL_SECS", "60"),
        ])
        .unwrap();
        assert_eq!(s.mfa.key.expose_secret().as_slice(), expected.as_slice());
        assert_eq!(s.mfa.issuer, "Example Corp");
        assert_eq!(s.mfa.ticket_ttl, Duration::from_secs(60));
        for bad in [
            "short",
            STRONG,
            "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ] {
            assert_refused(&[("APP_MFA_ENCRYPTION_KEY", bad)], "APP_MFA_ENCRYPTION_KEY");
        }
        assert_refused(&[("APP_TOTP_ISSUER", "a:b")], "APP_TOTP_ISSUER");
        // Production: the JWT secret and pepper alone are not enough.
        let err = Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
            ("APP_MFA_ENCRYPTION_KEY", ""),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("APP_MFA_ENCRYPTION_KEY"), "{err}");
    }

    #[test]
    fn development_generates_the_mfa_key_once_next_to_the_other_secrets() {
        // A file from before the key existed: the key is appended, the rest kept.
        let file = dev_secrets_file(
            ".dev-secrets.env",
            Some(&format!(
                "APP_JWT_SECRET={STRONG}\nAPP_CODE_PEPPER={STRONG}\n"
            )),
        );
        let path = file.to_string_lossy().into_owned();
        let load = || {
            Settings::from_vars(&vars(&[
                ("APP_DEV_SECRETS_FILE", path.as_str()),
                ("APP_MFA_ENCRYPTION_KEY", ""),
            ]))
            .unwrap()
        };
        let first = load();
        let second = load();
        assert_eq!(
            first.mfa.key.expose_secret(),
            second.mfa.key.expose_secret()
        );
        assert!(
            warns(&first, "APP_MFA_ENCRYPTION_KEY"),
            "{:?}",
            first.warnings
        );
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(&format!("APP_JWT_SECRET={STRONG}")), "{text}");
        assert_eq!(text.matches("APP_MFA_ENCRYPTION_KEY=").count(), 1, "{text}");
        remove_dev_secrets(&file);
    }
}
