// bench/tok_bench_hf.mjs - Hugging Face tokenizers (npm, the Rust library) throughput, one thread.
//   RAYON_NUM_THREADS=1 node bench/tok_bench_hf.mjs tokenizer.json FILE [RUNS]
// Same chunks as bench/tok_bench.c (0x1e-separated); prints MB/s (median) and the token count.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { Tokenizer } = require("../tests/interop/node_modules/tokenizers");
const [tokPath, file, runsArg] = process.argv.slice(2);
const buf = readFileSync(file);
const chunks = buf.toString("utf8").split("\x1e");
const tok = Tokenizer.fromFile(tokPath);
const runs = Number(runsArg ?? 3);
const times = [];
let total = 0;
for (let r = 0; r < runs; r++) {
    total = 0;
    const t0 = process.hrtime.bigint();
    for (const c of chunks) {
        const enc = await tok.encode(c, null, { addSpecialTokens: false });
        total += enc.getIds().length;
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
console.log(`${(buf.length / 1e6 / times[Math.floor(runs / 2)]).toFixed(2)} ${total}`);
