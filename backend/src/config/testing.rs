//! What the configuration's tests share: variables with a valid MFA key, strong secrets.

use std::collections::HashMap;

use super::Settings;

/// `pairs` as variables, with a valid `APP_MFA_ENCRYPTION_KEY` unless `pairs` names it (an
/// empty value: unset).
pub fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.entry("APP_MFA_ENCRYPTION_KEY".into())
        .or_insert_with(|| MFA_KEY.into());
    map
}

pub const STRONG: &str = "0123456789abcdef0123456789abcdef";
pub const MFA_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

pub fn with_secrets(extra: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let mut pairs = vec![("APP_JWT_SECRET", STRONG), ("APP_CODE_PEPPER", STRONG)];
    pairs.extend_from_slice(extra);
    Settings::from_vars(&vars(&pairs))
}

/// Asserts that `extra`, on top of strong secrets, is refused by an error that names `var`.
pub fn assert_refused(extra: &[(&str, &str)], var: &str) {
    match with_secrets(extra) {
        Ok(_) => panic!("{extra:?} was accepted"),
        Err(e) => assert!(e.to_string().contains(var), "{extra:?}: {e}"),
    }
}
