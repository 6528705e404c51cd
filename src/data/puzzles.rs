//! Algorithmic tasks for the transformer, generated here (no download): modular addition
//! `a + b = (a + b) mod p` (Power et al. 2022, where a small transformer first memorises the
//! training pairs and generalises much later, "grokking") and sparse parity (the parity of a few
//! secret positions of a random bit string). Each becomes a [`Corpus`] of fixed-length
//! examples whose last token is the answer; a run is scored, in loss and accuracy, on answers
//! only. The split into training and validation examples is fixed (a constant seed): every run
//! and every seed sees the same data, as with the Shakespeare corpus.

use super::corpus::{Corpus, ExampleShape, Vocab};
use crate::error::{Error, Result};
use crate::rng::Rng;

/// The fixed generator seed of every puzzle's examples and split.
const SPLIT_SEED: u64 = 0x9e3779b9;
/// Largest modulus: p^2 examples (a million at p = 1000).
pub const MAX_MODULUS: usize = 1000;
/// Longest parity bit string.
pub const MAX_BITS: usize = 64;
/// Most parity examples.
pub const MAX_EXAMPLES: usize = 1 << 20;
/// How a [`Corpus::source`] names a puzzle: this prefix, then [`Puzzle::spec`].
const SOURCE_PREFIX: &str = "puzzle: ";

/// An algorithmic task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Puzzle {
    /// `a + b = c`, `c = (a + b) mod modulus`, over all `modulus^2` pairs; `train_fraction` of
    /// them (shuffled) train, the rest validate.
    ModAdd {
        /// p.
        modulus: usize,
        /// Share of the pairs trained on.
        train_fraction: f32,
    },
    /// `bits` random bits, then `=`; the answer is the parity of `secret` fixed positions.
    Parity {
        /// Length of each bit string.
        bits: usize,
        /// Positions whose parity is the answer (chosen by the fixed seed).
        secret: usize,
        /// Bit strings in all.
        examples: usize,
        /// Share of them trained on.
        train_fraction: f32,
    },
}

impl Puzzle {
    /// Modular addition with the usual grokking setting: p = 97, 30% of the pairs trained on.
    pub const MODADD: Puzzle = Puzzle::ModAdd {
        modulus: 97,
        train_fraction: 0.3,
    };
    /// Sparse parity of 3 of 20 bits, 4,000 strings, half trained on.
    pub const PARITY: Puzzle = Puzzle::Parity {
        bits: 20,
        secret: 3,
        examples: 4000,
        train_fraction: 0.5,
    };

    /// The puzzle named `name` ("modadd", "parity") with its default settings.
    pub fn named(name: &str) -> Result<Self> {
        match name {
            "modadd" => Ok(Self::MODADD),
            "parity" => Ok(Self::PARITY),
            _ => Err(Error::InvalidConfig(format!(
                "unknown task '{name}'; choose modadd or parity"
            ))),
        }
    }

