//! The character-level corpus: embedded Shakespeare (data/shakespeare.txt.zlib, see
//! data/LICENSE-shakespeare.md), its vocabulary and the deterministic train/validation split.

use crate::error::{Error, Result};

/// Embedded in native builds only: the web build fetches the same file next to the page (and
/// caches it), which keeps the first download of the wasm small.
#[cfg(not(target_arch = "wasm32"))]
const EMBEDDED_SHAKESPEARE: &[u8] = include_bytes!("../../data/shakespeare.txt.zlib");

/// The corpus file's name under `data/` (the web build fetches it from there).
pub const SHAKESPEARE_FILE: &str = "shakespeare.txt.zlib";

/// Fraction of the corpus, taken from the end, used for validation.
pub const VALIDATION_FRACTION: f64 = 0.1;

/// Character vocabulary: token id = index in `chars`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
}

impl Vocab {
    /// The sorted set of characters in `text`.
    pub fn from_text(text: &str) -> Self {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        Self { chars }
    }

    /// Rebuilds a vocabulary from its string form (a checkpoint's metadata).
    pub fn from_string(s: &str) -> Result<Self> {
        let chars: Vec<char> = s.chars().collect();
        let mut sorted = chars.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted != chars || chars.is_empty() {
            return Err(Error::Data(
                "vocabulary must be a non-empty string of sorted, distinct characters".into(),
            ));
        }
        Ok(Self { chars })
    }

    /// All characters, in id order, as one string (stored in checkpoints).
    pub fn as_string(&self) -> String {
        self.chars.iter().collect()
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Token ids of `text`; characters outside the vocabulary are an error.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        text.chars()
            .map(|c| {
                self.chars
                    .binary_search(&c)
                    .map(|i| i as u32)
                    .map_err(|_| Error::Data(format!("character {c:?} is not in the vocabulary")))
            })
            .collect()
    }

    /// Text of token ids (ids out of range become '?').
    pub fn decode(&self, ids: &[u32]) -> String {
        ids.iter()
            .map(|&i| self.chars.get(i as usize).copied().unwrap_or('?'))
            .collect()
    }
}

/// Largest text a user may train on (64 MiB): enough for any book collection a playground
/// model learns from, small enough to hold twice in memory on the web.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
/// Most distinct characters a user's text may have (the embedding and output layer grow with
/// it; a text with more is not character-level material).
pub const MAX_VOCAB: usize = 4096;

/// A tokenised corpus split into training and validation tokens.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Where the text came from: None for the embedded Shakespeare, else a user's text as
    /// "<name> (<characters> characters, CRC-32 <hex>)" (stored in checkpoints, so a resumed or
    /// evaluated run can check it has the same text).
    pub source: Option<String>,
    /// Vocabulary.
    pub vocab: Vocab,
    /// Set for a corpus of fixed-length examples (a generated puzzle): windows start at
    /// examples, and only their answers are scored. None for running text.
    pub examples: Option<ExampleShape>,
    /// Training tokens (first 90%).
    pub train: Vec<u32>,
    /// Validation tokens (last 10%).
    pub val: Vec<u32>,
}

impl Corpus {
    /// Shakespeare's plays, embedded in the binary.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn shakespeare() -> Result<Self> {
        Self::from_zlib("embedded corpus", EMBEDDED_SHAKESPEARE)
    }

    /// The embedded Shakespeare corpus as stored: zlib-compressed UTF-8 (what an export ships).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn shakespeare_zlib() -> &'static [u8] {
        EMBEDDED_SHAKESPEARE
    }

    /// A UTF-8 text compressed with zlib (`source` names it in errors).
    pub fn from_zlib(source: &str, compressed: &[u8]) -> Result<Self> {
        let bytes = inflate(source, compressed)?;
        let text =
            String::from_utf8(bytes).map_err(|_| Error::Data(format!("{source} is not UTF-8")))?;
        Self::from_text(&text)
    }

    /// Splits `text`: the last [`VALIDATION_FRACTION`] of characters is validation data.
    pub fn from_text(text: &str) -> Result<Self> {
        let vocab = Vocab::from_text(text);
        Self::with_vocab(text, vocab)
    }

    /// Like [`Corpus::from_text`] with a given vocabulary (e.g. a checkpoint's).
    pub fn with_vocab(text: &str, vocab: Vocab) -> Result<Self> {
        let ids = vocab.encode(text)?;
        if ids.len() < 1000 {
            return Err(Error::Data(format!(
                "corpus has {} characters; at least 1000 are needed",
                ids.len()
            )));
        }
        let split = ids.len() - (ids.len() as f64 * VALIDATION_FRACTION) as usize;
        Ok(Self {
            source: None,
            vocab,
            train: ids[..split].to_vec(),
            val: ids[split..].to_vec(),
            examples: None,
        })
    }
}

