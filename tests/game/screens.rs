//! Every screen, driven through its AccessKit tree with egui_kittest: find widgets by
//! label as a screen reader would, click or press keys, and check the action.

use bevy_egui::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use epistle::narrative::{LocatedDiagnostic, Severity, source::LineCol};
use epistle::plugin::{SlotError, SlotId, SlotInfo, SlotState};
use epistle::ui::endings::{EndingEntry, EndingsAction, EndingsView, endings_screen};
use epistle::ui::error::{ErrorAction, ErrorView, error_screen};
use epistle::ui::library::{LibraryAction, LibraryView, Shelved, library_screen};
use epistle::ui::play::{ChoiceView, EndingView, HistoryLine, PassageView, PlayAction, PlayView, PromptView, SpeakerView, play_screen};
use epistle::ui::saves::{SavesAction, SavesView, saves_screen};
use epistle::ui::settings::{SettingsAction, SettingsView, settings_screen};
use epistle::ui::title::{TitleAction, TitleView, title_screen};
use epistle::ui::{Confirm, theme::Palette};
use epistle::ui::{Settings, TextSpeed};

/// A harness showing `screen` for `view`, keeping the last action it returned.
fn harness<'a, V: 'a, A: 'a>(view: V, screen: impl Fn(&mut egui::Ui, &V) -> Option<A> + 'a) -> Harness<'a, Option<A>> {
    Harness::builder().with_size(egui::vec2(1100.0, 800.0)).build_ui_state(
        move |ui, last: &mut Option<A>| {
            if let Some(a) = screen(ui, &view) {
                *last = Some(a);
            }
        },
        None,
    )
}

fn title(continue_from: Option<&str>) -> TitleView {
    TitleView {
        title: "The Little Lamp".into(),
        author: "Test Writer".into(),
        continue_from: continue_from.map(str::to_string),
        endings: (1, 3),
        confirm_new: false,
        palette: Palette::for_mood(Default::default(), None),
        library: false,
    }
}

#[test]
fn title_shows_the_story_and_disables_continue_without_a_save() {
    let mut h = harness(title(None), title_screen);
    h.run();
    h.get_by_label("The Little Lamp");
    h.get_by_label("by Test Writer");
    h.get_by_label("1 of 3 endings found");
    assert!(h.get_by_label("Continue").accesskit_node().is_disabled());
    for label in ["New game", "Load", "Endings", "Settings", "Quit"] {
        assert!(!h.get_by_label(label).accesskit_node().is_disabled(), "{label}");
    }
    h.get_by_label("New game").click();
    h.run();
    assert_eq!(*h.state(), Some(TitleAction::NewGame));
}

#[test]
fn title_continue_is_first_and_focused_with_a_save() {
    let mut h = harness(title(Some("The Hall — A hall with one lamp.")), title_screen);
    h.run();
    let cont = h.get_by_label("Continue");
    assert!(!cont.accesskit_node().is_disabled());
    assert!(cont.is_focused(), "the keyboard starts on Continue");
    h.get_by_label("Last read: The Hall — A hall with one lamp.");
    // Enter takes the focused button: everything is reachable by keyboard.
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(*h.state(), Some(TitleAction::Continue));
}

#[test]
fn title_asks_before_a_new_game_replaces_the_autosave() {
    let mut view = title(Some("The Hall"));
    view.confirm_new = true;
    let mut h = harness(view, title_screen);
    h.run();
    h.get_by_label("Start a new story?");
    h.get_by_label("Start anew").click();
    h.run();
    assert_eq!(*h.state(), Some(TitleAction::ConfirmNewGame));
}

fn play() -> PlayView {
    let lamp = SpeakerView { name: "Lumen".into(), colour: Some([0xff, 0x9f, 0x7a]), voice: true };
    PlayView {
        chapter: "The Hall".into(),
        passages: vec![
            PassageView { speaker: None, text: "A hall with one lamp.".into(), shown: usize::MAX },
            PassageView { speaker: Some(lamp), text: "I am Lumen. Thank you.".into(), shown: usize::MAX },
        ],
        revealed: true,
        choices: vec![
            ChoiceView { index: 0, text: "Name the lamp".into(), enabled: true, reason: None, asks: true },
            ChoiceView {
                index: 1,
                text: "Open the secret door".into(),
                enabled: false,
                reason: Some("The door is too dark to find.".into()),
                asks: false,
            },
            ChoiceView { index: 2, text: "Walk away".into(), enabled: true, reason: None, asks: false },
        ],
        undo_depth: 1,
        font_size: 20.0,
        palette: Palette::for_mood(Default::default(), Some("night")),
        ..Default::default()
    }
}

