/*
 * eval/report.h - results of eval and bench runs (their --json output, any number of files) joined
 * into one report per model variant: report.md with a table (type, bytes, bits/weight, PPL, KLD,
 * accuracy per task, prefill, decode, TTFT, peak RSS) and two SVG charts it links:
 *   size_kld.svg     model size against mean KL divergence, the Pareto front (no other variant is
 *                    both smaller and closer to the base) marked and joined;
 *   decode.svg       decode tokens/s per variant.
 * Records are joined by their "model" path. From bench records, the highest thread count's are
 * used. The charts are plain SVG (no scripts, no external fonts): they open in any browser.
 */
#ifndef EL_EVAL_REPORT_H
#define EL_EVAL_REPORT_H

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

int el_report_write(const char *const *inputs, int n_inputs, const char *out_dir, const el_report_device *dev,
                    el_report_summary *s, el_error *err);

#endif
