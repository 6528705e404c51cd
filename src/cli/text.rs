//! `--text-file`: training, evaluating and exporting transformers on the user's own text.

use anyhow::bail;
use ire_playground::checkpoint::{Checkpoint, ModelSpec};
use ire_playground::data::{Corpus, Puzzle, MAX_TEXT_BYTES};
use ire_playground::files;
use std::path::Path;

/// Reads a text file (bounded) and its name for messages.
fn read_text(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    let bytes = files::read_bounded(path, MAX_TEXT_BYTES as u64 + 1)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    Ok((name, bytes))
}

/// The corpus of a transformer command: `--text-file`, or the embedded Shakespeare. With a
/// checkpoint, its vocabulary is used, and a run that trained on a user's text needs that text;
/// one that trained on a generated puzzle gets the same puzzle again.
pub fn corpus(text_file: Option<&Path>, checkpoint: Option<&Checkpoint>) -> anyhow::Result<Corpus> {
    let (vocab, trained_on) = match checkpoint.map(|c| &c.model) {
        Some(ModelSpec::Transformer { vocab, corpus, .. }) => (Some(vocab.clone()), corpus.clone()),
        _ => (None, None),
    };
    if let Some(puzzle) = Puzzle::of_source(trained_on.as_deref()) {
        if text_file.is_some() {
            bail!("the checkpoint's run trained on a generated task, not a text: drop --text-file");
        }
        return Ok(puzzle?.corpus()?);
    }
    match (text_file, trained_on) {
        (Some(path), _) => {
            let (name, bytes) = read_text(path)?;
            Ok(Corpus::from_user_text(&name, &bytes, vocab)?)
        }
        (None, Some(source)) => {
            bail!("the checkpoint's run trained on {source}; give that text with --text-file")
        }
        (None, None) => Ok(Corpus::shakespeare()?),
    }
}

/// The zlib-compressed text an export ships: `--text-file`'s, or the embedded corpus.
pub fn export_bytes(text_file: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    Ok(match text_file {
        Some(path) => Corpus::compress(&read_text(path)?.1),
        None => Corpus::shakespeare_zlib().to_vec(),
    })
}
