#!/usr/bin/python3
"""Generate tests/data/tok_corpus.json: 2,400 varied strings for comparing edgelm's
tokenizer with Hugging Face tokenizers (the expected ids are computed at test
time by tests/interop/hf_tokenize.mjs, from the original tokenizer.json).

Deterministic (seeded). Categories: English prose, whitespace runs (spaces,
tabs, newlines, mixed, leading/trailing), digits and numbers, contractions in
any case, code, emoji (incl. ZWJ sequences and flags), CJK, Japanese, Korean,
Arabic, Hebrew, Devanagari, Thai, Cyrillic, Greek, accents in NFC and NFD,
long words, punctuation runs, URLs and e-mail, special-token-looking text,
control characters, and random mixtures of all of them.

    /usr/bin/python3 tests/oracle/make_tok_corpus.py > tests/data/tok_corpus.json
"""
import json
import random
import sys
import unicodedata

R = random.Random(20261123)

WORDS = ("the of and to in is was he for it with as his on be at by I had not are but from or have an they which "
         "one you were all her she there would their we him been has when who will no more if out so said what up "
         "its about into than them can only other new some could time these two may then do first any my now such "
         "like our over man me even most made after also did many before must through back years where much your "
         "way well down should because each just those people Mr how too little state good very make world still "
         "own see men work long get here between both life being under never day same another know while last "
         "might us great old year off come since against go came right used take three").split()
CONTRACTIONS = ["I'm", "you're", "it's", "we'll", "they'd", "don't", "can't", "won't", "I've", "she'd", "He's",
                "WE'LL", "They'RE", "I'M", "isn'T", "y'all", "o'clock", "rock'n'roll", "'s", "'t", "'ll"]
CODE = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { a[i] += b[i]; }",
        "if x == None:\n\tpass", "#include <stdio.h>\nint main(void) { return 0; }",
        "const y = arr.map((v) => v ** 2).filter(Boolean);", "SELECT * FROM t WHERE id = 42;",
        "    indented\n        more\n", "x=1;y=2;z=x+y", "print(f\"{name!r:>10}\")", "fn main() -> Result<(), E> {}",
        "<div class=\"a\">&nbsp;</div>", "$ ls -la | grep '^d' > /dev/null 2>&1", "a_b_c__d___e", "CamelCaseWord"]
EMOJI = ["🦙", "🚀", "😶‍🌫️", "👨‍👩‍👧‍👦", "🇫🇷", "🇯🇵", "👍🏽", "❤️", "✅", "🤖", "🎉🎉🎉", "☕", "🙂🙃"]
SCRIPTS = [
    "我想在apple工作1314151天～", "今天天气很好，我们去公园散步吧。", "機械学習は楽しいです。", "ひらがなとカタカナ",
    "안녕하세요 세계", "مرحبا بالعالم", "اللغة العربية جميلة", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก",
    "Привет, мир! Как дела?", "нещо на Български", "Γειά σου Κόσμε", "Ελληνικά γράμματα", "Tiếng Việt có dấu",
    "Cửa Việt", "Ünïcödé Ëxämplé", "Straße Füße Größe", "naïve café résumé coöperate", "Ångström Øresund Æsir",
    "ﬁ ﬂ ﬀ ligatures", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "①②③ Ⅻ ½ ¾ ²³", "ſtraße", "K (Kelvin) vs K",
]
PUNCT = ["...", "!!!", "???", "?!", "------", "=======", "'''", "```", "\"\"\"", "((()))", "[]{}<>", "***", "___",
         ";;", "::", "—", "–", "…", "«»", "„“", "¿¡", "→←", "©®™", "@#$%^&*", "\\n", "~~~"]
SPECIAL = ["<|im_start|>", "<|im_end|>", "<s>", "</s>", "<|endoftext|>", "<unk>", "<|begin_of_text|>",
           "<start_of_turn>", "<pad>", "<bos>", "<|eot_id|>"]
WS = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", " \n", "\n ", " \t ", "\r\n", "\u00a0", "\u3000",
      "\u2009", "\v", "\f"]


