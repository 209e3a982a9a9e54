//! A tiny, fixed pseudo-random generator (SplitMix64) for scenario params.
//!
//! Fixed forever on purpose: the same seed must give byte-identical scenarios across kubedrill
//! versions and platforms, which a general-purpose RNG crate does not promise. Not for
//! security. Must not read clocks or the OS RNG.

/// SplitMix64 (Steele, Lea, Flood 2014), the generator Java's `SplittableRandom` uses.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A stream for one param: mixing the attempt seed with the param's name means adding or
    /// reordering params never changes the values of the others.
    #[must_use]
    pub fn for_param(seed: u64, name: &str) -> Self {
        Self {
            state: seed ^ fnv1a(name.as_bytes()),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (`bound > 0`), without modulo bias (Lemire's method).
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            // Truncation keeps the low half on purpose; the high half is the result.
            #[allow(clippy::cast_possible_truncation)]
            let low = product as u64;
            if low >= threshold {
                #[allow(clippy::cast_possible_truncation)]
                return (product >> 64) as u64;
            }
        }
    }
}

/// FNV-1a, 64 bit: a stable hash of a param name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn matches_the_published_splitmix64_sequence() {
        // Reference values of SplitMix64 seeded with 0 (as in the xoshiro authors' C code).
        let mut rng = SplitMix64 { state: 0 };
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn streams_depend_on_seed_and_name_only() {
        let draw = |seed, name| SplitMix64::for_param(seed, name).next_u64();
        assert_eq!(draw(7, "port"), draw(7, "port"));
        assert_ne!(draw(7, "port"), draw(8, "port"));
        assert_ne!(draw(7, "port"), draw(7, "app"));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = SplitMix64::for_param(1, "x");
        let mut seen = [false; 5];
        for _ in 0..200 {
            let v = usize::try_from(rng.below(5)).expect("small");
            seen[v] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
