#!/usr/bin/python3
"""numpy oracle for eval mc's calibration figures (docs/calibration.md), written from the definitions,
not from edgelm's code.

  calib_oracle.py EVAL.json [CALIB.json] [TARGET]

EVAL.json and CALIB.json are `edgelm eval mc --json --per-question` outputs (each question's
log-likelihoods, label, continuation lengths in bytes, and the choice probabilities edgelm derived:
p from the log-likelihoods, p_norm from them divided by the bytes). The figures at T = 1 are computed
from those same probabilities (so that near-ties in confidence, a few ulps apart, are the same ties
on both sides), after checking them against numpy's softmax of the scores to 1e-12 and the answers
against its argmax (exit 1 if not); the temperature fit and the figures after it from the scores.
Prints JSON: for "acc" and "acc_norm": ece, ece_mass, mce, brier, nll, aurc,
risk_coverage [[threshold, coverage, acc], ...], target [threshold, coverage] or null; with
CALIB.json also "T" and "T_norm", the temperatures minimising the NLL there (a golden-section search
on ln T after a grid, numpy only), and "after": the eval figures at those temperatures.
"""
import json
import sys

import numpy as np

BINS = 15


def load(path):
    q = json.load(open(path))["questions"]
    k = max(len(x["ll"]) for x in q)
    z = np.full((len(q), k), -np.inf)
    zn = np.full((len(q), k), -np.inf)
    for i, x in enumerate(q):
        ll = np.array(x["ll"], dtype=np.float64)
        z[i, : len(ll)] = ll
        zn[i, : len(ll)] = ll / np.array(x["bytes"], dtype=np.float64)
    y = np.array([x["label"] for x in q])
    p = np.zeros((len(q), k))
    pn = np.zeros((len(q), k))
    for i, x in enumerate(q):
        p[i, : len(x["p"])] = x["p"]
        pn[i, : len(x["p_norm"])] = x["p_norm"]
    return z, zn, y, p, pn


def probs(z, T):
    s = z / T
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def nll(z, y, T):
    s = z / T
    m = s.max(axis=1, keepdims=True)
    lse = np.log(np.exp(s - m).sum(axis=1)) + m[:, 0]
    return float(np.mean(lse - s[np.arange(len(y)), y]))


def figures(z, y, T, target, given=None):
    p = probs(z, T) if given is None else given
    n = len(y)
    pred = p.argmax(axis=1)  # the first on ties, as edgelm
    conf = p[np.arange(n), pred]
    right = (pred == y).astype(np.float64)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1
    brier = float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    # equal width: bins (b/15, (b+1)/15], the first also holding 0
    b = np.clip(np.ceil(conf * BINS).astype(int) - 1, 0, BINS - 1)
    ece, mce = 0.0, 0.0
    for k in range(BINS):
        m = b == k
        if m.any():
            gap = abs(right[m].mean() - conf[m].mean())
            ece += m.sum() / n * gap
            mce = max(mce, gap)
    # equal mass: sorted ascending by confidence (stable), cut at floor(b n / 15)
    order = np.argsort(conf, kind="stable")
    ece_mass = 0.0
    for k in range(BINS):
        lo, hi = k * n // BINS, (k + 1) * n // BINS
        if hi > lo:
            idx = order[lo:hi]
            ece_mass += abs(right[idx].sum() - conf[idx].sum()) / n
    # risk-coverage at each distinct confidence; AURC = mean over questions of the risk at c >= c_i
    ts = np.unique(conf)[::-1]
    rc = []
    for t in ts:
        m = conf >= t
        rc.append([float(t), float(m.mean()), float(right[m].mean())])
    risk_at = {t: 1 - a for t, _, a in rc}
    aurc = float(np.mean([risk_at[c] for c in conf]))
    ok = [r for r in rc if r[2] >= target]
    tgt = [ok[-1][0], ok[-1][1]] if ok else None
    return {"ece": ece, "ece_mass": ece_mass, "mce": mce, "brier": brier, "nll": nll(z, y, T), "aurc": aurc,
            "acc": float(right.mean()), "risk_coverage": rc, "target": tgt}


def fit_T(z, y):
    grid = np.exp(np.linspace(np.log(1e-3), np.log(1e3), 2001))
    vals = [nll(z, y, t) for t in grid]
    i = int(np.argmin(vals))
    a, c = np.log(grid[max(i - 1, 0)]), np.log(grid[min(i + 1, len(grid) - 1)])
    g = (np.sqrt(5) - 1) / 2
    for _ in range(200):
        x1, x2 = c - g * (c - a), a + g * (c - a)
        if nll(z, y, np.exp(x1)) < nll(z, y, np.exp(x2)):
            c = x2
        else:
            a = x1
    return float(np.exp((a + c) / 2))


def check_given(path, z, zn, p, pn):
    """edgelm's probabilities are numpy's softmax of its scores, and its answers their argmax."""
    q = json.load(open(path))["questions"]
    for mine, theirs, what in ((probs(z, 1.0), p, "p"), (probs(zn, 1.0), pn, "p_norm")):
        worst = float(np.max(np.abs(mine - theirs)))
        if worst > 1e-12:
            sys.exit(f"calib_oracle: {path}: edgelm's {what} differs from the softmax of its scores by {worst:g}")
    pred = np.array([x["pred"] for x in q])
    if not np.array_equal(pred, probs(z, 1.0).argmax(axis=1)):
        sys.exit(f"calib_oracle: {path}: edgelm's answers are not the argmax of its scores")


def main():
    z, zn, y, p, pn = load(sys.argv[1])
    check_given(sys.argv[1], z, zn, p, pn)
    target = float(sys.argv[3]) if len(sys.argv) > 3 else 0.9
    out = {"acc": figures(z, y, 1.0, target, p), "acc_norm": figures(zn, y, 1.0, target, pn)}
    if len(sys.argv) > 2 and sys.argv[2] != "-":
        cz, czn, cy, _, _ = load(sys.argv[2])
        out["T"], out["T_norm"] = fit_T(cz, cy), fit_T(czn, cy)
        out["after"] = {"acc": figures(z, y, out["T"], target), "acc_norm": figures(zn, y, out["T_norm"], target)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
