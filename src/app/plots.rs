//! Live plots (egui_plot): each panel overlays every run's series, marks IRE switches with
//! vertical lines, optionally uses a log y-axis, and shows values on hover.

use super::series::{Point, Series};
use egui::Color32;
use egui_plot::{GridMark, HoverPosition, Legend, Line, LineStyle, Plot, PlotBounds, VLine};

/// Run colours (base, IRE twin, then opened logs), readable on dark and light themes.
pub const RUN_COLORS: [Color32; 6] = [
    Color32::from_rgb(66, 135, 245),
    Color32::from_rgb(235, 110, 52),
    Color32::from_rgb(46, 160, 90),
    Color32::from_rgb(170, 90, 200),
    Color32::from_rgb(200, 170, 40),
    Color32::from_rgb(120, 120, 120),
];

/// A run as the plots see it: its legend label and its series (live runs and opened logs alike).
pub struct Shown<'a> {
    /// Legend label.
    pub label: &'a str,
    /// Its series.
    pub series: &'a Series,
    /// Colour.
    pub color: Color32,
}

/// Points drawn per line at most: a run of 10^5 steps is reduced to the visible range, then to
/// the lowest and highest value per bucket (spikes stay visible), so frames stay fast.
const MAX_POINTS_PER_LINE: usize = 2000;

/// Plot options the user controls.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct PlotOptions {
    /// Log10 y-axis on loss and sharpness plots.
    pub log_y: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self { log_y: true }
    }
}

