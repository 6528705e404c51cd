//! The first visit's three-step guide: what to press and what to watch, closed for good with
//! "Got it" (remembered with the settings).

/// Shows the guide while `seen` is false; sets it when the reader closes it.
pub fn guide_ui(ctx: &egui::Context, seen: &mut bool) {
    if *seen {
        return;
    }
    egui::Window::new("Start here")
        .anchor(egui::Align2::RIGHT_TOP, [-16.0, 48.0])
        .resizable(false)
        .collapsible(false)
        .default_width(300.0)
        .show(ctx, |ui| {
            ui.label("1. Press Run (Space). The model trains on Shakespeare; the loss falls.");
            ui.label(
                "2. Switch IRE on (I). Watch sharpness (λ_max) drop and the flat-direction \
                 count; the (?) beside each plot says how to read it.",
            );
            ui.label(
                "3. Tick compare and Reset (R), or pick one of the findings: the base optimizer \
                 and its IRE twin from the same start, side by side.",
            );
            if ui.button("Got it").clicked() {
                *seen = true;
            }
        });
}