def word():
    w = R.choice(WORDS)
    r = R.random()
    if r < 0.1:
        w = w.upper()
    elif r < 0.25:
        w = w.capitalize()
    return w


def number():
    r = R.random()
    if r < 0.3:
        return str(R.randint(0, 10 ** R.randint(1, 12)))
    if r < 0.5:
        return f"{R.uniform(-1000, 1000):.{R.randint(1, 6)}f}"
    if r < 0.6:
        return f"{R.randint(1, 28)}/{R.randint(1, 12)}/{R.randint(1900, 2100)}"
    if r < 0.7:
        return f"{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(0, 255)}"
    if r < 0.8:
        return "3" * R.randint(1, 9)
    return f"{R.randint(1, 999):,}" + R.choice(["", "%", "kg", "km/h", "$", "€"])


def long_word():
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(R.choice(letters) for _ in range(R.randint(15, 60)))


def accents():
    s = R.choice(["café", "naïve", "résumé", "Ünïcödé", "Tiếng Việt", "Đà Nẵng", "piñata", "façade", "jalapeño"])
    return unicodedata.normalize(R.choice(["NFC", "NFC", "NFD"]), s)


def sentence():
    n = R.randint(3, 18)
    out = []
    for _ in range(n):
        r = R.random()
        if r < 0.65:
            out.append(word())
        elif r < 0.75:
            out.append(R.choice(CONTRACTIONS))
        elif r < 0.85:
            out.append(number())
        else:
            out.append(R.choice(PUNCT))
    s = " ".join(out)
    return s[0].upper() + s[1:] + R.choice([".", "!", "?", "", "..."])


GENERATORS = [
    lambda: sentence(),
    lambda: sentence() + " " + sentence(),
    lambda: R.choice(WS) * R.randint(1, 3) + sentence() + R.choice(WS) * R.randint(0, 3),
    lambda: R.choice(WS).join(word() for _ in range(R.randint(2, 8))),
    lambda: " ".join(number() for _ in range(R.randint(1, 6))),
    lambda: " ".join(R.choice(CONTRACTIONS) for _ in range(R.randint(1, 6))),
    lambda: R.choice(CODE),
    lambda: R.choice(CODE) + R.choice(CODE),
    lambda: " ".join(R.choice(EMOJI) for _ in range(R.randint(1, 5))) + " " + word(),
    lambda: R.choice(SCRIPTS),
    lambda: R.choice(SCRIPTS) + " " + sentence(),
    lambda: accents() + " " + accents(),
    lambda: long_word(),
    lambda: " ".join(long_word() for _ in range(R.randint(1, 3))),
    lambda: "".join(R.choice(PUNCT) for _ in range(R.randint(1, 6))),
    lambda: f"https://example.com/{word()}/{R.randint(1, 9999)}?q={word()}&x={number()}",
    lambda: f"{word()}.{word()}@{word()}.org",
    lambda: R.choice(SPECIAL) + word() + " " + R.choice(SPECIAL),
    lambda: "user: " + sentence() + "\n" + R.choice(SPECIAL) + "assistant\n" + sentence(),
    lambda: "".join(R.choice([word(), R.choice(WS), R.choice(PUNCT), number(), R.choice(EMOJI), R.choice(SCRIPTS)[:4]])
                    for _ in range(R.randint(2, 12))),
    lambda: " " * R.randint(1, 20),
    lambda: "\n" * R.randint(1, 8) + word(),
    lambda: word() + "\x00" + word() if R.random() < 0.2 else word() + "\x07\x1b[0m" + word(),
]


def main():
    corpus = []
    fixed = ["", " ", "a", "Hello world", " Hello world", "Hello World!", "  leading", "trailing  ",
             "multiple   spaces   here", "\t\ttabs", "line1\nline2\n\nline3", "3333333333", "1234567890",
             "I'm sure you're right", "ied 4 ½ months", "Führer", "🦙.cpp", "   \n  \n", "a\u0301", "ﬁ"]
    corpus.extend(fixed)
    while len(corpus) < 2400:
        corpus.append(R.choice(GENERATORS)())
    json.dump(corpus, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


main()
