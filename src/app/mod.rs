//! The egui front end: settings on the left, live plots, flat-direction heatmaps and sampled text
//! in the middle. It trains on eframe's own wgpu device, a few milliseconds per frame, and never
//! waits for the GPU. The engine knows nothing about this module.

mod analyses;
mod analysis_view;
mod automation;
mod controls;
mod datasets;
mod findings;
mod frame_stats;
mod guide;
mod ire_panel;
mod logs;
pub mod platform;
mod plots;
mod pytorch_export;
mod runs_view;
mod series;
mod session;
mod settings;
mod toolbar;
mod tune;
mod user_images;
mod user_text;

pub use analyses::AnalysisOptions;
pub use findings::{Finding, FINDINGS};
pub use frame_stats::FrameSummary;
pub use logs::LoggedRun;
pub use series::Series;
pub use session::{Datasets, Mode, RunStatus, Session, Status};
pub use settings::{Settings, PRESETS};

use crate::gpu::GpuContext;
use datasets::{Arrival, DataSlot};
use eframe::egui_wgpu;
use plots::PlotOptions;
use std::sync::Arc;
use web_time::{Duration, Instant};

/// Time per frame spent recording and submitting training steps: small enough for 60 fps.
const FRAME_BUDGET: Duration = Duration::from_millis(6);
const STORAGE_KEY: &str = "ire-playground";

/// How to get WebGPU, for users whose browser has none.
pub const WEBGPU_HELP: &str = "This page trains neural networks with WebGPU compute shaders, and \
this browser offers no WebGPU adapter with compute. Use a current Chrome or Edge (113 or later), \
or Firefox 141+ / Safari 26+; on Linux Chrome may need chrome://flags/#enable-unsafe-webgpu and \
Vulkan. Or run the desktop app: `cargo run --release` in a checkout.";

/// Start-up options for scripted use (the native smoke test).
#[derive(Clone, Debug, Default)]
pub struct LaunchOptions {
    /// Settings to start with, in the URL-hash format (overrides persisted ones).
    pub settings: Option<String>,
    /// Start training at once.
    pub run: bool,
    /// Switch IRE on after this many steps.
    pub ire_on_at: Option<usize>,
    /// Close the window after this many steps (or as soon as no run can reach them) and print
    /// the status as JSON on stdout.
    pub quit_after: Option<usize>,
    /// Set when a scripted launch ended without reaching `quit_after` steps: why (the caller
    /// turns it into a failing exit status).
    pub failure: Arc<std::sync::Mutex<Option<String>>>,
    /// Logs to open at start (desktop).
    pub open_logs: Vec<std::path::PathBuf>,
    /// Export the runs to PyTorch once this many steps are done (as the E key does).
    pub export_at: Option<usize>,
    /// Train on this text instead of the embedded corpus (desktop).
    pub text_file: Option<std::path::PathBuf>,
    /// Compute a loss-landscape slice and a spectrum of every run once this many steps are
    /// done (as the L and H keys do); `quit_after` then waits for them.
    pub analyse_at: Option<usize>,
    /// Train the ResNets on the four IDX files in this folder (desktop).
    pub data_dir: Option<std::path::PathBuf>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
struct Persisted {
    settings: Option<Settings>,
    plots: PlotOptions,
    /// The first-visit guide was closed.
    guide_seen: bool,
}

/// The application state.
pub struct PlaygroundApp {
    settings: Settings,
    plot_options: PlotOptions,
    ctx: Option<GpuContext>,
    /// Why there is no usable device (no compute, lost device), shown prominently.
    gpu_problem: Option<String>,
    fresh_ctx: platform::ContextSlot,
    data: Option<Datasets>,
    /// Data sets that finished loading since the last frame.
    arrivals: DataSlot,
    /// The image data set was requested and has not arrived (or failed) yet.
    images_requested: bool,
    /// Grid images uploaded as textures (created on first use).
    grid_textures: Vec<egui::TextureHandle>,
    session: Option<Session>,
    /// Settings the current session was built from (structural edits apply on Reset).
    session_settings: Option<Settings>,
    /// Last message for the user (errors in red, confirmations in the status line).
    message: Option<(bool, String)>,
    launch: LaunchOptions,
    last_status: Option<Instant>,
    last_hash: String,
    frame_stats: frame_stats::FrameStats,
    /// Runs opened from log files, shown next to the live ones.
    logs: Vec<LoggedRun>,
    /// Files picked or dropped, as they finish reading.
    file_inbox: platform::FileInbox,
    /// An "Export to PyTorch" in progress.
    export_job: Option<pytorch_export::ExportJob>,
    /// The desktop's "Open log" path field.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    log_path: String,
    /// The user's own text, when the transformer trains on one.
    user_text: user_text::UserText,
    /// The first-visit guide was closed (or the launch is scripted).
    guide_seen: bool,
    /// The "Loss landscape and Hessian spectrum" window is open.
    show_analysis: bool,
    /// IDX files of the user's image set received so far.
    pending_images: user_images::PendingImages,
}

impl PlaygroundApp {
    /// eframe's wgpu configuration: the adapter's own limits, so that compute shaders are
    /// allowed (egui's defaults for GL allow none) and large models fit.
    pub fn wgpu_options() -> egui_wgpu::WgpuConfiguration {
        let mut setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
        setup.device_descriptor = Arc::new(|adapter: &wgpu::Adapter| wgpu::DeviceDescriptor {
            label: Some("ire-playground (egui + training)"),
            required_limits: adapter.limits(),
            // Subgroup operations when the adapter has them: the CPU-adapter matmul uses them.
            required_features: adapter.features() & wgpu::Features::SUBGROUP,
            ..Default::default()
        });
        egui_wgpu::WgpuConfiguration {
            wgpu_setup: egui_wgpu::WgpuSetup::CreateNew(setup),
            ..Default::default()
        }
    }

