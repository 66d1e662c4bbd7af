//! The play screen: the page being read (typewriter, speakers, the voice), the
//! choices, the text prompt, the ending card, and the history panel.

use super::reveal::{Reveal, passage_lengths};
use super::theme::{Palette, mix, story_font};
use super::widgets::{button, centred_column, choice_button, column_width, menu_button, paragraph, small_button, small_caps, voice_wave};
use super::{MoodPalette, ScreenPass, UiState, page, palette_now, rule};
use super::{Screen, Settings};
use crate::narrative::Severity;
use crate::narrative::story::MAX_INPUT_CHARS;
use crate::plugin::{BacklogEntry, Gallery, Session, StoryCommand};
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, FontId, Key, RichText, Sense, Stroke, Ui, text::LayoutJob};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// Who speaks a passage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpeakerView {
    /// The name shown.
    pub name: String,
    /// The character's colour hint.
    pub colour: Option<[u8; 3]>,
    /// Shown as a voice: a waveform and a glow.
    pub voice: bool,
}

/// A passage on the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PassageView {
    /// The speaker; `None` is narration.
    pub speaker: Option<SpeakerView>,
    /// The whole text (shared with the page).
    pub text: crate::narrative::SharedStr,
    /// How many characters show (`usize::MAX`: all).
    pub shown: usize,
}

/// A choice as offered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChoiceView {
    /// Its index in the node: what [`StoryCommand::Choose`] takes.
    pub index: u32,
    /// Its text.
    pub text: String,
    /// Whether it can be taken.
    pub enabled: bool,
    /// Why not, for a locked choice.
    pub reason: Option<String>,
    /// It asks for text first.
    pub asks: bool,
}

/// The open text prompt.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PromptView {
    /// The choice it belongs to.
    pub index: u32,
    /// The question.
    pub prompt: String,
    /// Used when nothing is typed.
    pub default: String,
    /// What has been typed.
    pub text: String,
}

/// The ending reached.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndingView {
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// Endings found and in all.
    pub found: (usize, usize),
}

/// One line of the history panel.
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryLine {
    /// A passage read.
    Passage(Option<SpeakerView>, crate::narrative::SharedStr),
    /// A choice made, with its turn (from 1) and whether undo can reach back to it.
    Choice {
        /// The choice's text.
        text: String,
        /// Which choice of the playthrough.
        turn: usize,
        /// How many undo steps return to just before it, when undo reaches it.
        undo_steps: Option<usize>,
    },
    /// Earlier history is not available.
    Gap,
}

/// Everything the play screen shows.
#[derive(Clone, Debug, Default)]
pub struct PlayView {
    /// The chapter's title.
    pub chapter: String,
    /// The passages of the page; hidden ones are left out.
    pub passages: Vec<PassageView>,
    /// The last passage is still typing (the voice animates).
    pub typing: bool,
    /// Everything is revealed: choices or the ending show.
    pub revealed: bool,
    /// The choices.
    pub choices: Vec<ChoiceView>,
    /// The open text prompt.
    pub prompt: Option<PromptView>,
    /// The ending, when reached.
    pub ending: Option<EndingView>,
    /// The story has no way on (a writer's bug), and why.
    pub stuck: Option<String>,
    /// How many choices can be undone.
    pub undo_depth: usize,
    /// The history panel, when open.
    pub history: Option<Vec<HistoryLine>>,
    /// What a loaded save's migration changed.
    pub migration: Vec<String>,
    /// Live editing: problems in the edited story (`file:line:column: message`); the
    /// last good version keeps running until they are fixed.
    pub reload_errors: Vec<String>,
    /// For a writer at work: expectations that failed since the last choice.
    pub broken: Vec<String>,
    /// Body text size.
    pub font_size: f32,
    /// No glow or waveform motion.
    pub reduce_motion: bool,
    /// Seconds, for animation.
    pub time: f64,
    /// The colours.
    pub palette: Palette,
}

