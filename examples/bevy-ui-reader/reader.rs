//! A reader for Epistle stories with its own front end in `bevy_ui` (no egui): the
//! page's passages, one button per choice, and the ending. It shows how a game drives
//! the headless engine:
//!
//! - it reads [`StoryNotice`]s: `StoryReady` (start a game), `PageChanged` (draw the
//!   new page), `StoryFailed` (show why);
//! - it draws from the [`Session`] resource: `session.runner()` is the playthrough,
//!   `runner.page()` what was just read, `runner.choices()` what is offered;
//! - it writes [`StoryCommand`]s: `NewGame`, `Choose { index, input }`.
//!
//! The engine never touches this front end, and this front end never touches the
//! story's state: everything goes through those messages.

use bevy::input::mouse::{MouseScrollUnit, MouseWheel};
use bevy::prelude::*;
use epistle::narrative::ChoiceIndex;
use epistle::plugin::{EpistleSet, LoadErrors, Session, StoryCommand, StoryNotice};

/// The reader: add it beside `EpistlePlugin`.
pub struct ReaderPlugin;

impl Plugin for ReaderPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Redraw>()
            .add_systems(Startup, setup)
            // Input before the engine carries out commands; drawing after it has.
            .add_systems(Update, (press_buttons, number_keys, scroll).before(EpistleSet::Commands))
            .add_systems(Update, (follow_story, draw_page).chain().after(EpistleSet::Commands));
    }
}

/// What a button does.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Takes the choice with this index in its node.
    Choose(ChoiceIndex),
    /// Starts the story again.
    ReadAgain,
}

/// A choice shown but not available (its button does nothing).
#[derive(Component)]
pub struct Locked;

/// The column the page is drawn in.
#[derive(Component)]
pub struct PageColumn;

/// The page must be drawn again.
#[derive(Resource, Default)]
pub struct Redraw(pub bool);

/// The reading face: Noto Serif, as the bundled game uses (Bevy's built-in font is a
/// monospace meant for debugging).
#[derive(Resource, Clone)]
pub struct Serif(pub Handle<Font>);

const PAPER: Color = Color::srgb(0.96, 0.93, 0.86);
const INK: Color = Color::srgb(0.20, 0.16, 0.12);
const MUTED: Color = Color::srgb(0.50, 0.44, 0.38);
const CARD: Color = Color::srgb(0.91, 0.86, 0.77);
const CARD_HOVER: Color = Color::srgb(0.86, 0.79, 0.68);

fn setup(mut commands: Commands, mut fonts: ResMut<Assets<Font>>) {
    let serif = fonts.add(Font::from_bytes(include_bytes!("../../assets/fonts/NotoSerif-Regular.ttf").to_vec()));
    commands.insert_resource(Serif(serif));
    commands.spawn(Camera2d);
    commands.spawn((
        PageColumn,
        Node {
            width: percent(100),
            height: percent(100),
            flex_direction: FlexDirection::Column,
            align_items: AlignItems::Center,
            padding: UiRect::axes(px(48), px(40)),
            row_gap: px(14),
            overflow: Overflow::scroll_y(),
            ..default()
        },
        ScrollPosition::default(),
        BackgroundColor(PAPER),
    ));
    // Until the story has loaded.
    commands.spawn((Text::new("Opening the story…"), TextColor(MUTED), Node { position_type: PositionType::Absolute, ..default() }));
}

/// Starts a game when the story is ready (this reader has no title screen) and asks
/// for the page to be drawn when it changes or the story fails.
fn follow_story(mut notices: MessageReader<StoryNotice>, mut commands: MessageWriter<StoryCommand>, mut redraw: ResMut<Redraw>) {
    for notice in notices.read() {
        match notice {
            StoryNotice::StoryReady => {
                commands.write(StoryCommand::NewGame);
            }
            StoryNotice::PageChanged(_) | StoryNotice::StoryFailed => redraw.0 = true,
            StoryNotice::Problem(problem) => warn!("{problem}"),
            _ => {}
        }
    }
}

