//! Checkpoints in safetensors. The model's tensors keep the PyTorch reference models' names and
//! layouts (scripts/reference_model.py, scripts/reference_resnet.py), so that
//! `reference_model.load_weights(f)` gives a state dict the reference model loads; BatchNorm
//! running statistics travel as PyTorch's `running_mean` / `running_var` buffers. A full
//! checkpoint also holds the training state: tensors under [`STATE_PREFIX`] (optimizer moments,
//! IRE's Fisher estimate and mask, the probes' power-iteration vector) and, in the metadata, the
//! counters and random-number states that make a resumed run continue bit-identically. The
//! state tensors hold one value per parameter in declaration order (the `parameters` metadata key
//! lists it, with each tensor's weight-decay flag), whatever adapter wrote them.

#[cfg(not(target_arch = "wasm32"))]
mod file;
mod state;

pub use state::{HostState, TrainState};

use crate::data::Vocab;
use crate::error::{Error, Result};
use crate::models::{ResNetConfig, TransformerConfig};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;

/// Value of the `format` metadata key.
pub const FORMAT: &str = "ire-playground/checkpoint-v3";
/// The previous format: training state in the writing adapter's padded layout, still read.
pub const FORMAT_V2: &str = "ire-playground/checkpoint-v2";
/// The first format (transformer weights only), still read.
pub const FORMAT_V1: &str = "ire-playground/transformer-v1";
/// Name prefix of the training-state tensors (not part of the model's state dict).
pub const STATE_PREFIX: &str = "train_state.";
/// Largest parameter count a checkpoint may declare (1G floats: 4 GB), checked before any
/// allocation so that hostile metadata cannot ask for more.
pub const MAX_PARAMS: usize = 1 << 30;

/// The model a checkpoint holds.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelSpec {
    /// A character-level transformer and its vocabulary.
    Transformer {
        /// Shape.
        config: TransformerConfig,
        /// Character vocabulary.
        vocab: Vocab,
        /// The user's text it trained on ([`crate::data::Corpus::source`]); None: the embedded
        /// Shakespeare.
        corpus: Option<String>,
    },
    /// A ResNet image classifier.
    ResNet(ResNetConfig),
}

impl ModelSpec {
    /// The model's family (its name is the `family` metadata key).
    pub fn family(&self) -> crate::models::Family {
        match self {
            Self::Transformer { .. } => crate::models::Family::Transformer,
            Self::ResNet(_) => crate::models::Family::ResNet,
        }
    }

    fn param_specs(&self) -> Vec<crate::nn::ParamSpec> {
        match self {
            Self::Transformer { config, .. } => config.param_specs(),
            Self::ResNet(config) => config.param_specs(),
        }
    }

    fn param_count(&self) -> Option<usize> {
        let count = match self {
            Self::Transformer { config, .. } => config.param_count(),
            Self::ResNet(config) => config.param_count(),
        };
        (count <= MAX_PARAMS).then_some(count)
    }
}

/// A saved model, and optionally the state of the run that trained it.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The model.
    pub model: ModelSpec,
    /// Training steps taken when saved.
    pub step: usize,
    /// Training configuration as JSON (informational in weights-only checkpoints).
    pub train_config: String,
    /// Parameters by PyTorch name.
    pub tensors: HashMap<String, Vec<f32>>,
    /// Model buffers that are not trained, by PyTorch name, in model order: BatchNorm's
    /// `{layer}.running_mean` and `{layer}.running_var`.
    pub buffers: Vec<(String, Vec<f32>)>,
    /// Everything else needed to continue the run bit-identically (None: weights only).
    pub state: Option<TrainState>,
    /// The command-line run that wrote the file (an id kept across its resumes; the
    /// `run_id` metadata key): rotation deletes, and periodic saves overwrite, only files of
    /// their own run, never a file that merely has the right name.
    pub run_id: Option<String>,
    /// The run's log (the JSON lines `--log` writes), in the run files the app saves (the
    /// `log` metadata key): opened again, the run comes back with its plots.
    pub log: Option<String>,
}

