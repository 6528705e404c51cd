#!/usr/bin/env python3
"""Writes the embedded Fashion-MNIST subset (data/fashion-mnist/) from the full set.

The full set comes from the Debian package `dataset-fashion-mnist` (MIT licence, Zalando SE):
    apt-get download dataset-fashion-mnist && dpkg -x dataset-fashion-mnist_*.deb x
    python3 scripts/prepare_fashion_mnist.py x/usr/share/datasets/fashion-mnist
The subset keeps the IDX format (gzip-compressed, like the originals): the first 10,000
training images and the first 2,000 test images, with their labels. Both are close to
class-balanced (the originals are shuffled); the script prints the class counts.
"""
import gzip
import struct
import sys
from pathlib import Path

TRAIN, TEST = 10_000, 2_000


def read_idx(path):
    data = gzip.open(path).read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return magic, dims, data[4 + 4 * ndim:]


def write_idx(path, magic, dims, body):
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims)
    # mtime=0: the same input gives byte-identical files.
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(header + body)


def main(src):
    src, out = Path(src), Path(__file__).resolve().parent.parent / "data" / "fashion-mnist"
    out.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", TRAIN), ("t10k", TEST)):
        magic, dims, body = read_idx(src / f"{split}-images-idx3-ubyte.gz")
        size = dims[1] * dims[2]
        write_idx(out / f"{split}-images-idx3-ubyte.gz", magic, (n, dims[1], dims[2]), body[: n * size])
        magic, _, labels = read_idx(src / f"{split}-labels-idx1-ubyte.gz")
        write_idx(out / f"{split}-labels-idx1-ubyte.gz", magic, (n,), labels[:n])
        counts = [labels[:n].count(c) for c in range(10)]
        print(f"{split}: {n} images, class counts {counts}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist")
