//! What a kept session is made of: per run a full checkpoint (the command line's format, so a
//! run continues bit-identically) and its log (the JSON lines `--log` writes), the user's text
//! when the runs trained on one, and a manifest that names them with the settings, the labels
//! and "tune both"'s state. Files carry a generation number: a new save writes new names, then
//! the manifest, then removes the old ones, so the manifest always names complete files.

use super::settings::Settings;
use super::store::safe_name;
use super::tune::Tuning;
use serde::{Deserialize, Serialize};

/// Value of the manifest's `format` key.
pub const FORMAT: &str = "ire-playground/session-v1";

/// At most this many sessions are kept; the oldest go first.
pub const MAX_SESSIONS: usize = 12;
/// At most this many bytes are kept over all sessions; the oldest go first.
pub const MAX_BYTES: u64 = 256 << 20;

/// A kept session's description (its `manifest.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The session's folder name.
    pub id: String,
    /// Counts the saves of this session; names this save's files.
    pub generation: u64,
    /// When it was saved, in milliseconds since 1970 (UTC).
    pub saved_at_ms: u64,
    /// The settings the runs were built from.
    pub settings: Settings,
    /// The run the IRE switch controls.
    pub ire_run: usize,
    /// "Tune both"'s sweep, when the session was started with it.
    #[serde(default)]
    pub tuning: Option<Tuning>,
    /// The runs, in the session's order.
    pub runs: Vec<SavedRun>,
    /// The user's text the runs trained on (None: the embedded corpus or an image set).
    #[serde(default)]
    pub text: Option<SavedText>,
    /// The user's image set the ResNets trained on, by name (None: Fashion-MNIST).
    #[serde(default)]
    pub images: Option<String>,
    /// Bytes of the files named here.
    pub bytes: u64,
}

/// One run of a kept session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedRun {
    /// Legend label.
    pub label: String,
    /// Its checkpoint's file (full training state; weights only after a failure).
    pub checkpoint: String,
    /// Its log's file (JSON lines).
    pub log: String,
    /// Steps it had taken.
    pub step: usize,
    /// Steps it trains in all.
    pub steps: usize,
    /// Why it stopped early, if it did (it is shown, not continued).
    #[serde(default)]
    pub error: Option<String>,
}

/// The user's text a kept session trained on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedText {
    /// The file's name, as the checkpoints' corpus source spells it.
    pub name: String,
    /// The zlib-compressed text's file.
    pub file: String,
}

impl Manifest {
    /// Reads a manifest, refusing another format and file names that could point outside
    /// its folder.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Self = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if manifest.format != FORMAT {
            return Err(format!("format '{}' is not {FORMAT}", manifest.format));
        }
        if let Some(bad) = manifest
            .files()
            .into_iter()
            .chain([manifest.id.clone()])
            .find(|n| !safe_name(n))
        {
            return Err(format!("'{bad}' is not a name a saved session uses"));
        }
        Ok(manifest)
    }

    /// The files it names, runs first.
    pub fn files(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .runs
            .iter()
            .flat_map(|r| [r.checkpoint.clone(), r.log.clone()])
            .collect();
        out.extend(self.text.iter().map(|t| t.file.clone()));
        out
    }

    /// Steps done by its slowest run.
    pub fn steps_done(&self) -> usize {
        self.runs.iter().map(|r| r.step).min().unwrap_or(0)
    }

    /// One line for the list: the runs, the model and how far they got, e.g.
    /// "AdamW vs AdmIRE, tiny: step 340 of 600".
    pub fn title(&self) -> String {
        let labels: Vec<&str> = self.runs.iter().map(|r| r.label.as_str()).collect();
        let total = self.runs.iter().map(|r| r.steps).max().unwrap_or(0);
        let on_text = self
            .text
            .as_ref()
            .map(|t| format!(" on {}", t.name))
            .unwrap_or_default();
        format!(
            "{}, {}{on_text}: step {} of {total}",
            labels.join(" vs "),
            self.settings.preset,
            self.steps_done()
        )
    }
}

