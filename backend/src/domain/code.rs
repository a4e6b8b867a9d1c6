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
    use rand::Rng;

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

    /// The checks a generator of codes must pass, over 20,000 codes from `draw`: each digit
    /// position uniform (chi-square, 9 degrees of freedom, under the p = 0.001 critical value
    /// 27.9) and the codes as distinct as draws from a million values are. 20,000 uniform draws
    /// from 10^6 values give about 19,801 distinct codes (standard deviation about 14); from
    /// 10^5 values, about 18,127. What it returns is why a generator fails, if it does.
    fn fails_the_checks(mut draw: impl FnMut() -> String) -> Option<String> {
        let mut counts = [[0u32; 10]; 6];
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20_000 {
            let code = draw();
            if VerificationCode::parse(code.clone()).is_err() {
                return Some(format!("{code:?} is not a code"));
            }
            for (position, digit) in code.bytes().enumerate() {
                counts[position][usize::from(digit - b'0')] += 1;
            }
            seen.insert(code);
        }
        for (position, counts) in counts.iter().enumerate() {
            let chi: f64 = counts
                .iter()
                .map(|&n| (f64::from(n) - 2_000.0).powi(2) / 2_000.0)
                .sum();
            if chi >= 27.9 {
                return Some(format!(
                    "position {position}: chi-square {chi} for {counts:?}"
                ));
            }
        }
        (seen.len() < 19_600).then(|| format!("only {} distinct codes of 20,000", seen.len()))
    }

    fn seeded() -> rand::rngs::StdRng {
        rand::SeedableRng::seed_from_u64(0x5eed_c0de)
    }

    #[test]
    fn codes_are_uniform_per_digit_and_drawn_from_a_million_values() {
        // A fixed seed: deterministic (it never fails by chance) while still checking the
        // mapping from random numbers to codes, where a bias (modulo, truncation) would live.
        let mut rng = seeded();
        let draw = || {
            VerificationCode::generate_with(&mut rng)
                .expose()
                .to_owned()
        };
        assert_eq!(fails_the_checks(draw), None);
    }

    #[test]
    fn the_checks_refuse_a_biased_or_a_smaller_generator() {
        // The very checks above, given broken variants of `generate_with`: each must fail.
        let mut rng = seeded();
        // Modulo of a too-narrow sample: u16 % 10^6 never exceeds 65535 (first digit 0).
        let modulo = fails_the_checks(|| format!("{:06}", u32::from(rng.gen::<u16>()) % 1_000_000));
        assert!(modulo.is_some_and(|why| why.starts_with("position 0")));
        // A last digit that is always 0 (100,000 values).
        let mut rng = seeded();
        let tens = fails_the_checks(|| format!("{:06}", rng.gen_range(0..100_000u32) * 10));
        assert!(tens.is_some_and(|why| why.starts_with("position 5")));
        // 100,000 values with every position uniform (the last digit repeats the fifth): only
        // the distinct count can tell.
        let mut rng = seeded();
        let small = fails_the_checks(|| {
            let n = rng.gen_range(0..100_000u32);
            format!("{n:05}{}", n % 10)
        });
        assert!(
            small.as_deref().is_some_and(|why| why.starts_with("only")),
            "{small:?}"
        );
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
