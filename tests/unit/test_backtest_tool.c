/* Check suite for cdrwarn-backtest's own stages (tools/backtest_opts.c,
 * backtest_input.c, backtest_run.c, backtest_print.c, backtest_svg.c):
 * the command line, JSON lines into records (long lines held as the
 * consumer holds them), --emit without emitted_at, SPEC section 11's JSON
 * byte for byte, the compare lists, and pictures that are whole SVG. The
 * tool's sources are compiled in here because they are not part of cwcore. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/backtest_input.c"
#include "../../tools/backtest_opts.c"
#include "../../tools/backtest_print.c"
#include "../../tools/backtest_run.c"
#include "../../tools/backtest_svg.c"

#include "week.h"

/* ---- options ---- */

static int parse(bt_opts_t *opts, const char *args)
{
    static char copy[1024]; /* argv points into it after the call */
    snprintf(copy, sizeof copy, "cdrwarn-backtest %s", args);
    char *argv[64];
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && argc < 63;
         t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    FILE *saved_err = stderr, *saved_out = stdout;
    stderr = fopen("/dev/null", "w"); /* the usage errors */
    stdout = fopen("/dev/null", "w"); /* --help */
    int rc = bt_opts_parse(argc, argv, opts);
    fclose(stderr);
    fclose(stdout);
    stderr = saved_err;
    stdout = saved_out;
    return rc;
}

START_TEST(a_sweep_runs_from_to_by_step)
{
    bt_opts_t opts;
    ck_assert_int_eq(
        parse(&opts, "-c c.conf --sweep rules.spend_drop_pct=30:70:15 h.jsonl"), 0);
    ck_assert(opts.sweep);
    ck_assert_str_eq(opts.sweep_key, "rules.spend_drop_pct");
    ck_assert_uint_eq(bt_opts_sweep_count(&opts), 3);
    ck_assert_int_eq(bt_opts_sweep_value(&opts, 2), 60);
    ck_assert_uint_eq(opts.input_count, 1);
    ck_assert_str_eq(opts.inputs[0], "h.jsonl");
}
END_TEST

START_TEST(sets_now_and_model_are_read)
{
    bt_opts_t opts;
    ck_assert_int_eq(
        parse(&opts, "-c c.conf --set rules.emit_blue=false --set score.threshold=8 "
                     "--now 2026-11-20T10:00:00+08:00 --model monthly --json"),
        0);
    ck_assert_uint_eq(opts.set_count, 2);
    ck_assert_str_eq(opts.sets[1], "score.threshold=8");
    ck_assert(opts.has_now);
    ck_assert_int_eq(opts.now_ms, 1795140000000LL);
    ck_assert_int_eq(opts.model, CW_PRECISION_MONTHLY);
    ck_assert(opts.json);
    ck_assert_int_eq(parse(&opts, "-c c.conf --now 1795140000000"), 0);
    ck_assert_int_eq(opts.now_ms, 1795140000000LL);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
    bt_opts_t opts;
    const char *bad[] = {
        "",                                                 /* no -c */
        "-c c.conf --sweep rules.spend_drop_pct=70:30:5",   /* backwards */
        "-c c.conf --sweep rules.spend_drop_pct=30:70:0",   /* no step */
        "-c c.conf --sweep rules.spend_drop_pct=a:b:c",     /* not integers */
        "-c c.conf --sweep time.late_grace=1:2:1",          /* not a rule */
        "-c c.conf --sweep rules.x=0:100000:1",             /* too many runs */
        "-c c.conf --set spend_drop_pct=40",                /* no section */
        "-c c.conf --compare d.conf --sweep rules.x=1:2:1", /* both */
        "-c c.conf --emit e.jsonl --compare d.conf",        /* emit of two runs */
        "-c c.conf --brokers b:1 h.jsonl",                  /* Kafka and files */
        "-c c.conf --from 2026-11-20T00:00:00Z",            /* --from without Kafka */
        "-c c.conf --model yearly",
        "-c c.conf --now yesterday",
        "-c c.conf --bogus",
        "-c",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(&opts, bad[i]) == 2, "accepted: %s", bad[i]);
    ck_assert_int_eq(parse(&opts, "--help"), 1);
}
END_TEST

