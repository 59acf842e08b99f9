/*
 * eval/device.c - the machine a benchmark ran on, read from /proc and /sys (eval/device.h).
 * Every read is of a small text file, bounded, through stdio; a file that is absent or says
 * something unexpected leaves its field empty.
 */
#include "eval/device.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

/* The first line (or up to cap-1 bytes) of root/path, without its newline; false when unreadable. */
static bool read_line(const char *root, const char *path, char *buf, size_t cap)
{
    char full[1024];
    if ((size_t)snprintf(full, sizeof full, "%s%s", root, path) >= sizeof full)
        return false;
    FILE *f = fopen(full, "r");
    if (!f)
        return false;
    bool ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    buf[strcspn(buf, "\n")] = '\0';
    return true;
}

static bool read_u64(const char *root, const char *path, uint64_t *v)
{
    char buf[64], *end;
    if (!read_line(root, path, buf, sizeof buf))
        return false;
    errno = 0;
    unsigned long long x = strtoull(buf, &end, 10);
    if (end == buf || errno)
        return false;
    *v = x;
    return true;
}

static void copy_trimmed(char *dst, size_t cap, const char *src)
{
    while (*src == ' ' || *src == '\t' || *src == '"')
        src++;
    size_t n = strcspn(src, "\n");
    while (n && (src[n - 1] == ' ' || src[n - 1] == '"' || src[n - 1] == '\r'))
        n--;
    snprintf(dst, cap, "%.*s", (int)EL_MIN(n, cap - 1), src);
}

/* ARM core names by (implementer, part), as the kernel's /proc/cpuinfo gives them */
static const char *arm_core(unsigned impl, unsigned part)
{
    static const struct {
        unsigned impl, part;
        const char *name;
    } cores[] = {
        {0x41, 0xd03, "Cortex-A53"}, {0x41, 0xd04, "Cortex-A35"}, {0x41, 0xd05, "Cortex-A55"},
        {0x41, 0xd07, "Cortex-A57"}, {0x41, 0xd08, "Cortex-A72"}, {0x41, 0xd09, "Cortex-A73"},
        {0x41, 0xd0a, "Cortex-A75"}, {0x41, 0xd0b, "Cortex-A76"}, {0x41, 0xd0c, "Neoverse-N1"},
        {0x41, 0xd0d, "Cortex-A77"}, {0x41, 0xd40, "Neoverse-V1"}, {0x41, 0xd41, "Cortex-A78"},
        {0x41, 0xd42, "Cortex-A78AE"}, {0x41, 0xd44, "Cortex-X1"}, {0x41, 0xd46, "Cortex-A510"},
        {0x41, 0xd47, "Cortex-A710"}, {0x41, 0xd48, "Cortex-X2"}, {0x41, 0xd49, "Neoverse-N2"},
        {0x41, 0xd4b, "Cortex-A78C"}, {0x41, 0xd4d, "Cortex-A715"}, {0x41, 0xd4e, "Cortex-X3"},
        {0x41, 0xd4f, "Neoverse-V2"}, {0x41, 0xd80, "Cortex-A520"}, {0x41, 0xd81, "Cortex-A720"},
        {0x41, 0xd82, "Cortex-X4"}, {0x61, 0x022, "Apple M1 Icestorm"}, {0x61, 0x023, "Apple M1 Firestorm"},
        {0x51, 0xd05, "Kryo (Cortex-A55)"}, {0x4e, 0x004, "NVIDIA Carmel"},
    };
    for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++)
        if (cores[i].impl == impl && cores[i].part == part)
            return cores[i].name;
    return NULL;
}

typedef struct core_kind {
    unsigned impl, part;
    int n;
} core_kind;

