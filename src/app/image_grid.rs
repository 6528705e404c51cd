//! The ResNet's preview: test images with the class the model predicts now (green when right,
//! red when wrong) and the true class in brackets. Class names are Fashion-MNIST's only for
//! Fashion-MNIST; the user's own set shows class numbers.

use crate::data::ImageBatch;

/// The grid's images as textures, rebuilt whenever the images change (not only their count:
/// the user's own set has as many test images in the grid as Fashion-MNIST).
#[derive(Default)]
pub struct GridTextures {
    key: Option<u64>,
    textures: Vec<egui::TextureHandle>,
}

impl GridTextures {
    /// Whether the textures were made from other images than `batch`'s.
    pub fn stale(&self, batch: &ImageBatch) -> bool {
        self.key != Some(fingerprint(batch))
    }

    fn refresh(&mut self, ctx: &egui::Context, batch: &ImageBatch) {
        if !self.stale(batch) {
            return;
        }
        self.key = Some(fingerprint(batch));
        self.textures.clear();
        let n = batch.labels.len();
        let side = ((batch.pixels.len() / n.max(1)) as f64).sqrt() as usize;
        for i in 0..n {
            let pixels = &batch.pixels[i * side * side..(i + 1) * side * side];
            // Undo the normalisation for display: the range of the image maps to black..white.
            let (lo, hi) = pixels
                .iter()
                .fold((f32::MAX, f32::MIN), |(lo, hi), &p| (lo.min(p), hi.max(p)));
            let grey: Vec<u8> = pixels
                .iter()
                .map(|&p| ((p - lo) / (hi - lo).max(1e-6) * 255.0) as u8)
                .collect();
            let image = egui::ColorImage::from_gray([side, side], &grey);
            self.textures.push(ctx.load_texture(
                format!("test image {i}"),
                image,
                egui::TextureOptions::NEAREST,
            ));
        }
    }
}

/// A hash of the batch's labels and pixels (which images are shown).
fn fingerprint(batch: &ImageBatch) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    batch.labels.hash(&mut h);
    for p in &batch.pixels {
        p.to_bits().hash(&mut h);
    }
    h.finish()
}

/// The name of class `c`: Fashion-MNIST's names for Fashion-MNIST, the number otherwise.
pub fn class_name(c: usize, fashion_mnist: bool) -> String {
    match crate::data::FASHION_CLASSES.get(c) {
        Some(name) if fashion_mnist => (*name).to_string(),
        _ => format!("class {c}"),
    }
}

/// The grid of `predictor`'s images, eight to a row.
pub fn image_grid_ui(
    ui: &mut egui::Ui,
    predictor: &crate::previews::ImagePredictor,
    textures: &mut GridTextures,
    fashion_mnist: bool,
) {
    let batch = &predictor.batch;
    textures.refresh(ui.ctx(), batch);
    egui::Grid::new("prediction grid")
        .spacing([6.0, 6.0])
        .show(ui, |ui| {
            for (i, texture) in textures.textures.iter().enumerate() {
                ui.vertical(|ui| {
                    ui.add(egui::Image::new((texture.id(), egui::vec2(56.0, 56.0))));
                    let truth = batch.labels[i] as usize;
                    match predictor.predicted.get(i) {
                        Some(&p) => {
                            let color = if p == truth {
                                egui::Color32::from_rgb(80, 200, 120)
                            } else {
                                egui::Color32::from_rgb(235, 90, 80)
                            };
                            ui.colored_label(color, class_name(p, fashion_mnist));
                        }
                        None => {
                            ui.weak("…");
                        }
                    }
                    ui.weak(format!("({})", class_name(truth, fashion_mnist)));
                });
                if i % 8 == 7 {
                    ui.end_row();
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(pixel: f32) -> ImageBatch {
        ImageBatch {
            pixels: vec![pixel; 2 * 4],
            labels: vec![1, 2],
        }
    }

    #[test]
    fn other_images_of_the_same_count_are_redrawn() {
        let ctx = egui::Context::default();
        let mut grid = GridTextures::default();
        let fashion = batch(0.5);
        assert!(grid.stale(&fashion));
        grid.refresh(&ctx, &fashion);
        assert!(!grid.stale(&fashion));
        assert_eq!(grid.textures.len(), 2);
        // The user's own set: as many images, other pixels.
        assert!(grid.stale(&batch(0.25)));
    }

    #[test]
    fn own_sets_show_class_numbers() {
        assert_eq!(class_name(0, true), "T-shirt/top");
        assert_eq!(class_name(0, false), "class 0");
        assert_eq!(class_name(9, false), "class 9");
    }
}
