//! The checks no single variable's type makes: values that must fit each other or the
//! environment (plain SMTP only to this host in production, the relying party's origin and
//! id, keys that must parse), bounds, and the lists and origins parsed from text. Each error
//! names its variable: a wrong value stops the start instead of failing requests later.

use std::{net::IpAddr, time::Duration};

use anyhow::bail;

use super::{Environment, SmtpTls, Vars, WebauthnSettings};

/// The highest `APP_CODES_PER_EMAIL_PER_HOUR` accepted.
pub const MAX_CODES_PER_EMAIL_PER_HOUR: u32 = 1000;

/// Every cross-check of `v` that does not build a section.
pub(super) fn check(v: &Vars) -> anyhow::Result<()> {
    // The issuer is the label's prefix in the otpauth URI (`issuer:account`).
    let issuer = v.totp_issuer.trim();
    if issuer.is_empty() || issuer.contains(':') {
        bail!("APP_TOTP_ISSUER: `{issuer}` must be non-empty and contain no `:`");
    }
    // A key that is given must parse: refuse to start rather than fail every login.
    if let Some(pem) = v.jwt_private_key.as_deref() {
        crate::auth::Ed25519Key::from_pem(pem)
            .map_err(|e| anyhow::anyhow!("APP_JWT_PRIVATE_KEY: {e}"))?;
    }
    if let Some(pem) = v.jwt_previous_public_key.as_deref() {
        crate::auth::ed25519_public_from_pem(pem)
            .map_err(|e| anyhow::anyhow!("APP_JWT_PREVIOUS_PUBLIC_KEY: {e}"))?;
    }
    let smtp_host = v.smtp_host.trim();
    // Plain SMTP carries the codes (and the relay password) readable by anyone on the path:
    // in production only to a relay on this very host, which then does its own TLS.
    if v.env == Environment::Production
        && v.smtp_tls == SmtpTls::None
        && !is_loopback_host(smtp_host)
    {
        bail!(
            "APP_SMTP_TLS=none with APP_SMTP_HOST={smtp_host}: APP_ENV=production sends \
             mail in plain text only to a relay on this host (127.0.0.1, ::1, localhost); \
             set APP_SMTP_TLS=starttls (port 587) or tls (465)"
        );
    }
    // The address's recent mails live in its cooldown document, one entry each: a cap in
    // the thousands would make a document every mail rewrites and sorts whole.
    if v.codes_per_email_per_hour > MAX_CODES_PER_EMAIL_PER_HOUR {
        bail!(
            "APP_CODES_PER_EMAIL_PER_HOUR={} is above {MAX_CODES_PER_EMAIL_PER_HOUR}",
            v.codes_per_email_per_hour
        );
    }
    if v.smtp_connections == 0 {
        bail!("APP_SMTP_CONNECTIONS must be at least 1");
    }
    Ok(())
}

/// The relying party, checked as `webauthn-rs` checks it (the origin's host must be the id or
/// under it; no IP addresses): a wrong value stops the start instead of failing every passkey.
pub(super) fn webauthn_settings(v: &Vars) -> anyhow::Result<WebauthnSettings> {
    let rp_id = v.webauthn_rp_id.trim().to_ascii_lowercase();
    let rp_origin = webauthn_rs::prelude::Url::parse(v.webauthn_rp_origin.trim()).map_err(|e| {
        anyhow::anyhow!(
            "APP_WEBAUTHN_RP_ORIGIN: `{}` is not an origin like https://auth.example.com ({e})",
            v.webauthn_rp_origin
        )
    })?;
    if rp_id.parse::<IpAddr>().is_ok() {
        bail!(
            "APP_WEBAUTHN_RP_ID: `{rp_id}` is an IP address, which browsers refuse as a WebAuthn \
             relying party id; use a domain (`localhost` in development)"
        );
    }
    webauthn_rs::WebauthnBuilder::new(&rp_id, &rp_origin).map_err(|e| {
        anyhow::anyhow!(
            "APP_WEBAUTHN_RP_ID `{rp_id}` does not fit APP_WEBAUTHN_RP_ORIGIN `{rp_origin}` \
             (the origin's host must be the id or a subdomain of it): {e}"
        )
    })?;
    Ok(WebauthnSettings {
        rp_id,
        rp_origin,
        rp_name: v.webauthn_rp_name.clone(),
        challenge_ttl: Duration::from_secs(v.webauthn_challenge_ttl_secs.max(1)),
        passkeys_max: v.passkeys_max.max(1),
    })
}

/// The items of a comma-separated list, trimmed, empty ones skipped.
pub(super) fn list(raw: Option<&str>) -> impl Iterator<Item = &str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An address (`10.0.0.1`) or a network (`10.0.0.0/8`).
pub(super) fn parse_net(raw: &str) -> anyhow::Result<ipnet::IpNet> {
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            anyhow::anyhow!("APP_TRUSTED_PROXIES: `{raw}` is not an IP address or network")
        })
}

/// `scheme://host[:port]` with nothing after it, as browsers send in `Origin`.
pub(super) fn parse_origin(raw: &str) -> anyhow::Result<String> {
    let origin = raw.trim().trim_end_matches('/');
    let valid = origin.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https")
            && !rest.is_empty()
            && !rest.contains(['/', '?', '#', '@'])
    });
    if !valid {
        bail!("APP_PUBLIC_ORIGIN: `{raw}` is not an origin like https://auth.example.com");
    }
    Ok(origin.to_ascii_lowercase())
}