    /// Builds the app on eframe's device; never fails (problems are shown in the window).
    pub fn new(cc: &eframe::CreationContext<'_>, launch: LaunchOptions) -> Self {
        let persisted: Persisted = cc
            .storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default();
        let (ctx, gpu_problem) = match adopt_device(cc) {
            Ok(ctx) => (Some(ctx), None),
            Err(e) => (None, Some(e)),
        };
        let is_cpu = ctx.as_ref().is_none_or(|c| c.adapter.is_cpu);
        let mut message = None;
        let hash = launch.settings.clone().or_else(platform::url_hash);
        let settings = match hash.map(|h| Settings::from_url_hash(&h)) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                message = Some((true, e));
                persisted
                    .settings
                    .unwrap_or_else(|| Settings::for_adapter(is_cpu))
            }
            None => persisted
                .settings
                .unwrap_or_else(|| Settings::for_adapter(is_cpu)),
        };
        let arrivals = DataSlot::default();
        datasets::load_corpus(arrivals.clone());
        let scripted = launch.quit_after.is_some();
        let mut app = Self {
            settings,
            plot_options: persisted.plots,
            ctx,
            gpu_problem,
            fresh_ctx: Default::default(),
            data: None,
            arrivals,
            images_requested: false,
            grid_textures: Vec::new(),
            session: None,
            session_settings: None,
            message,
            launch,
            last_status: None,
            last_hash: String::new(),
            frame_stats: Default::default(),
            logs: Vec::new(),
            export_job: None,
            file_inbox: Default::default(),
            log_path: String::new(),
            user_text: Default::default(),
            // Scripted launches (the smoke test, screenshots) need no guided start.
            guide_seen: persisted.guide_seen || scripted,
            show_analysis: false,
            pending_images: Default::default(),
        };
        platform::install_file_picker(app.file_inbox.clone());
        #[cfg(not(target_arch = "wasm32"))]
        for path in app.launch.open_logs.clone() {
            app.open_log_path(&path);
        }
        // Starts the run once the corpus is there (at once on the desktop), unless the
        // settings link was invalid: then the window shows why and nothing starts.
        app.adopt_data();
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(path) = app.launch.text_file.clone() {
            app.use_text_path(&path);
        }
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(dir) = app.launch.data_dir.clone() {
            app.use_image_dir(&dir);
        }
        if app.launch.run {
            app.set_mode(Mode::Running);
        }
        app
    }

    fn reset(&mut self) {
        self.session = None;
        self.export_job = None;
        let (Some(ctx), Some(data)) = (&self.ctx, &self.data) else {
            return;
        };
        if let Some(problem) = self.settings.problem() {
            self.message = Some((true, problem));
            return;
        }
        if self.settings.is_resnet() && data.images.is_none() {
            if !self.images_requested {
                self.images_requested = true;
                self.message = Some((false, "loading Fashion-MNIST (5 MB)…".into()));
                datasets::load_images(self.arrivals.clone());
                // On the desktop the embedded set is there at once (and this starts the run).
                self.adopt_data();
            }
            return;
        }
        match Session::new(ctx, &self.settings, self.settings.train.ire.enabled, data) {
            Ok(session) => {
                self.session = Some(session);
                self.session_settings = Some(self.settings.clone());
                self.message = None;
            }
            Err(e) => self.message = Some((true, e.to_string())),
        }
    }

    /// Takes in data sets that have arrived, and starts the run that was waiting for one.
    fn adopt_data(&mut self) {
        let arrived: Vec<Arrival> = self.arrivals.borrow_mut().drain(..).collect();
        for arrival in arrived {
            match arrival {
                Arrival::Corpus(Ok((corpus, file))) => {
                    self.data = Some(Datasets {
                        corpus: Arc::new(corpus),
                        images: None,
                        corpus_file: file,
                        image_files: None,
                        image_source: None,
                    });
                }
                Arrival::Images(Ok((images, files))) => {
                    // The user's own set, taken while Fashion-MNIST was on its way, stays.
                    if let Some(data) = self.data.as_mut().filter(|d| d.image_source.is_none()) {
                        data.images = Some(Arc::new(images));
                        data.image_files = Some(files);
                    }
                }
                Arrival::Corpus(Err(e)) => {
                    self.message = Some((true, format!("the text corpus is unusable: {e}")));
                }
                Arrival::Images(Err(e)) => {
                    // Not requested any more: the next Reset tries again.
                    self.images_requested = false;
                    self.message = Some((true, format!("the image data set is unusable: {e}")));
                }
            }
            if self.session.is_none() && !self.message.as_ref().is_some_and(|m| m.0) {
                self.reset();
            }
        }
    }

    /// Replaces a lost device once a fresh one has arrived.
    fn adopt_fresh_device(&mut self) {
        let arrived = self.fresh_ctx.borrow_mut().take();
        match arrived {
            Some(Ok(ctx)) => {
                self.message = Some((
                    false,
                    format!("training on a fresh device: {}", ctx.adapter),
                ));
                self.ctx = Some(ctx);
                self.gpu_problem = None;
                self.reset();
            }
            Some(Err(e)) => self.gpu_problem = Some(format!("no fresh GPU device: {e}")),
            None => {}
        }
    }
}