    /// Its name on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ModAdd { .. } => "modadd",
            Self::Parity { .. } => "parity",
        }
    }

    /// Its settings in words that [`Puzzle::from_spec`] reads back: "modadd p=97 train=0.3".
    pub fn spec(&self) -> String {
        match *self {
            Self::ModAdd {
                modulus,
                train_fraction,
            } => format!("modadd p={modulus} train={train_fraction}"),
            Self::Parity {
                bits,
                secret,
                examples,
                train_fraction,
            } => format!("parity n={bits} k={secret} examples={examples} train={train_fraction}"),
        }
    }

    /// Reads [`Puzzle::spec`]'s words.
    pub fn from_spec(spec: &str) -> Result<Self> {
        let bad = || Error::Data(format!("'{spec}' does not describe a task"));
        let mut words = spec.split_whitespace();
        let mut puzzle = Self::named(words.next().ok_or_else(bad)?)?;
        for word in words {
            let (key, value) = word.split_once('=').ok_or_else(bad)?;
            let count = || value.parse::<usize>().map_err(|_| bad());
            match (&mut puzzle, key) {
                (Self::ModAdd { modulus, .. }, "p") => *modulus = count()?,
                (Self::Parity { bits, .. }, "n") => *bits = count()?,
                (Self::Parity { secret, .. }, "k") => *secret = count()?,
                (Self::Parity { examples, .. }, "examples") => *examples = count()?,
                (
                    Self::ModAdd { train_fraction, .. } | Self::Parity { train_fraction, .. },
                    "train",
                ) => *train_fraction = value.parse().map_err(|_| bad())?,
                _ => return Err(bad()),
            }
        }
        puzzle.validate()?;
        Ok(puzzle)
    }

    /// The puzzle a corpus's [`Corpus::source`] names, if it names one.
    pub fn of_source(source: Option<&str>) -> Option<Result<Self>> {
        let spec = source?.strip_prefix(SOURCE_PREFIX)?;
        Some(Self::from_spec(spec))
    }

    /// Refuses settings that leave no training or no validation examples, or are too large.
    pub fn validate(&self) -> Result<()> {
        let refuse = |m: String| Err(Error::InvalidConfig(m));
        let (total, fraction) = match *self {
            Self::ModAdd {
                modulus,
                train_fraction,
            } => {
                if !(2..=MAX_MODULUS).contains(&modulus) {
                    return refuse(format!(
                        "the modulus must be between 2 and {MAX_MODULUS}, got {modulus}"
                    ));
                }
                (modulus * modulus, train_fraction)
            }
            Self::Parity {
                bits,
                secret,
                examples,
                train_fraction,
            } => {
                if !(1..=MAX_BITS).contains(&bits) || !(1..=bits).contains(&secret) {
                    return refuse(format!(
                        "parity needs 1 to {MAX_BITS} bits and 1 to that many secret positions, \
                         got {bits} bits and {secret}"
                    ));
                }
                if !(2..=MAX_EXAMPLES).contains(&examples) {
                    return refuse(format!(
                        "parity needs 2 to {MAX_EXAMPLES} examples, got {examples}"
                    ));
                }
                (examples, train_fraction)
            }
        };
        let train = split_point(total, fraction);
        if !(fraction > 0.0 && fraction < 1.0) || train == 0 || train == total {
            return refuse(format!(
                "the train fraction must leave examples on both sides of the split (between 0 and \
                 1, exclusive), got {fraction} of {total}"
            ));
        }
        Ok(())
    }

    /// Tokens per example, answer included.
    pub fn example_len(&self) -> usize {
        match *self {
            Self::ModAdd { .. } => 5,
            Self::Parity { bits, .. } => bits + 2,
        }
    }

    /// The puzzle's examples as a corpus: vocabulary, training and validation examples.
    pub fn corpus(&self) -> Result<Corpus> {
        self.validate()?;
        let mut rng = Rng::new(SPLIT_SEED);
        let (vocab, examples) = match *self {
            Self::ModAdd { modulus, .. } => (modadd_vocab(modulus), modadd(modulus, &mut rng)),
            Self::Parity {
                bits,
                secret,
                examples,
                ..
            } => (
                Vocab::from_string("01=")?,
                parity(bits, secret, examples, &mut rng),
            ),
        };
        let len = self.example_len();
        let fraction = match *self {
            Self::ModAdd { train_fraction, .. } | Self::Parity { train_fraction, .. } => {
                train_fraction
            }
        };
        let split = split_point(examples.len() / len, fraction) * len;
        Ok(Corpus {
            source: Some(format!("{SOURCE_PREFIX}{}", self.spec())),
            vocab,
            train: examples[..split].to_vec(),
            val: examples[split..].to_vec(),
            examples: Some(ExampleShape { len, answers: 1 }),
        })
    }

    /// An example's tokens as a person reads them: "23+45=68", "0110...=1".
    pub fn show(&self, vocab: &Vocab, ids: &[u32]) -> String {
        match self {
            Self::ModAdd { .. } => ids
                .iter()
                .map(|&id| match id {
                    PLUS => "+".to_string(),
                    EQUALS => "=".to_string(),
                    n => (n - NUMBERS).to_string(),
                })
                .collect(),
            Self::Parity { .. } => vocab.decode(ids),
        }
    }
}

/// Training examples out of `total` for `fraction` (rounded down).
fn split_point(total: usize, fraction: f32) -> usize {
    (total as f64 * fraction as f64).floor() as usize
}

/// Modular addition's token ids: '+', '=', then the numbers 0..p.
const PLUS: u32 = 0;
const EQUALS: u32 = 1;
const NUMBERS: u32 = 2;

/// '+', '=' and one character per number (from U+0100 on, so that they sort after both and
/// the vocabulary stays a sorted string of characters, as checkpoints store it).
fn modadd_vocab(modulus: usize) -> Vocab {
    let numbers = (0..modulus as u32).filter_map(|n| char::from_u32(0x100 + n));
    let chars: String = ['+', '='].into_iter().chain(numbers).collect();
    Vocab::from_string(&chars).expect("sorted distinct characters")
}

