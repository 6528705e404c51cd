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

/// A grid row: `name`, then `field`, which a screen reader announces by that name.
fn row(ui: &mut egui::Ui, name: &str, field: impl egui::Widget) -> egui::Response {
    let label = ui.label(name);
    let response = ui.add(field).labelled_by(label.id);
    ui.end_row();
    response
}

/// A drop-down menu setting `value` to one of `options` (value, name, hover text or "").
pub(super) fn choice<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    id: &str,
    value: &mut T,
    options: &[(T, &str, &str)],
) {
    let current = options.iter().find(|(v, _, _)| v == value);
    egui::ComboBox::from_id_salt(id)
        .selected_text(current.map_or("", |(_, name, _)| *name))
        .show_ui(ui, |ui| {
            for &(option, name, help) in options {
                let item = ui.selectable_value(value, option, name);
                if !help.is_empty() {
                    item.on_hover_text(help);
                }
            }
        });
}

/// A learning rate's field: steps of 1% of its value, up to six decimals.
fn learning_rate(lr: &mut f32) -> DragValue<'_> {
    let speed = *lr * 0.01;
    DragValue::new(lr)
        .range(1e-6..=10.0)
        .speed(speed)
        .max_decimals(6)
}

/// Learning rate, weight decay and the base optimizer's own hyperparameters.
pub fn optimizer_ui(ui: &mut egui::Ui, s: &mut Settings) {
    let mut kind = s.train.optimizer.kind;
    // The short name when closed (a long one squeezes the label), what each is when open.
    egui::ComboBox::from_label("optimizer")
        .selected_text(kind.descriptor().name)
        .show_ui(ui, |ui| {
            for option in OptimizerKind::ALL {
                ui.selectable_value(&mut kind, option, option.descriptor().menu);
            }
        });
    if kind != s.train.optimizer.kind {
        s.apply_optimizer_recipe(kind);
    }
    let o = &mut s.train.optimizer;
    egui::Grid::new("optimizer grid")
        .num_columns(2)
        .show(ui, |ui| {
            row(ui, "peak lr", learning_rate(&mut o.lr));
            let wd = DragValue::new(&mut o.weight_decay).range(0.0..=10.0);
            row(ui, "weight decay", wd.speed(0.001));
            // The base optimizer's own hyperparameters, as its descriptor lists them.
            let reads = |field| o.kind.descriptor().reads(field);
            if reads("beta1") {
                let beta1 = DragValue::new(&mut o.beta1).range(0.0..=0.999);
                row(ui, "beta1", beta1.speed(0.001));
            }
            if reads("beta2") {
                let beta2 = DragValue::new(&mut o.beta2).range(0.0..=0.9999);
                row(ui, "beta2", beta2.speed(0.0005));
            }
            if reads("momentum") {
                let momentum = DragValue::new(&mut o.momentum).range(0.0..=0.999);
                row(ui, "momentum", momentum.speed(0.005));
            }
            if reads("rho") {
                let rho = DragValue::new(&mut o.rho).range(1e-4..=2.0);
                row(ui, "SAM rho", rho.speed(0.005));
            }
            if reads("aux_lr") {
                row(
                    ui,
                    "AdamW lr (embeddings, head)",
                    learning_rate(&mut o.aux_lr),
                );
            }
            let clip = DragValue::new(&mut s.train.grad_clip).range(0.0..=100.0);
            row(ui, "grad clip (0: off)", clip.speed(0.05));
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
        let batch = if s.is_resnet() {
            "batch (images)"
        } else {
            "batch (sequences)"
        };
        row(ui, batch, DragValue::new(&mut s.train.batch).range(1..=512));
        if s.is_resnet() {
            let name = ui.label("augmentation");
            ui.checkbox(&mut s.augment, "crop + flip")
                .labelled_by(name.id)
                .on_hover_text("Random 28x28 crops of the 4-pixel padded image and mirror images");
            ui.end_row();
        }
        let seed = DragValue::new(&mut s.train.seed).range(0..=u32::MAX as u64);
        row(ui, "seed", seed)
            .on_hover_text("Initial weights and data order; compare runs share it");
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
            let steps = DragValue::new(&mut s.train.steps).range(1..=1_000_000);
            row(ui, "steps", steps.speed(10));
            let steps = s.train.steps;
            row(
                ui,
                "warm-up steps",
                DragValue::new(&mut s.train.warmup).range(0..=steps),
            );
            if s.train.schedule == ScheduleKind::Cosine {
                let peak = s.train.optimizer.lr;
                let min_lr = DragValue::new(&mut s.train.min_lr)
                    .range(0.0..=peak)
                    .speed(peak * 0.01)
                    .max_decimals(7);
                row(ui, "final lr", min_lr);
            }
        });
}

/// IRE's live parameters (kappa, K) and the ones that need a new run (gamma, start).
/// Returns whether kappa or K changed (the caller pushes them to the running session).
pub fn ire_ui(ui: &mut egui::Ui, s: &mut Settings, live: &Liveness) -> bool {
    let ire = &mut s.train.ire;
    let mut changed = false;
    egui::Grid::new("ire grid").num_columns(2).show(ui, |ui| {
        // The live parameters: a change reaches the running session.
        let mut live_row = |ui: &mut egui::Ui, name, field, help| {
            let help = format!("{help}. {}.", LiveParams::HELP);
            changed |= row(ui, name, field).on_hover_text(help).changed();
        };
        let kappa = DragValue::new(&mut ire.kappa).range(0.0..=100.0);
        let help = "Flat coordinates' steps are multiplied by 1 + kappa";
        live_row(ui, "kappa (amplification)", kappa.speed(0.05), help);
        let every = DragValue::new(&mut ire.mask_every).range(1..=10_000);
        let help = "Steps between Fisher estimates and mask refreshes";
        live_row(ui, "K (mask refresh every)", every, help);
        let gamma = DragValue::new(&mut ire.gamma).range(0.01..=0.999);
        row(ui, "gamma (flat fraction)", gamma.speed(0.002)).on_hover_text(if live.has_session {
            format!(
                "Fraction of coordinates treated as flat. {}.",
                LiveParams::HELP
            )
        } else {
            "Fraction of coordinates treated as flat.".to_string()
        });
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
        row(
            ui,
            "probe every (0: off)",
            DragValue::new(&mut t.probe_every).range(0..=10_000),
        )
        .on_hover_text("Fisher trace, flat counts and sharpness on a fixed batch");
        let iters = DragValue::new(&mut t.sharpness.power_iters).range(0..=50);
        row(ui, "λmax power iterations", iters);
        let samples = DragValue::new(&mut t.sharpness.hutchinson_samples).range(0..=64);
        row(ui, "trace samples", samples);
        let every = DragValue::new(&mut t.eval_every).range(0..=100_000);
        row(ui, "evaluate every (0: at end)", every);
        row(
            ui,
            "validation batches",
            DragValue::new(&mut t.eval_batches).range(1..=64),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimizers_are_named_as_people_write_them() {
        for kind in OptimizerKind::ALL {
            let mut settings = Settings::default();
            settings.train.optimizer.kind = kind;
            let name = settings.optimizer_names().0;
            // "SGD (momentum)", never the Rust name "Sgd".
            assert!(kind.descriptor().menu.starts_with(name), "{kind:?}");
            // The command line's name parses back to it.
            assert_eq!(
                kind.descriptor().flag.parse::<OptimizerKind>().ok(),
                Some(kind)
            );
        }
    }
}
