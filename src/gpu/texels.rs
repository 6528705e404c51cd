//! A tensor's copy in an `rgba32float` texture, four floats per texel, laid out flat: texel `i`
//! at `(i % TEXEL_ROW, i / TEXEL_ROW)`. CPU adapters fetch a texel for each of a SIMD register's
//! lanes in one go, where a storage-buffer load goes lane by lane (see shaders/matmul_lanes.wgsl),
//! so the matmul for those adapters reads its operands from such copies.

use super::GpuContext;

/// Texels per texture row. The WGSL side gets it from [`TEXEL_ROW_WGSL`].
pub const TEXEL_ROW: usize = 256;

/// [`TEXEL_ROW`] as a WGSL constant, for the kernels that index texels.
pub const TEXEL_ROW_WGSL: &str = "const TEXEL_ROW: u32 = 256u;\n";

/// The texture format: four f32 per texel, readable with `textureLoad` and writable as storage.
pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba32Float;

/// A texture holding `len` floats (see the module docs), written by a pack kernel and read as
/// a sampled texture.
#[derive(Clone, Debug)]
pub struct Texels {
    /// The view bound by kernels (both as sampled texture and as storage texture).
    pub view: wgpu::TextureView,
    /// Floats it holds (the tail of the last texel is zero).
    pub len: usize,
}

impl Texels {
    /// A texture for `len` floats, or `None` when it would exceed the adapter's texture limit.
    pub fn for_len(ctx: &GpuContext, label: &str, len: usize) -> Option<Self> {
        let texels = len.div_ceil(4).max(1);
        let rows = texels.div_ceil(TEXEL_ROW);
        let max = ctx.limits.max_texture_dimension_2d as usize;
        if rows > max || TEXEL_ROW > max {
            return None;
        }
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
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::STORAGE_BINDING,
            view_formats: &[],
        });
        Some(Self {
            view: texture.create_view(&Default::default()),
            len,
        })
    }

    /// Texels it holds.
    pub fn texels(&self) -> usize {
        self.len.div_ceil(4).max(1)
    }

    /// Bytes of the floats it holds (for a dispatch's work).
    pub fn bytes(&self) -> u64 {
        self.len as u64 * 4
    }
}
