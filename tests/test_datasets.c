/*
 * tests/test_datasets.c - dataset inputs: a plain file, the same bytes gzip-compressed, and as members of
 * a .tar.gz and a .zip (written here with zlib and libarchive) read back identical; broken, truncated,
 * missing and oversized inputs fail with the file (and member) named.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/records.h"
#include "datasets/source.h"
#include "datasets/tasks.h"
#include "tests/testutil.h"

static const char TEXT[] = "{\"ctx\": \"A man is sitting on a roof.\", \"endings\": [\"a\", \"b\"], \"label\": 1}\n"
                           "second line, with \xc3\xa9 and a tab\there\n";

static void expect_text(const char *spec)
{
    char *d;
    uint64_t n;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_ds_read(spec, 0, &d, &n, &e), 0, "%s: %s", spec, e.msg);
    cr_assert_eq(n, sizeof TEXT - 1, "%s: %llu bytes", spec, (unsigned long long)n);
    cr_assert_eq(memcmp(d, TEXT, n), 0, "%s: other bytes", spec);
    cr_assert_eq(d[n], '\0');
    free(d);
}

static void expect_fail(const char *spec, uint64_t max, const char *m1, const char *m2)
{
    char *d = (char *)1;
    uint64_t n;
    el_error e;
    el_error_clear(&e);
    cr_assert_neq(el_ds_read(spec, max, &d, &n, &e), 0, "%s: read", spec);
    cr_assert_null(d);
    char line[2100];
    snprintf(line, sizeof line, "%s: %s", e.path, e.msg);
    cr_assert(strstr(line, m1) && (!m2 || strstr(line, m2)), "%s: message '%s' lacks '%s' / '%s'", spec, line, m1, m2 ? m2 : "");
}

Test(datasets, plain_gz_tar_zip_give_the_same_bytes)
{
    char *dir = tu_tmpdir("ds");
    char *plain = tu_fmt("%s/h.jsonl", dir), *gz = tu_fmt("%s/h.jsonl.gz", dir), *tgz = tu_fmt("%s/h.tar.gz", dir),
         *zip = tu_fmt("%s/h.zip", dir), *odd = tu_fmt("%s/a:b.jsonl", dir);
    cr_assert(tu_write(plain, TEXT, sizeof TEXT - 1));
    cr_assert(tu_write(odd, TEXT, sizeof TEXT - 1));
    tu_write_gz(gz, TEXT, sizeof TEXT - 1);
    tu_write_archive(tgz, false, "data/val.jsonl", TEXT, sizeof TEXT - 1);
    tu_write_archive(zip, true, "data/val.jsonl", TEXT, sizeof TEXT - 1);
    char *in_tgz = tu_fmt("%s:data/val.jsonl", tgz), *in_zip = tu_fmt("%s:data/val.jsonl", zip);
    expect_text(plain);
    expect_text(gz);
    expect_text(in_tgz);
    expect_text(in_zip);
    expect_text(odd); /* a ':' in a real file's name is part of the name */

    /* failures, each naming what is wrong */
    char *missing = tu_fmt("%s/none.jsonl", dir), *no_member = tu_fmt("%s:data/test.jsonl", zip);
    char *not_arch = tu_fmt("%s:x", plain), *trunc = tu_fmt("%s/t.jsonl.gz", dir), *bad = tu_fmt("%s/bad.zip", dir);
    char *bad_member = tu_fmt("%s:data/val.jsonl", bad);
    size_t gn;
    uint8_t *gb = tu_read(gz, &gn);
    cr_assert(tu_write(trunc, gb, gn - 12));
    cr_assert(tu_write(bad, gb, gn)); /* a gzip file is no zip */
    free(gb);
    expect_fail(missing, 0, "none.jsonl", "no such file");
    expect_fail(dir, 0, dir, "a folder");
    expect_fail(no_member, 0, "h.zip", "data/test.jsonl");
    expect_fail(not_arch, 0, "h.jsonl", "archive");
    expect_fail(trunc, 0, "t.jsonl.gz", "ends early");
    expect_fail(bad_member, 0, "bad.zip", NULL);
    expect_fail(gz, 16, "h.jsonl.gz", "more than 16 bytes");
    expect_fail(in_zip, 16, "h.zip", "more than 16 bytes");

    free(missing), free(no_member), free(not_arch), free(trunc), free(bad), free(bad_member);
    free(in_tgz), free(in_zip), free(plain), free(gz), free(tgz), free(zip), free(odd);
    tu_rmtree(dir);
    free(dir);
}

/* ---- records and task loaders -------------------------------------------------------------------------- */

