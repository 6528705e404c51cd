//! Live plots (egui_plot): each panel overlays every run's series, with one legend above them
//! all (runs by colour, events as dotted markers with hover text), ticks people can read
//! (`axes`), an optional log y-axis, and values on hover. The mouse wheel scrolls the page;
//! dragging pans and Ctrl/Cmd + wheel zooms, and "Follow new data" (or a double-click, or Reset)
//! returns to following the runs.

use super::axes;
use super::panels::{Panel, PANELS};
use super::series::{Point, Series};
use egui::Color32;
use egui_plot::{
    AxisHints, FilledArea, GridMark, HoverPosition, Line, LineStyle, Plot, PlotBounds, PlotPoint,
    VLine,
};

/// Run colours, readable on dark and light themes: the live runs take them in order (base, IRE
/// twin, tuned base, then branches and duplicates: as many as runs can train side by side),
/// opened logs from the end.
pub const RUN_COLORS: [Color32; 10] = [
    Color32::from_rgb(66, 135, 245),
    Color32::from_rgb(235, 110, 52),
    Color32::from_rgb(46, 160, 90),
    Color32::from_rgb(170, 90, 200),
    Color32::from_rgb(200, 170, 40),
    Color32::from_rgb(40, 170, 170),
    Color32::from_rgb(215, 65, 75),
    Color32::from_rgb(230, 120, 180),
    Color32::from_rgb(140, 100, 70),
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
#[serde(default)]
pub struct PlotOptions {
    /// Log10 y-axis on loss and sharpness plots.
    pub log_y: bool,
    /// Return every plot to following the data on the next frame (Reset, "Follow new data").
    #[serde(skip)]
    pub reset_view: bool,
    /// Whether every plot followed the data in the last frame (none was zoomed or panned).
    #[serde(skip)]
    pub following: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self {
            log_y: true,
            reset_view: false,
            following: true,
        }
    }
}

/// The legend (once, above the plots), the view controls, then all panels in a two-column grid.
pub fn plots_ui(ui: &mut egui::Ui, runs: &[Shown<'_>], options: &mut PlotOptions) {
    legend_ui(ui, runs, options);
    let height = ((ui.available_height() - 260.0) / 3.0).clamp(120.0, 260.0);
    let columns = if ui.available_width() < 560.0 { 1 } else { 2 };
    let width = (ui.available_width() / columns as f32 - 8.0).max(200.0);
    let reset = std::mem::take(&mut options.reset_view);
    let mut following = true;
    egui::Grid::new("plots")
        .num_columns(columns)
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
                    following &= panel_ui(ui, panel, runs, options.log_y, height, reset);
                });
                if i % columns == columns - 1 {
                    ui.end_row();
                }
            }
        });
    options.following = following || reset;
}

/// The runs' colours and names, what the line styles mean, and the view controls.
fn legend_ui(ui: &mut egui::Ui, runs: &[Shown<'_>], options: &mut PlotOptions) {
    ui.horizontal_wrapped(|ui| {
        for run in runs {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(18.0, 10.0), egui::Sense::hover());
            ui.painter()
                .hline(rect.x_range(), rect.center().y, (3.0, run.color));
            ui.label(egui::RichText::new(run.label).strong());
        }
        ui.weak("· dotted line: IRE switched or changed (hover it)");
        ui.separator();
        let text = if options.following {
            "Following new data"
        } else {
            "Follow new data"
        };
        if ui
            .add_enabled(!options.following, egui::Button::new(text))
            .on_hover_text(
                "Drag a plot to pan it, Ctrl/Cmd + wheel to zoom, right-drag to zoom to a box;                  the wheel alone scrolls the page. This button (or a double-click on a plot, or                  Reset) returns every plot to following the runs.",
            )
            .clicked()
        {
            options.reset_view = true;
        }
    });
}