/* ---- input ---- */

static char tmp_path[64];

static void write_file(const char *text, size_t len)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/cw-bt-XXXXXX");
    int fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

START_TEST(lines_become_records_and_blank_lines_do_not)
{
    static const char text[] = "{\"a\":1}\n\n{\"b\":2}\r\n\r\nlast without a newline";
    write_file(text, sizeof text - 1);
    char err[256];
    const char *paths[] = {tmp_path, tmp_path};
    bt_source_t *source = bt_source_files(paths, 2, err, sizeof err);
    ck_assert_ptr_nonnull(source);
    ck_assert(bt_source_rewindable(source));
    const cw_record_t *const *records;
    size_t count;
    ck_assert_int_eq(bt_source_next(source, &records, &count, err, sizeof err), 0);
    ck_assert_uint_eq(count, 6); /* three of each file */
    ck_assert_uint_eq(records[1]->value_len, strlen("{\"b\":2}\r"));
    ck_assert_mem_eq(cw_record_value(records[2]), "last without a newline", 22);
    ck_assert_int_eq(records[5]->offset, 5);
    ck_assert(!records[0]->has_key);
    ck_assert_int_eq(bt_source_next(source, &records, &count, err, sizeof err), 0);
    ck_assert_uint_eq(count, 0);
    /* again from the start, the offsets too */
    ck_assert_int_eq(bt_source_rewind(source, err, sizeof err), 0);
    ck_assert_int_eq(bt_source_next(source, &records, &count, err, sizeof err), 0);
    ck_assert_uint_eq(count, 6);
    ck_assert_int_eq(records[0]->offset, 0);
    bt_source_free(source);
    unlink(tmp_path);
}
END_TEST

START_TEST(a_line_longer_than_the_buffer_is_held_as_its_head_and_digest)
{
    /* 3 MB: longer than the read buffer */
    size_t long_len = 3 * 1024 * 1024;
    char *text = malloc(long_len + 16);
    ck_assert_ptr_nonnull(text);
    memset(text, 'x', long_len);
    text[0] = '{';
    memcpy(text + long_len, "\n{}\n", 4);
    write_file(text, long_len + 4);
    char digest[CW_SHA256_HEX_SIZE];
    cw_sha256_hex(text, long_len, digest);
    char err[256];
    const char *paths[] = {tmp_path};
    bt_source_t *source = bt_source_files(paths, 1, err, sizeof err);
    ck_assert_ptr_nonnull(source);
    const cw_record_t *const *records;
    size_t count;
    ck_assert_int_eq(bt_source_next(source, &records, &count, err, sizeof err), 0);
    ck_assert_uint_eq(count, 2);
    ck_assert_uint_eq(records[0]->value_len, CW_RECORD_VALUE_KEPT);
    ck_assert_uint_eq(records[0]->value_bytes, long_len);
    ck_assert_mem_eq(cw_record_sha256(records[0]), digest, 64);
    ck_assert_uint_eq(records[1]->value_len, 2);
    bt_source_free(source);
    unlink(tmp_path);
    free(text);
}
END_TEST

START_TEST(a_missing_file_is_an_error_naming_it)
{
    char err[256];
    const char *paths[] = {"/nonexistent/history.jsonl"};
    ck_assert_ptr_null(bt_source_files(paths, 1, err, sizeof err));
    ck_assert_str_eq(err, "/nonexistent/history.jsonl: No such file or directory");
}
END_TEST

/* ---- emit ---- */

