//! The egui front end: settings on the left, live plots, flat-direction heatmaps and sampled text
//! in the middle. On the desktop it trains on a device of its own on eframe's adapter, whose
//! queue a thread of its own drives; in the browser on eframe's device. Either way a frame
//! submits for a few milliseconds at most and never waits for the GPU, and an idle window draws
//! nothing. The engine knows nothing about this module.

mod analyses;
mod analysis_view;
mod automation;
mod axes;
mod branch;
mod confirm;
mod controls;
mod datasets;
mod device;
mod findings;
mod frame_stats;
mod guide;
mod heatmap;
mod image_grid;
mod ire_panel;
mod keeper;
mod kept_view;
mod launch;
mod live_run;
mod logs;
mod model_import;
mod notices;
mod panels;
mod persisted;
pub mod platform;
mod plots;
mod pytorch_export;
mod reopen;
mod repaint;
mod run_diff;
mod run_file;
mod run_list;
mod runs_view;
mod saved;
mod series;
mod session;
mod settings;
mod snapshot;
mod store;
mod tasks;
mod toolbar;
mod tune;
mod user_images;
mod user_text;
mod webgpu_help;

pub use analyses::AnalysisOptions;
pub use automation::{KeptStatus, Layout, RunStatus, Status};
pub use findings::{Finding, FINDINGS};
pub use frame_stats::FrameSummary;
pub use launch::LaunchOptions;
pub use logs::LoggedRun;
pub use series::Series;
pub use session::{Datasets, IreState, LiveRun, Mode, Session};
pub use settings::{Settings, PRESETS};
pub use webgpu_help::{missing_webgpu, WEBGPU_HELP};

use crate::gpu::GpuContext;
use datasets::DataSlot;
use plots::PlotOptions;
use web_time::{Duration, Instant};

/// Below this window width (points) the settings become a drawer.
const NARROW_WIDTH: f32 = 700.0;

/// Time per frame spent recording and submitting training steps: small enough for 60 fps.
const FRAME_BUDGET: Duration = Duration::from_millis(6);

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
    grid_textures: image_grid::GridTextures,
    session: Option<Session>,
    /// Settings the current session was built from (structural edits apply on Reset).
    session_settings: Option<Settings>,
    /// Messages for the user (the bar at the bottom of the window).
    notices: notices::Notices,
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
    /// A Hugging Face model's files received so far, or its weights for the next runs.
    model_import: model_import::ModelImport,
    /// A replacement of the current runs waiting for the user's yes.
    confirm: Option<confirm::Replace>,
    /// The window is phone-narrow: the settings are a drawer.
    narrow: bool,
    /// Runs to continue (a kept session, a run file) waiting for their image set.
    waiting_reopen: Option<(saved::Manifest, std::collections::HashMap<String, Vec<u8>>)>,
    /// A run's "remove" pressed once, or its new name being typed.
    run_edit: run_list::RunEdit,
    /// Launched by a script (`--quit-after`): the user's saved settings are left alone.
    scripted: bool,
    /// Kept sessions and the saving of the open one (None: runs are not kept).
    keeper: Option<keeper::Keeper>,
    /// The settings drawer is open (narrow windows only).
    show_settings: bool,
    /// The last frame's layout (for the status).
    layout: Layout,
    /// `--idle-check`: the frame count when the paused window fell idle, and when.
    idle_mark: Option<(u64, Instant)>,
    /// `--idle-check`: the frames drawn while idle.
    idle_frames: Option<u64>,
}

