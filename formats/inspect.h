/*
 * formats/inspect.h - describe a model file as a JSON document.
 *
 * One description serves both outputs of `edgelm inspect`: printed as is with
 * --json, or rendered as text by cmd/inspect.c. For a GGUF:
 *   {"file", "format": "gguf", "version", "alignment", "file_size",
 *    "data_offset", "llama_cpp_layout",
 *    "metadata": {key: value, ...}       (all values, arrays in full)
 *    "metadata_types": {key: "u32" | "str" | "arr[str]" | ...},
 *    "tensors": [{"name", "shape" (ne[0] first), "type", "offset", "bytes"}],
 *    "totals": {"tensors", "parameters", "bytes", "bits_per_weight",
 *               "types": {"f16": count, ...}}}
 * For safetensors (a file, an index, or a Hugging Face folder):
 *   {"file", "format": "safetensors", "shards": [paths], "config": {...} (config.json
 *    when found beside it), "metadata": {...} ("__metadata__" of the first shard),
 *    "tensors": [{"name", "shape" (PyTorch order), "dtype", "offset", "bytes", "file"}],
 *    "totals": {...}}
 * "tensors" is present only when asked for. Unsigned values above 2^63-1 are
 * written as decimal strings (JSON readers lose them as numbers); NaN and
 * infinities as "nan", "inf", "-inf".
 */
#ifndef EL_FORMATS_INSPECT_H
#define EL_FORMATS_INSPECT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "formats/gguf.h"

int el_inspect(const char *path, bool with_tensors, json_t **out, el_error *err);

/* JSON for one GGUF value (strings with invalid UTF-8 get U+FFFD). NULL on OOM. */
json_t *el_gguf_value_json(const gguf_value *v);

/* "u32", "str", "arr[str]", "arr[arr]" into buf. */
const char *el_gguf_value_type(const gguf_value *v, char *buf, size_t cap);

#endif
