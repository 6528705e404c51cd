//! The settings panel. Every field is range-limited where it is entered; combinations that
//! cannot work (min lr above lr, warm-up longer than the run) are explained on the spot and
//! block starting a run.

use super::settings::{Settings, PRESETS};
use crate::optim::{OptimizerKind, ScheduleKind};
use crate::train::LiveParams;
use egui::DragValue;

/// Which settings a running session can take without a reset.
pub struct Liveness {
    /// A session exists (structural settings then apply on Reset).
    pub has_session: bool,
}

/// The optimizer menu: each base optimizer as people write its name, with what it is.
const OPTIMIZERS: [(OptimizerKind, &str); 3] = [
    (OptimizerKind::AdamW, "AdamW"),
    (OptimizerKind::Sgd, "SGD (momentum)"),
    (OptimizerKind::Sam, "SAM (SGD base)"),
];

/// The menu's label of `kind`.
fn optimizer_label(kind: OptimizerKind) -> &'static str {
    OPTIMIZERS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("?", |(_, label)| label)
}

/// Learning rate, weight decay and the base optimizer's own hyperparameters.
pub fn optimizer_ui(ui: &mut egui::Ui, s: &mut Settings) {
    let o = &mut s.train.optimizer;
    egui::ComboBox::from_label("optimizer")
        .selected_text(optimizer_label(o.kind))
        .show_ui(ui, |ui| {
            for (kind, label) in OPTIMIZERS {
                ui.selectable_value(&mut o.kind, kind, label);
            }
        });
    egui::Grid::new("optimizer grid")
        .num_columns(2)
        .show(ui, |ui| {
            let name = ui.label("peak lr");
            let speed = o.lr * 0.01;
            ui.add(
                DragValue::new(&mut o.lr)
                    .range(1e-6..=10.0)
                    .speed(speed)
                    .max_decimals(6),
            )
            .labelled_by(name.id);
            ui.end_row();
            let name = ui.label("weight decay");
            ui.add(
                DragValue::new(&mut o.weight_decay)
                    .range(0.0..=1.0)
                    .speed(0.001),
            )
            .labelled_by(name.id);
            ui.end_row();
            match o.kind {
                OptimizerKind::AdamW => {
                    let name = ui.label("beta1");
                    ui.add(DragValue::new(&mut o.beta1).range(0.0..=0.999).speed(0.001))
                        .labelled_by(name.id);
                    ui.end_row();
                    let name = ui.label("beta2");
                    ui.add(
                        DragValue::new(&mut o.beta2)
                            .range(0.0..=0.9999)
                            .speed(0.0005),
                    )
                    .labelled_by(name.id);
                    ui.end_row();
                }
                OptimizerKind::Sgd | OptimizerKind::Sam => {
                    let name = ui.label("momentum");
                    ui.add(
                        DragValue::new(&mut o.momentum)
                            .range(0.0..=0.999)
                            .speed(0.005),
                    )
                    .labelled_by(name.id);
                    ui.end_row();
                }
            }
            if o.kind == OptimizerKind::Sam {
                let name = ui.label("SAM rho");
                ui.add(DragValue::new(&mut o.rho).range(1e-4..=2.0).speed(0.005))
                    .labelled_by(name.id);
                ui.end_row();
            }
            let name = ui.label("grad clip (0: off)");
            ui.add(
                DragValue::new(&mut s.train.grad_clip)
                    .range(0.0..=100.0)
                    .speed(0.05),
            )
            .labelled_by(name.id);
            ui.end_row();
        });
}

/// Model preset, batch and seed.
pub fn model_ui(ui: &mut egui::Ui, s: &mut Settings) {
    let was_resnet = s.is_resnet();
    egui::ComboBox::from_label("model")
        .selected_text(&s.preset)
        .show_ui(ui, |ui| {
            for p in PRESETS {
                ui.selectable_value(&mut s.preset, p.to_string(), p);
            }
        })
        .response
        .on_hover_text(
            "Transformers on Shakespeare: tiny (1 layer, d=64, context 64), small (2 layers, \
             d=128, context 128). ResNets on Fashion-MNIST: resnet-tiny (ResNet-8), resnet20.",
        );
    if s.is_resnet() != was_resnet {
        s.apply_family_recipe();
    }
    egui::Grid::new("model grid").num_columns(2).show(ui, |ui| {
        let name = ui.label(if s.is_resnet() {
            "batch (images)"
        } else {
            "batch (sequences)"
        });
        ui.add(DragValue::new(&mut s.train.batch).range(1..=512))
            .labelled_by(name.id);
        ui.end_row();
        if s.is_resnet() {
            ui.label("augmentation");
            ui.checkbox(&mut s.augment, "crop + flip")
                .on_hover_text("Random 28x28 crops of the 4-pixel padded image and mirror images");
            ui.end_row();
        }
        let name = ui.label("seed");
        ui.add(DragValue::new(&mut s.train.seed).range(0..=u32::MAX as u64))
            .labelled_by(name.id)
            .on_hover_text("Initial weights and data order; compare runs share it");
        ui.end_row();
    });
}

