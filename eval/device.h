/*
 * eval/device.h - the machine a benchmark ran on, as the system describes it: a figure
 * without its device is worthless, so every bench record carries this.
 *
 * Everything is read from files under a root folder: "" for this machine, or a recorded tree of
 * /proc and /sys in the tests (tests/data/device/). Nothing here fails: what the system does not
 * say is left empty (0, "" or NULL in JSON).
 *
 *   cpu_info   /proc/cpuinfo "model name" (x86: as llama-bench prints it); on ARM, where there is
 *              none, the cores by part number ("4x Cortex-A76 + 4x Cortex-A55")
 *   clusters   CPUs grouped by cpufreq/cpuinfo_max_freq: big.LITTLE shows as two or three groups
 *   governor   cpu0's cpufreq/scaling_governor
 *   memory     /proc/meminfo MemTotal and MemAvailable
 *   os/kernel  /etc/os-release PRETTY_NAME, /proc/sys/kernel/osrelease
 *   model      the board or phone: /proc/device-tree/model (Raspberry Pi, Jetson), else DMI's
 *              /sys/class/dmi/id/product_name; on Android `getprop ro.product.model` (live only)
 *   thermal    the hottest /sys/class/thermal/thermal_zoneN/temp, in degrees C, and its type
 *   energy     a cumulative counter in joules, where one exists: Intel/AMD RAPL's package domain
 *              (/sys/class/powercap/intel-rapl:0/energy_uj: the CPU package only, not DRAM or the
 *              board; wraps at max_energy_range_uj) or, on a battery, the power drawn
 *              (power_supply/NAME/current_now x voltage_now: the whole device, sampled, not a counter)
 */
#ifndef EL_EVAL_DEVICE_H
#define EL_EVAL_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

enum { EL_DEVICE_MAX_CPUS = 256, EL_DEVICE_MAX_CLUSTERS = 8 };

typedef struct el_device_cluster {
    int n_cpus;
    int first_cpu;     /* lowest CPU number in it */
    uint64_t max_khz;  /* cpuinfo_max_freq */
    char cpus[128];    /* "0-3" or "4,5,6,7" */
} el_device_cluster;

typedef struct el_device {
    char cpu_info[160];
    int n_cpus;
    int n_clusters;
    el_device_cluster clusters[EL_DEVICE_MAX_CLUSTERS];
    char governor[32];
    uint64_t mem_total, mem_available; /* bytes */
    char os[128], kernel[96], model[128];
    uint64_t cpu_max_khz[EL_DEVICE_MAX_CPUS]; /* per CPU (0: not said) */
} el_device;

/* Describe the machine whose /proc and /sys are under root ("" for this one). */
void el_device_probe(const char *root, el_device *d);
json_t *el_device_json(const el_device *d);

/* The hottest thermal zone: degrees C (NAN when there is none); type gets its name. */
double el_device_temp(const char *root, char *type, size_t cap);

/* Energy: which source exists ("rapl-package", "battery", or NULL), and a reading. For RAPL,
 * *joules is the counter; for a battery, *watts is the power drawn now. False when none. */
typedef struct el_energy {
    const char *source;
    double joules; /* rapl: cumulative counter */
    double watts;  /* battery: instantaneous */
    double range_j; /* rapl: the counter wraps here (0: unknown) */
} el_energy;
bool el_device_energy(const char *root, el_energy *e);

/* The CPUs of the cluster with the highest max frequency ("big cores"), as a mask of up to
 * EL_DEVICE_MAX_CPUS bits in cpus[]; returns how many (0 when the system does not say). */
int el_device_big_cores(const el_device *d, bool *cpus);

/* "0-3,6" -> cpus[] (EL_DEVICE_MAX_CPUS entries); the number of CPUs, or -1 when the list is not one
 * (anything but numbers, ranges and commas, a range backwards, a CPU past the maximum). */
int el_device_parse_cpus(const char *list, bool *cpus);

#endif