static el_ds_records parse_ok(const char *name, const char *text, el_ds_format fmt)
{
    el_ds_records r;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_ds_records_parse(name, text, strlen(text), fmt, &r, &e), 0, "%s: %s", name, e.msg);
    return r;
}

static void parse_fails(const char *name, const char *text, const char *want)
{
    el_ds_records r;
    el_error e;
    el_error_clear(&e);
    cr_assert_neq(el_ds_records_parse(name, text, strlen(text), EL_DS_AUTO, &r, &e), 0, "%s parsed", name);
    char line[2100];
    snprintf(line, sizeof line, "%s: %s", e.path, e.msg);
    cr_assert(strstr(line, name) && strstr(line, want), "%s", line);
}

Test(datasets, records_csv_jsonl_json_txt)
{
    cr_assert_eq(el_ds_format_of("a/b.jsonl.gz"), EL_DS_JSONL);
    cr_assert_eq(el_ds_format_of("x.zip:data/test/abstract_algebra_test.csv"), EL_DS_CSV);
    cr_assert_eq(el_ds_format_of("x.tsv"), EL_DS_TSV);
    cr_assert_eq(el_ds_format_of("x.json"), EL_DS_JSON);
    cr_assert_eq(el_ds_format_of("notes"), EL_DS_TXT);
    /* RFC 4180: quoted separators, doubled quotes, a newline inside quotes (the next row's line counts it) */
    el_ds_records r = parse_ok("t.csv", "a,\"b, c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",x,\n\nlast,row,3", EL_DS_AUTO);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(json_array_size(r.rec[0]), 3);
    cr_assert_str_eq(json_string_value(json_array_get(r.rec[0], 1)), "b, c");
    cr_assert_str_eq(json_string_value(json_array_get(r.rec[0], 2)), "say \"hi\"");
    cr_assert_str_eq(json_string_value(json_array_get(r.rec[1], 0)), "two\nlines");
    cr_assert_str_eq(json_string_value(json_array_get(r.rec[1], 2)), "");
    cr_assert_eq(r.line[0], 1);
    cr_assert_eq(r.line[1], 2);
    cr_assert_eq(r.line[2], 5);
    el_ds_records_free(&r);
    r = parse_ok("t.tsv", "a\tb,c\n", EL_DS_AUTO);
    cr_assert_eq(json_array_size(r.rec[0]), 2);
    el_ds_records_free(&r);
    r = parse_ok("t.jsonl", "{\"a\": 1}\n\n  \n{\"a\": 2}\r\n", EL_DS_AUTO);
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.line[1], 4);
    el_ds_records_free(&r);
    r = parse_ok("t.json", "{\"data\": [{\"a\": 1}, {\"a\": 2}, {\"a\": 3}]}", EL_DS_AUTO);
    cr_assert_eq(r.n, 3);
    el_ds_records_free(&r);
    r = parse_ok("t.txt", "one\r\n\ntwo\n", EL_DS_AUTO);
    cr_assert_eq(r.n, 2);
    cr_assert_str_eq(json_string_value(r.rec[1]), "two");
    cr_assert_eq(r.line[1], 3);
    el_ds_records_free(&r);
    parse_fails("bad.jsonl", "{\"a\": 1}\n{\"a\": }\n", "line 2: invalid JSON");
    parse_fails("bad.jsonl", "{\"a\": 1}\n[1, 2]\n", "line 2: a record must be a JSON object");
    parse_fails("bad.csv", "a,b\n\"open,c\n", "line 2: a quoted field is not closed");
    parse_fails("bad.csv", "a,\"b\"c\n", "line 1: text after a closing quote");
    parse_fails("bad.json", "[{\"a\": 1}, 3]", "record 2");
    parse_fails("bad.json", "{\"a\": 1}", "expected an array");
}

/* Text that is not UTF-8 cannot become a JSON string: it is refused as malformed input (not "out of
 * memory"), naming the file, the line and the column (in bytes) of the first bad byte. */
static void not_utf8(const char *name, const char *text, size_t len, const char *want)
{
    el_ds_records r;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_ds_records_parse(name, text, len, EL_DS_AUTO, &r, &e), EL_EFORMAT, "%s: code %d: %s", name, e.code, e.msg);
    cr_assert_str_eq(e.path, name);
    cr_assert_str_eq(e.msg, want, "%s", name);
    cr_assert_eq(r.n, 0);
}

