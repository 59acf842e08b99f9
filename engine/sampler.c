/*
 * engine/sampler.c - the sampling chain (see sampler.h).
 */
#include "engine/sampler.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
    int id;
    float logit;
    float p;
} cand;

struct el_sampler {
    el_sampler_params p;
    int n_vocab;
    cand *c;
    int *hist;               /* ring of recent tokens */
    int hist_n, hist_pos;
    uint64_t rng[4];         /* xoshiro256** */
};

el_sampler_params el_sampler_default_params(void)
{
    el_sampler_params p = {0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 42};
    return p;
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(el_sampler *s)
{
    uint64_t *r = s->rng, res = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
    r[2] ^= r[0];
    r[3] ^= r[1];
    r[1] ^= r[2];
    r[0] ^= r[3];
    r[2] ^= t;
    r[3] = rotl(r[3], 45);
    return res;
}

void el_sampler_reset(el_sampler *s, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        s->rng[i] = splitmix(&x);
    s->hist_n = s->hist_pos = 0;
}

el_sampler *el_sampler_new(const el_sampler_params *p, int n_vocab)
{
    el_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->p = p ? *p : el_sampler_default_params();
    s->n_vocab = n_vocab;
    s->c = malloc((size_t)n_vocab * sizeof *s->c);
    s->hist = malloc((size_t)(s->p.repeat_last_n > 0 ? s->p.repeat_last_n : 1) * sizeof *s->hist);
    if (!s->c || !s->hist) {
        el_sampler_free(s);
        return NULL;
    }
    el_sampler_reset(s, s->p.seed);
    return s;
}

void el_sampler_free(el_sampler *s)
{
    if (!s)
        return;
    free(s->c);
    free(s->hist);
    free(s);
}

void el_sampler_accept(el_sampler *s, int token)
{
    if (s->p.repeat_last_n <= 0)
        return;
    s->hist[s->hist_pos] = token;
    s->hist_pos = (s->hist_pos + 1) % s->p.repeat_last_n;
    if (s->hist_n < s->p.repeat_last_n)
        s->hist_n++;
}

/* Descending logit, then ascending id: a total order, so results never depend on the sort. */
static int by_logit(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->logit != y->logit)
        return x->logit > y->logit ? -1 : 1;
    return x->id - y->id;
}

/* p = softmax(logit / temp) over the first n candidates (sorted). */
static void softmax(cand *c, int n, float temp)
{
    float max = c[0].logit, sum = 0;
    for (int i = 0; i < n; i++) {
        c[i].p = expf((c[i].logit - max) / temp);
        sum += c[i].p;
    }
    for (int i = 0; i < n; i++)
        c[i].p /= sum;
}

int el_sample(el_sampler *s, const float *logits, float *prob)
{
    const el_sampler_params *p = &s->p;
    int n = s->n_vocab;
    for (int i = 0; i < n; i++)
        s->c[i] = (cand){i, logits[i], 0};
    /* repetition penalty: divide positive logits, multiply negative ones (each token once) */
    if (p->repeat_penalty != 1.0f && s->hist_n > 0) {
        for (int k = 0; k < s->hist_n; k++) {
            int t = s->hist[k];
            if (t < 0 || t >= n)
                continue;
            bool seen = false;
            for (int j = 0; j < k && !seen; j++)
                seen = s->hist[j] == t;
            if (seen)
                continue;
            float *l = &s->c[t].logit;
            *l = *l > 0 ? *l / p->repeat_penalty : *l * p->repeat_penalty;
        }
    }
    if (p->temp <= 0) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (s->c[i].logit > s->c[best].logit)
                best = i;
        if (prob) {
            double sum = 0;
            for (int i = 0; i < n; i++)
                sum += exp((double)s->c[i].logit - s->c[best].logit);
            *prob = (float)(1.0 / sum);
        }
        return s->c[best].id;
    }
    qsort(s->c, (size_t)n, sizeof *s->c, by_logit);
    if (p->top_k > 0 && p->top_k < n)
        n = p->top_k;
    softmax(s->c, n, 1.0f);
    if (p->top_p < 1.0f) {
        float cum = 0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cum += s->c[i].p;
            if (cum >= p->top_p) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
    }
    if (p->min_p > 0) {
        float thr = s->c[0].p * p->min_p;
        int keep = 1;
        while (keep < n && s->c[keep].p >= thr)
            keep++;
        n = keep;
    }
    softmax(s->c, n, p->temp);
    double u = (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0), cum = 0;
    int pick = n - 1;
    for (int i = 0; i < n; i++) {
        cum += s->c[i].p;
        if (u < cum) {
            pick = i;
            break;
        }
    }
    if (prob)
        *prob = s->c[pick].p;
    return s->c[pick].id;
}
