//! Checkpoints in safetensors with the PyTorch reference model's tensor names and layouts
//! (scripts/reference_model.py), so `model.load_state_dict(safetensors.torch.load_file(f))` works.
//! The model config, vocabulary, step and training config travel in the metadata.

use crate::data::Vocab;
use crate::error::{Error, Result};
use crate::models::TransformerConfig;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;

/// Value of the `format` metadata key.
pub const FORMAT: &str = "ire-playground/transformer-v1";

/// A saved model.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// Model shape.
    pub config: TransformerConfig,
    /// Character vocabulary.
    pub vocab: Vocab,
    /// Training steps taken when saved.
    pub step: usize,
    /// Training configuration as JSON (informational; empty when unknown).
    pub train_config: String,
    /// Tensors by PyTorch name.
    pub tensors: HashMap<String, Vec<f32>>,
}

impl Checkpoint {
    /// Serialises to safetensors bytes, tensors in the model's declaration order.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let specs = self.config.param_specs();
        let mut bytes: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::with_capacity(specs.len());
        for spec in specs {
            let values = self
                .tensors
                .get(&spec.name)
                .ok_or_else(|| Error::Checkpoint {
                    path: "<memory>".into(),
                    reason: format!("missing tensor {}", spec.name),
                })?;
            bytes.push((spec.name, spec.shape, bytemuck::cast_slice(values).to_vec()));
        }
        let views = bytes
            .iter()
            .map(|(name, shape, data)| {
                TensorView::new(Dtype::F32, shape.clone(), data).map(|v| (name.clone(), v))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Checkpoint {
                path: "<memory>".into(),
                reason: e.to_string(),
            })?;
        let mut meta = HashMap::new();
        meta.insert("format".into(), FORMAT.into());
        meta.insert(
            "config".into(),
            serde_json::to_string(&self.config).expect("config serialises"),
        );
        meta.insert("vocab".into(), self.vocab.as_string());
        meta.insert("step".into(), self.step.to_string());
        meta.insert("train_config".into(), self.train_config.clone());
        safetensors::serialize(views, Some(meta)).map_err(|e| Error::Checkpoint {
            path: "<memory>".into(),
            reason: e.to_string(),
        })
    }

    /// Parses safetensors bytes; `path` is only used in error messages.
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Self> {
        let bad = |reason: String| Error::Checkpoint {
            path: path.to_string(),
            reason,
        };
        let st = SafeTensors::deserialize(bytes).map_err(|e| {
            bad(format!(
                "not a valid safetensors file ({e}); truncated or another format?"
            ))
        })?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| {
            meta.get(k).ok_or_else(|| {
                bad(format!(
                    "metadata key '{k}' missing; not an ire-playground checkpoint"
                ))
            })
        };
        if get("format")? != FORMAT {
            return Err(bad(format!(
                "format is '{}', expected '{FORMAT}'",
                get("format")?
            )));
        }
        let config: TransformerConfig = serde_json::from_str(get("config")?)
            .map_err(|e| bad(format!("bad config metadata: {e}")))?;
        config.validate().map_err(|e| bad(e.to_string()))?;
        let vocab = Vocab::from_string(get("vocab")?).map_err(|e| bad(e.to_string()))?;
        if vocab.len() != config.vocab {
            return Err(bad(format!(
                "vocabulary has {} characters but the config says {}",
                vocab.len(),
                config.vocab
            )));
        }
        let step = get("step")?
            .parse()
            .map_err(|_| bad("bad step metadata".into()))?;
        let mut tensors = HashMap::new();
        for spec in config.param_specs() {
            let view = st
                .tensor(&spec.name)
                .map_err(|_| bad(format!("tensor '{}' missing", spec.name)))?;
            if view.dtype() != Dtype::F32 || view.shape() != spec.shape.as_slice() {
                return Err(bad(format!(
                    "tensor '{}' is {:?} {:?}, expected F32 {:?}",
                    spec.name,
                    view.dtype(),
                    view.shape(),
                    spec.shape
                )));
            }
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "tensor '{}' holds a non-finite value at {i}",
                    spec.name
                )));
            }
            tensors.insert(spec.name, values);
        }
        Ok(Self {
            config,
            vocab,
            step,
            train_config: meta.get("train_config").cloned().unwrap_or_default(),
            tensors,
        })
    }

    /// Writes the checkpoint to `path` (via a temporary file, so a crash never leaves half a file).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let bytes = self.to_bytes()?;
        let tmp = path.with_extension("safetensors.tmp");
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a checkpoint from `path`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::Checkpoint {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }
}