START_TEST(emit_drops_emitted_at_and_keeps_the_rest_byte_for_byte)
{
    cw_entries_t entries = {0};
    static const char json[] =
        "{\"alert_id\":\"x\",\"event_time\":5,\"emitted_at\":1795615200123,"
        "\"actions\":[],\"rules_version\":\"r\"}";
    ck_assert_int_eq(
        cw_entries_add_alert(&entries, "x", "13800138000", json, strlen(json), 3), 0);
    static const char last[] =
        "{\"outcome_id\":\"o\",\"event_id\":\"\\\"emitted_at\\\":1\","
        "\"emitted_at\":17}";
    ck_assert_int_eq(cw_entries_add_outcome(&entries, "o", "13800138000", last,
                                            strlen(last), 0, 0, -1),
                     0);
    char out[256];
    ck_assert_uint_gt(bt_emit_json(&entries.items[0], out, sizeof out), 0);
    ck_assert_str_eq(out, "{\"alert_id\":\"x\",\"event_time\":5,\"actions\":[],"
                          "\"rules_version\":\"r\"}");
    ck_assert_uint_gt(bt_emit_json(&entries.items[1], out, sizeof out), 0);
    ck_assert_str_eq(out, "{\"outcome_id\":\"o\",\"event_id\":\"\\\"emitted_at\\\":1\"}");
    ck_assert_uint_eq(bt_emit_json(&entries.items[0], out, 10), 0); /* does not fit */
    cw_entries_free(&entries);
}
END_TEST

/* ---- the report ---- */

static bt_report_t sample_report(void)
{
    bt_report_t r;
    memset(&r, 0, sizeof r);
    r.model = CW_PRECISION_WEEKLY;
    r.horizon = 8;
    r.events = 500000;
    r.dead[CW_DLQ_INVALID_JSON] = 3;
    r.alerts[CW_LEVEL_RED] = 812;
    r.alerts[CW_LEVEL_YELLOW] = 310;
    r.alerts[CW_LEVEL_BLUE] = 2950;
    cw_precision_report_t *p = &r.precision;
    p->classes[CW_LEVEL_RED] = (cw_precision_cell_t){790, 400, 280};
    p->classes[CW_LEVEL_YELLOW] = (cw_precision_cell_t){300, 150, 60};
    p->classes[CW_LEVEL_BLUE] = (cw_precision_cell_t){2900, 1500, 90};
    p->classes[0] = (cw_precision_cell_t){3990, 2050, 430};
    p->bits[CW_TRIG_SPEND_DROP] = (cw_precision_cell_t){130, 120, 90};
    p->churners = 500;
    p->caught = 380;
    p->lead[0] = 60;
    p->lead[1] = 150;
    p->lead[2] = 170;
    return r;
}

static char *printed(void (*print)(FILE *, const bt_report_t *),
                     const bt_report_t *report)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    print(f, report);
    fclose(f);
    return text;
}

START_TEST(the_json_report_is_spec_11s_object)
{
    bt_report_t r = sample_report();
    char *text = printed(bt_print_json, &r);
    ck_assert_str_eq(
        text,
        "{\"events\": 500000, \"dead_letters\": {\"invalid_json\": 3}, "
        "\"alerts\": {\"red\": 812, \"yellow\": 310, \"blue\": 2950}, "
        "\"pairs\": {\"red\": 790, \"yellow\": 300, \"blue\": 2900}, "
        "\"mature\": {\"red\": 400, \"yellow\": 150, \"blue\": 1500, \"all\": 2050}, "
        "\"hits\": {\"red\": 280, \"yellow\": 60, \"blue\": 90, \"all\": 430}, "
        "\"precision\": {\"red\": 0.7, \"yellow\": 0.4, \"blue\": 0.06, \"all\": 0.21}, "
        "\"by_trigger\": {\"complaints\": {\"mature\": 0, \"hits\": 0, \"precision\": "
        "null}, "
        "\"fwd_rival\": {\"mature\": 0, \"hits\": 0, \"precision\": null}, "
        "\"rival_service\": {\"mature\": 0, \"hits\": 0, \"precision\": null}, "
        "\"plan_downgrade\": {\"mature\": 0, \"hits\": 0, \"precision\": null}, "
        "\"contract_expiry\": {\"mature\": 0, \"hits\": 0, \"precision\": null}, "
        "\"spend_drop\": {\"mature\": 120, \"hits\": 90, \"precision\": 0.75}, "
        "\"usage_drop\": {\"mature\": 0, \"hits\": 0, \"precision\": null}}, "
        "\"churners\": 500, \"caught\": 380, \"recall\": 0.76, "
        "\"lead_weeks\": {\"0\": 60, \"1\": 150, \"2\": 170}}\n");
    free(text);
}
END_TEST

