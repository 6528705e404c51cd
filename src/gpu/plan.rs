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

    /// Runs each dispatch in its own submission and waits for it, returning (label, milliseconds)
    /// per dispatch. For profiling only: it serialises everything.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn profile(&self, ctx: &super::GpuContext) -> Vec<(std::sync::Arc<str>, f64)> {
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
                (d.label.clone(), t.elapsed().as_secs_f64() * 1e3)
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