/// What the player did on the play screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayAction {
    /// Complete the typing passage, or go on to the next.
    Advance,
    /// Take a choice (with the prompt's text, for one that asks).
    Choose {
        /// The choice's index in its node.
        index: u32,
        /// The text typed.
        input: Option<String>,
    },
    /// Open the text prompt of a choice that asks for text.
    OpenPrompt(u32),
    /// The prompt's text changed.
    EditPrompt(String),
    /// Close the prompt without choosing.
    CancelPrompt,
    /// Undo this many choices.
    Undo(usize),
    /// Open or close the history panel.
    ToggleHistory,
    /// Hide the migration message.
    DismissMigration,
    /// Open the saves screen to save.
    Save,
    /// Open the settings.
    Settings,
    /// Open the endings gallery.
    Endings,
    /// Back to the title screen (the game is autosaved).
    Title,
    /// Start again from the beginning.
    NewGame,
}

/// The play screen.
pub fn play_screen(ui: &mut Ui, view: &PlayView) -> Option<PlayAction> {
    let mut action = None;
    let p = &view.palette;
    let typing_text = view.prompt.is_some();
    // Keys first, so the widgets below can still claim the ones they use.
    if !typing_text {
        action = keys(ui, view);
    }
    if view.history.is_some()
        && let Some(a) = history_panel(ui, view)
    {
        action = Some(a);
    }
    if let Some(a) = top_bar(ui, view) {
        action = Some(a);
    }
    ui.add_space(6.0);
    let area = ui.available_rect_before_wrap();
    // A click anywhere on the page moves the text on; widgets drawn later sit on top.
    if !view.revealed && ui.interact(area, egui::Id::new("epistle_page_click"), Sense::click()).clicked() {
        action = Some(PlayAction::Advance);
    }
    egui::ScrollArea::vertical().auto_shrink([false, false]).stick_to_bottom(true).show(ui, |ui| {
        centred_column(ui, column_width(view.font_size), |ui| {
            ui.add_space(12.0);
            if !view.reload_errors.is_empty() {
                reload_errors(ui, view);
            }
            if !view.broken.is_empty() {
                broken_expectations(ui, view);
            }
            if !view.migration.is_empty()
                && let Some(a) = migration_note(ui, view)
            {
                action = Some(a);
            }
            for (i, passage) in view.passages.iter().enumerate() {
                let animate = view.typing && i + 1 == view.passages.len() && !view.reduce_motion;
                show_passage(ui, passage, p, view.font_size, animate.then_some(view.time));
                ui.add_space(view.font_size * 0.9);
            }
            if view.revealed {
                if let Some(a) = after_text(ui, view) {
                    action = Some(a);
                }
            } else {
                let hint =
                    if view.typing { "Click, Space or Enter to show the whole passage" } else { "Click, Space or Enter to continue" };
                ui.label(RichText::new(hint).small().color(p.muted));
            }
            ui.add_space(40.0);
        });
    });
    action
}

/// The keys of the play screen.
fn keys(ui: &mut Ui, view: &PlayView) -> Option<PlayAction> {
    let nothing_focused = ui.memory(|m| m.focused().is_none());
    ui.input_mut(|i| {
        if i.consume_key(egui::Modifiers::COMMAND, Key::Z) && view.undo_depth > 0 {
            return Some(PlayAction::Undo(1));
        }
        if i.modifiers.any() {
            return None;
        }
        if view.history.is_some() {
            if i.consume_key(egui::Modifiers::NONE, Key::Escape) || i.consume_key(egui::Modifiers::NONE, Key::H) {
                return Some(PlayAction::ToggleHistory);
            }
            return None;
        }
        if !view.revealed
            && nothing_focused
            && (i.consume_key(egui::Modifiers::NONE, Key::Space) || i.consume_key(egui::Modifiers::NONE, Key::Enter))
        {
            return Some(PlayAction::Advance);
        }
        if view.revealed {
            const DIGITS: [Key; 9] = [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8, Key::Num9];
            for (n, c) in view.choices.iter().enumerate().take(9) {
                if c.enabled && i.consume_key(egui::Modifiers::NONE, DIGITS[n]) {
                    // The digit's text must not land in the prompt it opens.
                    i.events.retain(|e| !matches!(e, egui::Event::Text(_)));
                    return Some(if c.asks { PlayAction::OpenPrompt(c.index) } else { PlayAction::Choose { index: c.index, input: None } });
                }
            }
        }
        if i.consume_key(egui::Modifiers::NONE, Key::H) {
            return Some(PlayAction::ToggleHistory);
        }
        if i.consume_key(egui::Modifiers::NONE, Key::U) && view.undo_depth > 0 {
            return Some(PlayAction::Undo(1));
        }
        if i.consume_key(egui::Modifiers::NONE, Key::S) {
            return Some(PlayAction::Save);
        }
        if i.consume_key(egui::Modifiers::NONE, Key::Escape) {
            return Some(PlayAction::Title);
        }
        None
    })
}