/// Every pair `a + b = c` in a shuffled order, flat.
fn modadd(modulus: usize, rng: &mut Rng) -> Vec<u32> {
    let mut pairs: Vec<(u32, u32)> = (0..modulus as u32)
        .flat_map(|a| (0..modulus as u32).map(move |b| (a, b)))
        .collect();
    shuffle(&mut pairs, rng);
    let p = modulus as u32;
    pairs
        .into_iter()
        .flat_map(|(a, b)| {
            [
                NUMBERS + a,
                PLUS,
                NUMBERS + b,
                EQUALS,
                NUMBERS + (a + b) % p,
            ]
        })
        .collect()
}

/// `examples` random bit strings, `=`, and the parity of `secret` positions, flat ('0' = 0,
/// '1' = 1, '=' = 2).
fn parity(bits: usize, secret: usize, examples: usize, rng: &mut Rng) -> Vec<u32> {
    let mut positions: Vec<usize> = (0..bits).collect();
    shuffle(&mut positions, rng);
    positions.truncate(secret);
    let mut out = Vec::with_capacity(examples * (bits + 2));
    for _ in 0..examples {
        let start = out.len();
        out.extend((0..bits).map(|_| rng.below(2) as u32));
        let answer = positions.iter().map(|&i| out[start + i]).sum::<u32>() % 2;
        out.extend([2, answer]);
    }
    out
}

/// Fisher-Yates with the run-independent generator.
fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modular_addition_holds_every_pair_once_split_as_asked() {
        let corpus = Puzzle::MODADD.corpus().unwrap();
        let (train, val) = (corpus.train.len() / 5, corpus.val.len() / 5);
        assert_eq!(train + val, 97 * 97);
        assert_eq!(train, (97.0f64 * 97.0 * 0.3f32 as f64).floor() as usize);
        let mut seen = std::collections::HashSet::new();
        for ex in corpus.train.chunks(5).chain(corpus.val.chunks(5)) {
            let (a, b, c) = (ex[0] - NUMBERS, ex[2] - NUMBERS, ex[4] - NUMBERS);
            assert_eq!([ex[1], ex[3]], [PLUS, EQUALS]);
            assert_eq!(c, (a + b) % 97);
            assert!(seen.insert((a, b)), "{a}+{b} twice");
        }
        assert_eq!(corpus.vocab.len(), 99);
        let shown = Puzzle::MODADD.show(&corpus.vocab, &corpus.train[..5]);
        assert!(shown.contains('+') && shown.contains('='), "{shown}");
    }

    #[test]
    fn parity_answers_are_the_parity_of_the_same_positions() {
        let puzzle = Puzzle::PARITY;
        let corpus = puzzle.corpus().unwrap();
        let examples: Vec<&[u32]> = corpus
            .train
            .chunks(22)
            .chain(corpus.val.chunks(22))
            .collect();
        assert_eq!(examples.len(), 4000);
        // Exactly one set of 3 positions has every answer as its parity.
        let mut fits = Vec::new();
        for i in 0..20 {
            for j in i + 1..20 {
                for k in j + 1..20 {
                    if examples.iter().all(|e| (e[i] + e[j] + e[k]) % 2 == e[21]) {
                        fits.push((i, j, k));
                    }
                }
            }
        }
        assert_eq!(fits.len(), 1, "{fits:?}");
        assert!(examples
            .iter()
            .all(|e| e[20] == 2 && e[..20].iter().all(|&b| b < 2)));
        let answers_one = examples.iter().filter(|e| e[21] == 1).count();
        assert!((1700..2300).contains(&answers_one), "{answers_one}");
        assert_eq!(corpus.vocab.as_string(), "01=");
    }

    #[test]
    fn a_spec_reads_back_and_bad_settings_are_refused() {
        for p in [Puzzle::MODADD, Puzzle::PARITY] {
            assert_eq!(Puzzle::from_spec(&p.spec()).unwrap(), p);
            let source = p.corpus().unwrap().source;
            assert_eq!(Puzzle::of_source(source.as_deref()).unwrap().unwrap(), p);
        }
        assert!(Puzzle::of_source(Some("notes.txt (3 characters)")).is_none());
        for bad in [
            "modadd p=1",
            "modadd p=97 train=1",
            "modadd p=97 train=0",
            "modadd p=5000",
            "parity n=3 k=4",
            "parity n=20 k=3 examples=1",
            "modadd q=3",
            "sorting",
        ] {
            assert!(Puzzle::from_spec(bad).is_err(), "{bad}");
        }
    }
}