fn bad(path: &str, reason: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_string(),
        reason: reason.into(),
    }
}

fn to_f32(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Checkpoint {
    /// Serialises to safetensors bytes: parameters in the model's declaration order, then the
    /// buffers (with PyTorch's `num_batches_tracked` beside each BatchNorm's statistics), then
    /// the training state.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut entries: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
        for spec in self.model.param_specs() {
            let values = self
                .tensors
                .get(&spec.name)
                .ok_or_else(|| bad("<memory>", format!("missing tensor {}", spec.name)))?;
            entries.push((
                spec.name,
                Dtype::F32,
                spec.shape,
                bytemuck::cast_slice(values).to_vec(),
            ));
        }
        for (name, values) in &self.buffers {
            entries.push((
                name.clone(),
                Dtype::F32,
                vec![values.len()],
                bytemuck::cast_slice(values).to_vec(),
            ));
            if let Some(layer) = name.strip_suffix(".running_var") {
                let batches = self.step as i64;
                entries.push((
                    format!("{layer}.num_batches_tracked"),
                    Dtype::I64,
                    vec![],
                    batches.to_le_bytes().to_vec(),
                ));
            }
        }
        if let Some(state) = &self.state {
            for (name, values) in &state.tensors {
                entries.push((
                    format!("{STATE_PREFIX}{name}"),
                    Dtype::F32,
                    vec![values.len()],
                    bytemuck::cast_slice(values).to_vec(),
                ));
            }
        }
        let views = entries
            .iter()
            .map(|(name, dtype, shape, data)| {
                TensorView::new(*dtype, shape.clone(), data).map(|v| (name.clone(), v))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| bad("<memory>", e.to_string()))?;
        let mut meta = HashMap::new();
        meta.insert("format".into(), FORMAT.into());
        meta.insert("family".into(), self.model.family().name().into());
        let config = match &self.model {
            ModelSpec::Transformer {
                config,
                vocab,
                corpus,
            } => {
                meta.insert("vocab".into(), vocab.as_string());
                if let Some(corpus) = corpus {
                    meta.insert("corpus".into(), corpus.clone());
                }
                serde_json::to_string(config)
            }
            ModelSpec::ResNet(config) => serde_json::to_string(config),
        };
        meta.insert("config".into(), config.expect("configs serialise"));
        // The parameters' declaration order (that of the training-state tensors), which of
        // them are weight-decayed and which belong to the input or output layers (left to
        // AdamW by Muon): what an exported PyTorch run needs to read and continue the state.
        let parameters: Vec<(String, bool, bool)> = self
            .model
            .param_specs()
            .into_iter()
            .map(|s| (s.name, s.decay, s.outer))
            .collect();
        meta.insert(
            "parameters".into(),
            serde_json::to_string(&parameters).expect("names serialise"),
        );
        meta.insert("step".into(), self.step.to_string());
        meta.insert("train_config".into(), self.train_config.clone());
        if let Some(log) = &self.log {
            meta.insert("log".into(), log.clone());
        }
        if let Some(id) = &self.run_id {
            meta.insert("run_id".into(), id.clone());
        }
        if let Some(state) = &self.state {
            meta.insert(
                "train_state".into(),
                serde_json::to_string(&state.host).expect("state serialises"),
            );
        }
        safetensors::serialize(views, Some(meta)).map_err(|e| bad("<memory>", e.to_string()))
    }

    /// Parses safetensors bytes; `path` is only used in error messages. Sizes declared in the
    /// metadata are checked before anything is allocated for them.
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Self> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| {
            bad(
                path,
                format!("not a valid safetensors file ({e}); truncated or another format?"),
            )
        })?;
        let (_, header) =
            SafeTensors::read_metadata(bytes).map_err(|e| bad(path, e.to_string()))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| {
            meta.get(k).ok_or_else(|| {
                bad(
                    path,
                    format!("metadata key '{k}' missing; not an ire-playground checkpoint"),
                )
            })
        };
        let format = get("format")?;
        if ![FORMAT, FORMAT_V2, FORMAT_V1].contains(&format.as_str()) {
            return Err(bad(
                path,
                format!("format is '{format}', expected '{FORMAT}'"),
            ));
        }
        let family = if format == FORMAT_V1 {
            "transformer"
        } else {
            get("family")?
        };
        let model = match family {
            "transformer" => {
                let config: TransformerConfig = serde_json::from_str(get("config")?)
                    .map_err(|e| bad(path, format!("bad config metadata: {e}")))?;
                config.validate().map_err(|e| bad(path, e.to_string()))?;
                let vocab =
                    Vocab::from_string(get("vocab")?).map_err(|e| bad(path, e.to_string()))?;
                if vocab.len() != config.vocab {
                    return Err(bad(
                        path,
                        format!(
                            "vocabulary has {} characters but the config says {}",
                            vocab.len(),
                            config.vocab
                        ),
                    ));
                }
                let corpus = meta.get("corpus").cloned();
                ModelSpec::Transformer {
                    config,
                    vocab,
                    corpus,
                }
            }
            "resnet" => {
                let config: ResNetConfig = serde_json::from_str(get("config")?)
                    .map_err(|e| bad(path, format!("bad config metadata: {e}")))?;
                config.validate().map_err(|e| bad(path, e.to_string()))?;
                ModelSpec::ResNet(config)
            }
            other => return Err(bad(path, format!("unknown model family '{other}'"))),
        };
        if model.param_count().is_none() {
            return Err(bad(
                path,
                format!("the model declares more than {MAX_PARAMS} parameters"),
            ));
        }
        let step: usize = get("step")?
            .parse()
            .map_err(|_| bad(path, "bad step metadata"))?;
        let read_f32 = |name: &str, shape: Option<&[usize]>| -> Result<Vec<f32>> {
            let view = st
                .tensor(name)
                .map_err(|_| bad(path, format!("tensor '{name}' missing")))?;
            let shape_ok = shape.is_none_or(|s| view.shape() == s) && view.shape().len() <= 4;
            if view.dtype() != Dtype::F32 || !shape_ok {
                return Err(bad(
                    path,
                    format!(
                        "tensor '{name}' is {:?} {:?}, expected F32 {:?}",
                        view.dtype(),
                        view.shape(),
                        shape.unwrap_or(&[])
                    ),
                ));
            }
            let values = to_f32(view.data());
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(bad(
                    path,
                    format!("tensor '{name}' holds a non-finite value at {i}"),
                ));
            }
            Ok(values)
        };
        let mut tensors = HashMap::new();
        for spec in model.param_specs() {
            let values = read_f32(&spec.name, Some(&spec.shape))?;
            tensors.insert(spec.name, values);
        }
        // Buffers and state tensors in file order (safetensors sorts by offset).
        let mut names: Vec<(usize, String)> = header
            .tensors()
            .iter()
            .map(|(name, info)| (info.data_offsets.0, name.clone()))
            .collect();
        names.sort();
        let mut buffers = Vec::new();
        let mut state_tensors = Vec::new();
        for (_, name) in names {
            if name.ends_with(".running_mean") || name.ends_with(".running_var") {
                let values = read_f32(&name, None)?;
                buffers.push((name, values));
            } else if let Some(state_name) = name.strip_prefix(STATE_PREFIX) {
                let values = read_f32(&name, None)?;
                state_tensors.push((state_name.to_string(), values));
            }
        }
        let state = match meta.get("train_state") {
            Some(json) => Some(TrainState {
                host: serde_json::from_str(json)
                    .map_err(|e| bad(path, format!("bad train_state metadata: {e}")))?,
                tensors: state_tensors,
                padded: format == FORMAT_V2,
            }),
            None => None,
        };
        Ok(Self {
            model,
            step,
            train_config: meta.get("train_config").cloned().unwrap_or_default(),
            tensors,
            buffers,
            state,
            run_id: meta.get("run_id").cloned(),
            log: meta.get("log").cloned(),
        })
    }

    /// Whether the saved run augments its training images (ResNets; false without state).
    pub fn augments_images(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.host.augment)
    }
}
