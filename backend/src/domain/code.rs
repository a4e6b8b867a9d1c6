use rand::{rngs::OsRng, Rng, RngCore};
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

    /// A fresh code from the operating system's CSPRNG.
    pub fn generate() -> Self {
        Self::generate_with(&mut OsRng)
    }

    /// A code drawn from `rng`: uniform over 000000–999999 (`gen_range` rejects biased
    /// samples). Production passes `OsRng`; tests pass a seeded generator, so a statistical
    /// check of this mapping is deterministic.
    pub fn generate_with<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        let n: u32 = rng.gen_range(0..1_000_000);
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
    fn every_digit_position_is_uniform() {
        // Chi-square per digit position over 20,000 codes, 9 degrees of freedom, against the
        // p = 0.001 critical value 27.9. The draws come from a fixed seed, so the test is
        // deterministic (it never fails by chance) while still checking the mapping from
        // random numbers to codes, where a bias (modulo, truncation) would live.
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_c0de);
        let mut counts = [[0u32; 10]; 6];
        for _ in 0..20_000 {
            let c = VerificationCode::generate_with(&mut rng);
            for (position, digit) in c.expose().bytes().enumerate() {
                counts[position][(digit - b'0') as usize] += 1;
            }
        }
        let expected = 2_000.0;
        for (position, counts) in counts.iter().enumerate() {
            let chi: f64 = counts
                .iter()
                .map(|&n| (n as f64 - expected).powi(2) / expected)
                .sum();
            assert!(
                chi < 27.9,
                "position {position}: chi-square {chi} for {counts:?}"
            );
        }
    }

    #[test]
    fn a_biased_mapping_would_be_caught() {
        // The same statistic on a modulo-biased mapping (u16 % 10^6 can never exceed 65535,
        // so the first digit is always 0) fails: the check has teeth.
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_c0de);
        let mut counts = [0u32; 10];
        for _ in 0..20_000 {
            let n = u32::from(rand::Rng::gen::<u16>(&mut rng)) % 1_000_000;
            counts[(format!("{n:06}").as_bytes()[0] - b'0') as usize] += 1;
        }
        let chi: f64 = counts
            .iter()
            .map(|&n| (f64::from(n) - 2_000.0).powi(2) / 2_000.0)
            .sum();
        assert!(chi > 27.9);
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
