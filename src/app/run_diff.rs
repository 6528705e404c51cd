//! The automatic label of what makes a live run different from the first one in the list
//! ("lr 3e-3 -> 6e-3, κ 2 -> 4"), so that runs with the same name can be told apart without
//! opening their settings. Configurations are compared field by field as the checkpoint stores
//! them (serde's names), in force now (see [`in_force`]: IRE switched since the start counts).

use crate::train::{Record, TrainConfig, Trainer};
use serde_json::Value;

/// A run's settings in force now: its configuration with the live kappa and K, and IRE on or
/// off as its switch stands.
pub fn in_force(trainer: &Trainer) -> TrainConfig {
    let mut config = trainer.current_config();
    config.ire.enabled = trainer.ire_enabled();
    config
}

/// A run's settings to train it again from step 0: its configuration with the kappa and K in
/// force now, and IRE switched at the steps it was switched so far.
pub fn replay(trainer: &Trainer) -> TrainConfig {
    let mut config = trainer.current_config();
    let switches = trainer.history.iter().filter_map(|r| match r {
        Record::Event(e) if e.event == "ire_on" || e.event == "ire_off" => Some(e.step),
        _ => None,
    });
    let mut at: Vec<usize> = config
        .ire
        .toggle_at
        .iter()
        .copied()
        .chain(switches)
        .collect();
    at.sort_unstable();
    at.dedup();
    config.ire.toggle_at = at;
    config
}

/// Fields shown and their short names, in display order. Others (evaluation and probe cadence,
/// the probes' own settings, IRE's switch schedule) describe what is measured, not the run.
const SHOWN: [(&str, &str); 22] = [
    ("optimizer.kind", "optimizer"),
    ("optimizer.lr", "lr"),
    ("optimizer.weight_decay", "wd"),
    ("optimizer.momentum", "momentum"),
    ("optimizer.beta1", "β1"),
    ("optimizer.beta2", "β2"),
    ("optimizer.rho", "ρ"),
    ("optimizer.aux_lr", "aux lr"),
    ("ire.enabled", "IRE"),
    ("ire.kappa", "κ"),
    ("ire.gamma", "γ"),
    ("ire.mask_every", "K"),
    ("ire.start", "IRE from"),
    ("ire.prog_decay", "prog-decay"),
    ("ire.mask_rule", "mask"),
    ("seed", "seed"),
    ("batch", "batch"),
    ("steps", "steps"),
    ("warmup", "warm-up"),
    ("schedule", "schedule"),
    ("min_lr", "min lr"),
    ("grad_clip", "clip"),
];

fn field<'a>(config: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(config, |v, key| v.get(key))
}

fn show(v: Option<&Value>) -> String {
    match v {
        Some(Value::Bool(true)) => "on".into(),
        Some(Value::Bool(false)) => "off".into(),
        Some(Value::Number(n)) => n
            .as_f64()
            .map_or_else(|| n.to_string(), super::axes::format_value),
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => "default".into(),
        Some(other) => other.to_string(),
    }
}

/// What differs in `run` from `reference`, as `name a -> b` pairs joined by commas; empty when
/// nothing shown differs. IRE's own settings count only where IRE is on in either run, and
/// settings an optimizer does not read count only between runs of the same optimizer.
pub fn differences(reference: &TrainConfig, run: &TrainConfig) -> String {
    let (Ok(a), Ok(b)) = (serde_json::to_value(reference), serde_json::to_value(run)) else {
        return String::new();
    };
    let ire_matters = reference.ire.enabled || run.ire.enabled;
    let same_optimizer = reference.optimizer.kind == run.optimizer.kind;
    let reads = |name: &str| run.optimizer.kind.descriptor().reads(name);
    SHOWN
        .iter()
        .filter(|(path, _)| {
            if let Some(ire) = path.strip_prefix("ire.") {
                return ire == "enabled" || ire_matters;
            }
            match path.strip_prefix("optimizer.") {
                Some("kind" | "lr" | "weight_decay") | None => true,
                Some(hyper) => same_optimizer && reads(hyper),
            }
        })
        .filter_map(|(path, name)| {
            let (x, y) = (field(&a, path), field(&b, path));
            (x != y).then(|| format!("{name} {} -> {}", show(x), show(y)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::OptimizerKind;

    #[test]
    fn names_what_differs_and_nothing_else() {
        let base = TrainConfig::default();
        assert_eq!(differences(&base, &base), "");
        let mut other = base.clone();
        other.optimizer.lr = 6e-3;
        other.ire.enabled = true;
        other.ire.kappa = 4.0;
        other.eval_every = 7;
        let lr = crate::app::axes::format_value(base.optimizer.lr as f64);
        assert_eq!(
            differences(&base, &other),
            format!("lr {lr} -> 0.006, IRE off -> on, κ 2 -> 4")
        );
        // IRE's settings do not count while it is off in both.
        let mut off = base.clone();
        off.ire.kappa = 4.0;
        assert_eq!(differences(&base, &off), "");
        // Another optimizer: its kind, not the hyperparameters the first one reads.
        let mut sgd = base.clone();
        sgd.optimizer.kind = OptimizerKind::Sgd;
        sgd.optimizer.momentum = 0.5;
        assert_eq!(differences(&base, &sgd), "optimizer adamw -> sgd");
        other.seed = 3;
        assert!(differences(&base, &other).ends_with(", seed 0 -> 3"));
    }
}
