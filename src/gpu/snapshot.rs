//! Reading several tensors back without blocking: one copy of each into a shared staging buffer,
//! one submission, one `map_async`. The caller polls (each frame in the app) until the values
//! have arrived; native callers may also wait. Checkpoints use it, so that the browser, which
//! cannot block, saves and exports runs too.

use super::{GpuContext, Tensor};
use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};

/// The outcome of the map request, filled in by wgpu's callback.
type MapResult = Arc<Mutex<Option<std::result::Result<(), wgpu::BufferAsyncError>>>>;

/// Tensors on their way to the host.
pub struct Snapshot {
    staging: wgpu::Buffer,
    /// (start, len) in f32 words of each tensor in the staging buffer.
    ranges: Vec<(usize, usize)>,
    mapped: MapResult,
}

impl Snapshot {
    /// Records and submits copies of `tensors`, in order, and asks for the staging buffer.
    pub fn take(ctx: &GpuContext, tensors: &[&Tensor]) -> Self {
        let mut ranges = Vec::with_capacity(tensors.len());
        let mut words = 0;
        for t in tensors {
            ranges.push((words, t.len));
            words += t.len;
        }
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("snapshot"),
            size: (words.max(1) * 4) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        for (t, &(start, _)) in tensors.iter().zip(&ranges) {
            encoder.copy_buffer_to_buffer(
                &t.buffer,
                t.offset,
                &staging,
                (start * 4) as u64,
                t.bytes(),
            );
        }
        ctx.submit(encoder.finish());
        let mapped: MapResult = Default::default();
        let slot = mapped.clone();
        ctx.map_read(&staging, move |r| {
            if let Ok(mut s) = slot.lock() {
                *s = Some(r);
            }
        });
        Self {
            staging,
            ranges,
            mapped,
        }
    }

    /// The tensors' values, once they have arrived (None: not yet; never blocks).
    pub fn try_take(&self, ctx: &GpuContext) -> Option<Result<Vec<Vec<f32>>>> {
        ctx.poll_nonblocking();
        let outcome = self.mapped.lock().ok()?.take()?;
        Some(
            outcome
                .map_err(|e| Error::Readback(e.to_string()))
                .and_then(|()| {
                    let view = self
                        .staging
                        .get_mapped_range(..)
                        .map_err(|e| Error::Readback(e.to_string()))?;
                    let words: &[f32] = bytemuck::cast_slice(&view);
                    let out = self
                        .ranges
                        .iter()
                        .map(|&(start, len)| words[start..start + len].to_vec())
                        .collect();
                    drop(view);
                    self.staging.unmap();
                    Ok(out)
                }),
        )
    }

    /// Waits for the values (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait(&self, ctx: &GpuContext) -> Result<Vec<Vec<f32>>> {
        loop {
            ctx.wait_idle();
            if let Some(result) = self.try_take(ctx) {
                return result;
            }
        }
    }
}
