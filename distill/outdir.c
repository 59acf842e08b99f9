/*
 * distill/outdir.c - committing units in groups, resuming, the manifest (see outdir.h).
 */
#include "distill/outdir.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "core/json.h"
#include "core/lines.h"
#include "core/sha256.h"

struct el_dout {
    el_dout_params p;
    char *dir, *lines_path, *manifest_path;
    json_t *head;
    int lock_fd;
    el_lines *lines;
    el_dshard_writer *sw;
    int64_t on_disk;       /* lines already in the file when opened */
    int64_t unit;          /* the next unit */
    int64_t group;         /* the group being filled */
    int64_t group_tokens;
    int64_t group_units;
    bool group_on_disk;    /* its shard already exists (a resumed group): not rewritten */
    int64_t kill_after;    /* tests: SIGKILL after this many shard files, before their lines (0: never) */
    bool fresh;            /* this run wrote the manifest (not a resume) ... */
    bool made_dir;         /* ... into a folder it created */
    bool touched;          /* a shard or lines were written (a failure then leaves them for --resume) */
    bool finished;
};

#define JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9))

void el_dout_shard_name(int64_t g, char *buf, size_t cap) { snprintf(buf, cap, "logits-%05lld.safetensors", (long long)g); }

static char *shard_path(const el_dout *o, int64_t g)
{
    char name[64];
    el_dout_shard_name(g, name, sizeof name);
    return el_path_join(o->dir, name);
}

const char *el_dout_lines_path(const el_dout *o) { return o->lines_path; }

/*
 * A fresh run that fails before writing any shard or line leaves nothing: its manifest, the empty
 * lines file and the lock go, and the folder too when the run created it. Otherwise what is
 * committed stays, for --resume.
 */
static void remove_unstarted(el_dout *o)
{
    static const char *const names[] = {".lock"};
    unlink(o->manifest_path);
    unlink(o->lines_path);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = el_path_join(o->dir, names[i]);
        if (p)
            unlink(p);
        free(p);
    }
    if (o->made_dir)
        rmdir(o->dir); /* only if empty: nothing else is ever removed */
}

void el_dout_free(el_dout *o)
{
    if (!o)
        return;
    const bool unstarted = o->fresh && !o->touched && !o->finished;
    el_lines_close(o->lines);
    o->lines = NULL;
    if (unstarted)
        remove_unstarted(o);
    el_dshard_writer_free(o->sw);
    el_dir_unlock(o->lock_fd);
    json_decref(o->head);
    free(o->dir);
    free(o->lines_path);
    free(o->manifest_path);
    free(o);
}

/* The shard files present: they must be logits-00000 .. logits-(m-1), no gaps. */
static int list_shards(const el_dout *o, int64_t *m, el_error *err)
{
    *m = 0;
    DIR *d = opendir(o->dir);
    if (!d)
        return EL_FAIL(err, EL_ENOENT, o->dir, -1, "cannot list the folder");
    int64_t n = 0, max = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        long long g;
        char tail[32];
        if (sscanf(e->d_name, "logits-%lld.%31s", &g, tail) == 2 && strcmp(tail, "safetensors") == 0 && g >= 0) {
            n++;
            max = g > max ? g : max;
        }
    }
    closedir(d);
    if (max + 1 != n)
        return EL_FAIL(err, EL_EFORMAT, o->dir, -1, "the logits shards are not numbered 0..%lld without gaps", (long long)n - 1);
    *m = n;
    return EL_OK;
}