fn adopt_device(cc: &eframe::CreationContext<'_>) -> Result<GpuContext, String> {
    let rs = cc
        .wgpu_render_state
        .as_ref()
        .ok_or("eframe started without its wgpu renderer")?;
    let info = rs.adapter.get_info();
    let compute = rs
        .adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS);
    if !compute || info.backend == wgpu::Backend::Gl {
        return Err(format!(
            "No compute shaders on '{}' ({:?}). {WEBGPU_HELP}",
            info.name, info.backend
        ));
    }
    GpuContext::from_device(
        rs.device.clone(),
        rs.queue.clone(),
        &info,
        rs.device.limits(),
    )
    .map_err(|e| e.to_string())
}

impl eframe::App for PlaygroundApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_stats.begin();
        self.adopt_fresh_device();
        self.adopt_data();
        if let Some(ctx) = &self.ctx {
            if let Some(fault) = ctx.fault() {
                self.gpu_problem = Some(format!(
                    "The GPU device failed ({fault}). The runs so far stay on screen; open a fresh \
                     device to continue with a new run."
                ));
                self.ctx = None;
                self.set_mode(Mode::Paused);
            }
        }
        self.handle_keys(ui);
        self.take_files(ui);
        let hidden = platform::page_hidden();
        let mut busy = false;
        if let Some(session) = &mut self.session {
            if !hidden && self.ctx.is_some() {
                busy = session.advance(FRAME_BUDGET);
            }
        }
        self.refresh_analyses();
        self.advance_export();
        self.automate(ui);
        self.publish();

        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        egui::Panel::left("settings")
            .resizable(true)
            .default_size(290.0)
            .show(ui, |ui| self.settings_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.runs_ui(ui));
        });
        let mut show_analysis = self.show_analysis;
        egui::Window::new("Loss landscape and Hessian spectrum")
            .open(&mut show_analysis)
            .default_size([940.0, 560.0])
            .default_pos([300.0, 120.0])
            .vscroll(true)
            .show(ui.ctx(), |ui| self.analysis_ui(ui));
        self.show_analysis = show_analysis;
        guide::guide_ui(ui.ctx(), &mut self.guide_seen);
        let steps = self.session.as_ref().map_or(0, |s| s.steps_done());
        self.frame_stats.end(steps);
        if busy && !hidden {
            ui.ctx().request_repaint();
        } else {
            // Keep polling for late results and the tab becoming visible again.
            ui.ctx().request_repaint_after(Duration::from_millis(250));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let persisted = Persisted {
            settings: Some(self.settings.clone()),
            plots: self.plot_options,
            guide_seen: self.guide_seen,
        };
        eframe::set_value(storage, STORAGE_KEY, &persisted);
    }
}
