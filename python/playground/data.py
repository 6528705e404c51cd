"""The engine's data, in the same order (src/data/): the character corpus with its train/validation
split and windows, the generated puzzles (modular addition, sparse parity), and Fashion-MNIST-style
IDX image sets with the same normalisation and
augmentation. Every random choice comes from the run's `Rng`, so a seed (or a checkpoint's
generator state) gives the same batches as the playground."""
import gzip
import math
import os
import zlib

import numpy as np

from .rng import Rng

VALIDATION_FRACTION = 0.1
MEAN = np.float32(0.2860)
STD = np.float32(0.3530)
PAD = 4
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class Corpus:
    """A character corpus: the vocabulary (sorted distinct characters) and the split (the last
    10% of characters is validation text)."""

    def __init__(self, text: str, vocab: str | None = None):
        self.vocab = vocab if vocab is not None else "".join(sorted(set(text)))
        index = {c: i for i, c in enumerate(self.vocab)}
        missing = sorted(set(text) - set(index))
        if missing:
            raise ValueError(f"characters {missing[:5]} are not in the vocabulary")
        ids = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
        if len(ids) < 1000:
            raise ValueError(f"corpus has {len(ids)} characters; at least 1000 are needed")
        split = len(ids) - int(len(ids) * VALIDATION_FRACTION)
        self.train, self.val = ids[:split], ids[split:]

    @classmethod
    def from_file(cls, path: str, vocab: str | None = None) -> "Corpus":
        """A UTF-8 text file, or zlib-compressed text (`.zlib`, as the playground ships it)."""
        with open(path, "rb") as f:
            raw = f.read()
        if path.endswith(".zlib"):
            raw = zlib.decompress(raw)
        return cls(raw.decode("utf-8"), vocab)


class TextBatches:
    """Training windows at random offsets; fixed, non-overlapping validation windows."""

    def __init__(self, corpus: Corpus, batch: int, seq_len: int):
        self.corpus, self.batch, self.seq_len = corpus, batch, seq_len
        if len(corpus.train) <= seq_len + 1:
            raise ValueError("training text is shorter than one sequence")

    def _windows(self, tokens, starts):
        rows = np.stack([tokens[s : s + self.seq_len + 1] for s in starts])
        return rows[:, :-1], rows[:, 1:]

    def train_batch(self, rng: Rng):
        """(inputs, targets), each [batch, seq_len], drawn from `rng`."""
        span = len(self.corpus.train) - self.seq_len - 1
        return self._windows(self.corpus.train, [rng.below(span) for _ in range(self.batch)])

    def eval_batches_available(self) -> int:
        return (len(self.corpus.val) - 1) // (self.batch * self.seq_len)

    def eval_batch(self, j: int):
        starts = [(j * self.batch + r) * self.seq_len for r in range(self.batch)]
        return self._windows(self.corpus.val, starts)


PUZZLE_PREFIX = "puzzle: "
PUZZLE_SEED = 0x9E3779B9  # SPLIT_SEED in src/data/puzzles.rs
IGNORE = -1  # an unscored target (the engine's u32::MAX; PyTorch's ignore_index)


def _shuffle(items: list, rng: Rng) -> None:
    """Fisher-Yates in the engine's order."""
    for i in range(len(items) - 1, 0, -1):
        j = rng.below(i + 1)
        items[i], items[j] = items[j], items[i]


