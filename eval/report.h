/*
 * eval/report.h - results of eval and bench runs (their --json output, any number of files) joined
 * into one report per model variant: report.md with a table (type, bytes, bits/weight, PPL, KLD,
 * accuracy per task, prefill, decode, TTFT, peak RSS) and the SVG charts it links:
 *   size_kld.svg       model size against mean KL divergence, the Pareto front (no other variant is
 *                      both smaller and closer to the base) marked and joined;
 *   decode.svg         decode tokens/s per variant;
 * and, when eval mc records carry "calibration", a Calibration section (ECE, Brier, AURC, the
 * threshold reaching the target accuracy) with
 *   reliability.svg    accuracy per bin of confidence against the diagonal, one series per
 *                      (variant, task), ECE in the legend;
 *   risk_coverage.svg  accuracy of the questions answered against the share answered, most
 *                      confident first, AURC in the legend;
 * and, when eval route records carry a "sweep", a Routing section (the sweep near 0, 25, 50, 75
 * and 100% routed) with
 *   route.svg          the hybrid's accuracy against the share routed to the cloud model, the
 *                      oracle router, the edge and cloud models alone, the Pareto front marked.
 * Those charts draw at most 6 series (the first ones) and say so when there are more.
 * Records are joined by their "model" path. From bench records, the highest thread count's are
 * used. The charts are plain SVG (no scripts, no external fonts): they open in any browser.
 * Calibration and routing figures are checked as they are read: one out of its range is an error
 * naming the file and the field.
 */
#ifndef EL_EVAL_REPORT_H
#define EL_EVAL_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef struct el_report_summary {
    int n_variants, n_records;
    int n_pareto;
    int n_fit; /* with a device: variants whose memory at its context fits it */
} el_report_summary;

/*
 * A device to fit (report --ram BYTES --ctx N): a variant needs its bench peak RSS, less the KV cache
 * bench had, plus kv_bytes_per_pos x N; it fits when that is at most ram. ram 0: no device.
 */
typedef struct el_report_device {
    uint64_t ram;
    int n_ctx;
} el_report_device;

/*
 * The layout of size_kld.svg, exposed so that tests can check it: the axes the points map onto, and one
 * box per label. A label sits beside its point when there is room, else at the nearest free place in the
 * plot (with a leader line); boxes never intersect one another and stay inside the plot frame. Widths
 * come from Helvetica's (Arial's) character widths at 12 px.
 */
typedef struct el_report_box {
    double x, y, w, h; /* w 0: no label (it shares another's, or no room was left) */
} el_report_box;

typedef struct el_report_pt {
    double mib, kld;   /* the point */
    const char *label; /* NULL: no label of its own (it shares one at the same spot) */
} el_report_pt;

typedef struct el_report_axes {
    double L, R, T, B;  /* the plot frame in the 720 x 440 viewBox */
    double x0, x1, y0, y1;
    bool logy;          /* y0, y1 are then log10 */
} el_report_axes;

void el_report_axes_of(const el_report_pt *p, int n, el_report_axes *a);
double el_report_px(const el_report_axes *a, double mib);
double el_report_py(const el_report_axes *a, double kld);
/* Width in px of s at font size px (Helvetica metrics and 12% for wider fallback fonts; a non-ASCII
 * character counts 1 em). */
double el_report_text_width(const char *s, double px);
/* Place the labels: box[i] for p[i]. Returns how many could not be placed (0 unless the plot is full). */
int el_report_place_labels(const el_report_axes *a, const el_report_pt *p, int n, el_report_box *box);

/*
 * The Pareto front of a routing sweep (routed ascending): front[i] when point i's accuracy is strictly
 * above that of every point routing a smaller share, and no point routing the same share is more
 * accurate. Returns how many are on it, -1 when routed is not ascending.
 */
int el_report_route_front(const double *routed, const double *acc, int n, bool *front);

int el_report_write(const char *const *inputs, int n_inputs, const char *out_dir, const el_report_device *dev,
                    el_report_summary *s, el_error *err);

#endif
