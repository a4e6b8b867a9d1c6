use rand::{rngs::OsRng, Rng};
use shared::{rules, ErrorCode};

/// Six decimal digits. Generated uniformly from the operating system's CSPRNG; `Debug` is
/// redacted so a code can never end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationCode(String);

impl VerificationCode {
    pub fn parse(raw: String) -> Result<Self, ErrorCode> {
        rules::check_code(&raw)?;
        Ok(Self(raw))
    }

    /// A fresh code: uniform over 000000–999999 (`gen_range` rejects biased samples).
    pub fn generate() -> Self {
        let n: u32 = OsRng.gen_range(0..1_000_000);
        Self(format!("{n:06}"))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerificationCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_codes_parse_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200)
            .map(|_| VerificationCode::generate().expose().to_owned())
            .collect();
        assert!(codes
            .iter()
            .all(|c| VerificationCode::parse(c.clone()).is_ok()));
        // 200 draws from a million values: a collision-heavy generator would show here.
        assert!(codes.len() > 190, "only {} distinct codes", codes.len());
    }

    #[test]
    fn leading_digits_are_uniform_enough() {
        // Chi-square over the first digit of 20,000 codes, 9 degrees of freedom; 27.9 is the
        // p = 0.001 critical value, so a fair generator fails this once in a thousand runs.
        let mut counts = [0u32; 10];
        for _ in 0..20_000 {
            let c = VerificationCode::generate();
            counts[(c.expose().as_bytes()[0] - b'0') as usize] += 1;
        }
        let expected = 2_000.0;
        let chi: f64 = counts
            .iter()
            .map(|&n| (n as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi < 27.9, "chi-square {chi} for {counts:?}");
    }

    #[test]
    fn debug_is_redacted() {
        let c = VerificationCode::parse("123456".into()).unwrap();
        assert!(!format!("{c:?}").contains("123456"));
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_six_digits(s in "[0-9]{0,8}") {
            prop_assert_eq!(VerificationCode::parse(s.clone()).is_ok(), s.len() == 6);
        }
    }
}
