#!/usr/bin/python3
"""Read the logits shards of an `edgelm distill gen|logits` run with numpy alone.

A trainer calls ``load_run(outdir)`` to get the manifest and the shard paths it lists
(every listed file checked against the manifest's size and SHA-256), then ``load_shard(path)`` on each and
iterates ``shard.records()``: every record is a token sequence ``tokens`` (int32) whose rows
``j = 0 .. len(tokens) - start - 1`` hold the teacher's top-k distribution at position
``start - 1 + j``, i.e. the prediction of token ``tokens[start + j]`` (``topk_ids`` int32
[rows, k], ``topk_logprobs`` float32 [rows, k] at temperature 1 in decreasing order,
``tail_logprob`` float32 [rows], the log of the mass outside the top k, -inf when none).
So the student is run on ``tokens``, its logits at positions ``start - 1 .. len(tokens) - 2``
are the rows to match, and ``kl_topk`` is the exact numpy reference of the KL that
`edgelm distill score` reports (distill/score.h), usable as a loss check. The format is
defined in distill/shard.h; this reader checks what the C reader (el_dshard_open) checks and
raises ValueError naming the file. Run it as a script for a summary of a folder or a shard
(`/usr/bin/python3 tools/edgelm_distill.py OUTDIR [--json|--sums|--dump-record I]`).
"""

import argparse
import hashlib
import json
import math
import os
import re
import signal
import struct
import sys
import zlib

import numpy as np

FORMAT = "edgelm.distill.logits"
INDEX_COLS = 6
MAX_HEADER = 100 * 1000 * 1000  # formats/safetensors.h ST_MAX_HEADER
MAX_DIMS = 8

# safetensors dtype -> (numpy little-endian dtype, bytes per element)
_DTYPES = {
    "BOOL": ("u1", 1), "U8": ("u1", 1), "I8": ("i1", 1), "F8_E5M2": ("u1", 1), "F8_E4M3": ("u1", 1),
    "I16": ("<i2", 2), "U16": ("<u2", 2), "F16": ("<f2", 2), "BF16": ("<u2", 2),
    "I32": ("<i4", 4), "U32": ("<u4", 4), "F32": ("<f4", 4),
    "F64": ("<f8", 8), "I64": ("<i8", 8), "U64": ("<u8", 8),
}
_INT_RE = re.compile(r"\s*[+-]?[0-9]+\Z")  # what strtoll accepts with nothing left over
_ZLIB_RE = re.compile(r"\s*(\S{1,15})(?!\S)\s*([+-]?[0-9]+)(?:,\s*([+-]?[0-9]+))?")  # sscanf "%15s %lld,%lld"


def _fail(path, msg):
    raise ValueError("%s: %s" % (path, msg))