#[test]
fn play_shows_passages_speakers_and_choices() {
    let mut h = harness(play(), play_screen);
    h.run();
    h.get_by_label("A hall with one lamp.");
    h.get_by_label("LUMEN");
    h.get_by_label("I am Lumen. Thank you.");
    let locked = h.get_by_label("Open the secret door (The door is too dark to find.)");
    assert!(locked.accesskit_node().is_disabled());
    h.get_by_label("Walk away").click();
    h.run();
    assert_eq!(*h.state(), Some(PlayAction::Choose { index: 2, input: None }));
}

#[test]
fn play_number_keys_choose_and_skip_locked_choices() {
    let mut h = harness(play(), play_screen);
    h.run();
    h.key_press(egui::Key::Num3);
    h.run();
    assert_eq!(*h.state(), Some(PlayAction::Choose { index: 2, input: None }));
    // 2 is the locked door: nothing happens.
    *h.state_mut() = None;
    h.key_press(egui::Key::Num2);
    h.run();
    assert_eq!(*h.state(), None);
    // 1 asks for a name first.
    h.key_press(egui::Key::Num1);
    h.run();
    assert_eq!(*h.state(), Some(PlayAction::OpenPrompt(0)));
}

#[test]
fn play_arrows_and_enter_choose() {
    let mut h = harness(play(), play_screen);
    h.run();
    assert!(!h.get_by_label("Name the lamp").is_focused(), "nothing is focused until the arrows are used");
    // Space with nothing focused takes no choice (a player pressing through the text).
    h.key_press(egui::Key::Space);
    h.run();
    assert_eq!(*h.state(), None);
    h.key_press(egui::Key::ArrowDown);
    h.run();
    assert!(h.get_by_label("Name the lamp").is_focused(), "the arrows bring the focus to the first choice");
    h.key_press(egui::Key::ArrowDown);
    h.run();
    assert!(h.get_by_label("Walk away").is_focused(), "the locked choice is skipped");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(*h.state(), Some(PlayAction::Choose { index: 2, input: None }));
}

#[test]
fn play_typing_completes_on_space_and_hides_choices() {
    let mut view = play();
    view.revealed = false;
    view.typing = true;
    view.passages[1].shown = 4;
    let mut h = harness(view, play_screen);
    h.run_steps(2);
    assert!(h.query_by_label("Walk away").is_none(), "no choices before the text is shown");
    // A screen reader reads the whole passage, not the half typed.
    h.get_by_label("I am Lumen. Thank you.");
    h.get_by_label("Click, Space or Enter to show the whole passage");
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert_eq!(*h.state(), Some(PlayAction::Advance));
}

#[test]
fn play_prompt_submits_the_typed_name() {
    let mut view = play();
    view.prompt = Some(PromptView { index: 0, prompt: "What is the lamp called?".into(), default: "Lumen".into(), text: "Beacon".into() });
    let mut h = harness(view, play_screen);
    h.run_steps(2);
    h.get_by_label("What is the lamp called?");
    h.get_by_label("OK (Enter)").click();
    h.run_steps(2);
    assert_eq!(*h.state(), Some(PlayAction::Choose { index: 0, input: Some("Beacon".into()) }));
}

#[test]
fn play_history_marks_choices_and_undoes_to_them() {
    let mut view = play();
    view.history = Some(vec![
        HistoryLine::Passage(None, "A hall with one lamp.".into()),
        HistoryLine::Choice { text: "Name the lamp: “Lumen”".into(), turn: 1, undo_steps: Some(1) },
        HistoryLine::Passage(None, "It glows.".into()),
    ]);
    let mut h = harness(view, play_screen);
    h.run_steps(2);
    h.get_by_label("History");
    h.get_by_label("You chose: Name the lamp: “Lumen”");
    h.get_by_label("Undo to here (choice 1)").click();
    h.run_steps(2);
    assert_eq!(*h.state(), Some(PlayAction::Undo(1)));
}

#[test]
fn play_ending_offers_the_gallery_and_undo() {
    let mut view = play();
    view.choices.clear();
    view.ending = Some(EndingView { title: "Dark".into(), description: "You left it dark.".into(), found: (1, 3) });
    let mut h = harness(view, play_screen);
    h.run_steps(2);
    h.get_by_label("Dark");
    h.get_by_label("1 of 3 endings found");
    h.get_by_label("Undo last choice").click();
    h.run_steps(2);
    assert_eq!(*h.state(), Some(PlayAction::Undo(1)));
}