fn top_bar(ui: &mut Ui, view: &PlayView) -> Option<PlayAction> {
    let p = &view.palette;
    let mut action = None;
    ui.horizontal(|ui| {
        ui.label(small_caps(&view.chapter, 13.0, p.muted));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let bar = |ui: &mut Ui, text: &str, enabled: bool| {
                ui.add_enabled(enabled, egui::Button::new(RichText::new(text).small()).frame(false))
            };
            if bar(ui, "Title (Esc)", true).clicked() {
                action = Some(PlayAction::Title);
            }
            if bar(ui, "Settings", true).clicked() {
                action = Some(PlayAction::Settings);
            }
            if bar(ui, "Save (S)", view.ending.is_none() || view.undo_depth > 0).clicked() {
                action = Some(PlayAction::Save);
            }
            if bar(ui, "Undo (U)", view.undo_depth > 0).clicked() {
                action = Some(PlayAction::Undo(1));
            }
            let history = if view.history.is_some() { "Close history (H)" } else { "History (H)" };
            if bar(ui, history, true).clicked() {
                action = Some(PlayAction::ToggleHistory);
            }
        });
    });
    let (r, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 1.0), Sense::hover());
    ui.painter().rect_filled(r, 0.0, rule(p));
    action
}

/// The text of a passage with its first `shown` characters visible. The rest is laid
/// out but transparent, so lines never reflow as the text appears, and a screen
/// reader reads the whole passage from the start.
fn revealed_job(ui: &Ui, text: &str, shown: usize, size: f32, colour: Color32, italic: bool, wrap: f32) -> LayoutJob {
    let mut job = paragraph(ui, "", size, colour, italic, wrap);
    let split = text.char_indices().nth(shown).map_or(text.len(), |(b, _)| b);
    let mut format = job.sections.first().map(|s| s.format.clone()).unwrap_or_default();
    job.sections.clear();
    job.text.clear();
    job.append(&text[..split], 0.0, format.clone());
    if split < text.len() {
        format.color = Color32::TRANSPARENT;
        job.append(&text[split..], 0.0, format);
    }
    job
}

fn show_passage(ui: &mut Ui, passage: &PassageView, p: &Palette, size: f32, time: Option<f64>) {
    let wrap = ui.available_width();
    let Some(speaker) = &passage.speaker else {
        ui.label(revealed_job(ui, &passage.text, passage.shown, size, p.text, false, wrap));
        return;
    };
    let colour = p.speaker(speaker.colour);
    let indent = 18.0;
    let top = ui.cursor().top();
    // Reserve a place behind the text for the voice's glow, filled in once the text's
    // size is known.
    let glow_slot = ui.painter().add(egui::Shape::Noop);
    let inner = ui.horizontal(|ui| {
        ui.add_space(indent);
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.label(small_caps(&speaker.name, (size * 0.62).max(12.0), colour));
                if speaker.voice {
                    voice_wave(ui, colour, size * 0.6, time);
                }
            });
            ui.add_space(2.0);
            let ink = if speaker.voice { mix(p.text, colour, 0.25) } else { p.text };
            ui.label(revealed_job(ui, &passage.text, passage.shown, size, ink, speaker.voice, wrap - indent));
        });
    });
    let rect = inner.response.rect;
    let bar = egui::Rect::from_min_max(egui::pos2(rect.left(), top + 2.0), egui::pos2(rect.left() + 3.0, rect.bottom()));
    if speaker.voice {
        // Her lines glow: a soft light behind the text, breathing while she speaks.
        let pulse = time.map_or(0.0, |t| 0.5 + 0.5 * (t * 3.2).sin() as f32);
        let glow = mix(p.bg, colour, 0.10 + 0.08 * pulse);
        let outer = rect.expand2(egui::vec2(10.0, 8.0));
        ui.painter().set(glow_slot, egui::Shape::rect_filled(outer, 12.0, glow));
        ui.painter().rect_stroke(outer, 12.0, Stroke::new(1.0, mix(p.bg, colour, 0.35 + 0.25 * pulse)), egui::StrokeKind::Inside);
    }
    ui.painter().rect_filled(bar, 1.5, colour);
}

