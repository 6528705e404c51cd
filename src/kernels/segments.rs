//! Per-tensor sums over the flat parameter layout (shaders/segment_sum.wgsl).

use super::shader;
use crate::gpu::{uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!("segment_sum.wgsl");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    segments: u32,
    out_offset: u32,
    _pad: [u32; 2],
}

/// A `(offset, length)` table on the GPU, one row per segment.
pub fn segment_table(ctx: &GpuContext, segments: &[(usize, usize)]) -> Tensor {
    let flat: Vec<u32> = segments
        .iter()
        .flat_map(|&(o, l)| [o as u32, l as u32])
        .collect();
    Tensor::from_slice(ctx, "segment table", &flat)
}

/// `out[out_offset + s] = sum(input[segment s])` for every segment of `table`.
pub fn sum_segments(
    ctx: &GpuContext,
    table: &Tensor,
    input: &Tensor,
    out: &Tensor,
    out_offset: usize,
) -> Dispatch {
    let segments = table.len / 2;
    let k = ctx.kernel(
        &SHADER,
        "sum_segments",
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
        ],
    );
    let u = ctx.uniform(&Params {
        segments: segments as u32,
        out_offset: out_offset as u32,
        _pad: [0; 2],
    });
    k.dispatch(
        ctx,
        &[
            uniform_binding(&u),
            table.binding(),
            input.binding(),
            out.binding(),
        ],
        [segments as u32, 1, 1],
    )
}
