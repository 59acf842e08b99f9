#!/usr/bin/python3
"""tests/oracle/gptq_ref.py - numpy references for quant/hessian.c and quant/gptq.c, written from the
GPTQ paper (Frantar et al. 2022, Algorithm 1) and numpy's linear algebra, independent of edgelm's C.

    gptq_ref.py xtx N X.f32 OUT.f32            X: T x N rows -> X^T X (float64 sums, written as float32)
    gptq_ref.py factor N DAMP H.f32 OUT.f32    U upper with U^T U = (H + DAMP * mean(diag H) * I)^-1
    gptq_ref.py q8 N U.f32 X.f32 OUT.f32       each row of X quantized GPTQ's way, column by column, on
                                               Q8_0's grid (per 32: d = f16(max|w| / 127) of the block's
                                               weights when it is reached, q = clamp(floor(w / d + 1/2))),
                                               with the given U; writes the decoded rows

The q8 mode keeps float32 where the C code does (the weights and their updates) and float64 for each
column's scaled error, so the results are expected bit for bit."""
import sys
import numpy as np


def rd(path, n):
    return np.fromfile(path, dtype=np.float32).reshape(-1, n)


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    if mode == "xtx":
        x = rd(sys.argv[3], n).astype(np.float64)
        (x.T @ x).astype(np.float32).tofile(sys.argv[4])
    elif mode == "factor":
        damp = float(sys.argv[3])
        h = rd(sys.argv[4], n).astype(np.float64)
        h = h + damp * np.mean(np.diag(h)) * np.eye(n)
        u = np.linalg.cholesky(np.linalg.inv(h)).T
        u.astype(np.float32).tofile(sys.argv[5])
    elif mode == "q8":
        u = rd(sys.argv[3], n)
        xs = rd(sys.argv[4], n)
        out = np.zeros_like(xs)
        half = np.float32(0.5)
        for r in range(xs.shape[0]):
            w = xs[r].copy()
            for s in range(0, n, 32):
                amax = np.max(np.abs(w[s:s + 32]))
                d = np.float32(np.float16(amax / np.float32(127)))
                for c in range(s, s + 32):
                    q = np.floor(np.float32(w[c] / d) + half) if d != 0 else np.float32(0)
                    q = min(max(q, np.float32(-127)), np.float32(127))
                    deq = np.float32(d * q)
                    out[r, c] = deq
                    t = np.float32((np.float64(w[c]) - np.float64(deq)) / np.float64(u[c, c]))
                    w[c + 1:] -= t * u[c, c + 1:]
        out.tofile(sys.argv[5])
    else:
        sys.exit("unknown mode " + mode)


main()
