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

/*
 * Descending logit, then ascending id, NaN after every number: a total order, so results never
 * depend on the sort, and the partition in select_best stays inside the array (with NaN compared
 * as a number, no element is ever "less" than a NaN pivot and the scan ran off the end).
 */
static int by_logit(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    const bool nx = isnan(x->logit), ny = isnan(y->logit);
    if (nx != ny)
        return nx ? 1 : -1;
    if (!nx && x->logit != y->logit)
        return x->logit > y->logit ? -1 : 1;
    return x->id - y->id;
}

static void swap(cand *a, cand *b)
{
    cand t = *a;
    *a = *b;
    *b = t;
}

/* Moves the k best of c[lo..n) (by_logit order) to c[lo..lo+k), in no particular order:
 * quickselect, O(n) on average. */
static void select_best(cand *c, int lo, int n, int k)
{
    int left = lo, right = n - 1;
    const int target = lo + k - 1;
    while (left < right) {
        /* median of three as the pivot keeps sorted or reversed logits linear */
        int mid = left + (right - left) / 2;
        if (by_logit(&c[mid], &c[left]) < 0)
            swap(&c[mid], &c[left]);
        if (by_logit(&c[right], &c[left]) < 0)
            swap(&c[right], &c[left]);
        if (by_logit(&c[right], &c[mid]) < 0)
            swap(&c[right], &c[mid]);
        const cand pivot = c[mid];
        int i = left, j = right;
        while (i <= j) {
            while (by_logit(&c[i], &pivot) < 0)
                i++;
            while (by_logit(&c[j], &pivot) > 0)
                j--;
            if (i <= j)
                swap(&c[i++], &c[j--]);
        }
        if (target <= j)
            right = j;
        else if (target >= i)
            left = i;
        else
            break;
    }
}

/*
 * The candidates in sorted order, produced lazily: top-p, min-p and the draw walk
 * the best ones first and usually stop after a few dozen, so sorting all of a
 * 150K vocabulary every token would be most of the sampler's time. c[0..*sorted)
 * is the sorted prefix; this extends it to at least `need` (geometrically). The
 * order is total, so the prefix is the one a full sort would give.
 */
static inline void need_sorted(cand *c, int n, int *sorted, int need)
{
    if (need <= *sorted)
        return;
    int upto = *sorted * 2 > 64 ? *sorted * 2 : 64;
    if (upto < need)
        upto = need;
    if (upto > n)
        upto = n;
    if (upto < n)
        select_best(c, *sorted, n, upto - *sorted);
    qsort(c + *sorted, (size_t)(upto - *sorted), sizeof *c, by_logit);
    *sorted = upto;
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
    /* a NaN logit is no candidate (the engine refuses them; a caller with its own logits may not) */
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(s->c[i].logit))
            s->c[kept++] = s->c[i];
    n = kept;
    if (n == 0) {
        if (prob)
            *prob = 0.0f;
        return 0;
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
    cand *c = s->c;
    if (p->top_k > 0 && p->top_k < n) {
        select_best(c, 0, n, p->top_k);
        n = p->top_k;
    }
    float max = c[0].logit;
    for (int i = 1; i < n; i++)
        max = fmaxf(max, c[i].logit);
    /* top-p and min-p look at the distribution at temperature 1 */
    float z = 0;
    for (int i = 0; i < n; i++)
        z += expf(c[i].logit - max);
    int sorted = 0, keep = n;
    if (p->top_p < 1.0f) {
        float cum = 0;
        for (int i = 0; i < n; i++) {
            need_sorted(c, n, &sorted, i + 1);
            cum += expf(c[i].logit - max) / z;
            if (cum >= p->top_p) {
                keep = i + 1;
                break;
            }
        }
    }
    if (p->min_p > 0) {
        const float thr = p->min_p / z; /* min_p x the largest probability, 1 / z */
        int k = 1;
        for (; k < keep; k++) {
            need_sorted(c, n, &sorted, k + 1);
            if (expf(c[k].logit - max) / z < thr)
                break;
        }
        keep = k;
    }
    /* then the temperature over what is left (a sorted prefix, or all n in any order), and a draw
     * walking the best first */
    n = keep;
    float zt = 0;
    for (int i = 0; i < n; i++)
        zt += expf((c[i].logit - max) / p->temp);
    const double u = (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
    double cum = 0;
    int pick = -1;
    for (int i = 0; i < n && pick < 0; i++) {
        need_sorted(c, n, &sorted, i + 1);
        c[i].p = expf((c[i].logit - max) / p->temp) / zt;
        cum += c[i].p;
        if (u < cum)
            pick = i;
    }
    if (pick < 0) /* rounding left u above the last sum: the least likely survivor */
        pick = n - 1;
    if (prob)
        *prob = s->c[pick].p;
    return s->c[pick].id;
}
