//! Finding an adapter and opening a device with that adapter's own limits, or adopting a device
//! that someone else (eframe) opened.

use super::family::KernelFamily;
use super::pipelines::PipelineCache;
#[cfg(not(target_arch = "wasm32"))]
use super::submitter::{Op, Submitter};
use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};

/// What the user should know about the adapter that trains their model.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdapterSummary {
    /// Adapter name as the driver reports it, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// Backend in use (Vulkan, Metal, Dx12, Gl, BrowserWebGpu).
    pub backend: String,
    /// Device type (DiscreteGpu, IntegratedGpu, Cpu, ...).
    pub device_type: String,
    /// Driver name and version, e.g. `llvmpipe` / `Mesa 25.0.7`.
    pub driver: String,
    /// Whether this is a CPU (software) adapter; the app picks smaller defaults there.
    pub is_cpu: bool,
}

impl AdapterSummary {
    fn from_info(info: &wgpu::AdapterInfo) -> Self {
        Self {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
            is_cpu: info.device_type == wgpu::DeviceType::Cpu,
        }
    }
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Browsers hide the adapter's name and driver (fingerprinting); say what is known.
        let name = if self.name.is_empty() {
            "unnamed adapter"
        } else {
            &self.name
        };
        write!(f, "{name} ({}, {}", self.backend, self.device_type)?;
        if !self.driver.is_empty() {
            write!(f, ", {}", self.driver)?;
        }
        write!(f, ")")
    }
}

/// A device and queue plus what we know about them. Cheap to clone.
#[derive(Clone)]
pub struct GpuContext {
    /// The logical device.
    pub device: wgpu::Device,
    /// Its queue: use [`GpuContext::submit`], [`GpuContext::write_buffer`] and friends, which
    /// go through the submitter thread when there is one.
    queue: wgpu::Queue,
    /// The limits the device was opened with (the adapter's own, not WebGPU's defaults).
    pub limits: wgpu::Limits,
    /// Adapter description.
    pub adapter: Arc<AdapterSummary>,
    /// The smallest subgroup the device may run, or 0 when subgroup operations are not
    /// enabled on it (kernels that rely on 8 lanes check this first).
    pub subgroup_min_lanes: u32,
    /// The kernels it runs: the adapter's family unless `IRE_KERNELS` or
    /// [`GpuContext::with_kernels`] chose the other.
    pub kernels: KernelFamily,
    pub(crate) pipelines: Arc<PipelineCache>,
    fault: Arc<Mutex<Option<String>>>,
    /// The thread that performs the queue's operations, when one was started.
    #[cfg(not(target_arch = "wasm32"))]
    submitter: Option<Arc<Submitter>>,
}

