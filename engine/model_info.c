/*
 * engine/model_info.c - a model's identity in results (see model_info.h).
 */
#include "engine/model_info.h"

#include <stdio.h>
#include <string.h>

#include "core/file.h"
#include "formats/arch.h"
#include "quant/recipe.h"

void el_model_info_of(const el_model *m, el_model_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", el_basename(m->path));
    gguf_str a;
    if (gguf_get_str(m->f, "general.architecture", &a) == 1)
        snprintf(info->arch, sizeof info->arch, "%.*s", (int)a.len, a.ptr);
    snprintf(info->type, sizeof info->type, "?");
    uint32_t ft;
    if (gguf_get_u32(m->f, "general.file_type", &ft) == 1) {
        int n;
        const el_qmix *all = el_qmix_all(&n);
        for (int i = 0; i < n; i++)
            if (all[i].ftype == ft) {
                snprintf(info->type, sizeof info->type, "%s", all[i].name);
                break;
            }
    }
    for (uint64_t i = 0; i < m->f->n_tensors; i++) {
        info->size += m->f->tensors[i].size;
        info->n_params += m->f->tensors[i].n_elements;
    }
    info->bpw = info->n_params ? (double)info->size * 8.0 / (double)info->n_params : 0;
    info->n_vocab = m->hp.n_vocab;
}

int el_model_info_json(const el_model_info *info, const char *path, json_t *obj)
{
    json_t *add = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f}", "model", path, "model_name", info->name, "model_type",
                            info->type, "arch", info->arch, "model_size", (json_int_t)info->size, "model_n_params",
                            (json_int_t)info->n_params, "bpw", info->bpw);
    if (!add)
        return -1;
    const int rc = json_object_update(obj, add);
    json_decref(add);
    return rc;
}
