// tests/interop/gguf_compare.mjs - llama.cpp's GGUF reader (node-llama-cpp's) against `edgelm inspect --json`.
//
//   node gguf_compare.mjs FILE.gguf OURS.json
//
// Reads FILE.gguf with node-llama-cpp's readGgufFileInfo (the reader behind
// `node-llama-cpp inspect gguf`), flattens its nested metadata back to dotted
// keys, and compares every key, value and tensor (name, shape, type, offset)
// with edgelm's description. Exit 0 when equal; otherwise prints each
// difference (at most 20) and exits 1.
import { readFileSync } from "node:fs";
import { readGgufFileInfo } from "node-llama-cpp";

const [file, oursPath] = process.argv.slice(2);
const ours = JSON.parse(readFileSync(oursPath, "utf8"));
const info = await readGgufFileInfo(file, { readTensorInfo: true, ignoreKeys: [] });

// ggml type names (edgelm prints names; node-llama-cpp gives ids)
const typeIds = {
    f32: 0, f16: 1, q4_0: 2, q4_1: 3, q5_0: 6, q5_1: 7, q8_0: 8, q8_1: 9, q2_K: 10, q3_K: 11, q4_K: 12,
    q5_K: 13, q6_K: 14, q8_K: 15, iq2_xxs: 16, iq2_xs: 17, iq3_xxs: 18, iq1_s: 19, iq4_nl: 20, iq3_s: 21,
    iq2_s: 22, iq4_xs: 23, i8: 24, i16: 25, i32: 26, i64: 27, f64: 28, iq1_m: 29, bf16: 30, tq1_0: 34, tq2_0: 35,
};

const diffs = [];
const diff = (msg) => { if (diffs.length < 20) diffs.push(msg); else diffs.length++; };

function flatten(obj, prefix, out) {
    for (const [k, v] of Object.entries(obj)) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
        else out[key] = v;
    }
    return out;
}

function same(a, b, type) {
    // a: node-llama-cpp value, b: edgelm JSON value
    if (Array.isArray(a)) {
        if (!Array.isArray(b) || a.length !== b.length) return false;
        const et = type && type.startsWith("arr[") ? type.slice(4, -1) : type;
        for (let i = 0; i < a.length; i++) if (!same(a[i], b[i], et)) return false;
        return true;
    }
    if (typeof a === "bigint") return BigInt(Math.round(Number(b))) === a || String(a) === String(BigInt(b));
    if (typeof a === "number" && (type === "f32" || type === "f64")) {
        if (typeof b === "string") return String(a) === b || (Number.isNaN(a) && b === "nan");
        if (a === b) return true;
        return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)); // we print 9 significant digits
    }
    return a === b;
}

const theirs = flatten(info.metadata, "", {});
const oursMeta = ours.metadata;
const types = ours.metadata_types;
for (const key of Object.keys(oursMeta)) {
    if (!(key in theirs)) { diff(`key ${key}: missing in llama.cpp's reading`); continue; }
    if (!same(theirs[key], oursMeta[key], types[key]))
        diff(`key ${key} (${types[key]}): llama.cpp reads ${JSON.stringify(theirs[key], (k, v) => typeof v === "bigint" ? String(v) : v).slice(0, 200)}, edgelm ${JSON.stringify(oursMeta[key]).slice(0, 200)}`);
}
for (const key of Object.keys(theirs)) if (!(key in oursMeta)) diff(`key ${key}: only in llama.cpp's reading`);

if (info.version !== ours.version) diff(`version ${info.version} vs ${ours.version}`);
const tensors = info.tensorInfo ?? [];
const oursT = ours.tensors ?? [];
if (tensors.length !== oursT.length) diff(`tensor count ${tensors.length} vs ${oursT.length}`);
for (let i = 0; i < Math.min(tensors.length, oursT.length); i++) {
    const t = tensors[i], o = oursT[i];
    const dims = t.dimensions.map((d) => Number(d));
    if (t.name !== o.name) diff(`tensor ${i}: name ${t.name} vs ${o.name}`);
    if (JSON.stringify(dims) !== JSON.stringify(o.shape)) diff(`tensor ${t.name}: shape ${dims} vs ${o.shape}`);
    if (t.ggmlType !== typeIds[o.type]) diff(`tensor ${t.name}: type ${t.ggmlType} vs ${o.type}`);
    if (Number(t.offset) !== o.offset) diff(`tensor ${t.name}: offset ${t.offset} vs ${o.offset}`);
}
if (diffs.length) {
    console.log(diffs.filter(Boolean).join("\n"));
    if (diffs.length > 20) console.log(`... ${diffs.length - 20} more`);
    process.exit(1);
}
console.log(`ok: ${Object.keys(oursMeta).length} keys, ${oursT.length} tensors agree`);