impl GpuContext {
    /// Finds the best adapter (high performance first, then any, then a fallback adapter) and opens
    /// a device with that adapter's limits. Works natively and in the browser.
    pub async fn new() -> Result<Self> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let mut last_err = String::from("no adapters reported");
        let mut adapter = None;
        for fallback in [false, true] {
            let opts = wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: fallback,
                compatible_surface: None,
                apply_limit_buckets: false,
            };
            match instance.request_adapter(&opts).await {
                Ok(a) => {
                    adapter = Some(a);
                    break;
                }
                Err(e) => last_err = e.to_string(),
            }
        }
        let adapter = adapter.ok_or(Error::NoAdapter(last_err))?;
        Self::from_adapter(&adapter).await
    }

    /// The same context running the `kernels` family (None: the adapter's own), for the plans
    /// built from now on.
    pub fn with_kernels(mut self, kernels: Option<KernelFamily>) -> Self {
        self.kernels = kernels.unwrap_or(KernelFamily::for_adapter(self.adapter.is_cpu));
        self
    }

    /// Opens a device on `adapter` requesting the adapter's full limits.
    pub async fn from_adapter(adapter: &wgpu::Adapter) -> Result<Self> {
        let info = adapter.get_info();
        let summary = AdapterSummary::from_info(&info);
        let downlevel = adapter.get_downlevel_capabilities();
        if !downlevel
            .flags
            .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
        {
            return Err(Error::NoCompute(summary.name));
        }
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor {
            label: Some("ire-playground"),
            // Subgroup operations when the adapter has them: the CPU-adapter matmul uses them.
            required_features: adapter.features() & wgpu::Features::SUBGROUP,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = adapter
            .request_device(&desc)
            .await
            .map_err(|e| Error::RequestDevice(e.to_string()))?;
        let lanes = subgroup_min_lanes(&device, &info);
        Self::adopt(device, queue, limits, summary, lanes)
    }

    /// Adopts a device opened elsewhere (eframe's renderer). The caller must have opened it with
    /// limits that allow compute; `limits` are what it was opened with.
    pub fn from_device(
        device: wgpu::Device,
        queue: wgpu::Queue,
        info: &wgpu::AdapterInfo,
        limits: wgpu::Limits,
    ) -> Result<Self> {
        let summary = AdapterSummary::from_info(info);
        if limits.max_compute_workgroups_per_dimension == 0
            || limits.max_storage_buffers_per_shader_stage < 4
        {
            return Err(Error::NoCompute(summary.name));
        }
        let lanes = subgroup_min_lanes(&device, info);
        Self::adopt(device, queue, limits, summary, lanes)
    }

    fn adopt(
        device: wgpu::Device,
        queue: wgpu::Queue,
        limits: wgpu::Limits,
        summary: AdapterSummary,
        subgroup_min_lanes: u32,
    ) -> Result<Self> {
        let kernels = KernelFamily::from_env()?;
        // wgpu's default reaction to an uncaptured error or a lost device is a panic, which in
        // the browser kills the page and every result with it. Record it instead; the trainer
        // turns it into `Error::DeviceFault` at its next poll.
        let fault: Arc<Mutex<Option<String>>> = Arc::default();
        let on_error = Arc::clone(&fault);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            log::error!("uncaptured GPU error: {e}");
            record_fault(&on_error, e.to_string());
        }));
        let on_lost = Arc::clone(&fault);
        device.set_device_lost_callback(move |reason, message| {
            if reason != wgpu::DeviceLostReason::Destroyed {
                record_fault(&on_lost, format!("device lost ({reason:?}): {message}"));
            }
        });
        let ctx = Self {
            kernels: KernelFamily::for_adapter(summary.is_cpu),
            device,
            queue,
            limits,
            adapter: Arc::new(summary),
            subgroup_min_lanes,
            pipelines: Arc::default(),
            fault,
            #[cfg(not(target_arch = "wasm32"))]
            submitter: None,
        };
        Ok(ctx.with_kernels(kernels))
    }

    /// Hands the queue to a thread of its own (`gpu/submitter.rs`): submissions return at once
    /// even where the driver runs the work inside `submit` (CPU adapters), so an interactive
    /// caller never waits for the GPU.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_submitter_thread(mut self) -> Result<Self> {
        let submitter = Submitter::start(self.device.clone(), self.queue.clone()).map_err(|e| {
            Error::RequestDevice(format!("could not start the GPU submission thread: {e}"))
        })?;
        self.submitter = Some(Arc::new(submitter));
        Ok(self)
    }

    /// Writes `data` into `buffer` at `offset`; it takes effect before the next submission.
    pub fn write_buffer(&self, buffer: &wgpu::Buffer, offset: u64, data: &[u8]) {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(s) = &self.submitter {
            return s.send(Op::Write {
                buffer: buffer.clone(),
                offset,
                data: data.to_vec(),
            });
        }
        self.queue.write_buffer(buffer, offset, data)
    }

    /// Submits `commands`. Returns the submission's index when it was submitted on this thread
    /// (None when the submitter thread submits it).
    pub fn submit(&self, commands: wgpu::CommandBuffer) -> Option<wgpu::SubmissionIndex> {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(s) = &self.submitter {
            s.send(Op::Submit(commands));
            return None;
        }
        Some(self.queue.submit([commands]))
    }

    /// Maps all of `buffer` for reading once the work submitted so far is done; `callback`
    /// fires at a later poll with the outcome.
    pub fn map_read(
        &self,
        buffer: &wgpu::Buffer,
        callback: impl FnOnce(std::result::Result<(), wgpu::BufferAsyncError>)
            + wgpu::WasmNotSend
            + 'static,
    ) {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(s) = &self.submitter {
            return s.send(Op::MapRead {
                buffer: buffer.clone(),
                callback: Box::new(callback),
            });
        }
        buffer.map_async(wgpu::MapMode::Read, .., callback)
    }

    /// Calls `callback` once the work submitted so far is done.
    pub fn on_work_done(&self, callback: impl FnOnce() + Send + 'static) {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(s) = &self.submitter {
            return s.send(Op::WorkDone(Box::new(callback)));
        }
        self.queue.on_submitted_work_done(callback)
    }

    /// The first unrecoverable device error (lost device, validation or out-of-memory error),
    /// if one happened.
    pub fn fault(&self) -> Option<String> {
        self.fault.lock().ok().and_then(|f| f.clone())
    }

    /// Fails with [`Error::DeviceFault`] once the device reported a fault.
    pub fn check_healthy(&self) -> Result<()> {
        match self.fault() {
            Some(message) => Err(Error::DeviceFault(message)),
            None => Ok(()),
        }
    }

    /// Blocks until all submitted work is done. For native tests, benchmarks and the CLI only:
    /// the engine itself never calls this.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_idle(&self) {
        if let Some(s) = &self.submitter {
            s.flush();
        }
        // A lost device makes this fail; the next readback reports it properly.
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
    }

    /// Blocks until submission `index` is done, or (None: it went through the submitter
    /// thread, which gives no index) until all submitted work is (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_for(&self, index: Option<wgpu::SubmissionIndex>) {
        match index {
            Some(index) => {
                let _ = self.device.poll(wgpu::PollType::Wait {
                    submission_index: Some(index),
                    timeout: None,
                });
            }
            None => self.wait_idle(),
        }
    }

    /// Processes finished work (runs map callbacks) without blocking. With a submitter thread
    /// that thread polls (a poll here could wait for a submission in progress there).
    pub fn poll_nonblocking(&self) {
        #[cfg(not(target_arch = "wasm32"))]
        if self.submitter.is_some() {
            return;
        }
        let _ = self.device.poll(wgpu::PollType::Poll);
    }
}

fn record_fault(slot: &Mutex<Option<String>>, message: String) {
    if let Ok(mut slot) = slot.lock() {
        slot.get_or_insert(message);
    }
}

/// The device's smallest subgroup size when subgroup operations are enabled on it, else 0.
fn subgroup_min_lanes(device: &wgpu::Device, info: &wgpu::AdapterInfo) -> u32 {
    if device.features().contains(wgpu::Features::SUBGROUP) {
        info.subgroup_min_size
    } else {
        0
    }
}
