//! A run's history as files people can load elsewhere: JSON Lines (one record per line, the
//! CLI's log format) and CSV (one row per record, empty cells where a field does not apply).

use super::Record;

/// One JSON object per line, in the order the records arrived.
pub fn to_jsonl(history: &[Record]) -> String {
    let mut out = String::new();
    for record in history {
        if let Ok(line) = serde_json::to_string(record) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Columns of [`to_csv`], in order.
pub const CSV_COLUMNS: [&str; 14] = [
    "kind",
    "step",
    "loss",
    "lr",
    "ms",
    "grad_norm",
    "ire_kappa",
    "val_loss",
    "lambda_max",
    "trace",
    "fisher_trace",
    "flat_count",
    "weight_norm",
    "event",
];

/// One row per record with the columns of [`CSV_COLUMNS`]; a run label can be prepended by the
/// caller. Per-tensor flat fractions stay in the JSONL export.
pub fn to_csv(history: &[Record]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    let opt = |v: Option<f32>| v.map(|v| v.to_string()).unwrap_or_default();
    for record in history {
        // The kind and the step, then this kind's own cells by column.
        let (kind, own): (&str, Vec<(usize, String)>) = match record {
            Record::Step(s) => (
                "step",
                vec![
                    (2, s.loss.to_string()),
                    (3, s.lr.to_string()),
                    (4, format!("{:.3}", s.ms)),
                    (5, s.grad_norm.to_string()),
                    (6, s.ire_kappa.to_string()),
                ],
            ),
            Record::Eval(e) => ("eval", vec![(7, e.val_loss.to_string())]),
            Record::Probe(p) => (
                "probe",
                vec![
                    (8, opt(p.lambda_max)),
                    (9, opt(p.trace)),
                    (10, p.fisher_trace.to_string()),
                    (11, p.flat_count.to_string()),
                    (12, opt(p.weight_norm)),
                ],
            ),
            // Events are plain words and `key=value` pairs; quote in case that changes.
            Record::Event(e) => (
                "event",
                vec![(13, format!("\"{}\"", e.event.replace('"', "\"\"")))],
            ),
        };
        let mut cells: [String; CSV_COLUMNS.len()] = Default::default();
        cells[0] = kind.into();
        cells[1] = record.step().to_string();
        for (column, value) in own {
            cells[column] = value;
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}