/* cpu_info and the CPU count from /proc/cpuinfo */
static void probe_cpuinfo(const char *root, el_device *d)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/proc/cpuinfo", root);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    unsigned impl = 0;
    core_kind kinds[8];
    int n_kinds = 0, n_proc = 0;
    while (fgets(line, sizeof line, f)) {
        const char *colon = strchr(line, ':');
        if (!colon)
            continue;
        size_t key = (size_t)(colon - line);
        while (key && (line[key - 1] == ' ' || line[key - 1] == '\t'))
            key--;
        if (key == 9 && strncmp(line, "processor", 9) == 0)
            n_proc++;
        else if (key == 10 && strncmp(line, "model name", 10) == 0 && !d->cpu_info[0])
            copy_trimmed(d->cpu_info, sizeof d->cpu_info, colon + 1);
        else if (key == 15 && strncmp(line, "CPU implementer", 15) == 0)
            impl = (unsigned)strtoul(colon + 1, NULL, 0);
        else if (key == 8 && strncmp(line, "CPU part", 8) == 0) {
            unsigned part = (unsigned)strtoul(colon + 1, NULL, 0);
            int k = 0;
            while (k < n_kinds && !(kinds[k].impl == impl && kinds[k].part == part))
                k++;
            if (k == n_kinds && n_kinds < 8)
                kinds[n_kinds++] = (core_kind){impl, part, 0};
            if (k < n_kinds)
                kinds[k].n++;
        }
    }
    fclose(f);
    if (!d->n_cpus)
        d->n_cpus = n_proc;
    if (d->cpu_info[0] || !n_kinds)
        return;
    /* ARM: biggest part number first (the big cores come later in the list, and have higher parts) */
    for (int i = 0; i < n_kinds; i++)
        for (int j = i + 1; j < n_kinds; j++)
            if (kinds[j].part > kinds[i].part) {
                core_kind t = kinds[i];
                kinds[i] = kinds[j];
                kinds[j] = t;
            }
    size_t at = 0;
    for (int i = 0; i < n_kinds && at < sizeof d->cpu_info; i++) {
        const char *name = arm_core(kinds[i].impl, kinds[i].part);
        char unknown[40];
        if (!name) {
            snprintf(unknown, sizeof unknown, "ARM 0x%02x:0x%03x", kinds[i].impl, kinds[i].part);
            name = unknown;
        }
        int w = snprintf(d->cpu_info + at, sizeof d->cpu_info - at, "%s%dx %s", i ? " + " : "", kinds[i].n, name);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

/* "0-3,5" -> the CPUs in it, into on[] (up to EL_DEVICE_MAX_CPUS) */
static int parse_cpu_list(const char *s, bool *on)
{
    int n = 0;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s || a < 0)
            break;
        s = end;
        if (*s == '-') {
            b = strtol(s + 1, &end, 10);
            if (end == s + 1 || b < a)
                break;
            s = end;
        }
        for (long c = a; c <= b && c < EL_DEVICE_MAX_CPUS; c++)
            if (!on[c]) {
                on[c] = true;
                n++;
            }
        if (*s != ',')
            break;
        s++;
    }
    return n;
}

static void probe_clusters(const char *root, el_device *d)
{
    char buf[512];
    bool on[EL_DEVICE_MAX_CPUS] = {false};
    int n = 0;
    if (read_line(root, "/sys/devices/system/cpu/online", buf, sizeof buf))
        n = parse_cpu_list(buf, on);
    if (n > 0)
        d->n_cpus = n;
    for (int c = 0; c < EL_DEVICE_MAX_CPUS; c++) {
        if (!on[c])
            continue;
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", c);
        uint64_t khz = 0;
        if (!read_u64(root, path, &khz) || khz == 0)
            continue;
        d->cpu_max_khz[c] = khz;
        int k = 0;
        while (k < d->n_clusters && d->clusters[k].max_khz != khz)
            k++;
        if (k == d->n_clusters) {
            if (k == EL_DEVICE_MAX_CLUSTERS)
                continue;
            d->clusters[k] = (el_device_cluster){0, c, khz, ""};
            d->n_clusters++;
        }
        el_device_cluster *g = &d->clusters[k];
        size_t len = strlen(g->cpus);
        snprintf(g->cpus + len, sizeof g->cpus - len, "%s%d", g->n_cpus ? "," : "", c);
        g->n_cpus++;
    }
}

static void probe_meminfo(const char *root, el_device *d)
{
    char path[1024], line[256];
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
            d->mem_total = (uint64_t)kb * 1024;
        else if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            d->mem_available = (uint64_t)kb * 1024;
    }
    fclose(f);
}

static void probe_os(const char *root, el_device *d)
{
    char path[1024], line[256];
    snprintf(path, sizeof path, "%s/etc/os-release", root);
    FILE *f = fopen(path, "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "PRETTY_NAME=", 12) == 0)
                copy_trimmed(d->os, sizeof d->os, line + 12);
        fclose(f);
    }
    if (read_line(root, "/proc/sys/kernel/osrelease", line, sizeof line))
        copy_trimmed(d->kernel, sizeof d->kernel, line);
    /* the device tree's model ends in a NUL, not a newline: read_line keeps what precedes it */
    if (read_line(root, "/proc/device-tree/model", line, sizeof line) ||
        read_line(root, "/sys/firmware/devicetree/base/model", line, sizeof line) ||
        read_line(root, "/sys/class/dmi/id/product_name", line, sizeof line))
        copy_trimmed(d->model, sizeof d->model, line);
    if (!d->model[0] && !root[0]) {
        /* Android: the phone's model is a system property */
        FILE *p = access("/system/bin/getprop", X_OK) == 0 ? popen("/system/bin/getprop ro.product.model 2>/dev/null", "r") : NULL;
        if (p) {
            if (fgets(line, sizeof line, p))
                copy_trimmed(d->model, sizeof d->model, line);
            pclose(p);
        }
        if (!d->os[0] && access("/system/build.prop", R_OK) == 0)
            snprintf(d->os, sizeof d->os, "Android");
    }
}

void el_device_probe(const char *root, el_device *d)
{
    memset(d, 0, sizeof *d);
    if (!root)
        root = "";
    probe_cpuinfo(root, d);
    probe_clusters(root, d);
    char buf[64];
    if (read_line(root, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf))
        copy_trimmed(d->governor, sizeof d->governor, buf);
    probe_meminfo(root, d);
    probe_os(root, d);
}

