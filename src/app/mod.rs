//! The egui front end: settings on the left, live plots, flat-direction heatmaps and sampled text
//! in the middle. It trains on eframe's own wgpu device, a few milliseconds per frame, and never
//! waits for the GPU. The engine knows nothing about this module.

mod controls;
pub mod platform;
mod plots;
mod series;
mod session;
mod settings;

pub use series::Series;
pub use session::{Datasets, Mode, RunStatus, Session, Status};
pub use settings::{Settings, PRESETS};

use crate::data::{Corpus, ImageDataset};
use crate::gpu::GpuContext;
use crate::train::LiveParams;
use crate::train::{to_csv, to_jsonl};
use controls::Liveness;
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
    /// Close the window after this many steps and print the status as JSON on stdout.
    pub quit_after: Option<usize>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
struct Persisted {
    settings: Option<Settings>,
    plots: PlotOptions,
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
}

impl PlaygroundApp {
    /// eframe's wgpu configuration: the adapter's own limits, so that compute shaders are
    /// allowed (egui's defaults for GL allow none) and large models fit.
    pub fn wgpu_options() -> egui_wgpu::WgpuConfiguration {
        let mut setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
        setup.device_descriptor = Arc::new(|adapter: &wgpu::Adapter| wgpu::DeviceDescriptor {
            label: Some("ire-playground (egui + training)"),
            required_limits: adapter.limits(),
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
        let data = match (
            Corpus::shakespeare(),
            ImageDataset::fashion_mnist_embedded(),
        ) {
            (Ok(corpus), Ok(images)) => Some(Datasets {
                corpus: Arc::new(corpus),
                images: Arc::new(images),
            }),
            (Err(e), _) | (_, Err(e)) => {
                message = Some((true, format!("the embedded data is unusable: {e}")));
                None
            }
        };
        let mut app = Self {
            settings,
            plot_options: persisted.plots,
            ctx,
            gpu_problem,
            fresh_ctx: Default::default(),
            data,
            grid_textures: Vec::new(),
            session: None,
            session_settings: None,
            message,
            launch,
            last_status: None,
            last_hash: String::new(),
        };
        app.reset();
        if app.launch.run {
            app.set_mode(Mode::Running);
        }
        app
    }

    fn reset(&mut self) {
        self.session = None;
        let (Some(ctx), Some(data)) = (&self.ctx, &self.data) else {
            return;
        };
        if let Some(problem) = self.settings.problem() {
            self.message = Some((true, problem));
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

    fn set_mode(&mut self, mode: Mode) {
        if let Some(s) = &mut self.session {
            s.mode = mode;
        }
    }

    fn toggle_ire(&mut self) {
        let Some(session) = &mut self.session else {
            self.settings.train.ire.enabled ^= true;
            return;
        };
        let on = !session.ire_on();
        let step = session.runs[session.ire_run].trainer.steps_submitted();
        session.set_ire(on, &self.settings);
        // Keep the link reproducing this run: the start state, or a scheduled switch.
        let ire = &mut self.settings.train.ire;
        if step == 0 {
            ire.enabled = on;
        } else if step < self.settings.train.steps && !ire.toggle_at.contains(&step) {
            ire.toggle_at.push(step);
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

    fn handle_keys(&mut self, ui: &egui::Ui) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (space, i, s, r) = ui.input(|inp| {
            (
                inp.key_pressed(egui::Key::Space),
                inp.key_pressed(egui::Key::I),
                inp.key_pressed(egui::Key::S),
                inp.key_pressed(egui::Key::R),
            )
        });
        if space {
            let running = self
                .session
                .as_ref()
                .is_some_and(|s| s.mode == Mode::Running);
            self.set_mode(if running { Mode::Paused } else { Mode::Running });
        }
        if i {
            self.toggle_ire();
        }
        if s {
            if let Some(session) = &mut self.session {
                session.step_once();
            }
        }
        if r {
            self.reset();
        }
    }

    /// Scripted launches: switch IRE and quit after the requested steps.
    fn automate(&mut self, ui: &egui::Ui) {
        let Some(session) = &self.session else {
            return;
        };
        let done = session.steps_done();
        let ire_on = session.ire_on();
        if let Some(at) = self.launch.ire_on_at {
            if done >= at && !ire_on {
                self.toggle_ire();
                self.launch.ire_on_at = None;
            }
        }
        let Some(session) = &self.session else {
            return;
        };
        if let Some(n) = self.launch.quit_after {
            let failed = session.runs.iter().any(|r| r.error.is_some());
            if done >= n || failed {
                println!(
                    "{}",
                    serde_json::to_string(&session.status()).unwrap_or_default()
                );
                self.launch.quit_after = None;
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    fn publish(&mut self) {
        let now = Instant::now();
        if self
            .last_status
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(500))
        {
            return;
        }
        self.last_status = Some(now);
        if let Some(session) = &self.session {
            platform::publish_status(&serde_json::to_string(&session.status()).unwrap_or_default());
        }
        let hash = self.settings.to_url_hash();
        if hash != self.last_hash {
            platform::set_url_hash(&hash);
            self.last_hash = hash;
        }
    }

    fn export(&mut self, jsonl: bool) {
        let Some(session) = &self.session else {
            return;
        };
        let mut outcomes = Vec::new();
        for run in &session.runs {
            let name = run.label.to_lowercase().replace(' ', "-");
            let (file, mime, text) = if jsonl {
                (
                    format!("ire-playground-{name}.jsonl"),
                    "application/x-ndjson",
                    to_jsonl(&run.trainer.history),
                )
            } else {
                (
                    format!("ire-playground-{name}.csv"),
                    "text/csv",
                    to_csv(&run.trainer.history),
                )
            };
            outcomes.push(platform::save_text(&file, mime, &text));
        }
        // In compare mode both runs are saved; a failure must not hide behind the other's success.
        let failed = outcomes.iter().any(Result::is_err);
        let text: Vec<String> = outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|e| e))
            .collect();
        self.message = Some((failed, text.join("; ")));
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("ire-playground");
            ui.separator();
            let running = self
                .session
                .as_ref()
                .is_some_and(|s| s.mode == Mode::Running);
            let can_run = self.session.is_some() && self.settings.problem().is_none();
            if ui
                .add_enabled(
                    can_run,
                    egui::Button::new(if running { "Pause" } else { "Run" }),
                )
                .on_hover_text("Space")
                .clicked()
            {
                self.set_mode(if running { Mode::Paused } else { Mode::Running });
            }
            if ui
                .add_enabled(can_run, egui::Button::new("Step"))
                .on_hover_text("S")
                .clicked()
            {
                if let Some(s) = &mut self.session {
                    s.step_once();
                }
            }
            if ui
                .add_enabled(self.ctx.is_some(), egui::Button::new("Reset"))
                .on_hover_text("R: new run(s) from the current settings")
                .clicked()
            {
                self.reset();
            }
            ui.separator();
            let ire_on = self
                .session
                .as_ref()
                .map_or(self.settings.train.ire.enabled, Session::ire_on);
            let label = if ire_on { "IRE: ON" } else { "IRE: off" };
            let button = egui::Button::new(egui::RichText::new(label).strong()).selected(ire_on);
            if ui
                .add(button)
                .on_hover_text("I: switch IRE live (in compare mode: the IRE run)")
                .clicked()
            {
                self.toggle_ire();
            }
            ui.checkbox(&mut self.settings.compare, "compare")
                .on_hover_text("Base optimizer and its IRE twin, same weights and data (on Reset)");
            ui.checkbox(&mut self.plot_options.log_y, "log y");
            ui.separator();
            if ui.button("Save CSV").clicked() {
                self.export(false);
            }
            if ui.button("Save JSONL").clicked() {
                self.export(true);
            }
        });
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let live = Liveness {
            has_session: self.session.is_some(),
        };
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Some(ctx) = &self.ctx {
                ui.weak(format!("adapter: {}", ctx.adapter));
            }
            egui::CollapsingHeader::new("IRE")
                .default_open(true)
                .show(ui, |ui| {
                    if controls::ire_ui(ui, &mut self.settings, &live) {
                        let ire = &self.settings.train.ire;
                        if let Some(session) = &mut self.session {
                            if let Err(e) = session.set_ire_params(ire.kappa, ire.mask_every) {
                                self.message = Some((true, e.to_string()));
                            }
                        }
                    }
                });
            egui::CollapsingHeader::new("Optimizer")
                .default_open(true)
                .show(ui, |ui| {
                    controls::optimizer_ui(ui, &mut self.settings);
                });
            egui::CollapsingHeader::new("Model and data")
                .default_open(true)
                .show(ui, |ui| {
                    controls::model_ui(ui, &mut self.settings);
                });
            egui::CollapsingHeader::new("Schedule")
                .default_open(true)
                .show(ui, |ui| {
                    controls::schedule_ui(ui, &mut self.settings);
                });
            egui::CollapsingHeader::new("Probes and evaluation").show(ui, |ui| {
                controls::probes_ui(ui, &mut self.settings);
            });
            if let Some(problem) = self.settings.problem() {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            } else if self.session.is_some() && self.structural_change() {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Settings changed: press Reset to start a run with them.",
                );
            }
            ui.separator();
            ui.weak("Keys: Space run/pause · S step · I IRE switch · R reset");
        });
    }

