#!/usr/bin/python3
"""tests/oracle/iq4_dequant.py - IQ4_NL / IQ4_XS blocks decoded with numpy, from ggml's layout
(ggml-common.h block_iq4_nl / block_iq4_xs, kvalues_iq4nl), independent of edgelm's C code.

    /usr/bin/python3 tests/oracle/iq4_dequant.py iq4_nl|iq4_xs BLOCKS.bin > VALUES.f32

Writes the decoded float32 values, in order, as raw little-endian floats."""
import sys
import numpy as np

T = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113], dtype=np.float32)


def nibbles(qs):
    """16 bytes -> 32 indices: the low nibbles are elements 0-15, the high ones 16-31"""
    return np.concatenate([qs & 0xF, qs >> 4])


def iq4_nl(raw):
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    d = b[:, 0:2].copy().view(np.float16).astype(np.float32).reshape(-1)
    out = [d[i] * T[nibbles(b[i, 2:18])] for i in range(len(b))]
    return np.concatenate(out).astype(np.float32)


def iq4_xs(raw):
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 136)
    out = []
    for blk in b:
        d = blk[0:2].copy().view(np.float16).astype(np.float32)[0]
        sh = int(blk[2]) | int(blk[3]) << 8
        sl = blk[4:8]
        for g in range(8):
            ls = ((int(sl[g // 2]) >> (4 * (g % 2))) & 0xF) | (((sh >> (2 * g)) & 3) << 4)
            dl = np.float32(d * np.float32(ls - 32))
            out.append(dl * T[nibbles(blk[8 + 16 * g:8 + 16 * g + 16])])
    return np.concatenate(out).astype(np.float32)


kind, path = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
sys.stdout.buffer.write({"iq4_nl": iq4_nl, "iq4_xs": iq4_xs}[kind](raw).astype("<f4").tobytes())
