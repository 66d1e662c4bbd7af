//! Turns egui's partial texture updates into full ones before bevy_egui uploads them.
//!
//! With bevy_egui 0.42 on Bevy 0.19, glyphs that egui adds to its font atlas through
//! partial updates (every new glyph after the first frames) did not reach the screen:
//! text laid out later showed with letters missing. bevy_egui's full-update path
//! works, so this system applies each partial update to the atlas's CPU copy (which
//! bevy_egui keeps) and hands bevy_egui the whole image instead. New glyphs appear
//! only when new text does (a page, a screen), so the extra upload is rare and small.

use bevy::prelude::*;
use bevy_egui::egui::{self, epaint::ImageDelta};
use bevy_egui::{EguiManagedTextures, EguiPostUpdateSet, EguiRenderOutput};
use std::sync::Arc;

fn merge_partial_updates(mut outputs: Query<(Entity, &mut EguiRenderOutput)>, mut managed: ResMut<EguiManagedTextures>) {
    for (entity, mut output) in &mut outputs {
        for (id, deltas) in output.textures_delta.set.iter_mut() {
            let egui::TextureId::Managed(key) = *id else { continue };
            let has_partial = deltas.iter().any(|d| d.pos.is_some());
            if !has_partial {
                continue;
            }
            // Start from the texture as bevy_egui last received it, or from a full
            // update earlier in this same batch.
            let mut base: Option<egui::ColorImage> = managed.0.get(&(entity, key)).map(|t| t.color_image.clone());
            let mut options = None;
            for d in deltas.iter() {
                let egui::ImageData::Color(img) = &d.image;
                options = Some(d.options);
                match d.pos {
                    None => base = Some((**img).clone()),
                    Some([x, y]) => {
                        let Some(b) = base.as_mut() else { continue };
                        let [w, h] = img.size;
                        for row in 0..h {
                            for col in 0..w {
                                let (tx, ty) = (x + col, y + row);
                                if tx < b.size[0] && ty < b.size[1] {
                                    b.pixels[ty * b.size[0] + tx] = img.pixels[row * w + col];
                                }
                            }
                        }
                    }
                }
            }
            if let (Some(image), Some(options)) = (base, options) {
                // Keep the CPU copy current for the next partial update.
                if let Some(t) = managed.0.get_mut(&(entity, key)) {
                    t.color_image = image.clone();
                }
                *deltas = vec![ImageDelta::full(Arc::new(image), options)].into();
            }
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PostUpdate, merge_partial_updates.after(EguiPostUpdateSet::ProcessOutput).before(EguiPostUpdateSet::PostProcessOutput));
}
