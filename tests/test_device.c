/*
 * tests/test_device.c - eval/device.c on the /proc and /sys trees of tests/data/device (a Raspberry Pi 5,
 * a big.LITTLE phone, an x86 laptop), and on this machine (whatever it says must be sane).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "eval/device.h"

Test(device, raspberry_pi_5)
{
    el_device d;
    el_device_probe("tests/data/device/rpi5", &d);
    cr_assert_str_eq(d.cpu_info, "4x Cortex-A76");
    cr_assert_eq(d.n_cpus, 4);
    cr_assert_eq(d.n_clusters, 1);
    cr_assert_str_eq(d.clusters[0].cpus, "0,1,2,3");
    cr_assert_eq(d.clusters[0].max_khz, 2400000);
    cr_assert_str_eq(d.governor, "ondemand");
    cr_assert_eq(d.mem_total, 8245192ull * 1024);
    cr_assert_eq(d.mem_available, 7712004ull * 1024);
    cr_assert_str_eq(d.os, "Debian GNU/Linux 12 (bookworm)");
    cr_assert_str_eq(d.kernel, "6.6.31+rpt-rpi-2712");
    cr_assert_str_eq(d.model, "Raspberry Pi 5 Model B Rev 1.0"); /* the device tree's string ends in a NUL */
    char type[32];
    cr_assert_float_eq(el_device_temp("tests/data/device/rpi5", type, sizeof type), 52.35, 1e-9);
    cr_assert_str_eq(type, "cpu-thermal");
    el_energy e;
    cr_assert_not(el_device_energy("tests/data/device/rpi5", &e), "a Pi has no energy sensor here");
    cr_assert_null(e.source);
}

Test(device, big_little_phone)
{
    el_device d;
    el_device_probe("tests/data/device/phone", &d);
    cr_assert_str_eq(d.cpu_info, "1x Cortex-X1 + 3x Cortex-A78 + 4x Cortex-A55");
    cr_assert_eq(d.n_cpus, 8);
    cr_assert_eq(d.n_clusters, 3);
    cr_assert_str_eq(d.clusters[0].cpus, "0,1,2,3");
    cr_assert_eq(d.clusters[0].max_khz, 1804800);
    cr_assert_str_eq(d.clusters[1].cpus, "4,5,6");
    cr_assert_eq(d.clusters[1].max_khz, 2419200);
    cr_assert_str_eq(d.clusters[2].cpus, "7");
    cr_assert_str_eq(d.governor, "schedutil");
    cr_assert_str_eq(d.os, "");
    cr_assert_str_eq(d.model, "");
    bool big[EL_DEVICE_MAX_CPUS];
    cr_assert_eq(el_device_big_cores(&d, big), 1, "the X1 alone is the fastest cluster");
    cr_assert(big[7] && !big[6] && !big[0]);
    char type[32];
    cr_assert_float_eq(el_device_temp("tests/data/device/phone", type, sizeof type), 47.9, 1e-9);
    cr_assert_str_eq(type, "cpu-1-3-usr");
    el_energy e;
    cr_assert(el_device_energy("tests/data/device/phone", &e));
    cr_assert_str_eq(e.source, "battery");
    cr_assert_float_eq(e.watts, 0.812 * 3.912, 1e-9); /* uA x uV */
    json_t *j = el_device_json(&d);
    cr_assert(j);
    cr_assert_eq(json_array_size(json_object_get(j, "clusters")), 3);
    cr_assert_float_eq(json_real_value(json_object_get(json_array_get(json_object_get(j, "clusters"), 2), "max_mhz")), 2841.6, 1e-9);
    cr_assert(json_is_null(json_object_get(j, "model")));
    json_decref(j);
}

Test(device, x86_laptop_with_rapl)
{
    el_device d;
    el_device_probe("tests/data/device/laptop", &d);
    cr_assert_str_eq(d.cpu_info, "AMD Ryzen 7 7840U w/ Radeon 780M Graphics");
    cr_assert_eq(d.n_cpus, 4);
    cr_assert_str_eq(d.model, "21K5CTO1WW");
    cr_assert_str_eq(d.os, "Ubuntu 24.04.1 LTS");
    cr_assert(isnan(el_device_temp("tests/data/device/laptop", NULL, 0)), "no thermal zone");
    el_energy e;
    cr_assert(el_device_energy("tests/data/device/laptop", &e));
    cr_assert_str_eq(e.source, "rapl-package");
    cr_assert_float_eq(e.joules, 123456.789012, 1e-6);
    cr_assert_float_eq(e.range_j, 262143.32885, 1e-6);
}

Test(device, absent_tree_says_nothing)
{
    el_device d;
    el_device_probe("tests/data/device/none", &d);
    cr_assert_eq(d.n_cpus, 0);
    cr_assert_str_eq(d.cpu_info, "");
    el_energy e;
    cr_assert_not(el_device_energy("tests/data/device/none", &e));
}

Test(device, this_machine)
{
    el_device d;
    el_device_probe("", &d);
    cr_assert_gt(d.n_cpus, 0);
    cr_assert_neq(d.cpu_info[0], '\0', "cpu_info empty on this machine");
    cr_assert_gt(d.mem_total, 0);
    cr_assert_leq(d.mem_available, d.mem_total);
    cr_assert_neq(d.kernel[0], '\0');
}