fn after_text(ui: &mut Ui, view: &PlayView) -> Option<PlayAction> {
    let p = &view.palette;
    let mut action = None;
    if let Some(e) = &view.ending {
        return ending_card(ui, e, view);
    }
    if let Some(why) = &view.stuck {
        ui.label(RichText::new("The story cannot go on from here.").color(p.text));
        ui.label(RichText::new(why).small().color(p.muted));
        if menu_button(ui, "Undo last choice", view.undo_depth > 0, 260.0).clicked() {
            action = Some(PlayAction::Undo(1));
        }
        return action;
    }
    if let Some(prompt) = &view.prompt {
        return prompt_box(ui, prompt, p, view.font_size);
    }
    ui.add_space(view.font_size * 0.4);
    let mut first_enabled = None;
    for (n, c) in view.choices.iter().enumerate() {
        let r = choice_button(ui, n + 1, &c.text, c.enabled, c.reason.as_deref(), p, view.font_size * 0.92);
        if c.enabled && first_enabled.is_none() {
            first_enabled = Some(r.clone());
        }
        if r.clicked() {
            action = Some(if c.asks { PlayAction::OpenPrompt(c.index) } else { PlayAction::Choose { index: c.index, input: None } });
        }
        ui.add_space(2.0);
    }
    // The arrows bring the keyboard to the choices. Nothing is focused before that:
    // a player pressing Space through the text must never take a choice by accident.
    // The focus moves on the next frame, after egui has used this frame's arrow.
    let flag = egui::Id::new("epistle_focus_first_choice");
    if let Some(r) = first_enabled {
        let nothing_focused = ui.memory(|m| m.focused().is_none());
        if ui.data_mut(|d| d.remove_temp::<bool>(flag)).unwrap_or(false) && nothing_focused {
            r.request_focus();
        } else if nothing_focused && view.history.is_none() && ui.input(|i| i.key_pressed(Key::ArrowDown) || i.key_pressed(Key::ArrowUp)) {
            ui.data_mut(|d| d.insert_temp(flag, true));
            ui.ctx().request_repaint();
        }
    }
    let n = view.choices.len().min(9);
    if n > 0 {
        ui.add_space(6.0);
        ui.label(RichText::new(format!("Press 1–{n}, or use the arrows and Enter")).small().color(p.muted));
    }
    action
}

fn prompt_box(ui: &mut Ui, prompt: &PromptView, p: &Palette, size: f32) -> Option<PlayAction> {
    let mut action = None;
    egui::Frame::NONE.fill(p.panel).corner_radius(10).inner_margin(egui::Margin::same(18)).show(ui, |ui| {
        ui.label(RichText::new(&prompt.prompt).font(FontId::new(size, story_font(ui.ctx(), false))).color(p.text));
        let mut text = prompt.text.clone();
        let edit = egui::TextEdit::singleline(&mut text)
            .char_limit(MAX_INPUT_CHARS)
            .hint_text(prompt.default.clone())
            .font(FontId::new(size, story_font(ui.ctx(), false)))
            .desired_width(f32::INFINITY);
        let r = ui.add(edit);
        if !r.has_focus() && !r.lost_focus() {
            r.request_focus();
        }
        if text != prompt.text {
            action = Some(PlayAction::EditPrompt(text.clone()));
        }
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.horizontal(|ui| {
            if button(ui, "OK (Enter)").clicked() || enter {
                action = Some(PlayAction::Choose { index: prompt.index, input: Some(text.clone()) });
            }
            if button(ui, "Cancel (Esc)").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                action = Some(PlayAction::CancelPrompt);
            }
        });
        ui.label(RichText::new(format!("Leave it empty for “{}”.", prompt.default)).small().color(p.muted));
    });
    action
}