def _no_dups(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key %r" % k)
        d[k] = v
    return d


def _parse_safetensors(path, data):
    """(metadata dict, {name: (dtype, shape, begin, end)}, buffer offset), checked as formats/safetensors_read.c."""
    size = len(data)
    if size < 8:
        _fail(path, "file is %d bytes, too short for a safetensors header" % size)
    n = struct.unpack_from("<Q", data, 0)[0]
    if n > MAX_HEADER:
        _fail(path, "header length %d exceeds the %d-byte limit" % (n, MAX_HEADER))
    if n > size - 8:
        _fail(path, "header length %d runs past the end of the %d-byte file" % (n, size))
    if n < 2 or data[8:9] != b"{":
        _fail(path, "not a safetensors file (header does not start with '{')")
    try:
        root = json.loads(bytes(data[8:8 + n]).decode("utf-8"), object_pairs_hook=_no_dups)
    except ValueError as e:
        _fail(path, "header: %s" % e)
    if not isinstance(root, dict):
        _fail(path, "header is not a JSON object")
    buf_size = size - 8 - n
    meta, tensors = {}, {}
    for name, e in root.items():
        if name == "__metadata__":
            if not isinstance(e, dict):
                _fail(path, '"__metadata__" is not an object')
            for mk, mv in e.items():
                if not isinstance(mv, str):
                    _fail(path, "\"__metadata__\" value for '%s' is not a string" % mk)
            meta = e
            continue
        if not isinstance(e, dict):
            _fail(path, "tensor '%s': header entry is not an object" % name)
        dt = e.get("dtype")
        if not isinstance(dt, str):
            _fail(path, "tensor '%s': missing or non-string \"dtype\"" % name)
        if dt not in _DTYPES:
            _fail(path, "tensor '%s': unknown dtype \"%s\"" % (name, dt))
        shape = e.get("shape")
        if not isinstance(shape, list):
            _fail(path, "tensor '%s': missing or non-array \"shape\"" % name)
        if len(shape) > MAX_DIMS:
            _fail(path, "tensor '%s': %d dimensions (at most %d)" % (name, len(shape), MAX_DIMS))
        n_el = 1
        for d in shape:
            if not isinstance(d, int) or isinstance(d, bool) or d < 0:
                _fail(path, "tensor '%s': a shape entry is not a non-negative integer" % name)
            n_el *= d
        off = e.get("data_offsets")
        if (not isinstance(off, list) or len(off) != 2 or
                not all(isinstance(x, int) and not isinstance(x, bool) for x in off)):
            _fail(path, "tensor '%s': \"data_offsets\" must be [begin, end] integers" % name)
        b, en = off
        if b < 0 or en < b:
            _fail(path, "tensor '%s': data_offsets [%d, %d] are invalid" % (name, b, en))
        if n_el * _DTYPES[dt][1] != en - b:
            _fail(path, "tensor '%s': shape x %s size is %d bytes but data_offsets span %d" %
                  (name, dt, n_el * _DTYPES[dt][1], en - b))
        if en > buf_size:
            _fail(path, "tensor '%s': data runs past the end of the file" % name)
        tensors[name] = (dt, shape, b, en)
    spans = sorted((t[2], t[3], k) for k, t in tensors.items())
    for (b0, e0, a), (b1, e1, c) in zip(spans, spans[1:]):
        if e0 > b1 and e0 > b0 and e1 > b1:
            _fail(path, "tensors '%s' and '%s' overlap" % (a, c))
    return meta, tensors, 8 + n


def _meta_int(meta, key, lo, hi):
    s = meta.get(key)
    if not isinstance(s, str) or not _INT_RE.match(s):
        return None
    v = int(s)
    return v if lo <= v <= hi else None


def _load_tensor(path, data, meta, tensors, base, name, dtypes, n_dims):
    """(numpy array, dtype name) of tensor `name`, inflated when "zlib.NAME" is in the metadata."""
    if name not in tensors:
        _fail(path, "no tensor %s: not a distill logits shard" % name)
    dt, shape, b, en = tensors[name]
    raw = data[base + b:base + en]
    z = meta.get("zlib." + name)
    if z is not None:
        m = _ZLIB_RE.match(z)
        sh = [int(g) for g in m.groups()[1:] if g is not None] if m else []
        if not m or m.group(1) not in _DTYPES or any(d < 0 for d in sh) or dt != "U8":
            _fail(path, '%s: bad compression entry "%s"' % (name, z))
        dt, shape = m.group(1), sh
    if dt not in dtypes or len(shape) != n_dims:
        _fail(path, "tensor %s: unexpected dtype %s or rank %d" % (name, dt, len(shape)))
    npdt, size = _DTYPES[dt]
    nbytes = size * int(np.prod(shape, dtype=object))
    if z is not None:
        d = zlib.decompressobj()
        try:
            out = d.decompress(bytes(raw), nbytes + 1)
        except zlib.error:
            out = None
        if out is None or len(out) != nbytes or not d.eof:
            _fail(path, "tensor %s: its zlib data does not inflate to %d bytes" % (name, nbytes))
        raw = out
    elif len(raw) != nbytes:
        _fail(path, "tensor %s: size mismatch" % name)
    return np.frombuffer(raw, dtype=npdt).reshape(shape), dt


class Shard:
    """A checked logits shard: k, n_vocab, version, index [R,6] int64, input_ids [T] int32,
    topk_ids [N,k] int32, topk_logprobs [N,k] float32, tail_logprob [N] float32."""

    def __init__(self, path, meta, k, n_vocab, index, input_ids, topk_ids, topk_logprobs, tail_logprob):
        self.path, self.metadata = path, meta
        self.version = meta.get("version")
        self.k, self.n_vocab = k, n_vocab
        self.index, self.input_ids = index, input_ids
        self.topk_ids, self.topk_logprobs, self.tail_logprob = topk_ids, topk_logprobs, tail_logprob

    def __len__(self):
        return self.index.shape[0]

    @property
    def n_rows(self):
        return self.topk_ids.shape[0]

    def record(self, i):
        """Record i as a dict (numpy views into the shard's arrays)."""
        rid, sub, off, n_tok, start, row = (int(x) for x in self.index[i])
        rows = slice(row, row + n_tok - start)
        return {"id": rid, "sub": sub, "tokens": self.input_ids[off:off + n_tok], "start": start,
                "topk_ids": self.topk_ids[rows], "topk_logprobs": self.topk_logprobs[rows],
                "tail_logprob": self.tail_logprob[rows]}

    def records(self):
        """Yield every record: {id, sub, tokens, start, topk_ids, topk_logprobs, tail_logprob};
        row j predicts tokens[start + j] from position start - 1 + j."""
        for i in range(len(self)):
            yield self.record(i)


def load_shard(path):
    """Open and check a logits-NNNNN.safetensors file (what el_dshard_open checks); ValueError names the file."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    meta, tensors, base = _parse_safetensors(path, data)
    if meta.get("format") != FORMAT:
        _fail(path, 'not a distill logits shard (no format "%s" in its metadata)' % FORMAT)
    k = _meta_int(meta, "k", 1, 1 << 16)
    nv = _meta_int(meta, "n_vocab", 1, 2**31 - 1)
    if k is None or nv is None or k > nv:
        _fail(path, "missing or bad k / n_vocab in the metadata")
    lt = lambda name, dts, nd: _load_tensor(path, data, meta, tensors, base, name, dts, nd)[0]
    index = lt("index", ("I64",), 2)
    if index.shape[1] != INDEX_COLS:
        _fail(path, "index has %d columns, not %d" % (index.shape[1], INDEX_COLS))
    input_ids = lt("input_ids", ("I32",), 1)
    ids = lt("topk_ids", ("U16", "I32"), 2)
    lp = lt("topk_logprobs", ("F16",), 2)
    tail = lt("tail_logprob", ("F16",), 1)
    if ids.shape[1] != k or lp.shape[1] != k or ids.shape[0] != lp.shape[0] or tail.shape[0] != ids.shape[0]:
        _fail(path, "top-k tensors disagree on their shapes (k = %d)" % k)
    n_meta = _meta_int(meta, "records", 0, 2**63 - 1)
    if n_meta is None or n_meta != index.shape[0]:
        _fail(path, "the metadata counts %s records; the index holds %d" % (n_meta, index.shape[0]))
    index = index.astype(np.int64)
    input_ids = input_ids.astype(np.int32)
    ids = ids.astype(np.int32)
    bad = np.flatnonzero((input_ids < 0) | (input_ids >= nv))
    if bad.size:
        _fail(path, "input_ids[%d] = %d is outside the vocabulary (%d)" % (bad[0], input_ids[bad[0]], nv))
    bad = np.flatnonzero((ids < 0) | (ids >= nv))
    if bad.size:
        _fail(path, "topk_ids holds %d, outside the vocabulary (%d)" % (ids.reshape(-1)[bad[0]], nv))
    n_tok, n_row = input_ids.shape[0], ids.shape[0]
    tok = row = 0
    for r in range(index.shape[0]):
        rid, _, off, nt, st, ro = (int(x) for x in index[r])
        if off != tok or nt < 1 or nt > n_tok - tok or st < 1 or st > nt or ro != row:
            _fail(path, "index row %d (record %d) is inconsistent" % (r, rid))
        tok += nt
        row += nt - st
    if tok != n_tok or row != n_row:
        _fail(path, "the index covers %d tokens and %d rows; the tensors hold %d and %d" % (tok, row, n_tok, n_row))
    return Shard(path, meta, k, nv, index, input_ids, ids, lp.astype(np.float32), tail.astype(np.float32))


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def load_run(outdir, verify=True, allow_incomplete=False):
    """(manifest, [shard paths]) of a run folder: the manifest's "files" entries that carry "records",
    in order. verify: check each file's size and SHA-256 against the manifest. A folder whose
    manifest is not "complete" (an interrupted run) raises ValueError unless allow_incomplete, which
    then lists the logits-NNNNN.safetensors present (unverified)."""
    outdir = os.fspath(outdir)
    mpath = os.path.join(outdir, "manifest.json")
    try:
        with open(mpath, "rb") as f:
            man = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError("%s: %s" % (mpath, e))
    if not isinstance(man, dict) or man.get("format") != "edgelm.distill":
        _fail(mpath, 'not a distill manifest (no format "edgelm.distill")')
    if man.get("status") != "complete":
        if not allow_incomplete:
            _fail(mpath, 'status is "%s", not "complete" (an unfinished run)' % man.get("status"))
        names = sorted(n for n in os.listdir(outdir) if re.match(r"logits-[0-9]{5,}\.safetensors\Z", n))
        return man, [os.path.join(outdir, n) for n in names]
    files = man.get("files")
    if not isinstance(files, list):
        _fail(mpath, 'no "files" list')
    paths = []
    for e in files:
        if not isinstance(e, dict) or not isinstance(e.get("file"), str):
            _fail(mpath, '"files" holds an entry without a "file" name')
        name = e["file"]
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            _fail(mpath, 'file name "%s" is not a plain name' % name)
        p = os.path.join(outdir, name)
        if verify:
            if not os.path.isfile(p):
                _fail(p, "listed in the manifest but missing")
            if "bytes" in e and os.path.getsize(p) != e["bytes"]:
                _fail(p, "is %d bytes; the manifest says %s" % (os.path.getsize(p), e["bytes"]))
            if "sha256" in e and _sha256(p) != e["sha256"]:
                _fail(p, "SHA-256 differs from the manifest's")
        if "records" in e:
            paths.append(p)
    return man, paths


def kl_topk(topk_logprobs, tail_logprob, student_logits_rows, topk_ids):
    """KL(teacher || student) per row over the k + 1 buckets of distill/score.h (el_distill_kl_row):
    the teacher's stored probabilities renormalized over its k tokens plus the tail, the student's
    log-softmax in float64 (from float32 logits), the student's tail = 1 - its mass on the k ids
    (at least 1e-30), and the result clamped at 0. Arrays [N,k], [N], [N,V], [N,k] give [N] float64;
    one row ([k], scalar, [V], [k]) gives a float."""
    t_lp = np.asarray(topk_logprobs, dtype=np.float32).astype(np.float64)
    t_tail = np.asarray(tail_logprob, dtype=np.float32).astype(np.float64)
    logits = np.asarray(student_logits_rows, dtype=np.float32)
    ids = np.asarray(topk_ids, dtype=np.int64)
    one = t_lp.ndim == 1
    if one:
        t_lp, t_tail, logits, ids = t_lp[None], t_tail.reshape(1), logits[None], ids[None]
    with np.errstate(all="ignore"):
        mx = logits.max(axis=1, keepdims=True).astype(np.float64)
        l64 = logits.astype(np.float64)
        lse = np.log(np.exp(l64 - mx).sum(axis=1, keepdims=True)) + mx
        q_lp = np.take_along_axis(l64, ids, axis=1) - lse
        qtop = np.exp(q_lp).sum(axis=1)
        ptail = np.where(np.isfinite(t_tail), np.exp(t_tail), 0.0)
        s = np.exp(t_lp).sum(axis=1) + ptail
        ls = np.log(s)
        lp = t_lp - ls[:, None]
        kl = (np.exp(lp) * (lp - q_lp)).sum(axis=1)
        qtail = np.maximum(1.0 - qtop, 1e-30)
        kl = kl + np.where(ptail > 0, ptail / s * (np.log(ptail / s) - np.log(qtail)), 0.0)
        kl = np.where(kl > 0, kl, 0.0)
    return float(kl[0]) if one else kl


def teacher_entropy(topk_logprobs, tail_logprob):
    """Per-row entropy (nats) of the teacher over the k + 1 buckets, renormalized as in kl_topk."""
    t_lp = np.asarray(topk_logprobs, dtype=np.float64)
    t_tail = np.asarray(tail_logprob, dtype=np.float64)
    with np.errstate(all="ignore"):
        ptail = np.where(np.isfinite(t_tail), np.exp(t_tail), 0.0)
        s = np.exp(t_lp).sum(axis=-1) + ptail
        p = np.exp(t_lp) / s[..., None]
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)
        pt = ptail / s
        return h - np.where(pt > 0, pt * np.log(pt), 0.0)


def shard_sums(shard):
    """The figures a C test compares with el_dshard_open's view of the same file. Every f16 value is a
    multiple of 2^-24, so the float64 sums are exact (order-independent) below 2^29 in magnitude."""
    lp = shard.topk_logprobs.astype(np.float64)
    tail = shard.tail_logprob.astype(np.float64)
    fin = np.isfinite(tail)
    lp_fin = np.isfinite(lp)
    return {
        "file": os.path.basename(shard.path),
        "k": shard.k,
        "n_vocab": shard.n_vocab,
        "records": len(shard),
        "rows": shard.n_rows,
        "tokens": int(shard.input_ids.shape[0]),
        "topk_logprobs_sum": float(lp.sum()) if lp_fin.all() else None,
        "topk_logprobs_nonfinite": int(lp.size - lp_fin.sum()),
        "tail_logprob_finite_sum": float(tail[fin].sum()),
        "tail_finite": int(fin.sum()),
        "topk_ids_sum": int(shard.topk_ids.astype(np.int64).sum()),
        "input_ids_sum": int(shard.input_ids.astype(np.int64).sum()),
        "index_sum": int(shard.index.sum()),
    }


def _paths(target, verify):
    if os.path.isdir(target):
        return load_run(target, verify=verify)[1]
    return [target]


def _summary(paths):
    recs = rows = toks = nbytes = 0
    ks, vocabs, ent_sum, tail_mass = set(), set(), 0.0, 0.0
    for p in paths:
        s = load_shard(p)
        recs += len(s)
        rows += s.n_rows
        toks += int(s.input_ids.shape[0])
        nbytes += os.path.getsize(p)
        ks.add(s.k)
        vocabs.add(s.n_vocab)
        ent_sum += float(teacher_entropy(s.topk_logprobs, s.tail_logprob).sum())
        with np.errstate(all="ignore"):
            tail_mass += float(np.exp(s.tail_logprob.astype(np.float64)).sum())
    one = lambda v: next(iter(v)) if len(v) == 1 else sorted(v)
    return {
        "shards": len(paths),
        "records": recs,
        "tokens": toks,
        "scored_rows": rows,
        "k": one(ks) if ks else None,
        "n_vocab": one(vocabs) if vocabs else None,
        "bytes": nbytes,
        "bytes_per_scored_token": nbytes / rows if rows else None,
        "mean_teacher_entropy": ent_sum / rows if rows else None,
        "mean_tail_mass": tail_mass / rows if rows else None,
    }


def _dump_record(paths, i):
    base = 0
    for p in paths:
        s = load_shard(p)
        if i < base + len(s):
            r = s.record(i - base)
            fin = lambda x: round(float(x), 6) if math.isfinite(x) else None
            return {"file": os.path.basename(p), "record_in_file": i - base, "id": r["id"], "sub": r["sub"],
                    "start": r["start"], "tokens": r["tokens"].tolist(), "topk_ids": r["topk_ids"].tolist(),
                    "topk_logprobs": [[fin(x) for x in row] for row in r["topk_logprobs"]],
                    "tail_logprob": [fin(x) for x in r["tail_logprob"]]}
        base += len(s)
    raise ValueError("record %d: the data holds %d records" % (i, base))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Summarize the logits shards of an edgelm distill run (distill/shard.h).")
    ap.add_argument("target", help="a run folder (with manifest.json) or one logits-NNNNN.safetensors")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print the summary as JSON")
    g.add_argument("--sums", action="store_true", help="print per-shard checksums as JSON (for the C reader test)")
    g.add_argument("--dump-record", type=int, metavar="I", help="print record I (counted over all shards) as JSON")
    ap.add_argument("--no-verify", action="store_true", help="skip the SHA-256 check against the manifest")
    a = ap.parse_args(argv)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends us quietly
    try:
        paths = _paths(a.target, not a.no_verify)
        if a.sums:
            out = {"shards": [shard_sums(load_shard(p)) for p in paths]}
            print(json.dumps(out, indent=1, allow_nan=False))
        elif a.dump_record is not None:
            print(json.dumps(_dump_record(paths, a.dump_record), allow_nan=False))
        else:
            s = _summary(paths)
            if a.json:
                print(json.dumps(s, indent=1, allow_nan=False))
            else:
                f = lambda v, fmt: fmt % v if v is not None else "-"
                print("shards                  %d" % s["shards"])
                print("records                 %d" % s["records"])
                print("tokens                  %d" % s["tokens"])
                print("scored rows             %d" % s["scored_rows"])
                print("k / n_vocab             %s / %s" % (f(s["k"], "%s"), f(s["n_vocab"], "%s")))
                print("bytes                   %d (%s per scored token)" %
                      (s["bytes"], f(s["bytes_per_scored_token"], "%.2f")))
                print("mean teacher entropy    %s nats (top-k + tail buckets)" % f(s["mean_teacher_entropy"], "%.4f"))
                print("mean tail mass          %s" % f(s["mean_tail_mass"], "%.4f"))
    except (ValueError, OSError) as e:
        print("edgelm_distill: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