impl PlaygroundApp {
    /// Builds the app on eframe's device; never fails (problems are shown in the window).
    pub fn new(cc: &eframe::CreationContext<'_>, launch: LaunchOptions) -> Self {
        let persisted = persisted::Persisted::load(cc.storage);
        let (ctx, gpu_problem) = match device::adopt_device(cc) {
            Ok(ctx) => (Some(ctx), None),
            Err(e) => (None, Some(e)),
        };
        let mut notices = notices::Notices::default();
        let hash = launch.settings.clone().or_else(platform::url_hash);
        let settings = match hash.map(|h| Settings::from_url_hash(&h)) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                notices.push(true, e);
                persisted.settings.unwrap_or_else(Settings::first_visit)
            }
            None => persisted.settings.unwrap_or_else(Settings::first_visit),
        };
        let mut settings = settings;
        if launch.text_file.is_none() {
            if let Some(notice) = settings.missing_text() {
                notices.warn(notice);
                settings.text = None;
            }
        }
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
            grid_textures: Default::default(),
            session: None,
            session_settings: None,
            notices,
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
            model_import: Default::default(),
            confirm: None,
            narrow: false,
            show_settings: false,
            layout: Layout::default(),
            idle_mark: None,
            idle_frames: None,
            keeper: None,
            waiting_reopen: None,
            run_edit: Default::default(),
            scripted,
        };
        app.keeper = app
            .launch
            .keep_runs
            .clone()
            .map(|dir| keeper::Keeper::new(store::Store::open(dir), app.launch.resume));
        if app.launch.resume && app.keeper.is_none() {
            app.notices
                .push(true, "--resume: runs are not kept in this launch");
        }
        platform::set_waker(&cc.egui_ctx);
        platform::install_file_picker(app.file_inbox.clone());
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
        // After the data: a run file continues on it.
        #[cfg(not(target_arch = "wasm32"))]
        for path in app.launch.open_logs.clone() {
            app.open_log_path(&path);
        }
        // Kept sessions are listed (and with --resume the newest reopened) before anything
        // trains: on the desktop they arrive at once.
        app.keep_runs();
        if app.launch.run {
            app.set_mode(Mode::Running);
        }
        app
    }

    fn reset(&mut self) {
        // New runs: every plot follows the data again.
        self.plot_options.reset_view = true;
        self.export_job = None;
        // Saved one last time (if it trained since its last save) and dropped.
        self.retire_session();
        let (Some(ctx), Some(data)) = (&self.ctx, &self.data) else {
            return;
        };
        if let Some(problem) = self.settings.problem() {
            self.notices.push(true, problem);
            return;
        }
        if self.settings.is_resnet() && data.images.is_none() {
            if !self.images_requested {
                self.images_requested = true;
                self.notices.push(false, "loading Fashion-MNIST (5 MB)…");
                datasets::load_images(self.arrivals.clone());
                // On the desktop the embedded set is there at once (and this starts the run).
                self.adopt_data();
            }
            return;
        }
        match Session::new(ctx, &self.settings, self.settings.train.ire.enabled, data) {
            Ok(mut session) => {
                let imported = self.apply_import(&mut session);
                self.session = Some(session);
                self.session_settings = Some(self.settings.clone());
                self.mark_session_start();
                self.notices.clear_info();
                if let Some((is_error, said)) = imported {
                    self.notices.push(is_error, said);
                }
            }
            Err(e) => self.notices.push(true, e.to_string()),
        }
    }
}

impl eframe::App for PlaygroundApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.frame_stats.begin();
        if let Some(seconds) = frame.info().cpu_usage {
            self.frame_stats.record_draw(seconds as f64);
        }
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
        self.keep_runs();
        // An export or a save in progress polls its snapshot every frame.
        let busy = busy
            || self.export_job.is_some()
            || self.keeper.as_ref().is_some_and(keeper::Keeper::saving);
        self.automate(ui, busy);
        self.publish(busy);

        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        if !self.notices.all().is_empty() || !self.states().is_empty() {
            egui::Panel::bottom("notices").show(ui, |ui| self.notices_ui(ui));
        }
        // On a phone the settings are a drawer (the toolbar's "Settings" button), so the plots
        // get the screen.
        self.narrow = ui.available_width() < NARROW_WIDTH;
        if !self.narrow || self.show_settings {
            let width = if self.narrow {
                ui.available_width() * 0.85
            } else {
                290.0
            };
            egui::Panel::left("settings")
                .resizable(!self.narrow)
                .default_size(width)
                .show(ui, |ui| self.settings_ui(ui));
        }
        let plots = egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.runs_ui(ui));
        });
        let window = ui.ctx().content_rect();
        self.layout = Layout {
            width: window.width(),
            height: window.height(),
            settings_drawer: self.narrow,
            settings_shown: !self.narrow || self.show_settings,
            plots_width: plots.response.rect.width(),
        };
        let mut show_analysis = self.show_analysis;
        egui::Window::new("Loss landscape and Hessian spectrum")
            .open(&mut show_analysis)
            .default_size([940.0, 560.0])
            .default_pos([300.0, 120.0])
            .vscroll(true)
            .show(ui.ctx(), |ui| self.analysis_ui(ui));
        self.show_analysis = show_analysis;
        self.confirm_ui(ui.ctx());
        let steps = self.session.as_ref().map_or(0, |s| s.steps_done());
        self.frame_stats.end(steps);
        let running = self
            .session
            .as_ref()
            .is_some_and(|s| s.mode == Mode::Running);
        let desktop_cpu = cfg!(not(target_arch = "wasm32"))
            && self.ctx.as_ref().is_some_and(|c| c.adapter.is_cpu);
        repaint::schedule(
            ui.ctx(),
            busy,
            hidden,
            running,
            desktop_cpu,
            &self.frame_stats,
        );
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.scripted {
            return; // a test's settings are not the user's
        }
        let persisted = persisted::Persisted {
            settings: Some(self.settings.clone()),
            plots: self.plot_options,
            guide_seen: self.guide_seen,
        };
        persisted.store(storage);
    }

    /// The browser's hidden-page timer reaches the app through this (see `web.rs`).
    #[cfg(target_arch = "wasm32")]
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(&mut *self)
    }

    fn on_exit(&mut self) {
        #[cfg(not(target_arch = "wasm32"))]
        self.keep_before_exit();
    }
}