/// `true` for an SMTP host that is this machine: `localhost` or a loopback address
/// (127.0.0.0/8, `::1`, also written `[::1]` or IPv4-mapped).
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{testing::*, Settings};

    #[test]
    fn the_cap_per_address_is_at_most_a_thousand() {
        let ok = with_secrets(&[("APP_CODES_PER_EMAIL_PER_HOUR", "1000")]).unwrap();
        assert_eq!(ok.codes.max_per_email_per_hour, 1000);
        assert_refused(
            &[("APP_CODES_PER_EMAIL_PER_HOUR", "1001")],
            "APP_CODES_PER_EMAIL_PER_HOUR",
        );
    }

    #[test]
    fn smtp_connections_default_to_16_and_must_be_at_least_one() {
        assert_eq!(with_secrets(&[]).unwrap().smtp.connections, 16);
        let four = with_secrets(&[("APP_SMTP_CONNECTIONS", "4")]).unwrap();
        assert_eq!(four.smtp.connections, 4);
        assert_refused(&[("APP_SMTP_CONNECTIONS", "0")], "APP_SMTP_CONNECTIONS");
    }

    #[test]
    fn production_sends_plain_smtp_only_to_this_host() {
        let with = |env: &str, host: &str, tls: &str| {
            Settings::from_vars(&vars(&[
                ("APP_ENV", env),
                ("APP_JWT_SECRET", STRONG),
                ("APP_CODE_PEPPER", STRONG),
                ("APP_SMTP_HOST", host),
                ("APP_SMTP_TLS", tls),
            ]))
        };
        for remote in [
            "smtp.example.com",
            "10.0.0.5",
            "2001:db8::25",
            "localhost.example.com",
        ] {
            let err = with("production", remote, "none").unwrap_err().to_string();
            assert!(
                err.contains("APP_SMTP_TLS") && err.contains("APP_SMTP_HOST"),
                "{remote}: {err}"
            );
            assert!(with("production", remote, "starttls").is_ok(), "{remote}");
            assert!(with("production", remote, "tls").is_ok(), "{remote}");
            assert!(with("development", remote, "none").is_ok(), "{remote}");
        }
        for local in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
            "localhost",
            "LocalHost.",
        ] {
            let s = with("production", local, "none").unwrap_or_else(|e| panic!("{local}: {e}"));
            assert_eq!(s.smtp.host, local);
            assert!(s.warnings.is_empty(), "{local}: {:?}", s.warnings);
        }
        // The default host is loopback: production with the defaults starts.
        assert!(Settings::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("APP_JWT_SECRET", STRONG),
            ("APP_CODE_PEPPER", STRONG),
        ]))
        .is_ok());
    }

    #[test]
    fn trusted_proxies_and_cors_origins_are_lists() {
        let s = with_secrets(&[
            ("APP_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,::1"),
            ("APP_CORS_ORIGINS", "https://app.example.com"),
        ])
        .unwrap();
        assert_eq!(s.throttle.trusted_proxies.len(), 3);
        assert!(s.throttle.trusted_proxies[1].contains(&"192.168.4.5".parse::<IpAddr>().unwrap()));
        assert_eq!(s.cors_origins, vec!["https://app.example.com".to_owned()]);
        assert_refused(
            &[("APP_TRUSTED_PROXIES", "proxy.example.com")],
            "APP_TRUSTED_PROXIES",
        );
    }

    #[test]
    fn the_webauthn_relying_party_defaults_to_localhost_and_is_checked() {
        let s = with_secrets(&[]).unwrap();
        assert_eq!(s.webauthn.rp_id, "localhost");
        assert_eq!(s.webauthn.rp_origin.as_str(), "http://localhost:8080/");
        assert_eq!(s.webauthn.rp_name, "emailauth");
        assert_eq!(s.webauthn.challenge_ttl, Duration::from_secs(300));
        let s = with_secrets(&[
            ("APP_WEBAUTHN_RP_ID", "Example.com"),
            ("APP_WEBAUTHN_RP_ORIGIN", "https://auth.example.com"),
            ("APP_WEBAUTHN_RP_NAME", "Example"),
            ("APP_WEBAUTHN_CHALLENGE_TTL_SECS", "60"),
        ])
        .unwrap();
        assert_eq!(s.webauthn.rp_id, "example.com");
        assert_eq!(s.webauthn.rp_name, "Example");
        assert_eq!(s.webauthn.challenge_ttl, Duration::from_secs(60));
        for (id, origin) in [
            ("127.0.0.1", "http://127.0.0.1:8080"),
            ("example.com", "https://example.org"),
            ("localhost", "not an origin"),
        ] {
            let err = with_secrets(&[
                ("APP_WEBAUTHN_RP_ID", id),
                ("APP_WEBAUTHN_RP_ORIGIN", origin),
            ])
            .unwrap_err()
            .to_string();
            assert!(err.contains("APP_WEBAUTHN_RP_"), "{id} {origin}: {err}");
        }
    }
}