class Puzzle:
    """A generated task (src/data/puzzles.rs), from the words a checkpoint's corpus source holds
    after "puzzle: " ("modadd p=97 train=0.3", "parity n=20 k=3 examples=4000 train=0.5"): its
    examples in the engine's order and split, each `length` tokens, the last the answer."""

    def __init__(self, spec: str):
        words = spec.split()
        self.kind = words[0]
        settings = dict(w.split("=", 1) for w in words[1:])
        fraction = float(np.float32(float(settings["train"])))
        rng = Rng(PUZZLE_SEED)
        if self.kind == "modadd":
            p = int(settings["p"])
            pairs = [(a, b) for a in range(p) for b in range(p)]
            _shuffle(pairs, rng)
            rows = [[2 + a, 0, 2 + b, 1, 2 + (a + b) % p] for a, b in pairs]
            self.vocab_size = p + 2
        elif self.kind == "parity":
            bits, secret, count = int(settings["n"]), int(settings["k"]), int(settings["examples"])
            positions = list(range(bits))
            _shuffle(positions, rng)
            positions = positions[:secret]
            rows = []
            for _ in range(count):
                string = [rng.below(2) for _ in range(bits)]
                rows.append(string + [2, sum(string[i] for i in positions) % 2])
            self.vocab_size = 3
        else:
            raise ValueError(f"unknown task '{self.kind}'")
        examples = np.array(rows, dtype=np.int64)
        split = math.floor(len(examples) * fraction)
        self.train, self.val = examples[:split], examples[split:]
        self.length = examples.shape[1]


class ExampleBatches:
    """A puzzle's batches (src/data/batcher.rs): a training row is a random example, validation
    row r of batch j is example j * batch + r; every target but the answer is IGNORE."""

    def __init__(self, puzzle: Puzzle, batch: int, seq_len: int):
        if puzzle.length != seq_len + 1:
            raise ValueError("the model's window does not fit the task's examples")
        self.puzzle, self.batch = puzzle, batch

    def _rows(self, examples, picks):
        rows = examples[picks]
        targets = rows[:, 1:].copy()
        targets[:, :-1] = IGNORE
        return rows[:, :-1], targets

    def train_batch(self, rng: Rng):
        count = len(self.puzzle.train)
        return self._rows(self.puzzle.train, [rng.below(count) for _ in range(self.batch)])

    def eval_batches_available(self) -> int:
        return len(self.puzzle.val) // self.batch

    def eval_batch(self, j: int):
        return self._rows(self.puzzle.val, list(range(j * self.batch, (j + 1) * self.batch)))


def _read_idx(path: str) -> np.ndarray:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: IDX data holds {data.size} bytes, its header says {dims}")
    return data.reshape(dims)


class ImageSet:
    def __init__(self, images: np.ndarray, labels: np.ndarray):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError("image and label files do not match")
        self.images, self.labels = images, labels.astype(np.int64)


class ImageData:
    """Training and test images from a folder of IDX files (`.gz` or not)."""

    def __init__(self, folder: str):
        paths = []
        for name in IDX_FILES:
            gz = os.path.join(folder, name + ".gz")
            paths.append(gz if os.path.exists(gz) else os.path.join(folder, name))
        arrays = [_read_idx(p) for p in paths]
        self.train = ImageSet(arrays[0], arrays[1])
        self.test = ImageSet(arrays[2], arrays[3])


def _normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) / np.float32(255.0) - MEAN) / STD


class ImageBatches:
    """Random training images (optionally the CIFAR augmentation: a random crop of the image
    padded by 4 zero pixels, and a horizontal flip), and fixed test batches."""

    def __init__(self, data: ImageData, batch: int, augment: bool):
        self.data, self.batch, self.augment = data, batch, augment

    def train_batch(self, rng: Rng):
        """(pixels [batch, 1, h, w] float32, labels [batch]) drawn from `rng`."""
        s = self.data.train
        h, w = s.images.shape[1:]
        out = np.empty((self.batch, h, w), dtype=np.float32)
        labels = np.empty(self.batch, dtype=np.int64)
        for b in range(self.batch):
            i = rng.below(len(s.labels))
            if self.augment:
                dy, dx = rng.below(2 * PAD + 1), rng.below(2 * PAD + 1)
                flip = rng.uniform() < 0.5
                padded = np.pad(s.images[i], PAD)
                crop = padded[dy : dy + h, dx : dx + w]
                out[b] = _normalise(crop[:, ::-1] if flip else crop)
            else:
                out[b] = _normalise(s.images[i])
            labels[b] = s.labels[i]
        return out[:, None], labels

    def eval_batches_available(self) -> int:
        return len(self.data.test.labels) // self.batch

    def eval_batch(self, j: int):
        s = self.data.test
        sl = slice(j * self.batch, (j + 1) * self.batch)
        return _normalise(s.images[sl])[:, None], s.labels[sl]