/// One line of a panel: legend suffix, the series it draws, and whether it is dashed.
type PanelLine = (&'static str, fn(&Series) -> &[Point], bool);

/// Which series a panel shows, and how to name it.
struct Panel {
    title: &'static str,
    /// "How to read this": what the panel shows and what to look for, in a few sentences.
    help: &'static str,
    id: &'static str,
    lines: &'static [PanelLine],
    log_allowed: bool,
}

const PANELS: [Panel; 7] = [
    Panel {
        title: "Loss (solid: train, dashed: validation)",
        help: "Cross-entropy per token (nats; for images, per image). Train is each step's batch, noisy; validation is fixed held-out batches. In compare mode, the run that reaches a given loss in fewer steps is faster; compare at the same loss, not only at the end.",
        id: "loss",
        lines: &[
            ("train", |s| &s.loss, false),
            ("val", |s| &s.val_loss, true),
        ],
        log_allowed: true,
    },
    Panel {
        title: "Test accuracy (%)",
        help: "Share of the test images classified correctly, at each evaluation. With BatchNorm, early evaluations can lag the training loss (running statistics trail fast-moving weights).",
        id: "accuracy",
        lines: &[("acc", |s| &s.val_acc, false)],
        log_allowed: false,
    },
    Panel {
        title: "Sharpness: λ_max (solid), Hessian trace (dashed)",
        help: "λ_max is the largest eigenvalue of the loss Hessian on a fixed probe batch (power iteration); the trace sums all eigenvalues (Hutchinson estimate). Smaller means a flatter region. IRE aims to lower both; a run whose λ_max sits near 2/lr is at the edge of stability.",
        id: "sharpness",
        lines: &[
            ("λmax", |s| &s.lambda_max, false),
            ("trace", |s| &s.trace, true),
        ],
        log_allowed: true,
    },
    Panel {
        title: "Fisher trace",
        help: "Sum of IRE's diagonal Fisher estimate (gradients under labels sampled from the model itself): the total curvature the mask is chosen from. It falls as the model becomes confident.",
        id: "fisher",
        lines: &[("Fisher tr", |s| &s.fisher_trace, false)],
        log_allowed: true,
    },
    Panel {
        title: "Flat directions: IRE's mask (solid), Fisher < 1e-3·mean (dashed)",
        help: "Solid: how many coordinates IRE's mask marks flat (the γ fraction with the smallest Fisher values, ties included): the coordinates whose steps are amplified by 1 + κ. Dashed: coordinates whose Fisher value is below 1e-3 of the mean, a scale-free flatness count that compares runs with and without IRE.",
        id: "flat",
        lines: &[
            ("flat", |s| &s.flat_count, false),
            ("below ε", |s| &s.below_eps, true),
        ],
        log_allowed: false,
    },
    Panel {
        title: "Learning rate",
        help: "The learning rate of each step: linear warm-up, then the schedule (cosine by default). With prog-decay, IRE's κ shrinks with it.",
        id: "lr",
        lines: &[("lr", |s| &s.lr, false)],
        log_allowed: false,
    },
    Panel {
        title: "Throughput: steps/s (solid), k tokens or images/s (dashed)",
        help: "Training throughput as results arrive from the GPU. Compare mode and probes share the adapter, so each run's rate is lower than alone.",
        id: "speed",
        lines: &[
            ("steps/s", |s| &s.steps_per_s, false),
            ("ktok/s", |s| &s.tokens_per_s, true),
        ],
        log_allowed: false,
    },
];

/// All panels in a two-column grid, then the heatmap.
pub fn plots_ui(ui: &mut egui::Ui, runs: &[Shown<'_>], options: PlotOptions) {
    let height = ((ui.available_height() - 260.0) / 3.0).clamp(120.0, 260.0);
    let width = (ui.available_width() / 2.0 - 8.0).max(200.0);
    egui::Grid::new("plots")
        .num_columns(2)
        .spacing([8.0, 8.0])
        .show(ui, |ui| {
            // Panels with nothing to show (accuracy of a language model) are left out.
            let shown = PANELS.iter().filter(|p| {
                p.id == "loss"
                    || runs
                        .iter()
                        .any(|r| !p.lines.iter().all(|l| (l.1)(r.series).is_empty()))
            });
            for (i, panel) in shown.enumerate() {
                ui.vertical(|ui| {
                    ui.set_width(width);
                    panel_ui(ui, panel, runs, options, height);
                });
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
}

fn panel_ui(
    ui: &mut egui::Ui,
    panel: &Panel,
    runs: &[Shown<'_>],
    options: PlotOptions,
    height: f32,
) {
    let log = options.log_y && panel.log_allowed;
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(panel.title).strong());
        ui.weak("(?)").on_hover_text(panel.help);
    });
    let scale = |y: f64| if log { y.log10() } else { y };
    let mut plot = Plot::new(panel.id)
        .height(height)
        .legend(Legend::default())
        .link_axis(egui::Id::unique("steps"), [true, false])
        .link_cursor(egui::Id::unique("steps"), [true, false])
        .x_axis_label("step")
        .label_formatter(move |hover: &HoverPosition<'_>| {
            let unscale = |y: f64| if log { 10f64.powf(y) } else { y };
            Some(match hover {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => format!(
                    "{plot_name}\nstep {:.0}\n{}",
                    position.x,
                    format_value(unscale(position.y))
                ),
                HoverPosition::Elsewhere { position } => format!("step {:.0}", position.x),
            })
        });
    if log {
        plot = plot.y_axis_formatter(|mark: GridMark, _| format_value(10f64.powf(mark.value)));
    }
    plot.show(ui, |plot_ui| {
        // While the plot follows the data (auto bounds), every step is in view; once the user
        // zooms or pans, only the visible steps are drawn.
        let view = (!plot_ui.auto_bounds().x).then(|| plot_ui.plot_bounds());
        for run in runs {
            let color = run.color;
            for (suffix, series, dashed) in panel.lines {
                let divisor = if *suffix == "ktok/s" { 1e3 } else { 1.0 };
                // A log axis cannot show values <= 0 (an early negative-curvature power
                // iteration, say): leave them out rather than draw them at a floor.
                let points: Vec<[f64; 2]> = decimate(series(run.series), view.as_ref())
                    .into_iter()
                    .filter(|p| !log || p[1] > 0.0)
                    .map(|p| [p[0], scale(p[1] / divisor)])
                    .collect();
                if points.is_empty() {
                    continue;
                }
                let style = if *dashed {
                    LineStyle::dashed_loose()
                } else {
                    LineStyle::Solid
                };
                plot_ui.line(
                    Line::new(format!("{} {suffix}", run.label), points)
                        .color(color)
                        .style(style),
                );
            }
            for (x, event) in &run.series.events {
                plot_ui.vline(
                    VLine::new(format!("{}: {event}", run.label), *x)
                        .color(color.gamma_multiply(0.6))
                        .style(LineStyle::dotted_dense()),
                );
            }
        }
    });
}

/// The points of `points` (sorted by step) worth drawing: with a `view`, those in its step range
/// (and one on each side, so lines reach the edges), then at most about
/// [`MAX_POINTS_PER_LINE`], keeping each bucket's lowest and highest value in step order.
fn decimate(points: &[Point], view: Option<&PlotBounds>) -> Vec<Point> {
    let (lo, hi) = view.map_or((f64::NAN, f64::NAN), |b| (b.min()[0], b.max()[0]));
    let visible = if lo.is_finite() && hi.is_finite() && lo < hi {
        let start = points.partition_point(|p| p[0] < lo).saturating_sub(1);
        let end = (points.partition_point(|p| p[0] <= hi) + 1).min(points.len());
        &points[start..end.max(start)]
    } else {
        points
    };
    let buckets = MAX_POINTS_PER_LINE / 2;
    if visible.len() <= MAX_POINTS_PER_LINE {
        return visible.to_vec();
    }
    let size = visible.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets);
    for chunk in visible.chunks(size) {
        let by_value = |a: &&Point, b: &&Point| a[1].total_cmp(&b[1]);
        let (low, high) = (
            chunk.iter().min_by(by_value).expect("chunks are not empty"),
            chunk.iter().max_by(by_value).expect("chunks are not empty"),
        );
        if low[0] <= high[0] {
            out.extend([*low, *high]);
        } else {
            out.extend([*high, *low]);
        }
    }
    out
}

/// Compact number formatting for axes and readouts.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// Flat fraction per parameter tensor (rows) at each probe (columns), one heatmap per run.
pub fn heatmap_ui(ui: &mut egui::Ui, run: &Shown<'_>) {
    let s = run.series;
    ui.label(
        egui::RichText::new(format!(
            "{}: fraction of each tensor's coordinates marked flat, per probe",
            run.label
        ))
        .strong(),
    )
    .on_hover_text(
        "Each row is a parameter tensor, each column a probe; brighter means more of that \
         tensor's coordinates are in IRE's flat set. It shows where the flat directions live \
         (often embeddings and LayerNorm parameters) and how that changes as training goes on.",
    );
    if s.flat_fractions.is_empty() {
        ui.weak("No probe yet (probes run every 'probe every' steps).");
        return;
    }
    let rows = s.tensor_names.len();
    let cols = s.flat_fractions.len();
    let label_w = 150.0;
    let row_h = (180.0 / rows as f32).clamp(6.0, 16.0);
    let width = (ui.available_width() - label_w).max(100.0);
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(label_w + width, row_h * rows as f32),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let cell_w = width / cols as f32;
    let text_color = ui.visuals().text_color();
    for (r, name) in s.tensor_names.iter().enumerate() {
        let y = rect.top() + r as f32 * row_h;
        if row_h >= 9.0 {
            painter.text(
                egui::pos2(rect.left(), y + row_h / 2.0),
                egui::Align2::LEFT_CENTER,
                name,
                egui::FontId::monospace((row_h - 2.0).min(11.0)),
                text_color,
            );
        }
        for (c, (_, fractions)) in s.flat_fractions.iter().enumerate() {
            let x = rect.left() + label_w + c as f32 * cell_w;
            let cell = egui::Rect::from_min_size(egui::pos2(x, y), egui::vec2(cell_w + 0.5, row_h));
            painter.rect_filled(cell, 0.0, heat_color(fractions[r]));
        }
    }
    if let Some(pos) = response.hover_pos() {
        let c = ((pos.x - rect.left() - label_w) / cell_w).floor();
        let r = ((pos.y - rect.top()) / row_h).floor() as usize;
        if c >= 0.0 && (c as usize) < cols && r < rows {
            let (step, fractions) = &s.flat_fractions[c as usize];
            response.on_hover_text(format!(
                "{}\nstep {step:.0}\n{:.1}% flat",
                s.tensor_names[r],
                fractions[r] * 100.0
            ));
        }
    }
}

/// Dark blue (no flat coordinates) through teal to yellow (all flat).
pub(super) fn heat_color(f: f32) -> Color32 {
    let f = f.clamp(0.0, 1.0);
    let lerp = |a: f32, b: f32, t: f32| (a + (b - a) * t) as u8;
    if f < 0.5 {
        let t = f * 2.0;
        Color32::from_rgb(
            lerp(30.0, 33.0, t),
            lerp(30.0, 145.0, t),
            lerp(90.0, 140.0, t),
        )
    } else {
        let t = (f - 0.5) * 2.0;
        Color32::from_rgb(
            lerp(33.0, 253.0, t),
            lerp(145.0, 231.0, t),
            lerp(140.0, 37.0, t),
        )
    }
}

/// Test images with the class the model predicts now, green when right, red when wrong, and the
/// true class in brackets.
pub fn image_grid_ui(
    ui: &mut egui::Ui,
    predictor: &crate::previews::ImagePredictor,
    textures: &mut Vec<egui::TextureHandle>,
) {
    let batch = &predictor.batch;
    let n = batch.labels.len();
    let side = ((batch.pixels.len() / n.max(1)) as f64).sqrt() as usize;
    if textures.len() != n {
        textures.clear();
        for i in 0..n {
            let pixels = &batch.pixels[i * side * side..(i + 1) * side * side];
            // Undo the normalisation for display: the range of the batch maps to black..white.
            let (lo, hi) = pixels
                .iter()
                .fold((f32::MAX, f32::MIN), |(lo, hi), &p| (lo.min(p), hi.max(p)));
            let grey: Vec<u8> = pixels
                .iter()
                .map(|&p| ((p - lo) / (hi - lo).max(1e-6) * 255.0) as u8)
                .collect();
            let image = egui::ColorImage::from_gray([side, side], &grey);
            textures.push(ui.ctx().load_texture(
                format!("test image {i}"),
                image,
                egui::TextureOptions::NEAREST,
            ));
        }
    }
    let names = crate::data::FASHION_CLASSES;
    egui::Grid::new("prediction grid")
        .spacing([6.0, 6.0])
        .show(ui, |ui| {
            for (i, texture) in textures.iter().enumerate() {
                ui.vertical(|ui| {
                    ui.add(egui::Image::new((texture.id(), egui::vec2(56.0, 56.0))));
                    let truth = batch.labels[i] as usize;
                    match predictor.predicted.get(i) {
                        Some(&p) => {
                            let color = if p == truth {
                                egui::Color32::from_rgb(80, 200, 120)
                            } else {
                                egui::Color32::from_rgb(235, 90, 80)
                            };
                            ui.colored_label(color, names.get(p).copied().unwrap_or("?"));
                        }
                        None => {
                            ui.weak("…");
                        }
                    }
                    ui.weak(format!("({})", names.get(truth).copied().unwrap_or("?")));
                });
                if i % 8 == 7 {
                    ui.end_row();
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_are_cut_to_the_view_and_keep_their_extremes() {
        let points: Vec<Point> = (0..100_000)
            .map(|i| [i as f64, if i == 54_321 { 9.0 } else { 1.0 }])
            .collect();
        let all = PlotBounds::from_min_max([0.0, 0.0], [100_000.0, 10.0]);
        let drawn = decimate(&points, None);
        assert_eq!(decimate(&points, Some(&all)).len(), drawn.len());
        assert!(drawn.len() <= MAX_POINTS_PER_LINE + 2, "{}", drawn.len());
        assert!(drawn.iter().any(|p| p[1] == 9.0), "the spike survives");
        assert!(
            drawn.windows(2).all(|w| w[0][0] <= w[1][0]),
            "in step order"
        );
        let view = PlotBounds::from_min_max([100.0, 0.0], [200.0, 10.0]);
        let zoomed = decimate(&points, Some(&view));
        assert_eq!(zoomed.first().unwrap()[0], 99.0);
        assert_eq!(zoomed.last().unwrap()[0], 201.0);
        assert_eq!(zoomed.len(), 103, "every point of a zoomed-in range");
    }
}
