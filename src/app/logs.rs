//! Runs read from JSONL logs (the CLI's `--log`, the exported PyTorch script's, the app's own
//! "Save JSONL"), shown in every plot next to the live runs. Lines that are not a record are
//! counted and skipped, so a log still being written (a half line at the end) opens too.

use super::series::Series;
use super::{platform, PlaygroundApp};
use crate::train::Record;

/// Largest log accepted (about ten million records): a hostile or mistaken file must not take
/// the app's memory.
pub const MAX_LOG_BYTES: usize = 1 << 30;

/// A finished (or still running) run from a log file.
pub struct LoggedRun {
    /// Legend label (the file name).
    pub label: String,
    /// Plot series, as a live run has them.
    pub series: Series,
    /// Lines that were not a record (skipped).
    pub skipped: usize,
}

impl LoggedRun {
    /// Parses a log's text; `name` labels the run. An error when no line is a record.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        if text.len() > MAX_LOG_BYTES {
            return Err(format!(
                "{name} is larger than {} MB; not opened",
                MAX_LOG_BYTES >> 20
            ));
        }
        let mut series = Series::default();
        let (mut records, mut skipped) = (0usize, 0usize);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Record>(line) {
                Ok(record) => {
                    series.push(&record, 0.0);
                    records += 1;
                }
                Err(_) => skipped += 1,
            }
        }
        if records == 0 {
            return Err(format!(
                "{name} holds no training records (expected the JSON lines of a --log file)"
            ));
        }
        // Timings from another machine are not this app's speed: leave them out.
        series.steps_per_s.clear();
        series.tokens_per_s.clear();
        Ok(Self {
            label: format!("{name} (log)"),
            series,
            skipped,
        })
    }
}

/// Whether `bytes` hold at least one training record (a run log rather than a text).
pub(super) fn has_records(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| {
        text.lines()
            .take(1000)
            .any(|l| serde_json::from_str::<crate::train::Record>(l).is_ok())
    })
}

impl PlaygroundApp {
    /// Reads files dropped on the window, and opens every file that has finished reading.
    pub(super) fn take_files(&mut self, ui: &egui::Ui) {
        let dropped = ui.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            platform::read_dropped(file, self.file_inbox.clone());
        }
        let arrived: Vec<_> = self.file_inbox.borrow_mut().drain(..).collect();
        for (name, bytes) in arrived {
            self.open_file(&name, bytes);
        }
    }

    /// Opens a log from its bytes (or reports why it could not be read).
    pub(super) fn open_log(&mut self, name: &str, bytes: Result<Vec<u8>, String>) {
        let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let opened = bytes
            .and_then(|b| String::from_utf8(b).map_err(|_| format!("{name} is not UTF-8 text")))
            .and_then(|text| LoggedRun::parse(name, &text));
        let (is_error, text) = match opened {
            Ok(run) => {
                let skipped = match run.skipped {
                    0 => String::new(),
                    n => format!(" ({n} lines that are not records were skipped)"),
                };
                let text = format!(
                    "opened {}: {} steps{skipped}",
                    run.label,
                    run.series.loss.len()
                );
                self.logs.push(run);
                (false, text)
            }
            Err(e) => (true, e),
        };
        self.notices.push(is_error, text);
    }

    /// Desktop: opens the log (or the text to train on) at `path` (the path field,
    /// `app --open-log`).
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn open_log_path(&mut self, path: &std::path::Path) {
        if path.join("config.json").is_file() {
            // A Hugging Face model's folder.
            self.open_model_dir(path);
            return;
        }
        if path.is_dir() {
            // A folder holds an image set's four IDX files.
            self.use_image_dir(path);
            return;
        }
        let bytes =
            crate::files::read_bounded(path, MAX_LOG_BYTES as u64).map_err(|e| e.to_string());
        self.open_file(&path.display().to_string(), bytes);
    }

    /// The "Open log" controls: a path field on the desktop, the file picker on the web.
    pub(super) fn open_log_ui(&mut self, ui: &mut egui::Ui) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let field = egui::TextEdit::singleline(&mut self.log_path)
                .hint_text("a log, run file, .txt, IDX or Hugging Face folder (or drop files here)")
                .desired_width(170.0);
            let response = ui.add(field);
            let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Open log").clicked() || entered) && !self.log_path.trim().is_empty() {
                let path = std::path::PathBuf::from(self.log_path.trim());
                self.open_log_path(&path);
            }
        }
        #[cfg(target_arch = "wasm32")]
        if ui
            .button("Open log…")
            .on_hover_text(
                "A JSONL log (CLI --log, exported train.py, Save JSONL), a run file or checkpoint \
                 (.safetensors) to continue, a text to train on, or a Hugging Face model's \
                 config.json, tokenizer.json and model.safetensors to start runs from; or drop \
                 them here",
            )
            .clicked()
        {
            platform::pick_files();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_evaluations_probes_and_events_become_series() {
        let text = r#"{"step":1,"loss":4.0,"lr":0.001,"ms":5.0,"grad_norm":1.0,"ire_kappa":0.0}
{"step":1,"event":"ire_on"}
{"step":2,"loss":3.5,"lr":0.001,"ms":5.0,"grad_norm":1.0,"ire_kappa":2.0}
{"step":2,"val_loss":3.6}
{"step":2,"lambda_max":10.0,"fisher_trace":1.0,"flat_count":9,"flat_fraction_by_tensor":{"wte.weight":0.9},"below_eps_count":3,"ire_active":true}
{"step":3,"loss":3.4,"lr
"#;
        let run = LoggedRun::parse("run.jsonl", text).unwrap();
        assert_eq!(run.label, "run.jsonl (log)");
        assert_eq!(run.series.loss.len(), 2);
        assert_eq!(run.series.val_loss, vec![[2.0, 3.6f32 as f64]]);
        assert_eq!(run.series.lambda_max.len(), 1);
        assert_eq!(run.series.tensor_names, vec!["wte.weight"]);
        assert_eq!(run.series.events, vec![(1.0, "ire_on".to_string())]);
        assert_eq!(run.skipped, 1, "the half-written last line");
        assert!(run.series.steps_per_s.is_empty());
    }

    #[test]
    fn a_file_without_records_is_refused_with_a_reason() {
        let err = LoggedRun::parse("notes.txt", "hello\nworld\n")
            .err()
            .unwrap();
        assert!(err.contains("no training records"), "{err}");
        assert!(LoggedRun::parse("empty", "").is_err());
    }
}
