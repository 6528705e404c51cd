//! Export to PyTorch: a self-contained Python project that continues a checkpoint's run with the
//! engine's semantics (models, AdamW/SGD/SAM, IRE, data order, checkpoint format), on one
//! process or under `torchrun`. The Python sources live in `python/` and are compiled in; this
//! module adds the checkpoint, the data and a README with the exact commands. The CLI writes the
//! files into a folder, the app offers them as one ZIP. A transformer also exports to the
//! Hugging Face format (the `huggingface` module): a model directory `transformers` loads.

mod readme;
mod zip;

pub use zip::zip;

use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::data::Corpus;
use crate::error::{Error, Result};
use crate::train::TrainConfig;

/// The Python sources, by their path in the exported project.
const SOURCES: [(&str, &str); 10] = [
    ("train.py", include_str!("../../python/train.py")),
    (
        "playground/__init__.py",
        include_str!("../../python/playground/__init__.py"),
    ),
    (
        "playground/checkpoint.py",
        include_str!("../../python/playground/checkpoint.py"),
    ),
    (
        "playground/data.py",
        include_str!("../../python/playground/data.py"),
    ),
    (
        "playground/ire.py",
        include_str!("../../python/playground/ire.py"),
    ),
    (
        "playground/models.py",
        include_str!("../../python/playground/models.py"),
    ),
    (
        "playground/optim.py",
        include_str!("../../python/playground/optim.py"),
    ),
    (
        "playground/probes.py",
        include_str!("../../python/playground/probes.py"),
    ),
    (
        "playground/rng.py",
        include_str!("../../python/playground/rng.py"),
    ),
    (
        "playground/run.py",
        include_str!("../../python/playground/run.py"),
    ),
];

/// The data's licence notices travel with the data (a corpus of the user's own has none of ours,
/// but the notice then only says where the playground's came from).
const LICENSE_TEXT: &str = include_str!("../../data/LICENSE-shakespeare.md");
const LICENSE_IMAGES: &str = include_str!("../../data/fashion-mnist/LICENSE.md");

const REQUIREMENTS: &str = "torch>=2.1\nsafetensors>=0.4\nnumpy>=1.24\n";

/// Where the exported script reads the corpus (zlib-compressed UTF-8, as the playground ships it).
pub const CORPUS_PATH: &str = "data/corpus.txt.zlib";
/// The folder the exported script reads image sets from.
pub const IMAGES_DIR: &str = "data/fashion-mnist";

