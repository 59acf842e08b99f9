// tests/interop/llama_run.mjs - run a GGUF in llama.cpp (node-llama-cpp) for the tests.
//
//   node llama_run.mjs < request.json > reply.json
//   node llama_run.mjs request.json > reply.json   (a request larger than a pipe holds: node's
//                                                    readFileSync(0) can fail with EAGAIN on one)
//
// request: {"model": "m.gguf",
//           "tokenize": ["text", ...],              -> "tokens": [[ids], ...] (no BOS, specials as text)
//           "logits": [ids],                        -> "logits": [floats] after the last id (whole vocabulary)
//           "greedy": {"prompt": "text", "n": 40}}   -> "greedy": {"tokens": [...], "text": "..."}
//                                                       (BOS added as the model says)
// or {"models": ["a.gguf", "b.gguf", ...], "logits": [ids]} -> "models": [{"logits": [...]}, ...]
//    (one process for many files: node and llama.cpp start once)
// Runs on the CPU, one thread, so results do not depend on the machine's load.
import { readFileSync } from "node:fs";
import { getLlama } from "node-llama-cpp";

const req = JSON.parse(readFileSync(process.argv[2] ?? 0, "utf8"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });

async function answer(path) {
    const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
    const out = {};

    if (req.tokenize) out.tokens = req.tokenize.map((t) => Array.from(model.tokenize(t, false)));

    async function withSequence(fn) {
        // an F32 KV cache and no flash attention: llama.cpp at full precision, so differences are ours
        const ctx = await model.createContext({
            contextSize: req.context ?? 512, threads: 1, batchSize: 512, flashAttention: false,
            experimentalKvCacheKeyType: req.kv_type ?? "F32", experimentalKvCacheValueType: req.kv_type ?? "F32",
        });
        try {
            return await fn(ctx.getSequence());
        } finally {
            await ctx.dispose();
        }
    }

    if (req.logits) {
        out.logits = await withSequence(async (seq) => {
            const items = req.logits.map((t, i) => (i === req.logits.length - 1 ? [t, { generateNext: { logits: true } }] : t));
            const res = await seq.controlledEvaluate(items);
            const m = res[req.logits.length - 1].next.logits;
            const arr = new Array(m.size);
            for (const [tok, v] of m) arr[tok] = v;
            return arr;
        });
    }

    if (req.greedy) {
        out.greedy = await withSequence(async (seq) => {
            let tokens = Array.from(model.tokenize(req.greedy.prompt, false));
            if (model.tokens.shouldPrependBosToken && model.tokens.bos != null) tokens = [model.tokens.bos, ...tokens];
            const prompt = tokens.slice();
            const gen = [];
            for await (const t of seq.evaluate(tokens, { temperature: 0 })) {
                gen.push(t);
                if (gen.length >= req.greedy.n) break;
            }
            return { prompt, tokens: gen, text: model.detokenize([...prompt, ...gen]) };
        });
    }

    await model.dispose();
    return out;
}

if (req.models) {
    const all = [];
    for (const path of req.models) all.push(await answer(path));
    console.log(JSON.stringify({ models: all }));
} else {
    console.log(JSON.stringify(await answer(req.model)));
}
await llama.dispose();
