//! GPU plumbing: device acquisition, buffers, pipeline cache, dispatch plans and async readback.

mod context;
mod pipelines;
mod plan;
mod readback;
mod tensor;

pub use context::{AdapterSummary, GpuContext};
pub use pipelines::{grid_1d, grid_items, uniform_binding, Access, Kernel, PipelineCache, Shader};
pub use plan::{Dispatch, Plan};
pub use readback::ReadbackRing;
pub use tensor::{ArenaEntry, BufferArena, Tensor};
