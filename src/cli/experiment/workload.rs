//! What an experiment trains: a transformer preset on the embedded corpus or a generated task,
//! or a ResNet on Fashion-MNIST (the embedded subset or a folder of IDX files).

use anyhow::bail;
use ire_playground::checkpoint::ModelSpec;
use ire_playground::data::{Corpus, ImageDataset, Puzzle};
use ire_playground::export::ExportData;
use ire_playground::gpu::GpuContext;
use ire_playground::models::{ResNetConfig, TransformerConfig};
use ire_playground::train::{Family, TaskData, TrainConfig, Trainer};
use std::path::Path;
use std::sync::Arc;

/// The model and data every run of an experiment shares.
pub enum Workload {
    /// A transformer preset on embedded Shakespeare, or on a generated task.
    Text {
        corpus: Arc<Corpus>,
        model: TransformerConfig,
    },
    /// A ResNet on Fashion-MNIST with the CIFAR augmentation.
    Images {
        data: Arc<ImageDataset>,
        model: ResNetConfig,
        /// The IDX files of `--data-dir` (None: the embedded subset), for the PyTorch export.
        idx_files: Option<Vec<Vec<u8>>>,
    },
}

impl Workload {
    /// The workload of `preset` (a transformer or ResNet preset name).
    pub fn new(preset: &str, data_dir: Option<&Path>) -> anyhow::Result<Self> {
        Ok(match Family::of_preset(preset) {
            Family::Transformer => {
                if data_dir.is_some() {
                    bail!("--data-dir applies to ResNet presets only");
                }
                let corpus = Arc::new(Corpus::shakespeare()?);
                let model = TransformerConfig::preset(preset, corpus.vocab.len())?;
                Self::Text { corpus, model }
            }
            Family::ResNet => {
                let model = ResNetConfig::preset(preset)?;
                model.validate()?;
                let (data, idx_files) = match data_dir {
                    Some(dir) => (
                        ImageDataset::fashion_mnist_dir(dir)?,
                        Some(ImageDataset::read_idx_files(dir)?),
                    ),
                    None => (ImageDataset::fashion_mnist_embedded()?, None),
                };
                Self::Images {
                    data: Arc::new(data),
                    model,
                    idx_files,
                }
            }
        })
    }

    /// A transformer preset on a generated task (the model reads one example at a time).
    pub fn task(preset: &str, puzzle: Puzzle) -> anyhow::Result<Self> {
        let corpus = Arc::new(puzzle.corpus()?);
        let mut model = TransformerConfig::preset(preset, corpus.vocab.len())?;
        model.seq_len = puzzle.example_len() - 1;
        Ok(Self::Text { corpus, model })
    }

    /// Training examples per epoch (windows are drawn at random for text, so None).
    pub fn train_len(&self) -> Option<usize> {
        match self {
            Self::Text { .. } => None,
            Self::Images { data, .. } => Some(data.train.len()),
        }
    }

    /// Evaluation batches covering the whole test set (images) or the recipe's 8 (text).
    pub fn eval_batches(&self, batch: usize) -> usize {
        match self {
            Self::Text { .. } => 8,
            Self::Images { data, .. } => data.test_batches(batch),
        }
    }

    /// A fresh run (initial weights and data order from `config.seed`).
    pub fn trainer(&self, ctx: &GpuContext, config: TrainConfig) -> anyhow::Result<Trainer> {
        Ok(match self {
            Self::Text { corpus, model } => Trainer::build(
                ctx,
                &ModelSpec::transformer(*model, corpus),
                config,
                TaskData::Text(corpus.clone()),
            )?,
            Self::Images { data, model, .. } => {
                let images = TaskData::Images {
                    images: data.clone(),
                    augment: true,
                };
                Trainer::build(ctx, &ModelSpec::ResNet(*model), config, images)?
            }
        })
    }

    /// The data the exported PyTorch project carries.
    pub fn export_data(&self) -> ExportData<'_> {
        match self {
            Self::Text { .. } => ExportData::Corpus(Corpus::shakespeare_zlib()),
            Self::Images {
                idx_files: Some(f), ..
            } => ExportData::Images([&f[0], &f[1], &f[2], &f[3]]),
            Self::Images { .. } => ExportData::Images(ImageDataset::embedded_files()),
        }
    }
}
