/* Check suite for confdoc.c: the key reference of cdrwarn.conf(5) names every
 * key of the config table once, under its own section and term, with the
 * table's default, bounds and reload behaviour; the expansion's errors and
 * escapes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "confdoc.h"
#include "config.h"

#define PAGE_SOURCE CW_SOURCE_DIR "/man/cdrwarn.conf.5.scd.in"

static cw_errlist_t errs;

static void setup(void)
{
    cw_errlist_t empty = CW_ERRLIST_INIT;
    errs = empty;
}

static void teardown(void)
{
    cw_errlist_free(&errs);
    cw_alloc_fail_after(-1);
}

static char *read_page(size_t *len)
{
    FILE *file = fopen(PAGE_SOURCE, "rb");
    ck_assert_msg(file != NULL, "cannot open %s", PAGE_SOURCE);
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    ck_assert_uint_lt(n, sizeof text - 1);
    text[n] = '\0';
    *len = n;
    return text;
}

static cw_config_key_t key_named(const char *section, const char *name)
{
    cw_config_key_t key;
    for (size_t i = 0; i < cw_config_key_count(); i++) {
        cw_config_key_at(i, &key);
        if (strcmp(key.section, section) == 0 && strcmp(key.key, name) == 0)
            return key;
    }
    ck_abort_msg("no key [%s] %s in the config table", section, name);
    return key;
}

static void expect_description(const char *section, const char *name, const char *want)
{
    cw_config_key_t key = key_named(section, name);
    char got[CW_CONFDOC_LINE_SIZE];
    ck_assert_int_eq(cw_confdoc_describe(&key, got, sizeof got), 0);
    ck_assert_str_eq(got, want);
}

/* ---- the page ------------------------------------------------------------ */

START_TEST(the_page_describes_every_key_of_the_table_without_error)
{
    size_t len;
    const char *source = read_page(&len);
    char *page = NULL;
    int rc = cw_confdoc_expand(source, len, "cdrwarn.conf.5.scd.in", &page, &errs);
    ck_assert_msg(rc == 0, "rc %d:\n%s", rc, cw_errlist_text(&errs));
    for (size_t i = 0; i < cw_config_key_count(); i++) {
        cw_config_key_t key;
        char description[CW_CONFDOC_LINE_SIZE];
        cw_config_key_at(i, &key);
        ck_assert_int_eq(cw_confdoc_describe(&key, description, sizeof description), 0);
        /* the first sentence, with the default, as the page carries it */
        char *end = strstr(description, ". ");
        ck_assert_ptr_nonnull(end);
        end[1] = '\0';
        ck_assert_msg(strstr(page, description) != NULL,
                      "[%s] %s: \"%s\" not on the page", key.section, key.key,
                      description);
    }
    cw_free(page);
}
END_TEST

/* The term a placeholder stands under ("*group\_id* = _name_") is its key,
 * and the heading above it ("# [kafka]") its section: a description cannot
 * end up beside another key. */
START_TEST(each_key_is_described_under_its_own_section_and_term)
{
    size_t len;
    char *source = read_page(&len);
    char section[64] = "", term[128] = "";
    int placeholders = 0;
    for (char *line = strtok(source, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, "# [", 3) == 0) {
            snprintf(section, sizeof section, "%.*s", (int)strcspn(line + 3, "]"),
                     line + 3);
            term[0] = '\0';
        } else if (line[0] == '*') {
            /* the bold word, unescaped */
            size_t n = 0;
            for (const char *c = line + 1; *c != '\0' && *c != '*' && n < sizeof term - 1;
                 c++)
                if (*c != '\\')
                    term[n++] = *c;
            term[n] = '\0';
        } else if (line[0] == '\t' && line[1] == '@' && line[2] != '@') {
            char want[192];
            snprintf(want, sizeof want, "\t@%s.%s@", section, term);
            ck_assert_msg(strcmp(line, want) == 0, "%s stands under [%s] %s", line + 1,
                          section, term);
            placeholders++;
        }
    }
    ck_assert_int_eq(placeholders, (int)cw_config_key_count());
}
END_TEST

