"""The engine's random numbers, bit for bit: the PCG-XSH-RR 64/32 generator that orders data and
draws initial weights (src/rng.rs), and the PCG hash behind sampled labels and probe vectors
(shaders/common.wgsl)."""
import math

import numpy as np

MASK64 = (1 << 64) - 1
MULTIPLIER = 6364136223846793005
INCREMENT = 1442695040888963407


class Rng:
    """Deterministic pseudo-random numbers (src/rng.rs)."""

    def __init__(self, seed: int):
        self.state = (seed + INCREMENT) & MASK64
        self.next_u32()

    @classmethod
    def from_state(cls, state: int) -> "Rng":
        """Continues a saved stream (a checkpoint's `data_rng`)."""
        rng = cls.__new__(cls)
        rng.state = state & MASK64
        return rng

    def fork(self, stream: int) -> "Rng":
        """An independent generator derived from this one and `stream`."""
        return Rng(self.state ^ ((stream * 0x9E3779B97F4A7C15) & MASK64))

    def next_u32(self) -> int:
        old = self.state
        self.state = (old * MULTIPLIER + INCREMENT) & MASK64
        xorshifted = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((-rot) & 31))) & 0xFFFFFFFF

    def uniform(self) -> float:
        """Uniform in [0, 1) (an f32 in the engine; exactly representable here)."""
        return (self.next_u32() >> 8) / float(1 << 24)

    def below(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return (self.next_u32() * n) >> 32

    def normal(self) -> float:
        """Standard normal (Box-Muller in f64, rounded to f32)."""
        u1 = ((self.next_u32() >> 8) + 1.0) / float(1 << 24)
        u2 = (self.next_u32() >> 8) / float(1 << 24)
        return float(np.float32(math.sqrt(-2.0 * math.log(u1)) * math.cos(math.tau * u2)))


def pcg_hash(v: np.ndarray) -> np.ndarray:
    """The shaders' PCG hash on uint32 arrays (wrapping arithmetic)."""
    v = np.asarray(v, dtype=np.uint32)
    with np.errstate(over="ignore"):
        state = v * np.uint32(747796405) + np.uint32(2891336453)
        word = ((state >> ((state >> np.uint32(28)) + np.uint32(4))) ^ state) * np.uint32(277803737)
    return (word >> np.uint32(22)) ^ word


def uniform_at(seed: int, counter: int, index: np.ndarray) -> np.ndarray:
    """The shaders' `uniform_at(seed, counter, index)`: float32 uniforms in [0, 1)."""
    inner = pcg_hash(np.uint32(counter & 0xFFFFFFFF) ^ pcg_hash(index))
    h = pcg_hash(np.uint32(seed & 0xFFFFFFFF) ^ inner)
    return (h >> np.uint32(8)).astype(np.float32) / np.float32(16777216.0)
