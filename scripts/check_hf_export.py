"""Checks a Hugging Face model directory exported by `ire-playground export --format hf`
against the playground (tests/export_hf.rs runs it): `AutoModelForCausalLM` and `AutoTokenizer`
load it; the tokenizer encodes the whole corpus to the playground's ids and decodes them back;
on the validation batches `eval` used, the logits agree with the playground's PyTorch model
(python/playground/models.py, itself checked against the engine) and the mean loss with the
engine's `eval`; `generate` runs.

Usage: check_hf_export.py HF_DIR CHECKPOINT CORPUS BATCH BATCHES ENGINE_VAL_LOSS
Prints one JSON line of what it measured; exits non-zero on a failed check."""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from playground import checkpoint as ckpt_io  # noqa: E402
from playground.data import Corpus, TextBatches  # noqa: E402
from playground.models import build  # noqa: E402

from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402


def main():
    hf_dir, ck_path, corpus_path, batch, batches, engine_val = sys.argv[1:7]
    batch, batches, engine_val = int(batch), int(batches), float(engine_val)
    ck = ckpt_io.load(ck_path)
    ours = build(ck.family, ck.config)
    ours.load_state_dict(ck.tensors, strict=True)
    ours.eval()
    seq_len = ck.config["seq_len"]
    corpus = Corpus.from_file(corpus_path, ck.vocab)
    data = TextBatches(corpus, batch, seq_len)

    tok = AutoTokenizer.from_pretrained(hf_dir)
    model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
    model.eval()

    # The whole corpus, both splits: encoded to the playground's ids and decoded back.
    every = np.concatenate([corpus.train, corpus.val])
    text = "".join(ck.vocab[i] for i in every)
    ids = tok(text)["input_ids"]
    assert ids == every.tolist(), "the tokenizer's ids differ from the playground's"
    assert tok.decode(ids) == text, "decoding does not give the text back"

    worst_logit, losses = 0.0, []
    with torch.no_grad():
        for j in range(batches):
            x, y = (torch.as_tensor(a) for a in data.eval_batch(j))
            theirs = model(x).logits
            mine, _ = ours(x)
            worst_logit = max(worst_logit, float((theirs - mine).abs().max()))
            losses.append(float(F.cross_entropy(theirs.reshape(-1, theirs.shape[-1]), y.reshape(-1))))
    val = sum(losses) / len(losses)
    rel = abs(val - engine_val) / engine_val
    prompt = tok(text[:8], return_tensors="pt").input_ids
    sample = tok.decode(model.generate(prompt, max_length=seq_len, do_sample=True)[0])
    print(json.dumps({"class": type(model).__name__, "worst_logit_difference": worst_logit,
                      "val_loss": val, "engine_val_loss": engine_val, "relative": rel,
                      "sample_chars": len(sample)}))
    assert worst_logit < 1e-5, f"logits {worst_logit:.2e} apart"
    assert rel < 1e-5, f"validation loss {val} vs the engine's {engine_val}"
    assert len(sample) == seq_len, "generate stopped early"


if __name__ == "__main__":
    main()