/// Draws the page: the chapter, each passage (with its speaker), then the choices or
/// the ending.
fn draw_page(
    mut commands: Commands,
    mut redraw: ResMut<Redraw>,
    session: Res<Session>,
    errors: Res<LoadErrors>,
    column: Single<(Entity, &mut ScrollPosition), With<PageColumn>>,
    placeholder: Query<Entity, (With<Text>, Without<ChildOf>)>,
    serif: Res<Serif>,
) {
    if !redraw.0 {
        return;
    }
    redraw.0 = false;
    for e in &placeholder {
        commands.entity(e).despawn();
    }
    let (column, mut scrolled) = column.into_inner();
    scrolled.0 = Vec2::ZERO;
    let mut page = commands.entity(column);
    page.despawn_children();
    let font = |size: f32| TextFont { font: serif.0.clone().into(), ..TextFont::from_font_size(size) };
    let width = Node { max_width: px(720), width: percent(100), ..default() };

    let Some(runner) = session.runner() else {
        // The story could not be loaded: say why, one problem a line.
        page.with_children(|page| {
            page.spawn((Text::new("This story cannot be read:"), font(26.0), TextColor(INK), width.clone()));
            for d in &errors.diagnostics {
                page.spawn((Text::new(d.one_line()), font(15.0), TextColor(MUTED), width.clone()));
            }
        });
        return;
    };
    let story = runner.story();
    let state = runner.state();
    page.with_children(|page| {
        page.spawn((Text::new(story.chapter_title(state.node).to_uppercase()), font(14.0), TextColor(MUTED), width.clone()));
        for passage in &runner.page().passages {
            if let Some(c) = passage.speaker {
                page.spawn((Text::new(runner.character_name(c)), font(14.0), TextColor(MUTED), width.clone()));
            }
            page.spawn((Text::new(passage.text.to_string()), font(22.0), TextColor(INK), width.clone()));
        }
        if let Some(ending) = runner.ended().and_then(|e| story.ending(e)) {
            page.spawn((Text::new(format!("The end: {}", ending.title)), font(28.0), TextColor(INK), width.clone()));
            spawn_button(page, "Read again".to_string(), Action::ReadAgain, false, font(19.0));
            return;
        }
        for (n, choice) in runner.choices().into_iter().enumerate() {
            let text = match &choice.reason {
                Some(why) if !choice.enabled => format!("{}. {} ({why})", n + 1, choice.text),
                _ => format!("{}. {}", n + 1, choice.text),
            };
            spawn_button(page, text, Action::Choose(choice.index), !choice.enabled, font(19.0));
        }
    });
}

fn spawn_button(page: &mut ChildSpawnerCommands, text: String, action: Action, locked: bool, font: TextFont) {
    let mut button = page.spawn((
        Button,
        action,
        Node {
            max_width: px(720),
            width: percent(100),
            padding: UiRect::axes(px(18), px(12)),
            border_radius: BorderRadius::all(px(8)),
            ..default()
        },
        BackgroundColor(CARD),
    ));
    if locked {
        button.insert(Locked);
    }
    button.with_child((Text::new(text), font, TextColor(if locked { MUTED } else { INK })));
}

/// Clicks: a pressed button sends its command; hovering shades it.
fn press_buttons(
    mut buttons: Query<(&Interaction, &Action, &mut BackgroundColor, Has<Locked>), Changed<Interaction>>,
    mut commands: MessageWriter<StoryCommand>,
) {
    for (interaction, action, mut colour, locked) in &mut buttons {
        if locked {
            continue;
        }
        colour.0 = if *interaction == Interaction::None { CARD } else { CARD_HOVER };
        if *interaction == Interaction::Pressed {
            commands.write(match action {
                Action::Choose(index) => StoryCommand::Choose { index: *index, input: None },
                Action::ReadAgain => StoryCommand::NewGame,
            });
        }
    }
}

/// The mouse wheel scrolls a long page.
fn scroll(mut wheel: MessageReader<MouseWheel>, mut column: Single<&mut ScrollPosition, With<PageColumn>>) {
    for event in wheel.read() {
        let lines = match event.unit {
            MouseScrollUnit::Line => event.y * 24.0,
            MouseScrollUnit::Pixel => event.y,
        };
        column.0.y = (column.0.y - lines).max(0.0);
    }
}

/// The number keys take the choice with that number.
fn number_keys(keys: Option<Res<ButtonInput<KeyCode>>>, session: Res<Session>, mut commands: MessageWriter<StoryCommand>) {
    let (Some(keys), Some(runner)) = (keys, session.runner()) else { return };
    const DIGITS: [KeyCode; 9] = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
        KeyCode::Digit6,
        KeyCode::Digit7,
        KeyCode::Digit8,
        KeyCode::Digit9,
    ];
    for (n, key) in DIGITS.iter().enumerate() {
        if keys.just_pressed(*key)
            && let Some(choice) = runner.choices().into_iter().nth(n).filter(|c| c.enabled)
        {
            commands.write(StoryCommand::Choose { index: choice.index, input: None });
        }
    }
}