json_t *el_device_json(const el_device *d)
{
    json_t *cl = json_array();
    for (int i = 0; cl && i < d->n_clusters; i++)
        if (json_array_append_new(cl, json_pack("{s:s, s:i, s:f}", "cpus", d->clusters[i].cpus, "n_cpus", d->clusters[i].n_cpus,
                                                "max_mhz", (double)d->clusters[i].max_khz / 1000.0))) {
            json_decref(cl);
            return NULL;
        }
#define OR_NULL(s) ((s)[0] ? (s) : NULL)
    return json_pack("{s:s?, s:i, s:o, s:s?, s:I, s:I, s:s?, s:s?, s:s?}", "cpu_info", OR_NULL(d->cpu_info), "n_cpus", d->n_cpus,
                     "clusters", cl, "governor", OR_NULL(d->governor), "mem_total", (json_int_t)d->mem_total,
                     "mem_available", (json_int_t)d->mem_available, "os", OR_NULL(d->os), "kernel", OR_NULL(d->kernel),
                     "model", OR_NULL(d->model));
#undef OR_NULL
}

double el_device_temp(const char *root, char *type, size_t cap)
{
    if (!root)
        root = "";
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/sys/class/thermal", root);
    DIR *dp = opendir(dir);
    if (type && cap)
        type[0] = '\0';
    if (!dp)
        return NAN;
    double best = NAN;
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (strncmp(de->d_name, "thermal_zone", 12) != 0)
            continue;
        char path[512], buf[64];
        snprintf(path, sizeof path, "/sys/class/thermal/%.200s/temp", de->d_name);
        uint64_t milli;
        /* a zone may say a negative or absurd value when its sensor is off: keep -40..200 C */
        if (!read_u64(root, path, &milli) || milli > 200000)
            continue;
        const double c = (double)milli / 1000.0;
        if (isnan(best) || c > best) {
            best = c;
            snprintf(path, sizeof path, "/sys/class/thermal/%.200s/type", de->d_name);
            if (type && cap && read_line(root, path, buf, sizeof buf))
                copy_trimmed(type, cap, buf);
        }
    }
    closedir(dp);
    return best;
}

bool el_device_energy(const char *root, el_energy *e)
{
    if (!root)
        root = "";
    memset(e, 0, sizeof *e);
    uint64_t uj, range = 0;
    if (read_u64(root, "/sys/class/powercap/intel-rapl:0/energy_uj", &uj)) {
        e->source = "rapl-package";
        e->joules = (double)uj / 1e6;
        if (read_u64(root, "/sys/class/powercap/intel-rapl:0/max_energy_range_uj", &range))
            e->range_j = (double)range / 1e6;
        return true;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/sys/class/power_supply", root);
    DIR *dp = opendir(dir);
    if (!dp)
        return false;
    struct dirent *de;
    bool found = false;
    while (!found && (de = readdir(dp))) {
        if (de->d_name[0] == '.')
            continue;
        char path[512], type[32];
        snprintf(path, sizeof path, "/sys/class/power_supply/%.200s/type", de->d_name);
        if (!read_line(root, path, type, sizeof type) || strcmp(type, "Battery") != 0)
            continue;
        uint64_t ua, uv;
        snprintf(path, sizeof path, "/sys/class/power_supply/%.200s/current_now", de->d_name);
        if (!read_u64(root, path, &ua))
            continue;
        snprintf(path, sizeof path, "/sys/class/power_supply/%.200s/voltage_now", de->d_name);
        if (!read_u64(root, path, &uv))
            continue;
        e->source = "battery";
        e->watts = (double)ua * 1e-6 * (double)uv * 1e-6;
        found = true;
    }
    closedir(dp);
    return found;
}

int el_device_big_cores(const el_device *d, bool *cpus)
{
    uint64_t top = 0;
    for (int c = 0; c < EL_DEVICE_MAX_CPUS; c++)
        top = EL_MAX(top, d->cpu_max_khz[c]);
    int n = 0;
    for (int c = 0; c < EL_DEVICE_MAX_CPUS; c++) {
        cpus[c] = top && d->cpu_max_khz[c] == top;
        n += cpus[c];
    }
    return n;
}

int el_device_parse_cpus(const char *list, bool *cpus)
{
    memset(cpus, 0, EL_DEVICE_MAX_CPUS * sizeof *cpus);
    if (!list || !*list)
        return -1;
    for (const char *p = list; *p; p++)
        if (!(*p == ',' || *p == '-' || (*p >= '0' && *p <= '9')))
            return -1;
    const char *s = list;
    int n = 0;
    for (;;) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s || a < 0 || a >= EL_DEVICE_MAX_CPUS)
            return -1;
        s = end;
        if (*s == '-') {
            b = strtol(s + 1, &end, 10);
            if (end == s + 1 || b < a || b >= EL_DEVICE_MAX_CPUS)
                return -1;
            s = end;
        }
        for (long c = a; c <= b; c++)
            if (!cpus[c]) {
                cpus[c] = true;
                n++;
            }
        if (!*s)
            return n;
        if (*s != ',' || !s[1])
            return -1;
        s++;
    }
}
