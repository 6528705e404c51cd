//! "Tasks": the transformer trains on a generated puzzle (modular addition, sparse parity)
//! instead of text. The puzzle is regenerated from its description, so a link or a kept session
//! that names one reproduces the run without any data travelling.

use super::PlaygroundApp;
use crate::data::Puzzle;

/// The tasks a person can pick, with what each shows.
const TASKS: [(Puzzle, &str, &str); 2] = [
    (
        Puzzle::MODADD,
        "Modular addition (a + b mod 97)",
        "All 9,409 pairs a + b = c (mod 97); the model sees 30% of them. It first memorises \
         them (train accuracy near 100%, validation near chance), then, much later, learns the \
         rule and generalises: \"grokking\". Weight decay and flatness are the usual suspects \
         for when.",
    ),
    (
        Puzzle::PARITY,
        "Sparse parity (3 of 20 bits)",
        "The parity of 3 secret positions of a 20-bit string, from 2,000 examples: nothing \
         helps until the model finds the 3 positions, then accuracy jumps.",
    ),
];

impl PlaygroundApp {
    /// Trains on `puzzle` from the next run on (a transformer; the model reads one example at
    /// a time); starts it (paused).
    pub(super) fn use_puzzle(&mut self, puzzle: Puzzle) {
        self.train_on_corpus(puzzle.corpus(), Vec::new().into());
    }

    /// The corpus the settings name, installed: their task (a link's, a kept session's, a
    /// finding's), generated again; Shakespeare when they name no text; a user's text stays
    /// (it cannot be made again; `missing_text` says so).
    pub(super) fn sync_corpus_to_settings(&mut self) {
        let installed = self.data.as_ref().and_then(|d| d.corpus.source.clone());
        match Puzzle::of_source(self.settings.text.as_deref()) {
            Some(Ok(_)) if installed == self.settings.text => {}
            Some(Ok(puzzle)) => match puzzle.corpus() {
                Ok(corpus) => self.install_corpus(corpus, Vec::new().into()),
                Err(e) => self.notices.push(true, e.to_string()),
            },
            Some(Err(e)) => self.notices.push(true, e.to_string()),
            None if self.settings.text.is_none() => self.uninstall_corpus(),
            None => {}
        }
    }

    /// The task in use, if the transformer trains on one.
    pub(super) fn puzzle(&self) -> Option<Puzzle> {
        let source = self.data.as_ref()?.corpus.source.clone();
        Puzzle::of_source(source.as_deref())?.ok()
    }

    /// The "Tasks" controls: the generated tasks to train on instead of text.
    pub(super) fn tasks_ui(&mut self, ui: &mut egui::Ui) {
        ui.collapsing("Tasks (modular addition, parity)", |ui| {
            ui.weak(
                "Generated problems instead of text: the model reads one example at a time and \
                 is scored on the answer, with accuracy beside the loss.",
            );
            for (puzzle, name, help) in TASKS {
                let current = self.puzzle() == Some(puzzle);
                let button = ui.add_enabled(!current, egui::Button::new(name));
                if button.on_hover_text(help).clicked() {
                    self.use_puzzle(puzzle);
                }
            }
        });
    }
}
