/*
 * engine/model_info.h - what every eval, bench and report record says about the model it measured,
 * so `edgelm report` can put results of different runs side by side by variant.
 */
#ifndef EL_ENGINE_MODEL_INFO_H
#define EL_ENGINE_MODEL_INFO_H

#include <jansson.h>
#include <stdint.h>

#include "engine/model.h"

typedef struct el_model_info {
    char name[256];      /* file name */
    char type[32];       /* the mix (general.file_type: "Q4_K_M", "F16", ...), "?" when unknown */
    char arch[32];
    uint64_t size;       /* bytes of tensor data (llama-bench's model_size) */
    uint64_t n_params;   /* elements of all tensors (llama-bench's model_n_params) */
    double bpw;          /* bits per weight: size * 8 / n_params */
    int n_vocab;
} el_model_info;

void el_model_info_of(const el_model *m, el_model_info *info);

/* {"model": path, "model_name", "model_type", "model_size", "model_n_params", "bpw", "arch"} merged into obj. */
int el_model_info_json(const el_model_info *info, const char *path, json_t *obj);

#endif