START_TEST(the_monthly_report_names_records_kinds_and_items)
{
    bt_report_t r = sample_report();
    r.model = CW_PRECISION_MONTHLY;
    r.scored = 77;
    r.precision.classes[CW_PRECISION_POTENTIAL] = (cw_precision_cell_t){5, 4, 3};
    char *text = printed(bt_print_json, &r);
    ck_assert_ptr_nonnull(strstr(text, "\"records\": {\"potential_churner\": 5, "));
    ck_assert_ptr_nonnull(strstr(text, "\"scored\": 77"));
    ck_assert_ptr_nonnull(strstr(text, "\"by_item\": {\"spend_fall\": "));
    ck_assert_ptr_nonnull(strstr(text, "\"vas_fall\": "));
    ck_assert_ptr_null(strstr(text, "\"alerts\""));
    free(text);
    text = printed(bt_print_tables, &r);
    ck_assert_ptr_nonnull(strstr(text, "potential_churner"));
    free(text);
}
END_TEST

START_TEST(the_tables_show_every_level_trigger_and_the_recall)
{
    bt_report_t r = sample_report();
    char *text = printed(bt_print_tables, &r);
    ck_assert_ptr_nonnull(strstr(text, "dead letters  3 (invalid_json 3)"));
    ck_assert_ptr_nonnull(strstr(text,
                                 "red                      812       790       400       "
                                 "280     0.700"));
    ck_assert_ptr_nonnull(
        strstr(text, "usage_drop                 0         0         0         -"));
    ck_assert_ptr_nonnull(strstr(text, "churners 500, caught 380, recall 0.760"));
    ck_assert_ptr_nonnull(strstr(text, "lead weeks  0: 60  1: 150  2: 170"));
    free(text);
}
END_TEST

/* ---- compare ---- */

START_TEST(compare_lists_the_pairs_of_one_side_and_those_changed)
{
    cw_precision_t *a = cw_precision_new(CW_PRECISION_WEEKLY, 2);
    cw_precision_t *b = cw_precision_new(CW_PRECISION_WEEKLY, 2);
    int32_t w = 2916;
    cw_precision_alert(a, "13800000001", w, CW_LEVEL_RED,
                       CW_TRIG_BIT(CW_TRIG_COMPLAINTS));
    cw_precision_alert(b, "13800000001", w, CW_LEVEL_RED,
                       CW_TRIG_BIT(CW_TRIG_COMPLAINTS));
    cw_precision_alert(a, "13800000002", w, CW_LEVEL_BLUE, 0);
    cw_precision_alert(b, "13800000002", w, CW_LEVEL_RED,
                       CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
    cw_precision_alert(b, "13800000003", w, CW_LEVEL_YELLOW,
                       CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
    bt_report_t ra = sample_report(), rb = sample_report();
    bt_compare_t compare = {{"a.conf", "dir/b \"new\".conf"}, {&ra, &rb}, {a, b}, false};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(bt_print_compare_json(f, &compare), 0);
    fclose(f);
    ck_assert_ptr_nonnull(
        strstr(text, "{\"configs\": [\"a.conf\", \"dir/b \\\"new\\\".conf\"]"));
    ck_assert_ptr_nonnull(strstr(text, "\"only_a\": []"));
    ck_assert_ptr_nonnull(strstr(text, "\"only_b\": [\n  {\"msisdn\": \"138****0003\", "
                                       "\"week\": \"2025-W47\", \"level\": \"yellow\", "
                                       "\"triggers\": [\"spend_drop\"]}]"));
    ck_assert_ptr_nonnull(strstr(text,
                                 "\"changed\": [\n  {\"msisdn\": \"138****0002\", "
                                 "\"week\": \"2025-W47\", \"a\": {\"level\": \"blue\", "
                                 "\"triggers\": []}, \"b\": {\"level\": \"red\", "
                                 "\"triggers\": [\"spend_drop\"]}}]}"));
    free(text);
    compare.full_numbers = true;
    f = open_memstream(&text, &len);
    ck_assert_int_eq(bt_print_compare_tables(f, &compare), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text,
                                 "pairs alerted only by b \"new\".conf: 1\n"
                                 "  2025-W47  13800000003      yellow (spend_drop)"));
    ck_assert_ptr_nonnull(
        strstr(text, "  2025-W47  13800000002      blue  ->  red (spend_drop)"));
    free(text);
    cw_precision_free(a);
    cw_precision_free(b);
}
END_TEST

/* ---- pictures ---- */

static size_t count_of(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(text, what); p != NULL; p = strstr(p + 1, what))
        n++;
    return n;
}

