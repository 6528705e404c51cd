//! The "Loss landscape and Hessian spectrum" window: its controls, the slices (a line plot, or
//! one heat map with contour lines per run on a shared colour scale, the current weights at the
//! centre) and the spectra (eigenvalue densities on a log scale, top eigenvalues listed).

use super::axes::format_value;
use super::heatmap::heat_color;
use super::plots::RUN_COLORS;
use super::runs_view::live_color;
use super::PlaygroundApp;
use crate::analysis::{
    value_range, AnalysisRequest, DirectionKind, LandscapeResult, SliceData, SliceKind,
    SpectrumResult,
};
use egui_plot::{Legend, Line, Plot, VLine};

const SLICE_HELP: &str = "The loss around the current weights theta (the centre, marked +) \
along two directions: theta + x d1 + y d2. Random directions are filter-normalised (Li et al. \
2018): each row of each weight matrix moves by its own norm at x = 1, so slices of two runs \
are comparable; Hessian directions are the top eigenvectors (unit length). A wide basin means \
a flat minimum: IRE aims for those. In compare mode both runs use the same directions' seed \
and one colour scale (log of the loss).";
const SPECTRUM_HELP: &str = "The Hessian's eigenvalue density by stochastic Lanczos quadrature \
(log scale): most eigenvalues sit near zero (the bulk); a few large outliers set lambda_max, \
the sharpness. IRE should shrink the outliers. The top eigenvalues are Lanczos' Ritz values; \
the trace is the density's first moment times the number of parameters.";

impl PlaygroundApp {
    /// Queues a slice of every run (the L key and the button).
    pub(super) fn request_slice(&mut self) {
        let slice = self.settings.analysis.slice;
        self.request(AnalysisRequest::Landscape(slice), slice.validate());
    }

    /// Queues a spectrum of every run (the H key and the button).
    pub(super) fn request_spectrum(&mut self) {
        let spectrum = self.settings.analysis.spectrum;
        self.request(AnalysisRequest::Spectrum(spectrum), spectrum.validate());
    }

    fn request(&mut self, request: AnalysisRequest, valid: crate::Result<()>) {
        match (&mut self.session, valid) {
            (_, Err(e)) => self.notices.push(true, e.to_string()),
            (None, _) => self.notices.push(true, "no run to analyse: press Reset"),
            (Some(session), Ok(())) => {
                session.request_analysis(request);
                self.show_analysis = true;
            }
        }
    }

    /// Requests both analyses of a run whose steps passed the next multiple of "every".
    pub(super) fn refresh_analyses(&mut self) {
        let every = self.settings.analysis.every;
        let Some(session) = &mut self.session else {
            return;
        };
        if every == 0 {
            return;
        }
        let (slice, spectrum) = (
            self.settings.analysis.slice,
            self.settings.analysis.spectrum,
        );
        for run in session.runs.iter_mut().filter(|r| r.error.is_none()) {
            let step = run.trainer.steps_submitted();
            let due = step / every * every;
            if due > 0 && run.analyses.auto_step < due && slice.validate().is_ok() {
                run.analyses.auto_step = due;
                run.analyses.request(AnalysisRequest::Landscape(slice));
                if spectrum.validate().is_ok() {
                    run.analyses.request(AnalysisRequest::Spectrum(spectrum));
                }
            }
        }
    }