    /// Whether the settings differ from the running ones in more than the live parameters.
    fn structural_change(&self) -> bool {
        let Some(old) = &self.session_settings else {
            return false;
        };
        let mut same_training = old.clone();
        same_training.train = self.settings.train.clone();
        same_training != self.settings
            || LiveParams::needs_new_run(&old.train, &self.settings.train)
    }

    fn runs_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(problem) = &self.gpu_problem {
            ui.colored_label(
                ui.visuals().error_fg_color,
                egui::RichText::new(problem).size(16.0),
            );
            if ui.button("Open a fresh GPU device").clicked() {
                platform::request_context(self.fresh_ctx.clone());
            }
        }
        if let Some((is_error, text)) = &self.message {
            let color = if *is_error {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().weak_text_color()
            };
            ui.colored_label(color, text);
        }
        let Some(session) = &self.session else {
            return;
        };
        for (i, run) in session.runs.iter().enumerate() {
            let s = &run.series;
            let last = |p: &Vec<[f64; 2]>| {
                p.last()
                    .map_or("–".to_string(), |p| plots::format_value(p[1]))
            };
            let state = if let Some(e) = &run.error {
                format!("stopped: {e}")
            } else if run.trainer.is_finished() {
                "finished".into()
            } else if session.mode == Mode::Running {
                "running".into()
            } else {
                "paused".into()
            };
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    plots::RUN_COLORS[i % 2],
                    egui::RichText::new(&run.label).strong(),
                );
                ui.label(format!(
                    "step {}/{} · loss {} · val {} · λmax {} · flat {} · {} steps/s · {}",
                    s.loss.len(),
                    run.trainer.config.steps,
                    last(&s.loss),
                    last(&s.val_loss),
                    last(&s.lambda_max),
                    last(&s.flat_count),
                    last(&s.steps_per_s),
                    state
                ));
            });
        }
        ui.separator();
        plots::plots_ui(ui, &session.runs, self.plot_options);
        for run in &session.runs {
            plots::heatmap_ui(ui, run);
        }
        ui.separator();
        let textures = &mut self.grid_textures;
        ui.columns(session.runs.len(), |cols| {
            for (ui, run) in cols.iter_mut().zip(&session.runs) {
                if let Some(predictor) = &run.predictor {
                    let title = format!("{}: test images, predicted (true) class", run.label);
                    ui.label(egui::RichText::new(title).strong());
                    plots::image_grid_ui(ui, predictor, textures);
                } else {
                    let title = format!("{}: text sampled from the current weights", run.label);
                    ui.label(egui::RichText::new(title).strong());
                    let text = run
                        .sampler
                        .as_ref()
                        .map_or("(sampling unavailable)".into(), |s| s.text());
                    ui.add(egui::Label::new(egui::RichText::new(text).monospace()).wrap());
                }
            }
        });
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
        self.adopt_fresh_device();
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
        let hidden = platform::page_hidden();
        let mut busy = false;
        if let Some(session) = &mut self.session {
            if !hidden && self.ctx.is_some() {
                busy = session.advance(FRAME_BUDGET);
            }
        }
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
        };
        eframe::set_value(storage, STORAGE_KEY, &persisted);
    }
}
