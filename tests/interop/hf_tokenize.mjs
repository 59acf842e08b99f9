// tests/interop/hf_tokenize.mjs - Hugging Face tokenizers (npm `tokenizers`, the Rust library) as the oracle.
//
//   node hf_tokenize.mjs < {"tokenizer": "tokenizer.json", "texts": [...], "special": false} > {"ids": [[...], ...]}
//
// `special`: add the tokenizer's special tokens (BOS etc.) as its post-processor says.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Tokenizer } = require("tokenizers");
const req = JSON.parse(readFileSync(0, "utf8"));
const tok = Tokenizer.fromFile(req.tokenizer);
const ids = [];
for (const t of req.texts) {
    const enc = await tok.encode(t, null, { addSpecialTokens: !!req.special });
    ids.push(Array.from(enc.getIds()));
}
const out = { ids };
if (req.decode) out.decoded = await Promise.all(ids.map((x) => tok.decode(x, false)));
console.log(JSON.stringify(out));