fn ending_card(ui: &mut Ui, e: &EndingView, view: &PlayView) -> Option<PlayAction> {
    let p = &view.palette;
    let mut action = None;
    ui.add_space(12.0);
    egui::Frame::NONE.fill(p.panel).corner_radius(14).inner_margin(egui::Margin::same(28)).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.vertical_centered(|ui| {
            ui.label(small_caps("the end", 13.0, p.accent));
            ui.add_space(4.0);
            ui.label(RichText::new(&e.title).font(FontId::new(view.font_size * 1.6, story_font(ui.ctx(), false))).color(p.text));
            ui.add_space(4.0);
            ui.label(RichText::new(&e.description).font(FontId::new(view.font_size * 0.95, story_font(ui.ctx(), true))).color(p.muted));
            ui.add_space(10.0);
            ui.label(RichText::new(format!("{} of {} endings found", e.found.0, e.found.1)).small().color(p.muted));
            ui.add_space(12.0);
            let w = 260.0;
            let first = menu_button(ui, "See all endings", true, w);
            if ui.memory(|m| m.focused().is_none()) && ui.input(|i| i.key_pressed(Key::ArrowDown) || i.key_pressed(Key::ArrowUp)) {
                first.request_focus();
            }
            if first.clicked() {
                action = Some(PlayAction::Endings);
            }
            if menu_button(ui, "Undo last choice", view.undo_depth > 0, w).clicked() {
                action = Some(PlayAction::Undo(1));
            }
            if menu_button(ui, "Start again", true, w).clicked() {
                action = Some(PlayAction::NewGame);
            }
            if menu_button(ui, "Back to title", true, w).clicked() {
                action = Some(PlayAction::Title);
            }
        });
    });
    action
}

/// The overlay a writer sees while an edited file has errors.
fn reload_errors(ui: &mut Ui, view: &PlayView) {
    let p = &view.palette;
    egui::Frame::NONE.fill(p.panel).stroke(Stroke::new(1.5, p.accent)).corner_radius(8).inner_margin(egui::Margin::same(14)).show(
        ui,
        |ui| {
            ui.label(RichText::new("The edited story has errors").strong().color(p.accent));
            ui.label(
                RichText::new("The last version that loaded keeps running. Save the file again once it is fixed.").small().color(p.muted),
            );
            ui.add_space(4.0);
            for line in &view.reload_errors {
                ui.label(RichText::new(line).monospace().small().color(p.text));
            }
        },
    );
    ui.add_space(12.0);
}

/// The overlay a writer sees when an expectation failed on this page.
fn broken_expectations(ui: &mut Ui, view: &PlayView) {
    let p = &view.palette;
    egui::Frame::NONE.fill(p.panel).stroke(Stroke::new(1.5, p.accent)).corner_radius(8).inner_margin(egui::Margin::same(14)).show(
        ui,
        |ui| {
            ui.label(RichText::new("An expectation failed").strong().color(p.accent));
            ui.label(
                RichText::new(
                    "The text here presumes something this playthrough did not do. `quill explore` finds the shortest such path.",
                )
                .small()
                .color(p.muted),
            );
            ui.add_space(4.0);
            for line in &view.broken {
                ui.label(RichText::new(line).monospace().small().color(p.text));
            }
        },
    );
    ui.add_space(12.0);
}

