/*
 * formats/synth_tokenizer.c - the tiny preset's tokenizer.json: a byte-level
 * BPE trained here, at run time, on a built-in text.
 *
 * Ids: 0 <|endoftext|>, 1 <|im_start|>, 2 <|im_end|> (special), then the 256
 * byte symbols in byte order (GPT-2's byte-to-unicode spelling), then one id
 * per merge. Training is plain BPE: split the text into words the way the
 * GPT-2 pattern does for ASCII (optional leading space + letters / digits /
 * other), count adjacent symbol pairs weighted by word frequency, merge the
 * most frequent pair (ties: the pair that sorts first), repeat. Deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/synth.h"

static const char builtin_text[] =
    "Once upon a time, there was a little girl named Mia. She lived in a small house near a big forest. "
    "Every morning, Mia went outside to play with her dog, Max. Max was brown and fluffy, and he loved to run. "
    "One day, Mia and Max found a shiny red ball under a tree. \"Look, Max!\" Mia said. \"It is a ball!\" "
    "Max barked and wagged his tail. They played with the ball all day long. They threw it high and ran after it. "
    "When the sun went down, Mia was tired but happy. She went home and told her mom about the ball. "
    "Her mom smiled and said, \"You had a good day, Mia.\" Mia hugged her mom and went to bed.\n"
    "The next day, it was raining. Mia could not go outside. She felt sad. Her dad said, \"Let's build a fort!\" "
    "They used blankets and chairs to make a big fort in the living room. Mia and Max sat inside the fort and "
    "read a book about a brave little bird. The bird wanted to fly over the mountain, but it was scared. "
    "Its friends helped it, and together they flew over the mountain. Mia liked the story very much. "
    "\"I want to be brave like the bird,\" she said. Her dad laughed and said, \"You are brave, Mia.\"\n"
    "In the garden there were many flowers: red, yellow, blue and white. A little bee flew from flower to flower. "
    "Tom, the boy next door, liked to count the flowers. He counted 1, 2, 3, 4, 5, 6, 7, 8, 9 and 10. "
    "\"There are 10 flowers,\" he said. Mia said, \"No, there are 12!\" They counted again and laughed. "
    "Then they shared an apple and a cookie, and they were friends forever. The end.\n";

const char *el_builtin_text(void) { return builtin_text; }

/* GPT-2's byte -> printable code point mapping. */
static unsigned byte_cp(unsigned b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
        return b;
    /* the rest, in byte order, map to 256, 257, ... */
    unsigned n = 0;
    for (unsigned x = 0; x < b; x++)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255)))
            n++;
    return 256 + n;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

typedef struct word {
    int *sym;      /* symbol ids */
    int n;
    int count;     /* occurrences in the text */
} word;

typedef struct sym {
    char *text;    /* byte-level unicode spelling */
} sym;

static int class_of(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    if (c >= '0' && c <= '9')
        return 2;
    if (c == ' ' || c == '\n' || c == '\t')
        return 3;
    return 4;
}

/* Split like GPT-2's pattern on ASCII: " ?letters", " ?digits", " ?other", whitespace runs. */
static int split_words(const char *t, word **out, int *nout)
{
    int cap = 256, n = 0;
    word *w = malloc((size_t)cap * sizeof *w);
    if (!w)
        return -1;
    size_t i = 0, len = strlen(t);
    while (i < len) {
        size_t s = i;
        if (t[i] == ' ' && i + 1 < len && class_of((unsigned char)t[i + 1]) != 3)
            i++;
        int c = class_of((unsigned char)t[i]);
        while (i < len && class_of((unsigned char)t[i]) == c)
            i++;
        /* find an identical word */
        int found = -1;
        for (int k = 0; k < n; k++) {
            if (w[k].n == (int)(i - s)) {
                int same = 1;
                for (int j = 0; j < w[k].n && same; j++)
                    same = w[k].sym[j] == 3 + (unsigned char)t[s + j];
                if (same) {
                    found = k;
                    break;
                }
            }
        }
        if (found >= 0) {
            w[found].count++;
            continue;
        }
        if (n == cap) {
            cap *= 2;
            word *nw = realloc(w, (size_t)cap * sizeof *nw);
            if (!nw)
                goto oom;
            w = nw;
        }
        w[n].n = (int)(i - s);
        w[n].count = 1;
        w[n].sym = malloc((size_t)w[n].n * sizeof(int));
        if (!w[n].sym)
            goto oom;
        for (int j = 0; j < w[n].n; j++)
            w[n].sym[j] = 3 + (unsigned char)t[s + j];
        n++;
    }
    *out = w;
    *nout = n;
    return 0;
oom:
    for (int k = 0; k < n; k++)
        free(w[k].sym);
    free(w);
    return -1;
}

