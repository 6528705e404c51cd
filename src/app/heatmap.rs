//! The flat-direction heatmap: the fraction of each parameter tensor's coordinates in IRE's flat
//! set at each probe, one map per run.

use super::plots::Shown;
use egui::Color32;

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
pub fn heat_color(f: f32) -> Color32 {
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