fn migration_note(ui: &mut Ui, view: &PlayView) -> Option<PlayAction> {
    let p = &view.palette;
    let mut action = None;
    egui::Frame::NONE.fill(p.panel).corner_radius(10).inner_margin(egui::Margin::same(14)).show(ui, |ui| {
        ui.set_width(ui.available_width());
        // A live reload (the story's files changed while playing) or a loaded save.
        let live = view.migration.first().is_some_and(|l| l.starts_with("The story was edited;"));
        ui.label(small_caps(if live { "the story was reloaded" } else { "this save was updated" }, 12.0, p.accent));
        for line in &view.migration {
            ui.label(RichText::new(line).small().color(p.text));
        }
        if small_button(ui, "Got it").clicked() {
            action = Some(PlayAction::DismissMigration);
        }
    });
    ui.add_space(12.0);
    action
}

fn history_panel(ui: &mut Ui, view: &PlayView) -> Option<PlayAction> {
    let p = &view.palette;
    let lines = view.history.as_deref().unwrap_or_default();
    let mut action = None;
    let frame = egui::Frame::NONE.fill(p.panel).inner_margin(egui::Margin::symmetric(20, 16));
    egui::Panel::right("epistle_history").default_size(440.0).min_size(280.0).frame(frame).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new("History").font(FontId::new(22.0, story_font(ui.ctx(), false))).color(p.text));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if button(ui, "Close (H)").clicked() {
                    action = Some(PlayAction::ToggleHistory);
                }
            });
        });
        ui.add_space(6.0);
        egui::ScrollArea::vertical().auto_shrink([false, false]).stick_to_bottom(true).show(ui, |ui| {
            let size = (view.font_size * 0.78).max(14.0);
            let wrap = ui.available_width();
            for line in lines {
                match line {
                    HistoryLine::Passage(speaker, text) => {
                        if let Some(s) = speaker {
                            ui.label(small_caps(&s.name, 11.0, p.speaker(s.colour)));
                        }
                        ui.label(paragraph(ui, text, size, p.text, speaker.as_ref().is_some_and(|s| s.voice), wrap));
                    }
                    HistoryLine::Choice { text, turn, undo_steps } => {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(format!("You chose: {text}")).color(p.accent).strong());
                            if let Some(steps) = undo_steps
                                && ui.small_button(format!("Undo to here (choice {turn})")).clicked()
                            {
                                action = Some(PlayAction::Undo(*steps));
                            }
                        });
                    }
                    HistoryLine::Gap => {
                        ui.label(RichText::new("Earlier pages of this save are not available.").small().italics().color(p.muted));
                    }
                }
                ui.add_space(6.0);
            }
        });
    });
    action
}

/// Builds the play view from the resources.
pub fn view(
    session: &Session,
    reveal: &Reveal,
    settings: &Settings,
    gallery: &Gallery,
    ui_state: &UiState,
    time: f64,
    palette: Palette,
) -> PlayView {
    let mut v = PlayView { font_size: settings.font_size, reduce_motion: settings.reduce_motion, time, palette, ..Default::default() };
    let Some(runner) = session.runner() else { return v };
    let story = runner.story();
    let speaker = |c: Option<crate::narrative::CharacterId>| {
        c.and_then(|c| {
            let ch = story.character(c)?;
            Some(SpeakerView { name: runner.character_name(c), colour: ch.colour, voice: ch.voice })
        })
    };
    v.chapter = story.chapter_title(runner.state().node).to_string();
    let lens = passage_lengths(session);
    for (i, p) in runner.page().passages.iter().enumerate() {
        let Some(shown) = reveal.shown(i) else { break };
        v.passages.push(PassageView { speaker: speaker(p.speaker), text: p.text.clone(), shown });
    }
    v.typing = reveal.typing(&lens);
    v.revealed = reveal.done || lens.is_empty();
    v.choices = runner
        .choices()
        .into_iter()
        .map(|c| ChoiceView { index: c.index.0, text: c.text, enabled: c.enabled, reason: c.reason, asks: c.input.is_some() })
        .collect();
    if let Some((index, text)) = &ui_state.prompt
        && let Some((prompt, default)) = runner.choices().into_iter().find(|c| c.index == *index).and_then(|c| c.input)
    {
        v.prompt = Some(PromptView { index: *index, prompt, default, text: text.clone() });
    }
    v.ending = runner.ended().and_then(|i| story.ending(i).map(|e| (i, e))).map(|(i, e)| EndingView {
        title: e.title.clone(),
        description: runner.ending_description(i),
        found: (story.endings.iter().filter(|d| gallery.reached.contains(&d.id)).count(), story.endings.len()),
    });
    v.stuck = runner.page().stuck.clone();
    if session.writing() {
        v.broken = runner.page().broken.iter().map(|&s| story.broken_message(s)).collect();
    }
    v.undo_depth = runner.undo_depth();
    v.migration = ui_state.migration.clone();
    v.reload_errors = session.reload_errors().iter().filter(|d| d.severity == Severity::Error).map(|d| d.one_line()).collect();
    if ui_state.history_open {
        let turns = runner.log().len();
        let reach = turns - runner.undo_depth();
        v.history = Some(
            session
                .backlog()
                .iter()
                .map(|e| match e {
                    BacklogEntry::Passage { speaker: s, text } => HistoryLine::Passage(speaker(*s), text.clone()),
                    BacklogEntry::Choice { text, turn } => {
                        HistoryLine::Choice { text: text.clone(), turn: *turn, undo_steps: (*turn > reach).then(|| turns - turn + 1) }
                    }
                    BacklogEntry::Gap => HistoryLine::Gap,
                })
                .collect(),
        );
    }
    v
}