/* The run in the folder must be this run: same head. */
static int check_head(const el_dout *o, el_error *err)
{
    json_t *man = NULL;
    int rc = el_json_load(o->manifest_path, 64u << 20, &man, err);
    if (rc)
        return rc;
    el_input_forget(o->manifest_path); /* the run's own state, replaced at the end */
    const char *key;
    json_t *v;
    json_object_foreach(o->head, key, v) {
        json_t *old = json_object_get(man, key);
        if (!old || !json_equal(old, v)) {
            char *a = el_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *b = old ? el_json_dumps(old, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            rc = EL_FAIL(err, EL_EUSAGE, o->manifest_path, -1, "--resume: this run's %s is %.200s, the folder's is %.200s",
                         key, a ? a : "?", b ? b : "absent");
            free(a);
            free(b);
            break;
        }
    }
    json_decref(man);
    return rc;
}

static int resume_point(el_dout *o, int64_t *first_unit, el_error *err)
{
    int rc = check_head(o, err);
    if (!rc)
        rc = el_remove_stale_tmp(o->dir, err);
    if (!rc)
        rc = el_lines_open(&o->lines, o->lines_path, &o->on_disk, err);
    if (rc)
        return rc;
    if (o->p.k == 0) {
        *first_unit = o->on_disk;
        return EL_OK;
    }
    int64_t m = 0, total = 0, last = 0;
    rc = list_shards(o, &m, err);
    for (int64_t g = 0; g < m && !rc; g++) {
        char *p = shard_path(o, g);
        if (!p)
            return EL_NOMEM(err);
        rc = el_dshard_count(p, &last, err);
        total += last;
        free(p);
    }
    if (rc)
        return rc;
    const int64_t L = o->on_disk;
    if (L > total || (m > 0 && L < total - last) || (m == 0 && L > 0))
        return EL_FAIL(err, EL_EFORMAT, o->lines_path, -1,
                       "%lld lines, but the %lld logits shards beside it hold %lld records: not a folder this run wrote",
                       (long long)L, (long long)m, (long long)total);
    if (L == total) {
        o->group = m;
        *first_unit = total;
    } else {
        o->group = m - 1;
        o->group_on_disk = true;
        *first_unit = total - last;
    }
    return EL_OK;
}

/*
 * A run that was killed before its first commit (we hold the lock, so its process is gone): a
 * manifest that says "running", no shard (checked by the caller) and an empty or absent lines
 * file. Nothing of it can be resumed, so a new run takes the folder over.
 */
static bool unstarted_run(const el_dout *o)
{
    if (el_path_exists(o->lines_path) && el_file_size(o->lines_path) != 0)
        return false;
    json_t *man = NULL;
    el_error e;
    el_error_clear(&e);
    const int rc = el_json_load(o->manifest_path, 64u << 20, &man, &e);
    el_input_forget(o->manifest_path); /* read to be replaced */
    if (rc != 0)
        return false;
    const char *st = el_json_get_str(man, "status");
    const bool running = st && strcmp(st, "running") == 0;
    json_decref(man);
    return running;
}

/* Whether name is one of the files an edgelm distill folder holds: its lock, manifest, lines file (of
 * either kind), logits shards and the atomic writer's temporary files (".NAME.edgelm-PID-N.tmp"). */
static bool edgelm_file(const char *name)
{
    static const char *const fixed[] = {".", "..", ".lock", "manifest.json", "completions.jsonl", "records.jsonl"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcmp(name, fixed[i]))
            return true;
    const size_t n = strlen(name);
    if (!strncmp(name, "logits-", 7) && n >= 7 + 5 + 12 && !strcmp(name + n - 12, ".safetensors") &&
        strspn(name + 7, "0123456789") == n - 7 - 12)
        return true; /* el_dout_shard_name's: 5 digits or more */
    return name[0] == '.' && strstr(name, ".edgelm-") && n > 4 && !strcmp(name + n - 4, ".tmp");
}

/*
 * A folder that exists must be empty or an edgelm output: anything else (a source folder, a home
 * directory, `-o .` by mistake) is refused before a file is written there, naming one file it holds.
 */
static int check_foreign(const char *dir, el_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return EL_OK; /* absent; or unreadable, which mkdir / lock report */
    int rc = EL_OK;
    const struct dirent *e;
    while (!rc && (e = readdir(d)))
        if (!edgelm_file(e->d_name))
            rc = EL_FAIL(err, EL_EUSAGE, dir, -1,
                         "holds files that are not an edgelm output (e.g. '%.80s'); choose an empty or new folder", e->d_name);
    closedir(d);
    return rc;
}

int el_dout_open(el_dout **out, const el_dout_params *p, int64_t *first_unit, el_error *err)
{
    *out = NULL;
    *first_unit = 0;
    el_dout *o = calloc(1, sizeof *o);
    if (!o)
        return EL_NOMEM(err);
    o->p = *p;
    o->lock_fd = -1;
    o->dir = strdup(p->dir);
    o->lines_path = el_path_join(p->dir, p->lines_name);
    o->manifest_path = el_path_join(p->dir, "manifest.json");
    o->head = json_deep_copy(p->head);
    int rc = !o->dir || !o->lines_path || !o->manifest_path || !o->head ? EL_NOMEM(err) : EL_OK;
    if (!rc && p->k > 0)
        rc = el_dshard_writer_new(&o->sw, p->k, p->n_vocab, err);
    /* --resume where no run has started yet starts one: what a preempted, requeued job array needs */
    const bool resume = p->resume && el_path_exists(o->manifest_path);
    o->made_dir = !el_path_exists(p->dir);
    if (!rc && !o->made_dir)
        rc = check_foreign(p->dir, err);
    if (!rc)
        rc = el_mkdir_p(p->dir, err);
    if (!rc)
        rc = el_dir_lock(p->dir, &o->lock_fd, err);
    if (!rc && resume) {
        rc = resume_point(o, first_unit, err);
    } else if (!rc) {
        int64_t m = 0;
        if ((el_path_exists(o->manifest_path) || el_path_exists(o->lines_path)) && !unstarted_run(o))
            rc = EL_FAIL(err, EL_EUSAGE, p->dir, -1, "already holds a run (manifest.json); pass --resume to continue it, or choose an empty folder");
        if (!rc)
            rc = list_shards(o, &m, err);
        if (!rc && m > 0)
            rc = EL_FAIL(err, EL_EUSAGE, p->dir, -1, "already holds logits shards; choose an empty folder");
        o->fresh = !rc; /* from here on, the manifest and lines file are this run's */
        json_t *man = rc ? NULL : json_deep_copy(o->head);
        if (!rc && (!man || json_object_set_new(man, "status", json_string("running"))))
            rc = EL_NOMEM(err);
        if (!rc)
            rc = el_json_write_file(o->manifest_path, man, JSON_FLAGS, err);
        json_decref(man);
        if (!rc)
            rc = el_lines_open(&o->lines, o->lines_path, &o->on_disk, err);
    }
    if (rc) {
        el_dout_free(o);
        return rc;
    }
    o->unit = *first_unit;
    /* the crash the resume tests need at the worst moment: a shard on disk, its lines not */
    const char *kill = getenv("EDGELM_TEST_KILL_AFTER_SHARDS");
    o->kill_after = kill ? strtoll(kill, NULL, 10) : 0;
    *out = o;
    return EL_OK;
}

static int close_group(el_dout *o, el_error *err)
{
    int rc = EL_OK;
    if (o->group_units > 0 || (o->sw && el_dshard_writer_records(o->sw) > 0))
        o->touched = true;
    if (o->sw && el_dshard_writer_records(o->sw) > 0) {
        char *p = shard_path(o, o->group);
        if (!p)
            return EL_NOMEM(err);
        if (o->group_on_disk)
            el_dshard_writer_clear(o->sw);
        else
            rc = el_dshard_write(o->sw, p, err);
        free(p);
        if (!rc && o->kill_after > 0 && --o->kill_after == 0)
            raise(SIGKILL);
    }
    if (!rc)
        rc = el_lines_sync(o->lines, err);
    if (!rc && o->group_units > 0)
        o->group++;
    o->group_tokens = o->group_units = 0;
    o->group_on_disk = false;
    return rc;
}

int el_dout_flush(el_dout *o, el_error *err) { return close_group(o, err); }

int el_dout_add(el_dout *o, const char *line, const el_dshard_rec *rec, int64_t n_tokens, el_error *err)
{
    int rc = EL_OK;
    if ((o->sw != NULL) != (rec != NULL))
        return EL_FAIL(err, EL_EINTERNAL, o->dir, -1, "a unit with%s logits in a run with%s", rec ? "" : "out",
                       o->sw ? "" : "out");
    if (o->unit >= o->on_disk)
        rc = el_lines_add(o->lines, line, strlen(line), err);
    if (!rc && rec)
        rc = el_dshard_add(o->sw, rec, err);
    if (rc)
        return rc;
    o->unit++;
    o->group_units++;
    o->group_tokens += n_tokens;
    return o->group_tokens >= o->p.shard_tokens ? close_group(o, err) : EL_OK;
}

static int file_entry(const char *path, const char *name, json_t **out, el_error *err)
{
    char hex[65];
    int rc = el_sha256_file(path, hex, err);
    if (rc)
        return rc;
    *out = json_pack("{s:s, s:I, s:s}", "file", name, "bytes", (json_int_t)el_file_size(path), "sha256", hex);
    return *out ? EL_OK : EL_NOMEM(err);
}

int el_dout_check_files(const json_t *man, const char *manifest_path, el_error *err)
{
    const json_t *files = json_object_get(man, "files");
    if (!json_is_array(files))
        return EL_FAIL(err, EL_EJSON, manifest_path, -1, "\"files\" is not a list");
    int64_t next_shard = 0;
    bool lines = false;
    size_t i;
    const json_t *e;
    json_array_foreach(files, i, e) {
        const char *name = el_json_get_str(e, "file");
        if (!name)
            return EL_FAIL(err, EL_EJSON, manifest_path, -1, "files[%zu] has no \"file\" name", i);
        const json_t *rec = json_object_get(e, "records");
        if (rec) {
            char want[64];
            el_dout_shard_name(next_shard, want, sizeof want);
            if (!json_is_integer(rec) || json_integer_value(rec) < 0)
                return EL_FAIL(err, EL_EJSON, manifest_path, -1, "files[%zu]: \"records\" is not a count", i);
            if (strcmp(name, want) != 0) /* also what keeps a name with '/' or ".." out */
                return EL_FAIL(err, EL_EFORMAT, manifest_path, -1,
                               "files[%zu] is \"%.100s\" where shard %s comes: each shard once, in order, in the folder", i,
                               name, want);
            next_shard++;
        } else if ((strcmp(name, "completions.jsonl") == 0 || strcmp(name, "records.jsonl") == 0) && !lines) {
            lines = true;
        } else {
            return EL_FAIL(err, EL_EFORMAT, manifest_path, -1, "files[%zu] is \"%.100s\": not a file of this folder, or listed twice",
                           i, name);
        }
    }
    return EL_OK;
}

int el_dout_finish(el_dout *o, const json_t *counts, json_t **manifest, el_error *err)
{
    if (manifest)
        *manifest = NULL;
    int rc = close_group(o, err);
    json_t *man = rc ? NULL : json_deep_copy(o->head), *files = json_array(), *e = NULL;
    if (!rc && (!man || !files || json_object_set_new(man, "status", json_string("complete")) ||
                json_object_set(man, "counts", (json_t *)counts)))
        rc = EL_NOMEM(err);
    if (!rc)
        rc = file_entry(o->lines_path, o->p.lines_name, &e, err);
    if (!rc)
        rc = json_array_append_new(files, e) ? EL_NOMEM(err) : EL_OK;
    for (int64_t g = 0; g < o->group && !rc && o->sw; g++) {
        char name[64];
        el_dout_shard_name(g, name, sizeof name);
        char *p = el_path_join(o->dir, name);
        int64_t n = 0;
        rc = !p ? EL_NOMEM(err) : el_dshard_count(p, &n, err);
        if (!rc)
            rc = file_entry(p, name, &e, err);
        if (!rc && json_object_set_new(e, "records", json_integer(n))) {
            json_decref(e); /* not in files yet */
            rc = EL_NOMEM(err);
        }
        if (!rc && json_array_append_new(files, e)) /* takes e, also when it fails */
            rc = EL_NOMEM(err);
        free(p);
    }
    if (!rc && json_object_set(man, "files", files))
        rc = EL_NOMEM(err);
    if (!rc)
        rc = el_json_write_file(o->manifest_path, man, JSON_FLAGS, err);
    if (!rc && manifest)
        *manifest = json_incref(man);
    json_decref(man);
    json_decref(files);
    if (!rc) {
        o->finished = true;
        char *lock = el_path_join(o->dir, ".lock");
        if (lock)
            unlink(lock);
        free(lock);
    }
    return rc;
}
