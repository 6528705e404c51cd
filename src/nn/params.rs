//! The model's parameters as one flat buffer (and a gradient buffer with the same layout), so that
//! clipping, the optimizer and IRE's mask see all parameters at once.

use crate::error::{Error, Result};
use crate::gpu::{BufferArena, GpuContext, Tensor};
use crate::rng::Rng;
use std::collections::HashMap;

/// How a parameter is initialised (GPT-2 conventions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Normal with mean 0 and this standard deviation.
    Normal(f32),
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
}

/// Declaration of one parameter tensor.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    /// PyTorch state-dict name.
    pub name: String,
    /// Shape in PyTorch order.
    pub shape: Vec<usize>,
    /// Whether weight decay applies (matrices and embeddings: yes; biases and norms: no).
    pub decay: bool,
    /// Initialisation.
    pub init: Init,
    /// The model's input or output layer (embeddings, the output head, a ResNet's stem):
    /// optimizers built for hidden layers' matrices (Muon) leave it to AdamW.
    pub outer: bool,
}

impl ParamSpec {
    /// A parameter declaration.
    pub fn new(name: impl Into<String>, shape: &[usize], decay: bool, init: Init) -> Self {
        Self {
            name: name.into(),
            shape: shape.to_vec(),
            decay,
            init,
            outer: false,
        }
    }

    /// The same declaration, marked as an input or output layer's.
    pub fn outer(self) -> Self {
        Self {
            outer: true,
            ..self
        }
    }

    /// A hidden layer's weight as a matrix `[fan-out, fan-in]` (a convolution's filters
    /// flattened to `[out, in x k x k]`), or None for vectors and the outer layers.
    pub fn hidden_matrix(&self) -> Option<(usize, usize)> {
        match self.shape.as_slice() {
            [rows, rest @ ..] if !rest.is_empty() && !self.outer => {
                Some((*rows, rest.iter().product()))
            }
            _ => None,
        }
    }
}

/// Parameters and gradients of a model, laid out decayed-first in two flat buffers.
pub struct ParamSet {
    /// Declarations in declaration (PyTorch) order.
    pub specs: Vec<ParamSpec>,
    /// Layout (decayed tensors first).
    pub arena: BufferArena,
    index: HashMap<String, usize>,
    /// Flat parameter buffer.
    pub params: Tensor,
    /// Flat gradient buffer, same layout.
    pub grads: Tensor,
    /// Flat index where non-decayed parameters begin.
    pub decay_end: usize,
}

impl ParamSet {
    /// Bytes the flat buffers will take for `specs` (for size checks before allocating).
    pub fn planned_len(specs: &[ParamSpec], align_bytes: u32) -> usize {
        Self::layout(specs, align_bytes).0.total_len()
    }

    fn layout(
        specs: &[ParamSpec],
        align_bytes: u32,
    ) -> (BufferArena, HashMap<String, usize>, usize) {
        let mut arena = BufferArena::new(align_bytes);
        let mut index = HashMap::new();
        let mut decay_end = 0;
        for decay in [true, false] {
            for s in specs.iter().filter(|s| s.decay == decay) {
                index.insert(s.name.clone(), arena.push(&s.name, &s.shape));
            }
            if decay {
                decay_end = arena.total_len();
            }
        }
        (arena, index, decay_end)
    }

    /// Allocates zeroed parameter and gradient buffers for `specs`.
    pub fn new(ctx: &GpuContext, specs: Vec<ParamSpec>) -> Self {
        let (arena, index, decay_end) =
            Self::layout(&specs, ctx.limits.min_storage_buffer_offset_alignment);
        let params = Tensor::zeros(ctx, "params", arena.total_len());
        let grads = Tensor::zeros(ctx, "grads", arena.total_len());
        Self {
            specs,
            arena,
            index,
            params,
            grads,
            decay_end,
        }
    }

    fn entry_index(&self, name: &str) -> usize {
        *self
            .index
            .get(name)
            .unwrap_or_else(|| panic!("model declares no parameter {name}"))
    }

    /// View of parameter `name`.
    pub fn param(&self, name: &str) -> Tensor {
        self.arena.view(&self.params, self.entry_index(name))
    }

    /// The part of a flat buffer laid out like the parameters (an optimizer's state) that
    /// belongs to parameter `name`.
    pub fn view_of(&self, flat: &Tensor, name: &str) -> Tensor {
        self.arena.view(flat, self.entry_index(name))
    }