impl Corpus {
    /// A user's text (`name`: the file's name, for messages and the checkpoint): UTF-8, at most
    /// [`MAX_TEXT_BYTES`] bytes and [`MAX_VOCAB`] distinct characters, its own vocabulary; with
    /// `vocab` (a checkpoint's) the text must use only those characters.
    pub fn from_user_text(name: &str, bytes: &[u8], vocab: Option<Vocab>) -> Result<Self> {
        if bytes.len() > MAX_TEXT_BYTES {
            return Err(Error::Data(format!(
                "{name} has {} bytes; at most {} MiB of text can be trained on",
                bytes.len(),
                MAX_TEXT_BYTES >> 20
            )));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            Error::Data(format!(
                "{name} is not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ))
        })?;
        if let Some(at) = text.find('\0') {
            // UTF-8 validates runs of NUL bytes: a binary file or a disk image, not a text.
            return Err(Error::Data(format!(
                "{name} holds a NUL byte (at offset {at}): a binary file, not text"
            )));
        }
        let own = Vocab::from_text(text);
        if own.len() > MAX_VOCAB {
            return Err(Error::Data(format!(
                "{name} uses {} distinct characters; a character-level model here takes at most \
                 {MAX_VOCAB}",
                own.len()
            )));
        }
        let vocab = vocab.unwrap_or(own);
        let mut corpus = Self::with_vocab(text, vocab).map_err(|e| match e {
            Error::Data(m) => Error::Data(format!("{name}: {m}")),
            other => other,
        })?;
        corpus.source = Some(format!(
            "{name} ({} characters, CRC-32 {:08x})",
            text.chars().count(),
            crate::checksum::crc32(bytes)
        ));
        Ok(corpus)
    }

    /// A user's text as stored compressed (an export's or a kept session's copy), checked as
    /// [`Corpus::from_user_text`] checks it.
    pub fn from_user_zlib(name: &str, compressed: &[u8]) -> Result<Self> {
        Self::from_user_text(name, &inflate(name, compressed)?, None)
    }

    /// The file name a user's text's [`Corpus::source`] starts with ("notes.txt" of
    /// "notes.txt (35 characters, CRC-32 ...)"); the whole source when it has no such part.
    pub fn source_name(source: &str) -> &str {
        source.rsplit_once(" (").map_or(source, |(name, _)| name)
    }

    /// Whether two [`Corpus::source`]s name the same text: the embedded corpus on both sides, or
    /// user texts of equal length and checksum (the file may have been renamed).
    pub fn same_source(a: Option<&str>, b: Option<&str>) -> bool {
        let identity = |s: &str| s.rsplit_once(" (").map(|(_, id)| id.to_string());
        match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => identity(a) == identity(b),
            _ => false,
        }
    }

    /// Refuses this corpus for a model that trained on `source` ([`Corpus::source`]) with
    /// `vocab`: a checkpoint continued, evaluated or exported with other text.
    pub fn check_trained_on(&self, source: Option<&str>, vocab: &Vocab) -> Result<()> {
        let name = |s: Option<&str>| s.unwrap_or("the embedded Shakespeare").to_string();
        if !Self::same_source(source, self.source.as_deref()) {
            return Err(Error::Data(format!(
                "the checkpoint trained on {} but was given {}",
                name(source),
                name(self.source.as_deref())
            )));
        }
        if &self.vocab != vocab {
            return Err(Error::Data(
                "the checkpoint's vocabulary differs from the corpus's".into(),
            ));
        }
        Ok(())
    }

    /// The text as the embedded corpus is stored (zlib), e.g. for an export's data file.
    pub fn compress(text: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(text, 9)
    }

    /// Evaluation batches of `batch` windows of `seq_len` characters the held-out text holds
    /// (0 also when not one training window fits).
    pub fn eval_batches_available(&self, seq_len: usize, batch: usize) -> usize {
        if self.train.len() <= seq_len + 1 {
            return 0;
        }
        super::Batcher::for_corpus(self, batch.max(1), seq_len).val_batches_available(&self.val)
    }

    /// Refuses, with a reason in terms of the text, a corpus too short for a model with windows
    /// of `seq_len` at `batch` sequences per batch and `eval_batches` validation batches.
    pub fn check_fits(&self, seq_len: usize, batch: usize, eval_batches: usize) -> Result<()> {
        let name = self.source.as_deref().unwrap_or("the corpus");
        if let Some(e) = self.examples {
            let batcher = super::Batcher::for_corpus(self, batch.max(1), seq_len);
            let available = batcher.val_batches_available(&self.val);
            if available < eval_batches.max(1) {
                return Err(Error::Data(format!(
                    "{name} holds {} validation examples: {available} evaluation batch(es) of \
                     {batch}, fewer than the {} asked; use a smaller batch or fewer evaluation \
                     batches",
                    self.val.len() / e.len,
                    eval_batches.max(1)
                )));
            }
            return Ok(());
        }
        // The batcher's own counts, so this says no exactly when training or evaluation would.
        let batcher = super::Batcher::for_corpus(self, batch.max(1), seq_len);
        let window = batch.saturating_mul(seq_len);
        let val_needed = eval_batches.max(1).saturating_mul(window).saturating_add(1);
        if self.train.len() <= seq_len + 1
            || batcher.val_batches_available(&self.val) < eval_batches.max(1)
        {
            let total = self.train.len() + self.val.len();
            let fraction = VALIDATION_FRACTION;
            let enough = (val_needed as f64 / fraction).ceil() as usize;
            return Err(Error::Data(format!(
                "{name} is too short for this model: {total} characters, of which the last \
                 {:.0}% ({}) are held out for validation; {} evaluation batch(es) of {batch} x \
                 {seq_len} characters need {val_needed} of them. Use a text of at least {enough} \
                 characters, a smaller batch, or fewer evaluation batches",
                fraction * 100.0,
                self.val.len(),
                eval_batches.max(1),
            )));
        }
        Ok(())
    }
}

/// Decompresses a zlib text (`source` names it in the error).
fn inflate(source: &str, compressed: &[u8]) -> Result<Vec<u8>> {
    miniz_oxide::inflate::decompress_to_vec_zlib(compressed)
        .map_err(|e| Error::Data(format!("{source} is corrupt: {:?}", e.status)))
}

/// The layout of a corpus of examples: each `len` tokens, the last `answers` of them answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExampleShape {
    /// Tokens per example, answers included.
    pub len: usize,
    /// Trailing answer tokens (the only scored targets).
    pub answers: usize,
}
