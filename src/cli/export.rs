//! `ire-playground export`: a PyTorch project that continues a checkpoint's run, or (`--format
//! hf`) a Hugging Face model directory of a transformer checkpoint.

use anyhow::{bail, Context};
use clap::Args;
use ire_playground::checkpoint::{Checkpoint, ModelSpec};
use ire_playground::data::{ImageDataset, Puzzle};
use ire_playground::export::{self, ExportData};
use ire_playground::files;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Checkpoint written by `train --save` or `--checkpoint-every` (a transformer or a ResNet).
    #[arg(long)]
    checkpoint: PathBuf,
    /// The project folder to create (it must not exist, or be empty); a name ending in `.zip`
    /// writes one ZIP file instead.
    #[arg(long)]
    out: PathBuf,
    /// ResNets trained with --data-dir: the same folder (its IDX files are copied along).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Transformers trained on --text-file: the same text (it ships with the project).
    #[arg(long)]
    text_file: Option<PathBuf>,
    /// `pytorch`: a project that continues the run; `hf`: a Hugging Face `transformers` model
    /// directory (config, weights, tokenizer, model card) of a transformer.
    #[arg(long, value_enum, default_value_t = Format::Pytorch)]
    format: Format,
}

/// What `export` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A PyTorch project that continues the run.
    Pytorch,
    /// A Hugging Face model directory.
    Hf,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let as_zip = args.out.extension().is_some_and(|e| e == "zip");
    if as_zip {
        let (text, images) = (args.text_file.as_deref(), args.data_dir.as_deref());
        let inputs = super::Inputs::checkpoint_and_data(&args.checkpoint, text, images);
        super::check_out_file(&args.out, inputs)?;
    } else {
        check_empty_folder(&args.out)?;
    }
    let checkpoint = Checkpoint::load(&args.checkpoint)?;
    if args.format == Format::Hf {
        if args.text_file.is_some() || args.data_dir.is_some() {
            bail!(
                "--text-file and --data-dir are for the PyTorch export (a Hugging Face model \
                 directory holds no data)"
            );
        }
        let directory = ire_playground::huggingface::model_directory(&checkpoint)?;
        write_out(&args.out, as_zip, directory)?;
        eprintln!(
            "exported step {} of the run to {} as a Hugging Face model (see its README.md)",
            checkpoint.step,
            args.out.display()
        );
        return Ok(());
    }
    let (idx_files, text);
    if args.text_file.is_some() && !matches!(checkpoint.model, ModelSpec::Transformer { .. }) {
        bail!("--text-file applies to transformer checkpoints only");
    }
    let data = match (&checkpoint.model, &args.data_dir) {
        (ModelSpec::Transformer { .. }, Some(_)) => {
            bail!("--data-dir applies to ResNet checkpoints only")
        }
        (ModelSpec::Transformer { corpus, .. }, None) => {
            let puzzle = Puzzle::of_source(corpus.as_deref()).is_some();
            if puzzle && args.text_file.is_some() {
                bail!("the run trained on a generated task, not a text: drop --text-file");
            }
            if let (Some(source), None, false) = (corpus, &args.text_file, puzzle) {
                bail!("the run trained on {source}; give that text with --text-file");
            }
            text = super::text::export_bytes(args.text_file.as_deref())?;
            ExportData::Corpus(&text)
        }
        (ModelSpec::ResNet(_), Some(dir)) => {
            idx_files = ImageDataset::read_idx_files(dir)?;
            ExportData::Images([&idx_files[0], &idx_files[1], &idx_files[2], &idx_files[3]])
        }
        (ModelSpec::ResNet(_), None) => ExportData::Images(ImageDataset::embedded_files()),
    };
    let project = export::project(&checkpoint, data)?;
    write_out(&args.out, as_zip, project)?;
    eprintln!(
        "exported step {} of the run to {}; see its README.md (python3 train.py --steps N ...)",
        checkpoint.step,
        args.out.display()
    );
    Ok(())
}

/// Writes `files` as one ZIP (`as_zip`) or into the folder `out`.
fn write_out(
    out: &std::path::Path,
    as_zip: bool,
    contents: Vec<export::ProjectFile>,
) -> anyhow::Result<()> {
    if as_zip {
        let entries: Vec<(String, Vec<u8>)> =
            contents.into_iter().map(|f| (f.path, f.bytes)).collect();
        let bytes = export::zip(&entries)
            .map_err(|_| anyhow::anyhow!("the export is too large for a ZIP file"))?;
        files::write_atomic(out, &bytes)?;
        Ok(())
    } else {
        write_folder(out, &contents)
    }
}

/// Refuses an existing file, or a folder with anything in it, before any work.
fn check_empty_folder(out: &std::path::Path) -> anyhow::Result<()> {
    // What an export killed mid-write left beside it goes first.
    if let Some(name) = out.file_name() {
        files::remove_stale_temps(files::folder_of(out), &name.to_string_lossy());
    }
    if out.exists() {
        if !out.is_dir() {
            bail!("--out {} exists and is not a folder", out.display());
        }
        if std::fs::read_dir(out)?.next().is_some() {
            bail!("--out {} is not empty; give a new folder", out.display());
        }
        return Ok(());
    }
    let parent = files::folder_of(out);
    if !parent.is_dir() {
        bail!(
            "--out {}: the folder {} does not exist",
            out.display(),
            parent.display()
        );
    }
    // The project is built beside it: the folder must take new entries.
    files::check_output(out)?;
    Ok(())
}

/// Writes the project. A new `out` is written all or nothing: into a temporary folder beside
/// it, renamed to `out` once complete, so that a failed or killed export leaves no half project
/// behind. An empty folder the user made (perhaps a mount point or a link, which a rename
/// cannot replace) is written into directly.
fn write_folder(out: &std::path::Path, project: &[export::ProjectFile]) -> anyhow::Result<()> {
    let existing = out.is_dir();
    let target = if existing {
        out.to_path_buf()
    } else {
        files::temp_beside(out)
    };
    let written = (|| -> anyhow::Result<()> {
        for file in project {
            let path = target.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, &file.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if !existing {
            std::fs::rename(&target, out)
                .with_context(|| format!("cannot create {}", out.display()))?;
        }
        Ok(())
    })();
    if written.is_err() && !existing {
        let _ = std::fs::remove_dir_all(&target);
    }
    written
}
