//! A ring of staging buffers through which small results (loss, gradient norm, NaN flag) come
//! back to the host without anyone waiting on the GPU. A slot is filled by a copy recorded into a
//! step's command buffer, mapped with `map_async` after the submission, and read once the
//! callback has fired (driven by non-blocking `device.poll` natively, by the browser on the web).

use super::GpuContext;
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

const FREE: u8 = 0;
const PENDING: u8 = 1;
const READY: u8 = 2;
const FAILED: u8 = 3;

struct Slot {
    buffer: wgpu::Buffer,
    state: Arc<AtomicU8>,
    tag: u64,
}

/// Fixed-size ring of mappable staging buffers, each `words` f32 long.
pub struct ReadbackRing {
    slots: Vec<Slot>,
    words: usize,
    /// Index of the oldest slot in flight.
    head: usize,
    /// Number of slots in flight (pending or ready, not yet drained).
    in_flight: usize,
}

impl ReadbackRing {
    /// Allocates `capacity` staging buffers of `words` f32 each.
    pub fn new(ctx: &GpuContext, capacity: usize, words: usize) -> Self {
        let slots = (0..capacity.max(1))
            .map(|i| Slot {
                buffer: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(&format!("readback slot {i}")),
                    size: (words * 4) as u64,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
                state: Arc::new(AtomicU8::new(FREE)),
                tag: 0,
            })
            .collect();
        Self {
            slots,
            words,
            head: 0,
            in_flight: 0,
        }
    }

    /// Whether a slot is free for the next submission.
    pub fn has_free_slot(&self) -> bool {
        self.in_flight < self.slots.len()
    }

    /// Number of submissions whose results have not been drained yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Records a copy of `src` (its first `words` elements) into the next free slot and returns the
    /// slot index; call [`Self::submitted`] with it after the command buffer is submitted.
    pub fn record_copy(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        src: &super::Tensor,
    ) -> usize {
        assert!(
            self.has_free_slot(),
            "readback ring full: drain before stepping"
        );
        assert!(src.len >= self.words, "readback source too small");
        let index = (self.head + self.in_flight) % self.slots.len();
        encoder.copy_buffer_to_buffer(
            &src.buffer,
            src.offset,
            &self.slots[index].buffer,
            0,
            (self.words * 4) as u64,
        );
        self.in_flight += 1;
        index
    }

    /// Starts mapping slot `index` (after its submission) and labels its result with `tag`.
    pub fn submitted(&mut self, ctx: &GpuContext, index: usize, tag: u64) {
        let slot = &mut self.slots[index];
        slot.tag = tag;
        slot.state.store(PENDING, Ordering::Release);
        let state = slot.state.clone();
        ctx.map_read(&slot.buffer, move |r| {
            state.store(if r.is_ok() { READY } else { FAILED }, Ordering::Release);
        });
    }

    /// Returns every completed result in submission order, oldest first, and frees their slots.
    /// Never blocks; results still pending stay in the ring.
    pub fn drain(&mut self, ctx: &GpuContext) -> Result<Vec<(u64, Vec<f32>)>> {
        ctx.poll_nonblocking();
        let mut out = Vec::new();
        while self.in_flight > 0 {
            let slot = &self.slots[self.head];
            match slot.state.load(Ordering::Acquire) {
                READY => {
                    let view = slot
                        .buffer
                        .get_mapped_range(..)
                        .map_err(|e| Error::Readback(e.to_string()))?;
                    out.push((slot.tag, bytemuck::cast_slice::<u8, f32>(&view).to_vec()));
                    drop(view);
                    slot.buffer.unmap();
                }
                FAILED => {
                    slot.state.store(FREE, Ordering::Release);
                    return Err(Error::Readback(
                        "mapping a result buffer failed (was the GPU device lost?)".into(),
                    ));
                }
                _ => break,
            }
            slot.state.store(FREE, Ordering::Release);
            self.head = (self.head + 1) % self.slots.len();
            self.in_flight -= 1;
        }
        Ok(out)
    }
}