#[allow(clippy::too_many_arguments)]
fn show(
    mut contexts: EguiContexts,
    session: Res<Session>,
    mut reveal: ResMut<Reveal>,
    settings: Res<Settings>,
    gallery: Res<Gallery>,
    mood: Res<MoodPalette>,
    mut ui_state: ResMut<UiState>,
    mut commands: MessageWriter<StoryCommand>,
    mut next: ResMut<NextState<Screen>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let palette = palette_now(ctx, &mood);
    let time = ctx.input(|i| i.time);
    let v = view(&session, &reveal, &settings, &gallery, &ui_state, time, palette);
    if v.typing || !v.revealed && v.passages.is_empty() {
        ctx.request_repaint();
    }
    let action = page(ctx, &palette, |ui| play_screen(ui, &v));
    let Some(action) = action else { return Ok(()) };
    match action {
        PlayAction::Advance => {
            reveal.press(&passage_lengths(&session));
            ctx.request_repaint();
        }
        PlayAction::Choose { index, input } => {
            ui_state.prompt = None;
            ctx.memory_mut(|m| m.surrender_focus(m.focused().unwrap_or(egui::Id::NULL)));
            commands.write(StoryCommand::Choose { index: crate::narrative::ChoiceIndex(index), input });
        }
        PlayAction::OpenPrompt(index) => {
            ui_state.prompt = Some((index, String::new()));
            ui_state.prompt_opened = time;
        }
        PlayAction::EditPrompt(text) => {
            // The number key that opened the prompt can arrive as text a frame later.
            let stray_key = time - ui_state.prompt_opened < 0.4 && text.len() == 1 && text.chars().all(|c| c.is_ascii_digit());
            if let Some(p) = &mut ui_state.prompt
                && !(stray_key && p.1.is_empty())
            {
                p.1 = text;
            }
        }
        PlayAction::CancelPrompt => ui_state.prompt = None,
        PlayAction::Undo(steps) => {
            commands.write(StoryCommand::Undo(steps));
        }
        PlayAction::ToggleHistory => ui_state.history_open = !ui_state.history_open,
        PlayAction::DismissMigration => ui_state.migration.clear(),
        PlayAction::Save => {
            ui_state.saves_can_save = true;
            ui_state.back_to = Some(Screen::Playing);
            next.set(Screen::Saves);
        }
        PlayAction::Settings => {
            ui_state.back_to = Some(Screen::Playing);
            next.set(Screen::Settings);
        }
        PlayAction::Endings => {
            ui_state.back_to = Some(Screen::Playing);
            next.set(Screen::Endings);
        }
        PlayAction::Title => {
            ui_state.history_open = false;
            next.set(Screen::Title);
        }
        PlayAction::NewGame => {
            commands.write(StoryCommand::NewGame);
        }
    }
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, show.in_set(ScreenPass).run_if(in_state(Screen::Playing)));
}
