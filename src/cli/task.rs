//! `--task`: a transformer trained on a generated puzzle (modular addition, sparse parity)
//! instead of text, with its settings.

use anyhow::bail;
use ire_playground::data::Puzzle;

/// The puzzle flags of `train`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct TaskArg {
    /// Transformers: train on a generated task instead of text: modadd (a + b mod p; the
    /// grokking task) or parity (the parity of a few secret positions of a random bit
    /// string). Scored on the answers only, with accuracy; the model reads one example at a
    /// time.
    #[arg(long, value_parser = ["modadd", "parity"])]
    pub task: Option<String>,
    /// modadd: the modulus p [default: 97].
    #[arg(long)]
    pub modulus: Option<usize>,
    /// modadd, parity: the share of examples trained on; the rest validate [default: 0.3 for
    /// modadd, 0.5 for parity].
    #[arg(long)]
    pub train_fraction: Option<f32>,
    /// parity: bits per string [default: 20].
    #[arg(long)]
    pub bits: Option<usize>,
    /// parity: secret positions whose parity is the answer [default: 3].
    #[arg(long)]
    pub secret: Option<usize>,
    /// parity: bit strings in all [default: 4000].
    #[arg(long)]
    pub examples: Option<usize>,
}

impl TaskArg {
    /// The puzzle the flags ask for (None without `--task`); a setting of another task, or
    /// one without `--task`, is refused rather than ignored.
    pub fn puzzle(&self) -> anyhow::Result<Option<Puzzle>> {
        let settings = [
            ("--modulus", self.modulus.is_some(), "modadd"),
            ("--bits", self.bits.is_some(), "parity"),
            ("--secret", self.secret.is_some(), "parity"),
            ("--examples", self.examples.is_some(), "parity"),
        ];
        let Some(name) = &self.task else {
            let given = settings.iter().map(|s| (s.0, s.1));
            let given = given.chain([("--train-fraction", self.train_fraction.is_some())]);
            if let Some((flag, _)) = given.into_iter().find(|s| s.1) {
                bail!("{flag} sets a task: add --task modadd or --task parity");
            }
            return Ok(None);
        };
        if let Some((flag, _, owner)) = settings.iter().find(|s| s.1 && s.2 != name) {
            bail!("{flag} applies to --task {owner} only");
        }
        let puzzle = match Puzzle::named(name)? {
            Puzzle::ModAdd {
                modulus,
                train_fraction,
            } => Puzzle::ModAdd {
                modulus: self.modulus.unwrap_or(modulus),
                train_fraction: self.train_fraction.unwrap_or(train_fraction),
            },
            Puzzle::Parity {
                bits,
                secret,
                examples,
                train_fraction,
            } => Puzzle::Parity {
                bits: self.bits.unwrap_or(bits),
                secret: self.secret.unwrap_or(secret),
                examples: self.examples.unwrap_or(examples),
                train_fraction: self.train_fraction.unwrap_or(train_fraction),
            },
        };
        puzzle.validate()?;
        Ok(Some(puzzle))
    }

    /// Whether any task flag was given.
    pub fn given(&self) -> bool {
        self.task.is_some()
            || self.modulus.is_some()
            || self.train_fraction.is_some()
            || self.bits.is_some()
            || self.secret.is_some()
            || self.examples.is_some()
    }
}
