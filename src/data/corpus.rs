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

/// A tokenised corpus split into training and validation tokens.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Vocabulary.
    pub vocab: Vocab,
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
        let bytes = miniz_oxide::inflate::decompress_to_vec_zlib(compressed)
            .map_err(|e| Error::Data(format!("{source} is corrupt: {:?}", e.status)))?;
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
            vocab,
            train: ids[..split].to_vec(),
            val: ids[split..].to_vec(),
        })
    }
}
