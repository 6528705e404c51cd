//! Text sampling from a training model: the batch-1 sampler must see the trainer's current
//! weights and predict from the right position.

mod common;

use ire_playground::data::Corpus;
use ire_playground::models::{Transformer, TransformerConfig};
use ire_playground::previews::TextSampler;
use ire_playground::rng::Rng;

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

#[test]
fn greedy_sampler_follows_the_source_models_predictions() {
    let ctx = common::ctx();
    let corpus = Corpus::shakespeare().unwrap();
    let config = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    // The source is a batch-2 model, as a trainer's would be, with random weights.
    let source = Transformer::new(&ctx, config, 2, 0.0).unwrap();
    let init = source.params.initial_values(&mut Rng::new(5));
    source.load_flat(&ctx, &init);

    let mut sampler = TextSampler::new(&ctx, config, corpus.vocab.clone(), 1).unwrap();
    sampler.temperature = 0.0;
    let prompt = "ROMEO:\nWhat";
    sampler.restart(prompt).unwrap();
    let mut text: Vec<u32> = corpus.vocab.encode(prompt).unwrap();
    for _ in 0..3 {
        sampler.submit(&source.params).unwrap();
        let got = loop {
            ctx.wait_idle();
            if let Some(c) = sampler.poll().unwrap() {
                break c;
            }
        };

        // Expected: the source model's own forward pass on the same characters.
        let mut tokens = text.clone();
        tokens.resize(2 * config.seq_len, 0);
        source.tokens.write(&ctx, &tokens);
        source.forward_plan().submit(&ctx);
        let logits: Vec<f32> = source.head.logits.read_blocking(&ctx).unwrap();
        let row = text.len() - 1;
        let v = config.vocab;
        let expected = argmax(&logits[row * v..(row + 1) * v]) as u32;
        assert_eq!(
            corpus.vocab.encode(&got.to_string()).unwrap(),
            vec![expected]
        );
        text.push(expected);
    }
    assert_eq!(sampler.text(), corpus.vocab.decode(&text));
}

#[test]
fn sampled_characters_come_from_the_vocabulary_and_the_window_scrolls() {
    let ctx = common::ctx();
    let corpus = Corpus::shakespeare().unwrap();
    let config = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let source = Transformer::new(&ctx, config, 1, 0.0).unwrap();
    source.load_flat(&ctx, &source.params.initial_values(&mut Rng::new(9)));
    let mut sampler = TextSampler::new(&ctx, config, corpus.vocab.clone(), 2).unwrap();
    sampler.max_chars = 70;
    let mut produced = 0;
    while produced < 80 {
        sampler.submit(&source.params).unwrap();
        ctx.wait_idle();
        if sampler.poll().unwrap().is_some() {
            produced += 1;
        }
    }
    let text = sampler.text();
    // The prompt ("\n") plus the most recent 70 characters.
    assert_eq!(text.chars().count(), 71);
    assert!(text.starts_with('\n'));
    assert!(corpus.vocab.encode(&text).is_ok());
    assert!(
        sampler.restart("\u{1F600}").is_err(),
        "characters outside the vocabulary are refused"
    );
}
