//! Pre-built compute dispatches. Everything a dispatch needs (pipeline, bind group, uniform
//! values, grid size) is created when a model is built; a training step only replays them.

/// One compute dispatch, ready to record. Cloning shares the pipeline and bind group.
#[derive(Clone)]
pub struct Dispatch {
    /// What it computes, for debugging and profiling.
    pub label: std::sync::Arc<str>,
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) bind_group: wgpu::BindGroup,
    pub(crate) workgroups: [u32; 3],
    /// The work it does, for achieved rates in profiles.
    pub work: Work,
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

    /// Records every dispatch, in order, into `pass`. wgpu makes each dispatch in a compute pass
    /// see the writes of the ones before it.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        for d in &self.dispatches {
            pass.set_pipeline(&d.pipeline);
            pass.set_bind_group(0, &d.bind_group, &[]);
            pass.dispatch_workgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
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
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&d.pipeline);
                    pass.set_bind_group(0, &d.bind_group, &[]);
                    pass.dispatch_workgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
                }
                ctx.queue.submit([encoder.finish()]);
                ctx.wait_idle();
                Timed {
                    label: d.label.clone(),
                    ms: t.elapsed().as_secs_f64() * 1e3,
                    work: d.work,
                }
            })
            .collect()
    }

    /// Encodes the plan as one compute pass and submits it (tests and benchmarks).
    pub fn submit(&self, ctx: &super::GpuContext) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            self.record(&mut pass);
        }
        ctx.queue.submit([encoder.finish()]);
    }
}
