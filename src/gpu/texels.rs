//! A tensor's copy in an `rgba32float` texture, four floats per texel, laid out flat: texel `i`
//! at `(i % TEXEL_ROW, i / TEXEL_ROW)`. CPU adapters fetch a texel for each of a SIMD register's
//! lanes in one go, where a storage-buffer load goes lane by lane (see shaders/matmul_lanes.wgsl),
//! so the matmul for those adapters reads its operands from such copies, refreshed by a
//! buffer-to-texture copy in the plan before each product (a plain memory copy on CPU adapters).

use super::plan::{Dispatch, Op, Work};
use super::{GpuContext, Tensor};

/// Texels per texture row. The WGSL side gets it from [`TEXEL_ROW_WGSL`].
pub const TEXEL_ROW: usize = 256;

/// [`TEXEL_ROW`] as a WGSL constant, for the kernels that index texels.
pub const TEXEL_ROW_WGSL: &str = "const TEXEL_ROW: u32 = 256u;\n";

/// The texture format: four f32 per texel, readable with `textureLoad`.
pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba32Float;

/// Bytes of one texel.
pub const TEXEL_BYTES: u64 = 16;

/// A texture holding `len` floats (see the module docs), filled from a tensor by
/// [`Texels::fill_from`] and read by kernels as a sampled texture.
#[derive(Clone, Debug)]
pub struct Texels {
    texture: wgpu::Texture,
    /// The view kernels bind.
    pub view: wgpu::TextureView,
    /// Floats it holds: a multiple of 4, as copies move whole texels.
    pub len: usize,
}

impl Texels {
    /// A texture for `len` floats, or `None` when `len` is not a multiple of 4 or the texture
    /// would exceed the adapter's size limit.
    pub fn for_len(ctx: &GpuContext, label: &str, len: usize) -> Option<Self> {
        if !Self::fits(ctx, len) {
            return None;
        }
        let rows = (len / 4).div_ceil(TEXEL_ROW);
        let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width: TEXEL_ROW as u32,
                height: rows as u32,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: FORMAT,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        Some(Self {
            view: texture.create_view(&Default::default()),
            texture,
            len,
        })
    }

    /// The plan step that copies `tensor`'s first [`Texels::len`] floats in.
    pub fn fill_from(&self, tensor: &Tensor) -> Dispatch {
        self.fill_prefix_from(tensor, self.len)
    }

    /// The plan step that copies `tensor`'s first `len` floats into the first `len / 4` texels
    /// (a scratch texture shared by operands of different sizes).
    pub fn fill_prefix_from(&self, tensor: &Tensor, len: usize) -> Dispatch {
        assert!(
            len.is_multiple_of(4) && len <= self.len && tensor.len >= len,
            "texel copy out of range"
        );
        let texels = (len / 4) as u32;
        let row = TEXEL_ROW as u32;
        Dispatch {
            label: "copy to texels".into(),
            op: Op::CopyToTexels {
                buffer: tensor.buffer.clone(),
                offset: tensor.offset,
                texture: self.texture.clone(),
                row_bytes: u64::from(self.texture.width()) * TEXEL_BYTES,
                rows: texels / row,
                tail: texels % row,
            },
            work: Work {
                flops: 0.0,
                bytes: 8.0 * len as f64,
            },
        }
    }

    /// Whether [`Texels::for_len`] makes a texture for `len` floats on this adapter.
    pub fn fits(ctx: &GpuContext, len: usize) -> bool {
        let rows = (len / 4).div_ceil(TEXEL_ROW);
        let max = ctx.limits.max_texture_dimension_2d as usize;
        len.is_multiple_of(4) && len > 0 && rows <= max && TEXEL_ROW <= max
    }

    /// The binding of this texture's view, for a kernel's `texels` slot.
    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::TextureView(&self.view)
    }

    /// Bytes of the floats it holds (for a dispatch's work).
    pub fn bytes(&self) -> u64 {
        self.len as u64 * 4
    }
}