    /// The window's contents.
    pub(super) fn analysis_ui(&mut self, ui: &mut egui::Ui) {
        self.analysis_controls_ui(ui);
        let Some(session) = &self.session else {
            return;
        };
        for (i, run) in session.runs.iter().enumerate() {
            let color = live_color(session, i);
            if let Some(p) = run.trainer.analysis_progress() {
                ui.horizontal(|ui| {
                    ui.colored_label(color, &run.label);
                    ui.add(
                        egui::ProgressBar::new(p)
                            .show_percentage()
                            .desired_width(240.0),
                    )
                    .on_hover_text("training waits while its weights are analysed");
                });
            }
            if let Some(e) = &run.analyses.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("{}: {e}", run.label));
            }
        }
        let slices = each_run(session, |a| a.landscape.as_ref());
        let spectra = each_run(session, |a| a.spectrum.as_ref());
        ui.separator();
        ui.columns(2, |cols| {
            slices_ui(&mut cols[0], &slices);
            spectra_ui(&mut cols[1], &spectra);
        });
    }

    fn analysis_controls_ui(&mut self, ui: &mut egui::Ui) {
        let options = &mut self.settings.analysis;
        let slice = &mut options.slice;
        let mut slice_clicked = false;
        let mut spectrum_clicked = false;
        ui.horizontal_wrapped(|ui| {
            ui.label("Slice:");
            let kinds = [(SliceKind::Line, "1-D", ""), (SliceKind::Plane, "2-D", "")];
            super::controls::choice(ui, "slice kind", &mut slice.kind, &kinds);
            let directions = [
                (
                    DirectionKind::Random,
                    "random",
                    "filter-normalised Gaussian directions",
                ),
                (
                    DirectionKind::Hessian,
                    "Hessian",
                    "the top eigenvectors, by Lanczos",
                ),
            ];
            super::controls::choice(ui, "slice directions", &mut slice.directions, &directions);
            let max = match slice.kind {
                SliceKind::Line => crate::analysis::landscape::MAX_GRID[0],
                SliceKind::Plane => crate::analysis::landscape::MAX_GRID[1],
            };
            let name = ui.label("grid");
            ui.add(egui::DragValue::new(&mut slice.grid).range(3..=max))
                .labelled_by(name.id);
            // The centre must be a grid point.
            if slice.grid.is_multiple_of(2) {
                slice.grid += 1;
            }
            let name = ui.label("span ±");
            ui.add(
                egui::DragValue::new(&mut slice.span)
                    .range(0.001..=100.0)
                    .speed(0.01),
            )
            .labelled_by(name.id);
            let name = ui.label("seed");
            ui.add(egui::DragValue::new(&mut slice.seed))
                .labelled_by(name.id);
            let data = [
                (SliceData::Probe, "probe batch", ""),
                (SliceData::Validation, "validation", ""),
            ];
            super::controls::choice(ui, "slice data", &mut slice.data, &data);
            ui.checkbox(&mut slice.include_bias_norm, "move biases/norms");
            slice_clicked = ui.button("Compute slice (L)").clicked();
        });
        ui.horizontal_wrapped(|ui| {
            let spectrum = &mut options.spectrum;
            let name = ui.label("Spectrum: Lanczos steps");
            ui.add(egui::DragValue::new(&mut spectrum.lanczos_steps).range(2..=100))
                .labelled_by(name.id);
            let name = ui.label("vectors");
            ui.add(egui::DragValue::new(&mut spectrum.vectors).range(1..=16))
                .labelled_by(name.id);
            spectrum.top_k = spectrum.top_k.clamp(1, spectrum.lanczos_steps);
            spectrum_clicked = ui.button("Compute spectrum (H)").clicked();
            ui.separator();
            let name = ui.label("refresh both every");
            ui.add(egui::DragValue::new(&mut options.every).range(0..=100_000))
                .labelled_by(name.id);
            ui.label("steps (0: on request)");
        });
        if slice_clicked {
            self.request_slice();
        }
        if spectrum_clicked {
            self.request_spectrum();
        }
    }
}

/// Each run's label, colour and result `pick` chooses, for the runs that have one.
fn each_run<'a, T>(
    session: &'a super::Session,
    pick: impl Fn(&'a super::analyses::RunAnalyses) -> Option<&'a T>,
) -> Vec<(&'a str, egui::Color32, &'a T)> {
    session
        .runs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((r.label.as_str(), live_color(session, i), pick(&r.analyses)?)))
        .collect()
}

/// One slice per run: lines together in one plot, planes side by side on one colour scale.
fn slices_ui(ui: &mut egui::Ui, slices: &[(&str, egui::Color32, &LandscapeResult)]) {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Loss landscape").strong());
        ui.weak("(?)").on_hover_text(SLICE_HELP);
    });
    if slices.is_empty() {
        ui.weak("No slice yet: press L (or Compute slice).");
        return;
    }
    let lines: Vec<_> = slices
        .iter()
        .filter(|s| s.2.config.kind == SliceKind::Line)
        .collect();
    if !lines.is_empty() {
        Plot::new("landscape line")
            .height(200.0)
            .legend(Legend::default())
            .x_axis_label("x (along d1)")
            .show(ui, |plot_ui| {
                for (label, color, slice) in &lines {
                    let points: Vec<[f64; 2]> = slice
                        .axis
                        .iter()
                        .zip(&slice.loss)
                        .map(|(&x, &l)| [x as f64, l as f64])
                        .collect();
                    let name = format!("{label} (step {})", slice.step);
                    plot_ui.line(Line::new(name, points).color(*color));
                }
                plot_ui.vline(VLine::new("current weights", 0.0).color(RUN_COLORS[9]));
            });
    }
    let planes: Vec<_> = slices
        .iter()
        .filter(|s| s.2.config.kind == SliceKind::Plane)
        .collect();
    if planes.is_empty() {
        return;
    }
    // One scale for all planes, so that basins compare by colour.
    let (lo, hi) = value_range(
        planes
            .iter()
            .flat_map(|s| s.2.loss.iter().copied().filter(|l| l.is_finite())),
    );
    ui.weak(format!(
        "colour: log loss from {} (dark) to {} (bright); lines: 10 levels",
        format_value(lo as f64),
        format_value(hi as f64)
    ));
    let gaps = 8.0 * planes.len() as f32;
    let side = ((ui.available_width() - gaps) / planes.len() as f32).clamp(120.0, 300.0);
    ui.horizontal_wrapped(|ui| {
        for (label, color, slice) in &planes {
            ui.vertical(|ui| {
                ui.colored_label(*color, format!("{label}, step {}", slice.step));
                heat_map_ui(ui, slice, (lo, hi), side);
            });
        }
    });
}

