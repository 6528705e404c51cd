"""A model as someone else would make it with `transformers` (tests/export_hf.rs imports it):
a randomly initialised GPT-2 (head tied to the embedding, `n_inner` left to its default) or
Llama, with a character tokenizer over Shakespeare's characters whose ids are shuffled, saved
with `save_pretrained`. With `--loss SEED BATCH`, prints instead the model's loss on the first
training batch a playground run with that seed and batch draws (python/playground: the
engine's data order), which `train --init-from` must log as its first step's loss.

Usage: foreign_hf_model.py DIR gpt2|llama
       foreign_hf_model.py DIR --loss SEED BATCH CORPUS"""
import json
import os
import random
import sys

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer, decoders, models
from transformers import (AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel,
                          LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from playground.data import Corpus, TextBatches  # noqa: E402
from playground.rng import Rng  # noqa: E402


def make(out, arch):
    corpus_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "shakespeare.txt.zlib")
    chars = Corpus.from_file(corpus_path).vocab
    ids = list(range(len(chars)))
    random.Random(7).shuffle(ids)
    tok = Tokenizer(models.BPE(vocab={c: i for c, i in zip(chars, ids)}, merges=[]))
    tok.decoder = decoders.Fuse()
    torch.manual_seed(0)
    if arch == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(vocab_size=len(chars), n_positions=32, n_embd=32, n_layer=2,
                                           n_head=4, layer_norm_epsilon=1e-5, resid_pdrop=0.0,
                                           embd_pdrop=0.0, attn_pdrop=0.0))
    else:
        model = LlamaForCausalLM(LlamaConfig(vocab_size=len(chars), hidden_size=32, intermediate_size=88,
                                             num_hidden_layers=2, num_attention_heads=4,
                                             num_key_value_heads=4, max_position_embeddings=32,
                                             rms_norm_eps=1e-5))
    model.save_pretrained(out)
    PreTrainedTokenizerFast(tokenizer_object=tok, clean_up_tokenization_spaces=False).save_pretrained(out)


def first_batch_loss(out, seed, batch, corpus_path):
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
    seq_len = model.config.max_position_embeddings if hasattr(model.config, "max_position_embeddings") \
        and model.config.model_type == "llama" else model.config.n_positions
    # The playground's ids are the sorted characters'; the model's, the tokenizer's.
    chars = "".join(sorted(tok.get_vocab(), key=lambda c: c))
    corpus = Corpus.from_file(corpus_path, chars)
    x, y = TextBatches(corpus, batch, seq_len).train_batch(Rng(seed).fork(2))
    theirs = torch.tensor([tok.convert_tokens_to_ids(c) for c in chars])
    x, y = theirs[torch.as_tensor(x)], theirs[torch.as_tensor(y)]
    with torch.no_grad():
        logits = model(x).logits
    print(json.dumps({"loss": float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)))}))


if __name__ == "__main__":
    if sys.argv[2] == "--loss":
        first_batch_loss(sys.argv[1], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        make(sys.argv[1], sys.argv[2])
