//! Per-tensor sums over the flat parameter layout (shaders/segment_sum.wgsl).

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "segment_sum.wgsl",
    structs: [Params],
    bindings: [
        uniform("params", "Params"),
        read_as("table", "array<vec2<u32>>"),
        read("input"),
        write("out"),
    ],
    preludes: [super::WORKGROUP_SUM],
);

crate::wgsl_struct! {
    struct Params {
        segments: u32,
        out_offset: u32,
        _pad0: u32,
        _pad1: u32,
    }
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
    let params = Params {
        segments: segments as u32,
        out_offset: out_offset as u32,
        ..bytemuck::Zeroable::zeroed()
    };
    let tensors = [table, input, out];
    // One workgroup per segment.
    let grid = [segments as u32, 1, 1];
    ctx.launch(&SHADER, "sum_segments", &[], &params, &tensors, grid)
}