/// The file names of generation `generation`: run `i`'s checkpoint and log.
pub fn run_files(i: usize, generation: u64) -> (String, String) {
    (
        format!("run{i}-g{generation}.safetensors"),
        format!("run{i}-g{generation}.jsonl"),
    )
}

/// The file name of generation `generation`'s text.
pub fn text_file(generation: u64) -> String {
    format!("text-g{generation}.zlib")
}

/// Milliseconds since 1970 now (UTC).
pub fn now_ms() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// How long ago `ms` was, in words ("12 s ago", "3 min ago", "2 h ago", "4 days ago").
pub fn ago(ms: u64, now: u64) -> String {
    let s = now.saturating_sub(ms) / 1000;
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// Which of `kept` (newest first) to remove so that at most [`MAX_SESSIONS`] and
/// [`MAX_BYTES`] remain, never one of `keep` (the session now open, the one just written, one
/// being read): the oldest first.
pub fn evictions(kept: &[Manifest], keep: &[&str]) -> Vec<String> {
    let mut count = kept.len();
    let mut bytes: u64 = kept.iter().map(|m| m.bytes).sum();
    // When the sessions that stay are over the size limit by themselves, removing others would
    // not meet it: only the count limit applies then.
    let staying: u64 = kept
        .iter()
        .filter(|m| keep.contains(&m.id.as_str()))
        .map(|m| m.bytes)
        .sum();
    let size_limit = if staying <= MAX_BYTES {
        MAX_BYTES
    } else {
        u64::MAX
    };
    let mut out = Vec::new();
    for m in kept.iter().rev() {
        if count <= MAX_SESSIONS && bytes <= size_limit {
            break;
        }
        if keep.contains(&m.id.as_str()) {
            continue;
        }
        out.push(m.id.clone());
        count -= 1;
        bytes = bytes.saturating_sub(m.bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(id: &str, bytes: u64) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            id: id.into(),
            generation: 1,
            saved_at_ms: 0,
            settings: Settings::default(),
            ire_run: 0,
            tuning: None,
            runs: vec![SavedRun {
                label: "AdamW".into(),
                checkpoint: "run0-g1.safetensors".into(),
                log: "run0-g1.jsonl".into(),
                step: 5,
                steps: 10,
                error: None,
            }],
            text: None,
            images: None,
            bytes,
        }
    }

    #[test]
    fn the_oldest_sessions_go_first_and_never_the_open_one() {
        let kept: Vec<Manifest> = (0..MAX_SESSIONS + 2)
            .map(|i| manifest(&format!("s{i}"), 1))
            .collect();
        let last = format!("s{}", MAX_SESSIONS + 1);
        assert_eq!(
            evictions(&kept, &[&last]),
            vec![
                format!("s{}", MAX_SESSIONS),
                format!("s{}", MAX_SESSIONS - 1)
            ]
        );
        let big = vec![manifest("new", MAX_BYTES / 2), manifest("old", MAX_BYTES)];
        assert_eq!(evictions(&big, &[]), vec!["old".to_string()]);
        assert!(evictions(&big[..1], &[]).is_empty());
        assert_eq!(evictions(&big, &["old"]), vec!["new".to_string()]);
        let huge = vec![manifest("other", 10), manifest("open", MAX_BYTES + 1)];
        assert!(
            evictions(&huge, &["open"]).is_empty(),
            "an open session over the limit by itself does not clear the others away"
        );
    }

    #[test]
    fn a_manifest_cannot_name_a_file_outside_its_folder() {
        let mut m = manifest("s1", 1);
        let ok = serde_json::to_vec(&m).unwrap();
        assert!(Manifest::parse(&ok).is_ok());
        m.runs[0].log = "../../.bashrc".into();
        let bad = serde_json::to_vec(&m).unwrap();
        assert!(Manifest::parse(&bad).unwrap_err().contains(".bashrc"));
        assert!(Manifest::parse(b"{}").is_err());
    }

    #[test]
    fn a_title_says_what_ran_and_how_far() {
        let m = manifest("s1", 1);
        assert_eq!(m.title(), "AdamW, tiny: step 5 of 10");
        assert_eq!(ago(0, 90_000), "1 min ago");
    }
}