fn slots() -> Vec<SlotInfo> {
    vec![
        SlotInfo { id: SlotId::Auto, state: SlotState::Empty },
        SlotInfo {
            id: SlotId::Manual(1),
            state: SlotState::Saved {
                chapter: "The Hall".into(),
                preview: "A hall with one lamp.".into(),
                saved_at: Some(0),
                turn: 2,
                ended: None,
            },
        },
        SlotInfo { id: SlotId::Manual(2), state: SlotState::Broken(SlotError::OtherStory("other".into())) },
        SlotInfo { id: SlotId::Manual(3), state: SlotState::Empty },
    ]
}

#[test]
fn saves_show_slots_dates_and_broken_files() {
    let view = SavesView { slots: slots(), can_save: true, palette: Palette::for_mood(Default::default(), None), ..SavesView::default() };
    let mut h = harness(view, saves_screen);
    h.run();
    h.get_by_label("The Hall");
    h.get_by_label("1970-01-01 00:00 UTC · 2 choices made");
    h.get_by_label("This file cannot be loaded");
    h.get_by_label("this save belongs to another story, `other`");
    assert_eq!(h.get_all_by_label("Save here").count(), 3, "every manual slot can be saved to, not the autosave");
    assert_eq!(h.get_all_by_label("Load").count(), 1, "only the good save loads");
    h.get_all_by_label("Save here").next().expect("a button").click();
    h.run();
    assert_eq!(*h.state(), Some(SavesAction::Save(SlotId::Manual(1))));
}

#[test]
fn saves_confirm_before_overwriting() {
    let view = SavesView {
        slots: slots(),
        can_save: true,
        confirm: Some(Confirm::Overwrite(SlotId::Manual(1))),
        palette: Palette::for_mood(Default::default(), None),
        ..SavesView::default()
    };
    let mut h = harness(view, saves_screen);
    h.run();
    h.get_by_label("Overwrite slot 1?");
    assert!(h.get_by_label("Cancel").is_focused(), "a stray Enter cancels");
    h.get_by_label("Overwrite").click();
    h.run();
    assert_eq!(*h.state(), Some(SavesAction::Confirmed(Confirm::Overwrite(SlotId::Manual(1)))));
}

#[test]
fn saves_when_loading_only_offer_no_saving() {
    let view = SavesView { slots: slots(), can_save: false, palette: Palette::for_mood(Default::default(), None), ..SavesView::default() };
    let mut h = harness(view, saves_screen);
    h.run();
    assert!(h.query_by_label("Save here").is_none());
    h.get_by_label("Load").click();
    h.run();
    assert_eq!(*h.state(), Some(SavesAction::Load(SlotId::Manual(1))));
}

#[test]
fn saves_say_where_they_are_kept_and_offer_export_and_import() {
    let view = SavesView {
        slots: slots(),
        storage_note: "Saves are kept in this browser's storage for this site.".into(),
        import_hint: "Import a save file you exported earlier.".into(),
        can_pick: true,
        palette: Palette::for_mood(Default::default(), None),
        ..SavesView::default()
    };
    let mut h = harness(view.clone(), saves_screen);
    h.run();
    h.get_by_label("Saves are kept in this browser's storage for this site.");
    assert_eq!(h.get_all_by_label("Export").count(), 1, "only a good save exports");
    h.get_by_label("Export").click();
    h.run();
    assert_eq!(*h.state(), Some(SavesAction::Export(SlotId::Manual(1))));

    let mut h = harness(view.clone(), saves_screen);
    h.run();
    h.get_by_label("Import a save file…").click();
    h.run();
    assert_eq!(*h.state(), Some(SavesAction::Import));

    // On the desktop there is no picker: the hint says to drop the file.
    let mut h = harness(SavesView { can_pick: false, ..view }, saves_screen);
    h.run();
    assert!(h.query_by_label("Import a save file…").is_none());
    h.get_by_label("Import a save file you exported earlier.");
}

#[test]
fn gallery_counts_and_shows_hints_but_hides_secrets() {
    let view = EndingsView {
        entries: vec![
            EndingEntry::Found { title: "Light".into(), description: "The lamp was lit.".into() },
            EndingEntry::Locked { hint: "Walk away.".into() },
            EndingEntry::Secret,
        ],
        palette: Palette::for_mood(Default::default(), None),
    };
    let mut h = harness(view, endings_screen);
    h.run();
    h.get_by_label("1 of 3 endings found");
    h.get_by_label("Light");
    h.get_by_label("The lamp was lit.");
    h.get_by_label("Hint: Walk away.");
    assert!(h.query_by_label_contains("Never shown").is_none());
    h.get_by_label("A secret ending. Nothing more is told until you find it.");
    h.get_by_label("Back (Esc)").click();
    h.run();
    assert_eq!(*h.state(), Some(EndingsAction::Back));
}