/// Steps, warm-up and the learning-rate schedule's shape.
pub fn schedule_ui(ui: &mut egui::Ui, s: &mut Settings) {
    ui.horizontal(|ui| {
        for kind in ScheduleKind::ALL {
            ui.selectable_value(&mut s.train.schedule, kind, kind.name());
        }
    })
    .response
    .on_hover_text("After warm-up: cosine decay to the final lr, constant, or x0.1 at 50% and 75%");
    egui::Grid::new("schedule grid")
        .num_columns(2)
        .show(ui, |ui| {
            let name = ui.label("steps");
            ui.add(
                DragValue::new(&mut s.train.steps)
                    .range(1..=1_000_000)
                    .speed(10),
            )
            .labelled_by(name.id);
            ui.end_row();
            let name = ui.label("warm-up steps");
            let steps = s.train.steps;
            ui.add(DragValue::new(&mut s.train.warmup).range(0..=steps))
                .labelled_by(name.id);
            ui.end_row();
            if s.train.schedule == ScheduleKind::Cosine {
                let name = ui.label("final lr");
                let peak = s.train.optimizer.lr;
                ui.add(
                    DragValue::new(&mut s.train.min_lr)
                        .range(0.0..=peak)
                        .speed(peak * 0.01)
                        .max_decimals(7),
                )
                .labelled_by(name.id);
                ui.end_row();
            }
        });
}

/// IRE's live parameters (kappa, K) and the ones that need a new run (gamma, start).
/// Returns whether kappa or K changed (the caller pushes them to the running session).
pub fn ire_ui(ui: &mut egui::Ui, s: &mut Settings, live: &Liveness) -> bool {
    let ire = &mut s.train.ire;
    let mut changed = false;
    egui::Grid::new("ire grid").num_columns(2).show(ui, |ui| {
        let name = ui.label("kappa (amplification)");
        changed |= ui
            .add(
                DragValue::new(&mut ire.kappa)
                    .range(0.0..=100.0)
                    .speed(0.05),
            )
            .labelled_by(name.id)
            .on_hover_text(format!(
                "Flat coordinates' steps are multiplied by 1 + kappa. {}.",
                LiveParams::HELP
            ))
            .changed();
        ui.end_row();
        let name = ui.label("K (mask refresh every)");
        changed |= ui
            .add(DragValue::new(&mut ire.mask_every).range(1..=10_000))
            .labelled_by(name.id)
            .on_hover_text(format!(
                "Steps between Fisher estimates and mask refreshes. {}.",
                LiveParams::HELP
            ))
            .changed();
        ui.end_row();
        let name = ui.label("gamma (flat fraction)");
        let r = ui
            .add(
                DragValue::new(&mut ire.gamma)
                    .range(0.01..=0.999)
                    .speed(0.002),
            )
            .labelled_by(name.id);
        r.on_hover_text(if live.has_session {
            format!(
                "Fraction of coordinates treated as flat. {}.",
                LiveParams::HELP
            )
        } else {
            "Fraction of coordinates treated as flat.".to_string()
        });
        ui.end_row();
        let name = ui.label("decay kappa with lr");
        ui.checkbox(&mut ire.prog_decay, "")
            .labelled_by(name.id)
            .on_hover_text("Scale kappa by lr_t / lr_max (the paper's prog-decay)");
        ui.end_row();
    });
    if !ire.toggle_at.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "Reset replays IRE switches at steps {:?}",
                ire.toggle_at
            ));
            if ui.small_button("clear").clicked() {
                ire.toggle_at.clear();
            }
        });
    }
    changed
}

/// Probe and evaluation frequency, and the cost of each probe.
pub fn probes_ui(ui: &mut egui::Ui, s: &mut Settings) {
    let t = &mut s.train;
    egui::Grid::new("probe grid").num_columns(2).show(ui, |ui| {
        let name = ui.label("probe every (0: off)");
        ui.add(DragValue::new(&mut t.probe_every).range(0..=10_000))
            .labelled_by(name.id)
            .on_hover_text("Fisher trace, flat counts and sharpness on a fixed batch");
        ui.end_row();
        let name = ui.label("λmax power iterations");
        ui.add(DragValue::new(&mut t.sharpness.power_iters).range(0..=50))
            .labelled_by(name.id);
        ui.end_row();
        let name = ui.label("trace samples");
        ui.add(DragValue::new(&mut t.sharpness.hutchinson_samples).range(0..=64))
            .labelled_by(name.id);
        ui.end_row();
        let name = ui.label("evaluate every (0: at end)");
        ui.add(DragValue::new(&mut t.eval_every).range(0..=100_000))
            .labelled_by(name.id);
        ui.end_row();
        let name = ui.label("validation batches");
        ui.add(DragValue::new(&mut t.eval_batches).range(1..=64))
            .labelled_by(name.id);
        ui.end_row();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimizers_are_named_as_people_write_them() {
        for (kind, _) in OPTIMIZERS {
            let mut settings = Settings::default();
            settings.train.optimizer.kind = kind;
            let name = settings.optimizer_names().0;
            // "SGD (momentum)", never the Rust name "Sgd".
            assert!(optimizer_label(kind).starts_with(name), "{kind:?}");
        }
    }
}