/* ---- one key's description ---------------------------------------------- */

START_TEST(a_required_key_says_so)
{
    expect_description("kafka", "brokers",
                       "Required (string). A change needs a restart.");
}
END_TEST

START_TEST(integer_bounds_are_a_range_or_a_lower_bound)
{
    expect_description("rules", "spend_drop_pct",
                       "Default: *50* (integer, 1 to 100). A reload applies a change.");
    expect_description("rules", "complaints_per_week",
                       "Default: *2* (integer, at least 1). A reload applies a change.");
}
END_TEST

START_TEST(durations_are_written_in_their_largest_exact_unit)
{
    expect_description("time", "idle_close",
                       "Default: *1h* (duration, 1s to 30d). A change needs a restart.");
    expect_description(
        "redis", "timeout",
        "Default: *5s* (duration, 100ms to 5m). A change needs a restart.");
    expect_description("time", "late_grace",
                       "Default: *6h* (duration, 0 to 30d). A change needs a restart.");
}
END_TEST

START_TEST(an_empty_default_reads_as_none)
{
    expect_description("redis", "password",
                       "Default: empty, none (string). A change needs a restart.");
}
END_TEST

START_TEST(markup_characters_in_a_default_are_escaped)
{
    expect_description(
        "numbers", "rival_prefixes",
        "Default: */etc/cdrwarn/rival\\_prefixes.txt* (path). A reload applies "
        "a change.");
}
END_TEST

START_TEST(a_key_whose_change_refuses_the_reload_says_so)
{
    expect_description(
        "numbers", "country_code",
        "Default: *86* (country code). A reload that changes it is refused.");
}
END_TEST

START_TEST(a_description_too_long_for_the_buffer_is_cut_and_reported)
{
    cw_config_key_t key = key_named("kafka", "brokers");
    char small[12];
    ck_assert_int_eq(cw_confdoc_describe(&key, small, sizeof small), -1);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

/* ---- expansion ----------------------------------------------------------- */

/* `head`, then a placeholder line for every key of the table but the one
 * at index `skip` ((size_t)-1: none skipped), then `extra`. */
static char *source_with(const char *head, size_t skip, const char *extra)
{
    static char text[64 * 1024];
    size_t n = (size_t)snprintf(text, sizeof text, "%s", head);
    for (size_t i = 0; i < cw_config_key_count(); i++) {
        cw_config_key_t key;
        cw_config_key_at(i, &key);
        if (i != skip)
            n += (size_t)snprintf(text + n, sizeof text - n, "\t@%s.%s@\n", key.section,
                                  key.key);
    }
    snprintf(text + n, sizeof text - n, "%s", extra);
    return text;
}

START_TEST(sentences_are_split_into_lines_indented_like_the_placeholder)
{
    const char *text = source_with("", (size_t)-1, "");
    char *page = NULL;
    ck_assert_int_eq(cw_confdoc_expand(text, strlen(text), "p", &page, &errs), 0);
    ck_assert_ptr_nonnull(
        strstr(page, "\tRequired (string).\n\tA change needs a restart.\n"));
    cw_free(page);
}
END_TEST

START_TEST(double_at_is_one_at_and_other_ats_are_kept)
{
    const char *text =
        source_with("mail me@example.net, +@@read, @Version@ @a.b\n", (size_t)-1, "");
    char *page = NULL;
    ck_assert_int_eq(cw_confdoc_expand(text, strlen(text), "p", &page, &errs), 0);
    ck_assert_ptr_nonnull(strstr(page, "mail me@example.net, +@read, @Version@ @a.b\n"));
    cw_free(page);
}
END_TEST

START_TEST(an_unknown_key_is_an_error_naming_its_line)
{
    const char *text = source_with("title\n\n\t@kafka.brokerz@\n", (size_t)-1, "");
    char *page = (char *)1;
    ck_assert_int_eq(cw_confdoc_expand(text, strlen(text), "p.scd", &page, &errs), 1);
    ck_assert_ptr_null(page);
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "p.scd:3: @kafka.brokerz@ names no key of the config table\n");
}
END_TEST