/// The data a run trains on, as files.
pub enum ExportData<'a> {
    /// The corpus, zlib-compressed UTF-8 text (the playground's `data/shakespeare.txt.zlib`).
    Corpus(&'a [u8]),
    /// Training images, training labels, test images, test labels: IDX files, gzipped or not.
    Images([&'a [u8]; 4]),
}

/// One file of the exported project.
pub struct ProjectFile {
    /// Path inside the project, `/`-separated.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The files of a project that continues `checkpoint`'s run on `data` (which must be the data
/// it trained on: a corpus with the checkpoint's vocabulary, or images for a ResNet).
pub fn project(checkpoint: &Checkpoint, data: ExportData) -> Result<Vec<ProjectFile>> {
    if checkpoint.state.as_ref().is_some_and(|s| s.padded) {
        return Err(Error::InvalidConfig(
            "this checkpoint's training state is in an older, adapter-specific layout; continue \
             it for a step in the playground (train --resume ... --save) and export that file"
                .into(),
        ));
    }
    let config: TrainConfig = serde_json::from_str(&checkpoint.train_config).map_err(|e| {
        Error::InvalidConfig(format!(
            "the checkpoint's run configuration cannot be read ({e}); it cannot be continued"
        ))
    })?;
    let file = |path: &str, bytes: Vec<u8>| ProjectFile {
        path: path.to_string(),
        bytes,
    };
    let mut files: Vec<ProjectFile> = SOURCES
        .iter()
        .map(|(path, text)| file(path, text.as_bytes().to_vec()))
        .collect();
    files.push(file("requirements.txt", REQUIREMENTS.as_bytes().to_vec()));
    files.push(file(
        "README.md",
        readme::readme(checkpoint, &config).into_bytes(),
    ));
    files.push(file("checkpoint.safetensors", checkpoint.to_bytes()?));
    match (&checkpoint.model, data) {
        (
            ModelSpec::Transformer {
                vocab,
                corpus: source,
                ..
            },
            ExportData::Corpus(_),
        ) if crate::data::Puzzle::of_source(source.as_deref()).is_some() => {
            // A generated task: the script generates the same examples from the checkpoint's
            // description of it (python/playground/data.py), so no data file travels.
            let puzzle = crate::data::Puzzle::of_source(source.as_deref()).expect("a puzzle")?;
            puzzle
                .corpus()?
                .check_trained_on(source.as_deref(), vocab)?;
            files.push(file(
                "data/SOURCE.md",
                format!(
                    "The run trained on a generated task, {}; train.py generates the same \
                     examples and split from the checkpoint (no data file).\n",
                    puzzle.spec()
                )
                .into_bytes(),
            ));
        }
        (
            ModelSpec::Transformer {
                vocab,
                corpus: source,
                ..
            },
            ExportData::Corpus(zlib),
        ) => {
            let corpus = match source {
                None => Corpus::from_zlib("the corpus", zlib)?,
                Some(source) => Corpus::from_user_zlib(Corpus::source_name(source), zlib)?,
            };
            corpus.check_trained_on(source.as_deref(), vocab)?;
            files.push(file(CORPUS_PATH, zlib.to_vec()));
            match source {
                None => files.push(file(
                    "data/LICENSE-shakespeare.md",
                    LICENSE_TEXT.as_bytes().to_vec(),
                )),
                Some(source) => files.push(file(
                    "data/SOURCE.md",
                    format!(
                        "The run trained on the user's own text, {source}, stored here as \
                         corpus.txt.zlib. Its licence is that of its source.\n"
                    )
                    .into_bytes(),
                )),
            }
        }
        (ModelSpec::ResNet(_), ExportData::Images(idx)) => {
            // Parse first: a broken file is refused here, not in the exported script.
            crate::data::ImageDataset::from_idx("the image set", idx)?;
            for (name, bytes) in crate::data::IDX_NAMES.iter().zip(idx) {
                let gz = bytes.starts_with(&[0x1f, 0x8b]);
                let ext = if gz { ".gz" } else { "" };
                files.push(file(&format!("{IMAGES_DIR}/{name}{ext}"), bytes.to_vec()));
            }
            files.push(file(
                &format!("{IMAGES_DIR}/LICENSE.md"),
                LICENSE_IMAGES.as_bytes().to_vec(),
            ));
        }
        (model, _) => {
            return Err(Error::InvalidConfig(format!(
                "the checkpoint holds a {} but the other family's data was given",
                model.family()
            )))
        }
    }
    Ok(files)
}

/// [`project`] for `checkpoint`, plus the runs compared with it (same model and data: the
/// twins of compare mode) as `checkpoint-NAME.safetensors` beside it, and a README section with
/// the command that continues each. The data and the code travel once.
pub fn project_with_twins(
    checkpoint: &Checkpoint,
    twins: &[(String, &Checkpoint)],
    data: ExportData,
) -> Result<Vec<ProjectFile>> {
    let mut files = project(checkpoint, data)?;
    if twins.is_empty() {
        return Ok(files);
    }
    let mut section = String::from(
        "\n## The other runs of the comparison\n\nThey started from the same weights and data \
         order; `checkpoint.safetensors` is the first. Continue another one with:\n\n```sh\n",
    );
    for (name, twin) in twins {
        if twin.model != checkpoint.model {
            return Err(Error::InvalidConfig(format!(
                "the run '{name}' has another model than the first; export it on its own"
            )));
        }
        let path = format!("checkpoint-{name}.safetensors");
        section += &format!("python3 train.py --checkpoint {path} --log {name}.jsonl\n");
        files.push(ProjectFile {
            path,
            bytes: twin.to_bytes()?,
        });
    }
    section += "```\n";
    if let Some(readme) = files.iter_mut().find(|f| f.path == "README.md") {
        readme.bytes.extend_from_slice(section.as_bytes());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_python_module_is_exported() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/python/playground");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".py") {
                let path = format!("playground/{name}");
                assert!(
                    SOURCES.iter().any(|(p, _)| *p == path),
                    "{path} not exported"
                );
            }
        }
    }
}
