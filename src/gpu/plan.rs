//! Pre-built compute dispatches. Everything a dispatch needs (pipeline, bind group, uniform
//! values, grid size) is created when a model is built; a training step only replays them.

/// One step of a plan, ready to record: a compute dispatch, or a copy of a tensor into a
/// texture of texels (what the texel matmul reads). Cloning shares the GPU objects.
#[derive(Clone)]
pub struct Dispatch {
    /// What it computes, for debugging and profiling.
    pub label: std::sync::Arc<str>,
    pub(crate) op: Op,
    /// The work it does, for achieved rates in profiles.
    pub work: Work,
}

/// What a [`Dispatch`] records.
#[derive(Clone)]
pub(crate) enum Op {
    /// A compute dispatch.
    Compute {
        pipeline: wgpu::ComputePipeline,
        bind_group: wgpu::BindGroup,
        workgroups: [u32; 3],
    },
    /// A buffer-to-texture copy (outside any compute pass): `rows` full texture rows, then
    /// `tail` texels of one more row.
    CopyToTexels {
        buffer: wgpu::Buffer,
        offset: u64,
        texture: wgpu::Texture,
        /// Bytes of one full row of the texture.
        row_bytes: u64,
        rows: u32,
        tail: u32,
    },
}

/// A dispatch's work: floating-point operations (kernels that declare them: products and
/// attention) and the bytes of every buffer bound to it (each read or written once: a lower
/// bound on its memory traffic).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Work {
    /// Floating-point operations (a multiply-add counts two).
    pub flops: f64,
    /// Bytes of the tensors bound.
    pub bytes: f64,
}

impl Dispatch {
    /// The same dispatch, declaring `flops` floating-point operations.
    pub fn with_flops(mut self, flops: f64) -> Self {
        self.work.flops = flops;
        self
    }

    fn record_compute(&self, pass: &mut wgpu::ComputePass<'_>) {
        if let Op::Compute {
            pipeline,
            bind_group,
            workgroups,
        } = &self.op
        {
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        }
    }

    fn record_copy(&self, encoder: &mut wgpu::CommandEncoder) {
        let Op::CopyToTexels {
            buffer,
            offset,
            texture,
            row_bytes,
            rows,
            tail,
        } = &self.op
        else {
            return;
        };
        let (width, row_bytes) = (texture.width(), *row_bytes);
        // Full rows, then the last partial row: the buffer holds no bytes past the tensor.
        for (y, w, h) in [(0, width, *rows), (*rows, *tail, 1)] {
            if w == 0 || h == 0 {
                continue;
            }
            encoder.copy_buffer_to_texture(
                wgpu::TexelCopyBufferInfo {
                    buffer,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: offset + u64::from(y) * row_bytes,
                        bytes_per_row: Some(row_bytes as u32),
                        rows_per_image: None,
                    },
                },
                wgpu::TexelCopyTextureInfo {
                    texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d { x: 0, y, z: 0 },
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::Extent3d {
                    width: w,
                    height: h,
                    depth_or_array_layers: 1,
                },
            );
        }
    }
}

/// One dispatch's time in a profile.
#[derive(Clone, Debug)]
pub struct Timed {
    /// Kernel label.
    pub label: std::sync::Arc<str>,
    /// Milliseconds, alone in its submission.
    pub ms: f64,
    /// Its work.
    pub work: Work,
}

/// An ordered list of dispatches (a forward pass, a backward pass, an optimizer step).
#[derive(Default, Clone)]
pub struct Plan {
    dispatches: Vec<Dispatch>,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a dispatch.
    pub fn push(&mut self, dispatch: Dispatch) {
        self.dispatches.push(dispatch);
    }

    /// Appends all dispatches of `other`.
    pub fn extend(&mut self, other: &Plan) {
        self.dispatches.extend(other.dispatches.iter().cloned());
    }

    /// The dispatches of `parts`, in order, as one plan.
    pub fn concat(parts: &[&Plan]) -> Plan {
        let mut plan = Plan::new();
        for p in parts {
            plan.extend(p);
        }
        plan
    }

    /// Appends dispatches in order.
    pub fn extend_dispatches(&mut self, dispatches: impl IntoIterator<Item = Dispatch>) {
        self.dispatches.extend(dispatches);
    }

    /// Number of dispatches.
    pub fn len(&self) -> usize {
        self.dispatches.len()
    }

    /// Whether the plan is empty.
    pub fn is_empty(&self) -> bool {
        self.dispatches.is_empty()
    }

    /// Records every step, in order, into `encoder`: runs of dispatches as one compute pass
    /// each, copies between them. wgpu makes each step see the writes of the ones before it.
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder) {
        let is_compute = |d: &&Dispatch| matches!(d.op, Op::Compute { .. });
        let mut steps = self.dispatches.iter().peekable();
        while let Some(next) = steps.peek() {
            if is_compute(next) {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                while let Some(d) = steps.next_if(is_compute) {
                    d.record_compute(&mut pass);
                }
            } else {
                while let Some(d) = steps.next_if(|d| !is_compute(d)) {
                    d.record_copy(encoder);
                }
            }
        }
    }

    /// Runs each dispatch in its own submission and waits for it, returning its time and work.
    /// For profiling only: it serialises everything.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn profile(&self, ctx: &super::GpuContext) -> Vec<Timed> {
        ctx.wait_idle();
        self.dispatches
            .iter()
            .map(|d| {
                let t = std::time::Instant::now();
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                let mut one = Plan::new();
                one.push(d.clone());
                one.record(&mut encoder);
                ctx.submit(encoder.finish());
                ctx.wait_idle();
                Timed {
                    label: d.label.clone(),
                    ms: t.elapsed().as_secs_f64() * 1e3,
                    work: d.work,
                }
            })
            .collect()
    }

    /// Encodes the plan and submits it (tests and benchmarks).
    pub fn submit(&self, ctx: &super::GpuContext) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        self.record(&mut encoder);
        ctx.submit(encoder.finish());
    }
}