START_TEST(a_key_described_twice_is_an_error_naming_both_lines)
{
    const char *text = source_with("\t@redis.port@\n", (size_t)-1, "");
    char *page = (char *)1;
    ck_assert_int_eq(cw_confdoc_expand(text, strlen(text), "p.scd", &page, &errs), 1);
    ck_assert_ptr_null(page);
    /* the table's own line for it comes later and is the repeat */
    ck_assert_ptr_nonnull(
        strstr(cw_errlist_text(&errs), "@redis.port@ is described already at line 1\n"));
}
END_TEST

START_TEST(a_key_the_page_never_names_is_an_error_naming_it)
{
    size_t skip = 0;
    for (; skip < cw_config_key_count(); skip++) {
        cw_config_key_t key;
        cw_config_key_at(skip, &key);
        if (strcmp(key.key, "idle_close") == 0)
            break;
    }
    const char *text = source_with("", skip, "");
    char *page = (char *)1;
    ck_assert_int_eq(cw_confdoc_expand(text, strlen(text), "p.scd", &page, &errs), 1);
    ck_assert_ptr_null(page);
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "p.scd: [time] idle_close is not described: add "
                     "@time.idle_close@ with its text\n");
}
END_TEST

START_TEST(a_page_without_placeholders_misses_every_key)
{
    const char *text = "no keys here\n";
    char *page = (char *)1;
    ck_assert_int_eq(cw_confdoc_expand(text, strlen(text), "p", &page, &errs),
                     (int)cw_config_key_count());
    ck_assert_ptr_null(page);
}
END_TEST

START_TEST(out_of_memory_anywhere_is_reported_and_leaks_nothing)
{
    const char *text = source_with("head\n", (size_t)-1, "tail\n");
    int ok = 0;
    for (long n = 0; n < 64 && !ok; n++) {
        cw_errlist_t local = CW_ERRLIST_INIT;
        char *page = NULL;
        cw_alloc_fail_after(n);
        int rc = cw_confdoc_expand(text, strlen(text), "p", &page, &local);
        cw_alloc_fail_after(-1);
        if (rc == 0) {
            ok = 1;
            cw_free(page);
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_ptr_null(page);
        }
        cw_errlist_free(&local);
    }
    ck_assert_msg(ok, "never succeeded within 64 allocations");
}
END_TEST

static Suite *confdoc_suite(void)
{
    Suite *s = suite_create("confdoc");
    TCase *tc = tcase_create("page");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_page_describes_every_key_of_the_table_without_error);
    tcase_add_test(tc, each_key_is_described_under_its_own_section_and_term);
    suite_add_tcase(s, tc);

    tc = tcase_create("describe");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_required_key_says_so);
    tcase_add_test(tc, integer_bounds_are_a_range_or_a_lower_bound);
    tcase_add_test(tc, durations_are_written_in_their_largest_exact_unit);
    tcase_add_test(tc, an_empty_default_reads_as_none);
    tcase_add_test(tc, markup_characters_in_a_default_are_escaped);
    tcase_add_test(tc, a_key_whose_change_refuses_the_reload_says_so);
    tcase_add_test(tc, a_description_too_long_for_the_buffer_is_cut_and_reported);
    suite_add_tcase(s, tc);

    tc = tcase_create("expand");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sentences_are_split_into_lines_indented_like_the_placeholder);
    tcase_add_test(tc, double_at_is_one_at_and_other_ats_are_kept);
    tcase_add_test(tc, an_unknown_key_is_an_error_naming_its_line);
    tcase_add_test(tc, a_key_described_twice_is_an_error_naming_both_lines);
    tcase_add_test(tc, a_key_the_page_never_names_is_an_error_naming_it);
    tcase_add_test(tc, a_page_without_placeholders_misses_every_key);
    tcase_add_test(tc, out_of_memory_anywhere_is_reported_and_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(confdoc_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