START_TEST(a_sweep_draws_a_curve_with_a_point_per_run)
{
    bt_report_t reports[3];
    int64_t values[3] = {30, 40, 50};
    for (int i = 0; i < 3; i++) {
        reports[i] = sample_report();
        reports[i].precision.classes[0].hits = 300 + 50 * (uint64_t)i;
        reports[i].precision.caught = 400 - 20 * (uint64_t)i;
    }
    bt_sweep_t sweep = {"rules.spend_drop_pct", values, reports, 3};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(bt_svg_sweep(f, &sweep), 0);
    fclose(f);
    ck_assert_int_eq(strncmp(text, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
    ck_assert_str_eq(text + len - 7, "</svg>\n");
    ck_assert_ptr_null(strstr(text, "nan"));
    ck_assert_ptr_null(strstr(text, "inf"));
    /* the curve's points: one white dot per run */
    ck_assert_uint_eq(count_of(text, "fill=\"#ffffff\" stroke="), 3);
    ck_assert_ptr_nonnull(strstr(text, ">40</text>"));
    ck_assert_ptr_nonnull(strstr(text, "spend_drop_pct"));
    free(text);
}
END_TEST

START_TEST(bars_escape_names_and_say_when_nothing_is_mature)
{
    bt_report_t a = sample_report(), b = sample_report();
    b.precision.classes[CW_LEVEL_RED].mature = 0;
    const bt_report_t *reports[2] = {&a, &b};
    const char *names[2] = {"a.conf", "b<&>.conf"};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(bt_svg_bars(f, reports, names, 2), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "b&lt;&amp;&gt;.conf"));
    ck_assert_ptr_nonnull(strstr(text, ">none mature</text>"));
    ck_assert_ptr_nonnull(strstr(text, ">0.700  (280 / 400)</text>"));
    ck_assert_str_eq(text + len - 7, "</svg>\n");
    free(text);
}
END_TEST

static Suite *backtest_tool_suite(void)
{
    Suite *s = suite_create("backtest_tool");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, a_sweep_runs_from_to_by_step);
    tcase_add_test(tc, sets_now_and_model_are_read);
    tcase_add_test(tc, usage_errors_exit_2);
    suite_add_tcase(s, tc);

    tc = tcase_create("input");
    tcase_add_test(tc, lines_become_records_and_blank_lines_do_not);
    tcase_add_test(tc, a_line_longer_than_the_buffer_is_held_as_its_head_and_digest);
    tcase_add_test(tc, a_missing_file_is_an_error_naming_it);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_add_test(tc, emit_drops_emitted_at_and_keeps_the_rest_byte_for_byte);
    tcase_add_test(tc, the_json_report_is_spec_11s_object);
    tcase_add_test(tc, the_monthly_report_names_records_kinds_and_items);
    tcase_add_test(tc, the_tables_show_every_level_trigger_and_the_recall);
    tcase_add_test(tc, compare_lists_the_pairs_of_one_side_and_those_changed);
    suite_add_tcase(s, tc);

    tc = tcase_create("svg");
    tcase_add_test(tc, a_sweep_draws_a_curve_with_a_point_per_run);
    tcase_add_test(tc, bars_escape_names_and_say_when_nothing_is_mature);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(backtest_tool_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
