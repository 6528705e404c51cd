//! Storage buffers and views into them.

use super::GpuContext;
use std::num::NonZeroU64;
use wgpu::util::DeviceExt;

/// A run of `len` f32 (or u32) words in a GPU storage buffer, starting `offset` bytes in.
/// Parameters, gradients and optimizer state are views into one flat buffer each, so that the
/// optimizer, gradient clipping and IRE work on all parameters with one dispatch.
#[derive(Clone, Debug)]
pub struct Tensor {
    /// Backing buffer.
    pub buffer: wgpu::Buffer,
    /// Byte offset of element 0 (a multiple of the adapter's storage-offset alignment).
    pub offset: u64,
    /// Number of 4-byte elements.
    pub len: usize,
}

const STORAGE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Tensor {
    /// A zero-filled storage buffer of `len` elements (at least one, as WebGPU forbids empty bindings).
    pub fn zeros(ctx: &GpuContext, label: &str, len: usize) -> Self {
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len.max(1) * 4) as u64,
            usage: STORAGE_USAGE,
            mapped_at_creation: false,
        });
        Self {
            buffer,
            offset: 0,
            len: len.max(1),
        }
    }

    /// A storage buffer holding `data` (f32 or u32 words).
    pub fn from_slice<T: bytemuck::Pod>(ctx: &GpuContext, label: &str, data: &[T]) -> Self {
        assert_eq!(std::mem::size_of::<T>(), 4, "tensors hold 4-byte words");
        let buffer = ctx
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::cast_slice(data),
                usage: STORAGE_USAGE,
            });
        Self {
            buffer,
            offset: 0,
            len: data.len(),
        }
    }

    /// Size in bytes.
    pub fn bytes(&self) -> u64 {
        self.len as u64 * 4
    }

    /// A sub-view of `len` elements starting `start` elements in. `start * 4` must respect the
    /// adapter's `min_storage_buffer_offset_alignment` when the view is bound.
    pub fn view(&self, start: usize, len: usize) -> Self {
        assert!(start + len <= self.len, "view out of range");
        Self {
            buffer: self.buffer.clone(),
            offset: self.offset + start as u64 * 4,
            len,
        }
    }

    /// The binding resource for a bind group entry.
    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: NonZeroU64::new(self.bytes()),
        })
    }

    /// Overwrites the tensor's contents with `data` (queued; takes effect at the next submission).
    pub fn write<T: bytemuck::Pod>(&self, ctx: &GpuContext, data: &[T]) {
        assert_eq!(data.len(), self.len, "write length mismatch");
        ctx.write_buffer(&self.buffer, self.offset, bytemuck::cast_slice(data));
    }

    /// Records a GPU-side copy of this tensor into `dst`, which must have the same length.
    pub fn record_copy_to(&self, encoder: &mut wgpu::CommandEncoder, dst: &Tensor) {
        assert_eq!(
            self.len, dst.len,
            "copy between tensors of different lengths"
        );
        encoder.copy_buffer_to_buffer(
            &self.buffer,
            self.offset,
            &dst.buffer,
            dst.offset,
            self.bytes(),
        );
    }

    /// Copies the tensor to the host, blocking until the GPU is done. For tests, checkpoints and
    /// the CLI; never called inside a training step.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_blocking<T: bytemuck::Pod>(&self, ctx: &GpuContext) -> crate::Result<Vec<T>> {
        use crate::Error;
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read_blocking"),
            size: self.bytes(),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&self.buffer, self.offset, &staging, 0, self.bytes());
        ctx.submit(encoder.finish());
        let (tx, rx) = std::sync::mpsc::channel();
        ctx.map_read(&staging, move |r| {
            let _ = tx.send(r);
        });
        ctx.wait_idle();
        rx.recv()
            .map_err(|e| Error::Readback(e.to_string()))?
            .map_err(|e| Error::Readback(e.to_string()))?;
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| Error::Readback(e.to_string()))?;
        let out = bytemuck::cast_slice::<u8, T>(&view).to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }
}

/// Lays out named tensors in one flat buffer, each starting at an offset the adapter can bind.
/// The same layout serves parameters, gradients and optimizer state.
#[derive(Clone, Debug, Default)]
pub struct BufferArena {
    entries: Vec<ArenaEntry>,
    total: usize,
    align: usize,
}

/// One named tensor in a [`BufferArena`].
#[derive(Clone, Debug)]
pub struct ArenaEntry {
    /// Name (PyTorch state-dict key for parameters).
    pub name: String,
    /// Shape in PyTorch order.
    pub shape: Vec<usize>,
    /// Offset in elements.
    pub offset: usize,
}

impl ArenaEntry {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl BufferArena {
    /// An empty arena whose offsets are multiples of `align_bytes`.
    pub fn new(align_bytes: u32) -> Self {
        Self {
            entries: Vec::new(),
            total: 0,
            align: (align_bytes as usize / 4).max(1),
        }
    }

    /// Adds a tensor; returns its index.
    pub fn push(&mut self, name: &str, shape: &[usize]) -> usize {
        let offset = self.total.div_ceil(self.align) * self.align;
        let entry = ArenaEntry {
            name: name.to_string(),
            shape: shape.to_vec(),
            offset,
        };
        self.total = offset + entry.len();
        self.entries.push(entry);
        self.entries.len() - 1
    }

    /// Total elements including alignment padding.
    pub fn total_len(&self) -> usize {
        self.total
    }

    /// Number of real (non-padding) elements.
    pub fn param_count(&self) -> usize {
        self.entries.iter().map(ArenaEntry::len).sum()
    }

    /// All entries in layout order.
    pub fn entries(&self) -> &[ArenaEntry] {
        &self.entries
    }

    /// Entry by index.
    pub fn entry(&self, index: usize) -> &ArenaEntry {
        &self.entries[index]
    }

    /// The view of entry `index` inside `flat`, a tensor laid out by this arena.
    pub fn view(&self, flat: &Tensor, index: usize) -> Tensor {
        let e = &self.entries[index];
        flat.view(e.offset, e.len())
    }
}