json_t *el_tiny_tokenizer(int vocab)
{
    if (vocab < 259 + 1)
        vocab = 260;
    sym *syms = calloc((size_t)vocab, sizeof *syms);
    json_t *root = NULL;
    word *words = NULL;
    int nwords = 0;
    if (!syms)
        return NULL;
    static const char *const specials[3] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    for (int i = 0; i < 3; i++)
        syms[i].text = strdup(specials[i]);
    for (unsigned b = 0; b < 256; b++) {
        char buf[4];
        size_t l = put_utf8(buf, byte_cp(b));
        syms[3 + b].text = strndup(buf, l);
    }
    int nsym = 259;
    json_t *merges = json_array();
    for (int i = 0; i < nsym; i++)
        if (!syms[i].text)
            goto done;
    if (split_words(builtin_text, &words, &nwords) != 0 || !merges)
        goto done;
    /* pair counts in a dense table over current symbols */
    while (nsym < vocab) {
        int best_a = -1, best_b = -1;
        long best = 0;
        long *cnt = calloc((size_t)nsym * (size_t)nsym, sizeof *cnt);
        if (!cnt)
            goto done;
        for (int k = 0; k < nwords; k++)
            for (int j = 0; j + 1 < words[k].n; j++)
                cnt[(size_t)words[k].sym[j] * (size_t)nsym + (size_t)words[k].sym[j + 1]] += words[k].count;
        for (int a = 0; a < nsym; a++)
            for (int b = 0; b < nsym; b++) {
                long c = cnt[(size_t)a * (size_t)nsym + (size_t)b];
                if (c > best || (c == best && c > 0 &&
                                 (strcmp(syms[a].text, syms[best_a].text) < 0 ||
                                  (strcmp(syms[a].text, syms[best_a].text) == 0 &&
                                   strcmp(syms[b].text, syms[best_b].text) < 0)))) {
                    best = c;
                    best_a = a;
                    best_b = b;
                }
            }
        free(cnt);
        if (best < 1)
            break; /* every word is one symbol: the text supports no more merges */
        size_t la = strlen(syms[best_a].text), lb = strlen(syms[best_b].text);
        char *m = malloc(la + lb + 1);
        char *ms = malloc(la + lb + 2);
        if (!m || !ms) {
            free(m);
            free(ms);
            goto done;
        }
        memcpy(m, syms[best_a].text, la);
        memcpy(m + la, syms[best_b].text, lb + 1);
        memcpy(ms, syms[best_a].text, la);
        ms[la] = ' ';
        memcpy(ms + la + 1, syms[best_b].text, lb + 1);
        /* a merged string could equal an existing symbol only through a repeated merge; skip those */
        int dup = 0;
        for (int k = 0; k < nsym && !dup; k++)
            dup = strcmp(syms[k].text, m) == 0;
        if (dup) {
            free(m);
            free(ms);
            break;
        }
        syms[nsym].text = m;
        json_array_append_new(merges, json_string(ms));
        free(ms);
        for (int k = 0; k < nwords; k++) {
            int o = 0;
            for (int j = 0; j < words[k].n; j++) {
                if (j + 1 < words[k].n && words[k].sym[j] == best_a && words[k].sym[j + 1] == best_b) {
                    words[k].sym[o++] = nsym;
                    j++;
                } else {
                    words[k].sym[o++] = words[k].sym[j];
                }
            }
            words[k].n = o;
        }
        nsym++;
    }
    vocab = nsym; /* the text may support fewer merges than asked */

    root = json_object();
    json_t *added = json_array();
    json_t *model = json_object();
    json_t *vmap = json_object();
    if (!root || !added || !model || !vmap) {
        json_decref(root);
        json_decref(added);
        json_decref(model);
        json_decref(vmap);
        root = NULL;
        goto done;
    }
    for (int i = 0; i < 3; i++) {
        json_t *a = json_pack("{s:i, s:s, s:b, s:b, s:b, s:b, s:b}", "id", i, "content", specials[i], "single_word", 0,
                              "lstrip", 0, "rstrip", 0, "normalized", 0, "special", 1);
        json_array_append_new(added, a);
    }
    for (int i = 0; i < vocab; i++)
        json_object_set_new(vmap, syms[i].text, json_integer(i));
    json_object_set_new(root, "version", json_string("1.0"));
    json_object_set_new(root, "truncation", json_null());
    json_object_set_new(root, "padding", json_null());
    json_object_set_new(root, "added_tokens", added);
    json_object_set_new(root, "normalizer", json_null());
    json_object_set_new(root, "pre_tokenizer",
                        json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 0, "trim_offsets", 1,
                                  "use_regex", 1));
    json_object_set_new(root, "post_processor",
                        json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 1, "trim_offsets", 0,
                                  "use_regex", 1));
    json_object_set_new(root, "decoder",
                        json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 1, "trim_offsets", 1,
                                  "use_regex", 1));
    json_object_set_new(model, "type", json_string("BPE"));
    json_object_set_new(model, "dropout", json_null());
    json_object_set_new(model, "unk_token", json_null());
    json_object_set_new(model, "continuing_subword_prefix", json_null());
    json_object_set_new(model, "end_of_word_suffix", json_null());
    json_object_set_new(model, "fuse_unk", json_false());
    json_object_set_new(model, "byte_fallback", json_false());
    json_object_set_new(model, "ignore_merges", json_false());
    json_object_set_new(model, "vocab", vmap);
    json_object_set_new(model, "merges", merges);
    merges = NULL;
    json_object_set_new(root, "model", model);
done:
    json_decref(merges);
    for (int k = 0; k < nwords; k++)
        free(words[k].sym);
    free(words);
    for (int i = 0; i < nsym; i++)
        free(syms[i].text);
    free(syms);
    return root;
}