#[test]
fn settings_change_speed_and_theme() {
    let view = SettingsView { settings: Settings::default(), palette: Palette::for_mood(Default::default(), None) };
    let mut h = harness(view, settings_screen);
    h.run();
    h.get_by_label("Fast").click();
    h.run();
    let Some(SettingsAction::Change(s)) = h.state().clone() else { panic!("no change: {:?}", h.state()) };
    assert_eq!(s.text_speed, TextSpeed::Fast);
    h.get_by_label("High contrast").click();
    h.run();
    assert!(matches!(h.state(), Some(SettingsAction::Change(s)) if s.theme == epistle::ui::ThemeChoice::HighContrast));
    h.get_by_label("Reduce motion (no glow, waveform or colour fades)");
    h.get_by_label("Full screen");
}

#[test]
fn error_screen_lists_file_line_column_and_message() {
    let d = LocatedDiagnostic {
        severity: Severity::Error,
        code: "E0100",
        message: "unknown node `nowhere`".into(),
        labels: vec![epistle::narrative::diagnostic::LocatedLabel {
            file: "stories/broken/01-a.ron".into(),
            start: LineCol { line: 4, column: 78 },
            end: LineCol { line: 4, column: 87 },
            message: "no node has this id".into(),
            primary: true,
        }],
        help: Some("did you mean `nowhen`?".into()),
        notes: Vec::new(),
    };
    let view = ErrorView { story: "stories/broken".into(), diagnostics: vec![d], palette: Palette::for_mood(Default::default(), None) };
    let mut h = harness(view, error_screen);
    h.run();
    h.get_by_label("1 problem in stories/broken. Fix them and press Try again.");
    h.get_by_label("unknown node `nowhere`");
    h.get_by_label("stories/broken/01-a.ron:4:78 — no node has this id");
    h.get_by_label("help: did you mean `nowhen`?");
    h.get_by_label("Try again").click();
    h.run();
    assert_eq!(*h.state(), Some(ErrorAction::Retry));
}

#[test]
fn play_says_what_a_migrated_save_changed() {
    let mut view = play();
    view.migration = vec!["The story was updated since this save (saved with version 1.0.0).".into()];
    let mut h = harness(view, play_screen);
    h.run_steps(2);
    h.get_by_label("The story was updated since this save (saved with version 1.0.0).");
    h.get_by_label("Got it").click();
    h.run_steps(2);
    assert_eq!(*h.state(), Some(PlayAction::DismissMigration));
}

#[test]
fn the_library_lists_the_stories_and_opens_another() {
    // The title offers the library only when the game ships more than one story.
    let mut h = harness(title(None), title_screen);
    h.run();
    assert!(h.query_by_label("Other stories").is_none());
    let mut h = harness(TitleView { library: true, ..title(None) }, title_screen);
    h.run();
    h.get_by_label("Other stories").click();
    h.run();
    assert_eq!(h.state(), &Some(TitleAction::Library));

    let shelf = LibraryView {
        stories: vec![
            Shelved {
                title: "Dear Someone".into(),
                author: "Epistle".into(),
                note: "2 of 7 endings found".into(),
                playable: true,
                current: true,
            },
            Shelved {
                title: "The Tutorial".into(),
                author: String::new(),
                note: "0 of 2 endings found".into(),
                playable: true,
                current: false,
            },
            Shelved { title: "broken".into(), note: "Cannot be read: 3 problems".into(), ..Shelved::default() },
        ],
        palette: Palette::for_mood(Default::default(), None),
    };
    let mut h = harness(shelf, library_screen);
    h.run();
    h.get_by_label("2 of 7 endings found");
    h.get_by_label("Cannot be read: 3 problems");
    assert!(h.get_by_label("Read broken").accesskit_node().is_disabled(), "a story with errors cannot be opened");
    h.get_by_label("Read The Tutorial").click();
    h.run();
    assert_eq!(h.state(), &Some(LibraryAction::Open(1)));
    h.get_by_label("Back to Dear Someone").click();
    h.run();
    assert_eq!(h.state(), &Some(LibraryAction::Back));
}