Test(datasets, text_that_is_not_utf8_is_refused_naming_its_line)
{
    static const char txt[] = "ok\n\nbad \xff here\n", overlong[] = "\xc0\xaf\n", surrogate[] = "a\n\xed\xa0\x80\n";
    static const char csv[] = "a,b\n\"multi\nline \xc3\",x\n", tsv[] = "a\tb\n\xe2\x82\n", cut[] = "x\n\xf0\x9f\x98";
    not_utf8("t.txt", txt, sizeof txt - 1, "line 3: not valid UTF-8 (byte 0xff at column 5)");
    not_utf8("t.txt", overlong, sizeof overlong - 1, "line 1: not valid UTF-8 (byte 0xc0 at column 1)");
    not_utf8("t.txt", surrogate, sizeof surrogate - 1, "line 2: not valid UTF-8 (byte 0xed at column 1)");
    not_utf8("t.csv", csv, sizeof csv - 1, "line 3: not valid UTF-8 (byte 0xc3 at column 6)");
    not_utf8("t.tsv", tsv, sizeof tsv - 1, "line 2: not valid UTF-8 (byte 0xe2 at column 1)");
    not_utf8("t.txt", cut, sizeof cut - 1, "line 2: not valid UTF-8 (byte 0xf0 at column 1)");
    /* jansson checks JSON itself: an error naming the line, not ENOMEM */
    el_ds_records r;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_ds_records_parse("t.jsonl", "{\"a\": \"\xff\"}\n", 12, EL_DS_AUTO, &r, &e), EL_EJSON, "%s", e.msg);
    cr_assert(strstr(e.msg, "line 1: "), "%s", e.msg);
    /* a NUL byte is refused too (issue 16 item 11: gen wrote it as \u0000, then refused its own file) */
    static const char nul[] = "ok\nxy\0z\n";
    not_utf8("t.txt", nul, sizeof nul - 1, "line 2: holds a NUL byte (column 3)");
    /* valid text of every length still loads */
    static const char good[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 a-b\n";
    el_error_clear(&e);
    cr_assert_eq(el_ds_records_parse("t.txt", good, sizeof good - 1, EL_DS_AUTO, &r, &e), 0, "%s", e.msg);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(json_string_length(r.rec[0]), sizeof good - 2);
    el_ds_records_free(&r);
    /* through a file, and a .gz: the spec is named */
    char *dir = tu_tmpdir("utf8"), *gz = tu_fmt("%s/p.txt.gz", dir);
    tu_write_gz(gz, txt, sizeof txt - 1);
    el_error_clear(&e);
    cr_assert_eq(el_ds_records_load(gz, EL_DS_AUTO, &r, &e), EL_EFORMAT, "%s", e.msg);
    cr_assert_str_eq(e.path, gz);
    cr_assert_str_eq(e.msg, "line 3: not valid UTF-8 (byte 0xff at column 5)");
    tu_rmtree(dir);
    free(dir);
    free(gz);
}

static el_mc_set load_task(el_mc_task task, const char *name, const char *text)
{
    char *dir = tu_tmpdir("tasks"), *path = tu_fmt("%s/%s", dir, name);
    cr_assert(tu_write(path, text, strlen(text)));
    el_mc_set s;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_mc_load(task, path, 0, &s, &e), 0, "%s: %s", name, e.msg);
    tu_rmtree(dir);
    free(dir);
    free(path);
    return s;
}

static void task_fails(el_mc_task task, const char *name, const char *text, const char *want)
{
    char *dir = tu_tmpdir("tasks"), *path = tu_fmt("%s/%s", dir, name);
    cr_assert(tu_write(path, text, strlen(text)));
    el_mc_set s;
    el_error e;
    el_error_clear(&e);
    cr_assert_neq(el_mc_load(task, path, 0, &s, &e), 0, "%s loaded", name);
    char line[2100];
    snprintf(line, sizeof line, "%s: %s", e.path, e.msg);
    cr_assert(strstr(line, name) && strstr(line, want), "%s", line);
    tu_rmtree(dir);
    free(dir);
    free(path);
}

