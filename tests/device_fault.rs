//! A GPU error is recorded and reported as `Error::DeviceFault`, never a panic (the app then
//! offers a fresh device; a lost device takes the same path).

mod common;

use ire_playground::data::Corpus;
use ire_playground::models::TransformerConfig;
use ire_playground::train::TrainConfig;
use ire_playground::Error;
use std::sync::Arc;

#[test]
fn gpu_errors_are_reported_not_panicked() {
    let ctx = common::ctx();
    let corpus = Arc::new(Corpus::shakespeare().unwrap());
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let config = TrainConfig {
        steps: 4,
        batch: 2,
        eval_batches: 1,
        warmup: 0,
        ..TrainConfig::default()
    };
    let mut trainer = common::text_trainer(&ctx, model, config, corpus).unwrap();
    assert!(ctx.fault().is_none());
    // MAP_READ combines only with COPY_DST: creating this buffer is a validation error, which
    // wgpu would otherwise turn into a panic.
    let _invalid = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("deliberately invalid"),
        size: 16,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    ctx.wait_idle();
    let fault = ctx.fault().expect("the validation error is recorded");
    assert!(fault.to_lowercase().contains("usage"), "{fault}");
    match trainer.poll() {
        Err(Error::DeviceFault(message)) => assert_eq!(message, fault),
        other => panic!("expected DeviceFault, got {other:?}"),
    }
}
