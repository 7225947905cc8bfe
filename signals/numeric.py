"""The numeric pieces of the encoder's BERT forward pass: the exact GELU, one layer's weights, and how windows are
grouped into forward passes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
_BATCH_TOKENS = 4096  # real tokens per forward pass (the dense layers run on packed, unpadded tokens)
_BATCH_SCORES = 1 << 19  # windows * longest_window**2 per pass (bounds the (B, heads, L, L) attention scores)


# Abramowitz-Stegun 7.1.26: erfc(z) ~= t*(a1 + t*(a2 + t*(a3 + t*(a4 + t*a5)))) * exp(-z*z), t = 1 / (1 + p*z),
# z >= 0, absolute error < 1.5e-7. Here z = |x|/sqrt(2); the 1/sqrt(2) is folded into p and the GELU's 0.5 into a_i.
_AS_P = np.float32(0.3275911 / math.sqrt(2.0))
_AS_A = tuple(np.float32(0.5 * a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
_GELU_BLOCK = 16_384  # elements per pass: keeps the temporaries in L2 cache


def gelu(x: F32) -> F32:
    """Exact (erf) GELU, in place: max(x, 0) - 0.5 * |x| * erfc(|x| / sqrt(2)), evaluated in cache-sized blocks."""
    flat = x.reshape(-1)
    size = min(flat.size, _GELU_BLOCK)
    a_buf, t_buf, e_buf = (np.empty(size, dtype=np.float32) for _ in range(3))
    a1, a2, a3, a4, a5 = _AS_A
    for start in range(0, flat.size, size):
        v = flat[start : start + size]
        n = v.size
        a, t, e = a_buf[:n], t_buf[:n], e_buf[:n]
        np.abs(v, out=a)
        np.multiply(a, _AS_P, out=t)
        t += np.float32(1.0)
        np.reciprocal(t, out=t)
        np.multiply(a, a, out=e)
        e *= np.float32(-0.5)
        np.exp(e, out=e)
        e *= a  # |x| * exp(-x^2 / 2)
        np.multiply(t, a5, out=a)
        a += a4
        a *= t
        a += a3
        a *= t
        a += a2
        a *= t
        a += a1
        a *= t
        a *= e  # 0.5 * |x| * erfc(|x| / sqrt(2))
        np.maximum(v, np.float32(0.0), out=v)
        v -= a
    return x


@dataclass(frozen=True)
class Layer:
    qkv_w: F32  # (DIM, 3 * DIM): query (pre-scaled by 1/sqrt(head_dim)), key, value
    qkv_b: F32
    out_w: F32
    out_b: F32
    ln1_g: F32
    ln1_b: F32
    ffn_in_w: F32
    ffn_in_b: F32
    ffn_out_w: F32
    ffn_out_b: F32
    ln2_g: F32
    ln2_b: F32


def batches(lengths: Sequence[int]) -> list[range]:
    """Split length-sorted (descending) windows into forward passes: bounded tokens and attention scores, and no
    window shorter than half the longest one in its pass (limits attention padding)."""
    batches: list[range] = []
    start = 0
    while start < len(lengths):
        longest = lengths[start]
        end, tokens = start, 0
        while (
            end < len(lengths)
            and (end == start or lengths[end] * 2 >= longest)
            and (end == start or tokens + lengths[end] <= _BATCH_TOKENS)
            and (end == start or (end - start + 1) * longest * longest <= _BATCH_SCORES)
        ):
            tokens += lengths[end]
            end += 1
        batches.append(range(start, end))
        start = end
    return batches