/// One panel; returns whether it follows the data (the user has not zoomed or panned it).
fn panel_ui(
    ui: &mut egui::Ui,
    panel: &Panel,
    runs: &[Shown<'_>],
    log_y: bool,
    height: f32,
    reset: bool,
) -> bool {
    let log = log_y && panel.log_allowed;
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(panel.title).strong());
        ui.weak("(?)").on_hover_text(panel.help);
    });
    let unscale = move |y: f64| if log { 10f64.powf(y) } else { y };
    let y_axis = AxisHints::new_y()
        .label_spacing((axes::LABEL_SPACING - 4.0)..=axes::LABEL_SPACING)
        .formatter(move |mark: GridMark, _| axes::format_value(unscale(mark.value)));
    let mut plot = Plot::new(panel.id)
        .height(height)
        .allow_scroll(false)
        .grid_spacing(axes::GRID_SPACING..=300.0)
        .x_grid_spacer(axes::x_ticks)
        .x_axis_formatter(|mark: GridMark, _| axes::format_count(mark.value))
        .custom_y_axes(vec![y_axis])
        .link_axis(egui::Id::unique("steps"), [true, false])
        .link_cursor(egui::Id::unique("steps"), [true, false])
        .x_axis_label("step")
        .label_formatter(move |hover: &HoverPosition<'_>| {
            Some(match hover {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => format!(
                    "{plot_name}\nstep {:.0}\n{}",
                    position.x,
                    axes::format_value(unscale(position.y))
                ),
                HoverPosition::Elsewhere { position } => format!("step {:.0}", position.x),
            })
        });
    plot = if log {
        plot.y_grid_spacer(axes::log_ticks)
    } else {
        plot.y_grid_spacer(axes::linear_ticks)
    };
    if reset {
        plot = plot.reset();
    }
    let response = plot.show(ui, |plot_ui| {
        // While the plot follows the data (auto bounds), every step is in view; once the user
        // zooms or pans, only the visible steps are drawn.
        let following = plot_ui.auto_bounds().x;
        let view = (!following).then(|| plot_ui.plot_bounds());
        for run in runs {
            draw_run(plot_ui, panel, run, view.as_ref(), log);
        }
        (following, hovered_event(plot_ui, runs))
    });
    let (following, event) = response.inner;
    if let Some(text) = event {
        response.response.on_hover_text_at_pointer(text);
    }
    following
}

/// One run's lines (and band, and event markers) in a panel.
fn draw_run(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    panel: &Panel,
    run: &Shown<'_>,
    view: Option<&PlotBounds>,
    log: bool,
) {
    let scale = |y: f64| if log { y.log10() } else { y };
    let color = run.color;
    for (k, (suffix, series, dashed)) in panel.lines.iter().enumerate() {
        let (suffix, divisor) = match *suffix {
            "per s" if run.series.images => ("images/s", 1.0),
            "per s" => ("k tokens/s", 1e3),
            other => (other, 1.0),
        };
        let drawn = decimate(series(run.series), view);
        if let (0, Some(band)) = (k, panel.band) {
            band_ui(plot_ui, &drawn, band(run.series), color, log);
        }
        // A log axis cannot show values <= 0 (an early negative-curvature power iteration,
        // say): leave them out rather than draw them at a floor.
        let points: Vec<[f64; 2]> = drawn
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
    for (x, _) in &run.series.events {
        plot_ui.vline(
            VLine::new("", *x)
                .color(color.gamma_multiply(0.6))
                .style(LineStyle::dotted_dense())
                .allow_hover(false),
        );
    }
}

/// The band `value ± radius` around `center`'s points (matched by step); on a log axis its
/// lower edge is kept above zero.
fn band_ui(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    center: &[Point],
    radius: &[Point],
    color: Color32,
    log: bool,
) {
    let mut xs = Vec::new();
    let (mut lo, mut hi) = (Vec::new(), Vec::new());
    for p in center {
        let Some(r) = radius.iter().find(|r| r[0] == p[0]).map(|r| r[1]) else {
            continue;
        };
        if log && p[1] <= 0.0 {
            continue;
        }
        let (a, b) = (p[1] - r, p[1] + r);
        let a = if log { a.max(p[1] * 0.05) } else { a };
        xs.push(p[0]);
        lo.push(if log { a.log10() } else { a });
        hi.push(if log { b.log10() } else { b });
    }
    if xs.len() >= 2 {
        plot_ui.add(
            FilledArea::new("", &xs, &lo, &hi)
                .fill_color(color.gamma_multiply(0.25))
                .allow_hover(false),
        );
    }
}

/// The event nearest the pointer (within a few points of its marker), as hover text.
fn hovered_event(plot_ui: &egui_plot::PlotUi<'_>, runs: &[Shown<'_>]) -> Option<String> {
    let pointer = plot_ui.pointer_coordinate()?;
    let at = |x: f64| plot_ui.screen_from_plot(PlotPoint::new(x, pointer.y)).x;
    let px = at(pointer.x);
    let texts: Vec<String> = runs
        .iter()
        .flat_map(|run| {
            run.series
                .events
                .iter()
                .filter(move |(x, _)| (at(*x) - px).abs() <= 4.0)
                .map(move |(x, event)| {
                    format!("{}: {} at step {x:.0}", run.label, event_text(event))
                })
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// An event as a reader says it (`ire_on` -> "IRE switched on").
pub fn event_text(event: &str) -> String {
    match event {
        "ire_on" => "IRE switched on".into(),
        "ire_off" => "IRE switched off".into(),
        other => match other.strip_prefix("ire_params ") {
            Some(params) => format!(
                "IRE settings changed ({})",
                params
                    .replace("kappa=", "κ = ")
                    .replace(" mask_every=", ", K = ")
            ),
            None => other.replace('_', " "),
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_sentences() {
        assert_eq!(event_text("ire_on"), "IRE switched on");
        assert_eq!(
            event_text("ire_params kappa=5 mask_every=10"),
            "IRE settings changed (κ = 5, K = 10)"
        );
    }

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