/// A plane's loss as coloured cells with contour lines; the centre marked; values on hover.
fn heat_map_ui(ui: &mut egui::Ui, slice: &LandscapeResult, (lo, hi): (f32, f32), side: f32) {
    let g = slice.config.grid;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let (log_lo, log_hi) = ((lo.max(1e-6)).ln(), (hi.max(1e-6)).ln());
    let level =
        |l: f32| ((l.max(1e-6).ln() - log_lo) / (log_hi - log_lo).max(1e-12)).clamp(0.0, 1.0);
    let cell = side / g as f32;
    // Row 0 is y = -span: draw it at the bottom.
    let at = |row: usize, col: usize| slice.loss[row * g + col];
    let pos = |row: f32, col: f32| {
        egui::pos2(
            rect.left() + (col + 0.5) * cell,
            rect.bottom() - (row + 0.5) * cell,
        )
    };
    for row in 0..g {
        for col in 0..g {
            let centre = pos(row as f32, col as f32);
            let r = egui::Rect::from_center_size(centre, egui::vec2(cell + 0.5, cell + 0.5));
            let l = at(row, col);
            let color = if l.is_finite() {
                heat_color(level(l))
            } else {
                egui::Color32::RED
            };
            painter.rect_filled(r, 0.0, color);
        }
    }
    // Contour lines (marching squares over the cell centres) at 10 levels of log loss.
    let stroke = egui::Stroke::new(1.0, egui::Color32::from_white_alpha(140));
    for k in 1..=10 {
        let t = k as f32 / 11.0;
        for row in 0..g - 1 {
            for col in 0..g - 1 {
                let corners = [
                    (row, col),
                    (row, col + 1),
                    (row + 1, col + 1),
                    (row + 1, col),
                ];
                let values = corners.map(|(r, c)| level(at(r, c)));
                let mut crossings = Vec::with_capacity(4);
                for e in 0..4 {
                    let (a, b) = (values[e], values[(e + 1) % 4]);
                    if (a < t) != (b < t) {
                        let f = (t - a) / (b - a);
                        let (ra, ca) = corners[e];
                        let (rb, cb) = corners[(e + 1) % 4];
                        let r = ra as f32 + f * (rb as f32 - ra as f32);
                        let c = ca as f32 + f * (cb as f32 - ca as f32);
                        crossings.push(pos(r, c));
                    }
                }
                for pair in crossings.chunks_exact(2) {
                    painter.line_segment([pair[0], pair[1]], stroke);
                }
            }
        }
    }
    let mid = (g - 1) as f32 / 2.0;
    let c = pos(mid, mid);
    let white = egui::Stroke::new(2.0, egui::Color32::WHITE);
    painter.line_segment([c - egui::vec2(6.0, 0.0), c + egui::vec2(6.0, 0.0)], white);
    painter.line_segment([c - egui::vec2(0.0, 6.0), c + egui::vec2(0.0, 6.0)], white);
    if let Some(p) = response.hover_pos() {
        let col = ((p.x - rect.left()) / cell).floor() as usize;
        let row = ((rect.bottom() - p.y) / cell).floor() as usize;
        if row < g && col < g {
            response.on_hover_text(format!(
                "x {:.3}, y {:.3}\nloss {}",
                slice.axis[col],
                slice.axis[row],
                format_value(at(row, col) as f64)
            ));
        }
    }
}

/// The runs' eigenvalue densities in one plot (log10 density), with their top eigenvalues.
fn spectra_ui(ui: &mut egui::Ui, spectra: &[(&str, egui::Color32, &SpectrumResult)]) {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Hessian spectrum").strong());
        ui.weak("(?)").on_hover_text(SPECTRUM_HELP);
    });
    if spectra.is_empty() {
        ui.weak("No spectrum yet: press H (or Compute spectrum).");
        return;
    }
    for (label, color, s) in spectra {
        let top: Vec<String> = s.top.iter().map(|v| format_value(*v)).collect();
        ui.colored_label(
            *color,
            format!(
                "{label}, step {}: top {} · trace {}",
                s.step,
                top.join(", "),
                format_value(s.trace)
            ),
        );
    }
    Plot::new("spectrum density")
        .height(200.0)
        .legend(Legend::default())
        .x_axis_label("eigenvalue")
        .y_axis_formatter(|mark, _| format!("1e{:.0}", mark.value))
        .show(ui, |plot_ui| {
            for (label, color, s) in spectra {
                let points: Vec<[f64; 2]> = s
                    .density
                    .lambda
                    .iter()
                    .zip(&s.density.density)
                    .map(|(&l, &d)| [l, d.max(1e-8).log10()])
                    .collect();
                plot_ui.line(Line::new(format!("{label} (step {})", s.step), points).color(*color));
                if let Some(&top) = s.top.first() {
                    plot_ui.vline(
                        VLine::new(format!("{label} λmax"), top).color(color.gamma_multiply(0.6)),
                    );
                }
            }
        });
}