    /// View of the gradient of `name`.
    pub fn grad(&self, name: &str) -> Tensor {
        self.arena.view(&self.grads, self.entry_index(name))
    }

    /// Number of trainable scalars (without alignment padding).
    pub fn count(&self) -> usize {
        self.arena.param_count()
    }

    /// Fresh initial values, flat (padding zero), drawn in declaration order from `rng`.
    pub fn initial_values(&self, rng: &mut Rng) -> Vec<f32> {
        let mut flat = vec![0.0; self.arena.total_len()];
        for spec in &self.specs {
            let e = self.arena.entry(self.entry_index(&spec.name));
            let dst = &mut flat[e.offset..e.offset + e.len()];
            match spec.init {
                Init::Normal(std) => dst.iter_mut().for_each(|v| *v = rng.normal() * std),
                Init::Zeros => {}
                Init::Ones => dst.fill(1.0),
            }
        }
        flat
    }

    /// Flattens named tensors into the layout, checking that every parameter is present with the
    /// right number of elements.
    pub fn flatten(&self, named: &HashMap<String, Vec<f32>>) -> Result<Vec<f32>> {
        let mut flat = vec![0.0; self.arena.total_len()];
        for spec in &self.specs {
            let e = self.arena.entry(self.entry_index(&spec.name));
            let values = named
                .get(&spec.name)
                .ok_or_else(|| Error::Data(format!("missing tensor '{}'", spec.name)))?;
            if values.len() != e.len() {
                return Err(Error::Data(format!(
                    "tensor '{}' has {} values, expected {} ({:?})",
                    spec.name,
                    values.len(),
                    e.len(),
                    spec.shape
                )));
            }
            flat[e.offset..e.offset + e.len()].copy_from_slice(values);
        }
        Ok(flat)
    }

    /// Where each parameter lies in the flat buffers, detached from them (a checkpoint being
    /// read back keeps it while training moves on).
    pub fn detached_layout(&self) -> ParamLayout {
        ParamLayout {
            specs: self.specs.clone(),
            ranges: self
                .specs
                .iter()
                .map(|spec| {
                    let e = self.arena.entry(self.entry_index(&spec.name));
                    (e.offset, e.len())
                })
                .collect(),
        }
    }

    /// The inverse of [`ParamLayout::to_declaration_order`]: a flat buffer (padding zero), or an
    /// error when `values` does not hold exactly one value per parameter.
    pub fn from_declaration_order(&self, values: &[f32]) -> Result<Vec<f32>> {
        if values.len() != self.count() {
            return Err(Error::Data(format!(
                "{} values given for {} parameters",
                values.len(),
                self.count()
            )));
        }
        let mut flat = vec![0.0; self.arena.total_len()];
        let mut at = 0;
        for spec in &self.specs {
            let e = self.arena.entry(self.entry_index(&spec.name));
            flat[e.offset..e.offset + e.len()].copy_from_slice(&values[at..at + e.len()]);
            at += e.len();
        }
        Ok(flat)
    }

    /// Splits a flat buffer's contents into named tensors, in declaration order.
    pub fn unflatten<'a>(&'a self, flat: &'a [f32]) -> Vec<(&'a ParamSpec, &'a [f32])> {
        self.specs
            .iter()
            .map(|spec| {
                let e = self.arena.entry(self.entry_index(&spec.name));
                (spec, &flat[e.offset..e.offset + e.len()])
            })
            .collect()
    }
}

/// The parameters' places in a flat buffer: (offset, len) in elements per declaration.
#[derive(Clone, Debug)]
pub struct ParamLayout {
    specs: Vec<ParamSpec>,
    ranges: Vec<(usize, usize)>,
}

impl ParamLayout {
    /// Each parameter's declaration and its values in `flat`, in declaration order.
    pub fn tensors<'a>(
        &'a self,
        flat: &'a [f32],
    ) -> impl Iterator<Item = (&'a ParamSpec, &'a [f32])> {
        self.specs
            .iter()
            .zip(&self.ranges)
            .map(move |(spec, &(offset, len))| (spec, &flat[offset..offset + len]))
    }

    /// A flat buffer's real coordinates in declaration order, without alignment padding: the
    /// adapter-independent layout in which checkpoints store training state (PyTorch's
    /// `torch.cat([p.flatten() for p in params])` in the same order).
    pub fn to_declaration_order(&self, flat: &[f32]) -> Vec<f32> {
        self.tensors(flat)
            .flat_map(|(_, values)| values.iter().copied())
            .collect()
    }
}