/* the contexts and continuations lm-evaluation-harness builds, written out by hand */
Test(datasets, task_prompts_as_the_harness_builds_them)
{
    el_mc_set s = load_task(EL_MC_HELLASWAG, "h.jsonl",
                            "{\"activity_label\": \"Roof shingle removal\", \"ctx_a\": \"A man is sitting on a roof.\", "
                            "\"ctx_b\": \"HE starts\", \"endings\": [\"pulling up roofing [header] on a roof.\", \"  is  "
                            "holding a rubik's cube.\"], \"label\": \"1\"}\n");
    cr_assert_eq(s.n, 1);
    cr_assert_str_eq(s.items[0].context[0], "Roof shingle removal: A man is sitting on a roof. He starts");
    cr_assert_str_eq(s.items[0].cont[0], " pulling up roofing on a roof.");
    cr_assert_str_eq(s.items[0].cont[1], " is holding a rubik's cube.");
    cr_assert_eq(s.items[0].label, 1);
    el_mc_set_free(&s);
    s = load_task(EL_MC_HELLASWAG, "h.jsonl", "{\"ctx\": \"A walk [title] In the park\", \"endings\": [\"a\", \"b\", \"c\"], \"label\": 2}");
    cr_assert_str_eq(s.items[0].context[1], "A walk. In the park");
    el_mc_set_free(&s);
    s = load_task(EL_MC_ARC, "a.jsonl",
                  "{\"question\": {\"stem\": \"Which is a fruit?\", \"choices\": [{\"text\": \"apple\", \"label\": \"A\"}, "
                  "{\"text\": \"rock\", \"label\": \"B\"}]}, \"answerKey\": \"B\"}\n"
                  "{\"question\": \"2+2?\", \"choices\": {\"text\": [\"3\", \"4\", \"5\"], \"label\": [\"1\", \"2\", \"3\"]}, "
                  "\"answerKey\": \"2\"}\n");
    cr_assert_str_eq(s.items[0].context[0], "Question: Which is a fruit?\nAnswer:");
    cr_assert_str_eq(s.items[0].cont[0], " apple");
    cr_assert_eq(s.items[0].label, 1);
    cr_assert_eq(s.items[1].n_choices, 3);
    cr_assert_eq(s.items[1].label, 1);
    cr_assert_eq(s.items[1].line, 2);
    el_mc_set_free(&s);
    s = load_task(EL_MC_PIQA, "p.jsonl", "{\"goal\": \"Open a jar\", \"sol1\": \"twist the lid\", \"sol2\": \"eat it\", \"label\": 0}");
    cr_assert_str_eq(s.items[0].context[1], "Question: Open a jar\nAnswer:");
    cr_assert_str_eq(s.items[0].cont[1], " eat it");
    el_mc_set_free(&s);
    s = load_task(EL_MC_WINOGRANDE, "w.jsonl",
                  "{\"sentence\": \"Ian fixed the car because _ was broken. \", \"option1\": \"Ian\", \"option2\": \"the car\", "
                  "\"answer\": \"2\"}");
    cr_assert_str_eq(s.items[0].context[0], "Ian fixed the car because Ian");
    cr_assert_str_eq(s.items[0].context[1], "Ian fixed the car because the car");
    cr_assert_str_eq(s.items[0].cont[0], " was broken.");
    cr_assert_eq(s.items[0].label, 1);
    el_mc_set_free(&s);
    s = load_task(EL_MC_MMLU, "high_school_physics_test.csv", " What is g? ,9.8,\"1,0\",0,42,A\n");
    cr_assert_str_eq(s.items[0].context[2], "The following are multiple choice questions (with answers) about high school "
                                            "physics.\n\nWhat is g?\nA. 9.8\nB. 1,0\nC. 0\nD. 42\nAnswer:");
    cr_assert_str_eq(s.items[0].cont[3], " D");
    cr_assert_eq(s.items[0].label, 0);
    el_mc_set_free(&s);
    /* malformed records: the file and the line */
    task_fails(EL_MC_HELLASWAG, "h.jsonl", "{\"ctx\": \"x\", \"endings\": [\"a\", \"b\"], \"label\": 0}\n{\"ctx\": \"x\", \"endings\": [\"a\"], \"label\": 0}",
               "line 2: 'endings' must be an array");
    task_fails(EL_MC_HELLASWAG, "h.jsonl", "{\"ctx\": \"x\", \"endings\": [\"a\", \"b\"], \"label\": 2}", "line 1: 'label'");
    task_fails(EL_MC_ARC, "a.jsonl", "{\"question\": {\"stem\": \"q\", \"choices\": [{\"text\": \"a\", \"label\": \"A\"}, {\"text\": \"b\", \"label\": \"B\"}]}, \"answerKey\": \"E\"}",
               "line 1: 'answerKey' matches no choice");
    task_fails(EL_MC_PIQA, "p.jsonl", "\n\n{\"goal\": \"g\", \"sol1\": \"a\", \"label\": 0}", "line 3: missing 'goal', 'sol1' or 'sol2'");
    task_fails(EL_MC_WINOGRANDE, "w.jsonl", "{\"sentence\": \"no blank\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}",
               "line 1: the sentence has no '_'");
    task_fails(EL_MC_WINOGRANDE, "w.jsonl", "{\"sentence\": \"a _ b\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"3\"}",
               "line 1: 'answer'");
    task_fails(EL_MC_MMLU, "m_test.csv", "q,a,b,c,d,A\nq,a,b,c,d\n", "line 2: an MMLU row has 6 fields");
    task_fails(EL_MC_MMLU, "m_test.csv", "q,a,b,c,d,E\n", "line 1: the answer");
    task_fails(EL_MC_PIQA, "p.jsonl", "\n", "no records");
}
