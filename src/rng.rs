//! A small seeded generator (PCG-XSH-RR 64/32) so that initial weights, batch order and sampling are
//! identical on every platform, natively and in the browser, for the same seed.

/// Deterministic pseudo-random numbers.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

const MULTIPLIER: u64 = 6364136223846793005;
const INCREMENT: u64 = 1442695040888963407;

impl Rng {
    /// A generator for `seed`; different streams for the same seed come from [`Rng::fork`].
    pub fn new(seed: u64) -> Self {
        let mut rng = Self {
            state: seed.wrapping_add(INCREMENT),
        };
        rng.next_u32();
        rng
    }

    /// The generator's whole state (a checkpoint stores it to continue the same stream).
    pub fn state(&self) -> u64 {
        self.state
    }

    /// A generator continuing from a saved [`Rng::state`].
    pub fn from_state(state: u64) -> Self {
        Self { state }
    }

    /// An independent generator derived from this one and `stream` (e.g. init vs. data order).
    pub fn fork(&self, stream: u64) -> Self {
        Self::new(self.state ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// Next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MULTIPLIER).wrapping_add(INCREMENT);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }

    /// Uniform integer in [0, n) (n > 0), without modulo bias worth noticing for n << 2^32.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u32() as u64 * n as u64) >> 32) as usize
    }

    /// Standard normal sample (Box-Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = ((self.next_u32() >> 8) as f64 + 1.0) / (1u64 << 24) as f64;
        let u2 = (self.next_u32() >> 8) as f64 / (1u64 << 24) as f64;
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

/// The shaders' PCG hash (shaders/common.wgsl), for values the host must draw exactly as a
/// kernel would.
pub fn pcg_hash(v: u32) -> u32 {
    let state = v.wrapping_mul(747796405).wrapping_add(2891336453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277803737);
    (word >> 22) ^ word
}

/// The shaders' `uniform_at(seed, counter, index)`: a uniform in [0, 1) that depends only on its
/// arguments (no stream state), identical on the host, in WGSL and in the exported script.
pub fn uniform_at(seed: u32, counter: u32, index: u32) -> f32 {
    let h = pcg_hash(seed ^ pcg_hash(counter ^ pcg_hash(index)));
    (h >> 8) as f32 / 16777216.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(3);
        let mut b = Rng::new(3);
        for _ in 0..100 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
        assert_ne!(Rng::new(3).next_u32(), Rng::new(4).next_u32());
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut r = Rng::new(1);
        let n = 20000;
        let xs: Vec<f32> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f32>() / n as f32;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n as f32;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
