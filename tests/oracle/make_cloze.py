#!/usr/bin/python3
"""Next-word cloze items from a text, in hellaswag's jsonl layout (ctx, endings, label).

For every line of the text and every word position j >= 3 of it, the context is the line's first j
words and the right ending its word j (as written, punctuation included); three distractors are
other words of the text (drawn without replacement, none equal to the answer once lower-cased and
stripped of punctuation), and the right one is put at a random place. Each position gives two items
(two draws of distractors). Positions alternate between the two outputs, so the calibration split
and the evaluation split never share a context.

  /usr/bin/python3 tests/oracle/make_cloze.py ../shared/texts/tinystories-sample.txt \
      tests/data/tasks/cloze_calib.jsonl tests/data/tasks/cloze_eval.jsonl

Deterministic (random.Random(20261206)); the outputs are committed.
"""
import json
import random
import sys


def norm(w):
    return "".join(c for c in w.lower() if c.isalnum())


def main():
    text, out_a, out_b = sys.argv[1:4]
    rng = random.Random(20261206)
    lines = [l.split() for l in open(text, encoding="utf-8").read().splitlines() if l.strip()]
    vocab = sorted({w for l in lines for w in l})
    after = {}  # previous word (normalised) -> the words seen after it
    for l in lines:
        for a, b in zip(l, l[1:]):
            after.setdefault(norm(a), set()).add(b)
    outs = ([], [])
    pos = 0
    for words in lines:
        for j in range(3, len(words)):
            answer = words[j]
            for _ in range(2):
                near = sorted(w for w in after.get(norm(words[j - 1]), ()) if norm(w) != norm(answer) and norm(w))
                pool = [w for w in vocab if norm(w) != norm(answer) and norm(w) and w not in near]
                picks = []
                for w in rng.sample(near, len(near)) + rng.sample(pool, len(pool)):
                    if norm(w) not in {norm(p) for p in picks}:
                        picks.append(w)
                    if len(picks) == 3:
                        break
                label = rng.randrange(4)
                endings = picks[:label] + [answer] + picks[label:]
                outs[pos % 2].append({"ctx": " ".join(words[:j]), "endings": endings, "label": label})
            pos += 1
    for path, items in zip((out_a, out_b), outs):
        with open(path, "w", encoding="utf-8") as f:
            for it in items:
                f.write(json.dumps(it, ensure_ascii=False) + "\n")
        print(path, len(items))


if __name__ == "__main__":
    main()
