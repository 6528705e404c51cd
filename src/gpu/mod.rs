//! GPU plumbing: device acquisition, buffers, pipeline cache, dispatch plans and async readback.

pub mod binding;
mod context;
mod family;
mod pipelines;
mod plan;
mod readback;
mod snapshot;
#[cfg(not(target_arch = "wasm32"))]
mod submitter;
mod tensor;
mod texels;

pub use binding::{Access, Binding, Shader, WgslStruct};
pub use context::{AdapterSummary, GpuContext};
pub use family::{KernelFamily, KERNELS_ENV};
pub use pipelines::{grid_1d, grid_items, uniform_binding, Grid, Kernel, PipelineCache};
pub use plan::{Dispatch, Plan, Timed, Work};
pub use readback::ReadbackRing;
pub use snapshot::Snapshot;
pub use tensor::{ArenaEntry, BufferArena, Tensor};
pub use texels::{Texels, TEXEL_ROW, TEXEL_ROW_WGSL};
