//! One place for messages: a bar at the bottom of the window. Errors stay until the user
//! dismisses them; a confirmation stays until a newer one replaces it or it is dismissed; the
//! states that need an action (settings that cannot run, settings that differ from the running
//! ones) are shown there for as long as they hold, with the button that resolves them.

/// How much a notice matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something failed; stays until dismissed.
    Error,
    /// Something the user should do.
    Warning,
    /// A confirmation or progress note.
    Info,
}

/// One message.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Notice {
    /// Error, warning or information.
    pub level: Level,
    /// What happened, in a sentence.
    pub text: String,
}

/// Errors kept at most (the oldest go first).
const MAX_ERRORS: usize = 4;

/// The messages waiting to be read.
#[derive(Default)]
pub struct Notices {
    items: Vec<Notice>,
}

impl Notices {
    /// Adds an error (`is_error`) or a confirmation. An error already shown is not repeated; a
    /// confirmation replaces the previous one.
    pub fn push(&mut self, is_error: bool, text: impl Into<String>) {
        let text = text.into();
        if is_error {
            if self.items.iter().any(|n| n.text == text) {
                return;
            }
            self.items.push(Notice {
                level: Level::Error,
                text,
            });
            let errors = self.errors().count();
            if errors > MAX_ERRORS {
                let oldest = self.items.iter().position(|n| n.level == Level::Error);
                if let Some(i) = oldest {
                    self.items.remove(i);
                }
            }
        } else {
            self.items.retain(|n| n.level != Level::Info);
            self.items.push(Notice {
                level: Level::Info,
                text,
            });
        }
    }

    /// Adds a warning: something the user should know or do, kept until dismissed (it does not
    /// stop a run from starting, as an error at start-up does).
    pub fn warn(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.items.iter().any(|n| n.text == text) {
            self.items.push(Notice {
                level: Level::Warning,
                text,
            });
        }
    }

    /// Drops the warnings that start with `prefix` (what they asked for has happened).
    pub fn retract_warnings(&mut self, prefix: &str) {
        self.items
            .retain(|n| n.level != Level::Warning || !n.text.starts_with(prefix));
    }

    /// Drops the confirmation (its news is stale once a run starts); errors stay.
    pub fn clear_info(&mut self) {
        self.items.retain(|n| n.level != Level::Info);
    }

    /// The errors not yet dismissed.
    pub fn errors(&self) -> impl Iterator<Item = &Notice> {
        self.items.iter().filter(|n| n.level == Level::Error)
    }

    /// Everything shown, oldest first.
    pub fn all(&self) -> &[Notice] {
        &self.items
    }

    /// The bar: `states` first (conditions shown while they hold, each with an optional button
    /// label), then the notices with a dismiss button each. Returns the index of the state
    /// whose button was pressed.
    pub fn bar_ui(
        &mut self,
        ui: &mut egui::Ui,
        states: &[(Notice, Option<&str>)],
    ) -> Option<usize> {
        let mut pressed = None;
        let mut dismissed = None;
        for (i, (notice, action)) in states.iter().enumerate() {
            ui.horizontal_wrapped(|ui| {
                notice_label(ui, notice);
                if let Some(action) = action {
                    if ui.button(*action).clicked() {
                        pressed = Some(i);
                    }
                }
            });
        }
        for (i, notice) in self.items.iter().enumerate() {
            ui.horizontal_wrapped(|ui| {
                if ui
                    .small_button("Dismiss")
                    .on_hover_text("Remove this message from the bar")
                    .clicked()
                {
                    dismissed = Some(i);
                }
                notice_label(ui, notice);
            });
        }
        if let Some(i) = dismissed {
            self.items.remove(i);
        }
        pressed
    }
}

fn notice_label(ui: &mut egui::Ui, notice: &Notice) {
    let visuals = ui.visuals();
    // Words, not symbols: egui's built-in fonts have no warning or arrow glyphs (they drew as
    // empty boxes).
    let (kind, color) = match notice.level {
        Level::Error => ("Error: ", visuals.error_fg_color),
        Level::Warning => ("Note: ", visuals.warn_fg_color),
        Level::Info => ("", visuals.text_color()),
    };
    ui.colored_label(color, format!("{kind}{}", notice.text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_and_confirmations_replace_each_other() {
        let mut n = Notices::default();
        n.push(true, "the link is broken");
        n.push(false, "saved a.csv");
        n.push(false, "saved b.csv");
        n.push(true, "the link is broken");
        let texts: Vec<&str> = n.all().iter().map(|x| x.text.as_str()).collect();
        assert_eq!(texts, ["the link is broken", "saved b.csv"]);
        n.clear_info();
        assert_eq!(n.all().len(), 1, "errors survive a new run");
        for i in 0..10 {
            n.push(true, format!("error {i}"));
        }
        assert_eq!(n.errors().count(), MAX_ERRORS);
        assert_eq!(n.errors().last().unwrap().text, "error 9");
    }
}
