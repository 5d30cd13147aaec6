/* Check suite for entry.c: outbox entries as stored in Redis and the Kafka
 * messages they decode to, including entries written by earlier versions. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"

static cw_entries_t entries;

static void setup(void)
{
    memset(&entries, 0, sizeof entries);
}

static void teardown(void)
{
    cw_entries_free(&entries);
}

static const char *header(const cw_message_t *message, const char *name)
{
    for (int i = 0; i < message->header_count; i++)
        if (strcmp(message->headers[i].name, name) == 0)
            return message->headers[i].value;
    return NULL;
}

START_TEST(an_alert_is_keyed_by_msisdn_and_carries_its_id)
{
    static const char id[] = "0123456789abcdef0123456789abcdef";
    ck_assert_int_eq(cw_entries_add_alert(&entries, id, "13800138000", "{\"a\":1}", 7, 3), 0);
    const cw_entry_t *entry = &entries.items[0];
    ck_assert_str_eq(entry->field, id);
    ck_assert_uint_eq(entry->value_len, 19);
    ck_assert_mem_eq(entry->value, "13800138000 {\"a\":1}", 19);
    cw_message_t message;
    ck_assert_int_eq(cw_entry_decode(entry->field, entry->field_len, entry->value,
                                     entry->value_len, &message),
                     0);
    ck_assert_int_eq(message.kind, CW_ENTRY_ALERT);
    ck_assert_uint_eq(message.key_len, 11);
    ck_assert_mem_eq(message.key, "13800138000", 11);
    ck_assert_uint_eq(message.value_len, 7);
    ck_assert_str_eq(header(&message, "cdrwarn.alert_id"), id);
}
END_TEST

START_TEST(a_dead_letter_keeps_key_value_and_source_byte_for_byte)
{
    static const char value[] = "{\"x\":\t\n\0}";
    cw_dead_letter_t letter = {CW_DLQ_BAD_FIELD, "ts: expected an integer", "cdr", 7, 12345,
                               "k\0y", 3, value, sizeof value, sizeof value, NULL};
    ck_assert_int_eq(cw_entries_add_dead_letter(&entries, &letter), 0);
    const cw_entry_t *entry = &entries.items[0];
    ck_assert_str_eq(entry->field, "d:cdr:12345");
    cw_message_t message;
    ck_assert_int_eq(cw_entry_decode(entry->field, entry->field_len, entry->value,
                                     entry->value_len, &message),
                     0);
    ck_assert_int_eq(message.kind, CW_ENTRY_DEAD_LETTER);
    ck_assert_uint_eq(message.key_len, 3);
    ck_assert_mem_eq(message.key, "k\0y", 3);
    ck_assert_uint_eq(message.value_len, sizeof value);
    ck_assert_mem_eq(message.value, value, sizeof value);
    ck_assert_str_eq(header(&message, "cdrwarn.reason"), "bad_field");
    ck_assert_str_eq(header(&message, "cdrwarn.detail"), "ts: expected an integer");
    ck_assert_str_eq(header(&message, "cdrwarn.source.topic"), "cdr");
    ck_assert_str_eq(header(&message, "cdrwarn.source.partition"), "7");
    ck_assert_str_eq(header(&message, "cdrwarn.source.offset"), "12345");
}
END_TEST

START_TEST(a_value_cut_short_carries_its_length_and_digest)
{
    static const char sha[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    cw_dead_letter_t letter = {CW_DLQ_TOO_LARGE, "value: expected at most 65536 bytes, got more",
                               "cdr", 1, 77, "13800138000", 11, "{\"a\":", 5, 1048576, sha};
    ck_assert_int_eq(cw_entries_add_dead_letter(&entries, &letter), 0);
    const cw_entry_t *entry = &entries.items[0];
    ck_assert_str_eq(entry->field, "t:cdr:77");
    cw_message_t message;
    ck_assert_int_eq(cw_entry_decode(entry->field, entry->field_len, entry->value,
                                     entry->value_len, &message),
                     0);
    ck_assert_uint_eq(message.value_len, 5);
    ck_assert_str_eq(header(&message, "cdrwarn.reason"), "too_large");
    ck_assert_str_eq(header(&message, "cdrwarn.value_bytes"), "1048576");
    ck_assert_str_eq(header(&message, "cdrwarn.value_sha256"), sha);
    ck_assert_str_eq(header(&message, "cdrwarn.detail"),
                     "value: expected at most 65536 bytes, got more");
    ck_assert_str_eq(header(&message, "cdrwarn.source.offset"), "77");
}
END_TEST

START_TEST(a_dead_letter_without_a_key_stays_without_one)
{
    cw_dead_letter_t letter = {CW_DLQ_INVALID_JSON, "", "crm", 0, 1, NULL, 0, "{", 1, 1, NULL};
    ck_assert_int_eq(cw_entries_add_dead_letter(&entries, &letter), 0);
    cw_message_t message;
    const cw_entry_t *entry = &entries.items[0];
    ck_assert_int_eq(cw_entry_decode(entry->field, entry->field_len, entry->value,
                                     entry->value_len, &message),
                     0);
    ck_assert_ptr_null(message.key);
    ck_assert_str_eq(header(&message, "cdrwarn.detail"), "");
}
END_TEST

START_TEST(an_entry_of_an_earlier_version_still_decodes)
{
    /* bytes as the daemon before the outbox refactor stored them */
    static const char stored[] = "too_large\tcdr\t2\t99\t-1\tvalue: 70000 bytes\nabc";
    cw_message_t message;
    ck_assert_int_eq(cw_entry_decode("d:cdr:99", 8, stored, sizeof stored - 1, &message), 0);
    ck_assert_uint_eq(message.value_len, 3);
    ck_assert_str_eq(header(&message, "cdrwarn.reason"), "too_large");
}
END_TEST

START_TEST(what_this_version_did_not_write_is_not_decoded)
{
    cw_message_t message;
    static const char *const bad[][2] = {
        {"d:cdr:1", "no newline"},
        {"d:cdr:1", "nonsense\tcdr\t1\t1\t-1\t\n"},
        {"d:cdr:1", "bad_field\tcdr\t1\t1\t9\t\nshort"},
        {"d:cdr:1", "bad_field\tcdr\t1\t1\n"},
        {"0123456789abcdef0123456789abcdef", "no-space-here"},
        {"short", "13800138000 {}"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(cw_entry_decode(bad[i][0], strlen(bad[i][0]), bad[i][1],
                                      strlen(bad[i][1]), &message) == -1,
                      "case %zu decoded", i);
}
END_TEST

static Suite *entry_suite(void)
{
    Suite *s = suite_create("entry");
    TCase *tc = tcase_create("encode_decode");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, an_alert_is_keyed_by_msisdn_and_carries_its_id);
    tcase_add_test(tc, a_dead_letter_keeps_key_value_and_source_byte_for_byte);
    tcase_add_test(tc, a_dead_letter_without_a_key_stays_without_one);
    tcase_add_test(tc, a_value_cut_short_carries_its_length_and_digest);
    tcase_add_test(tc, an_entry_of_an_earlier_version_still_decodes);
    tcase_add_test(tc, what_this_version_did_not_write_is_not_decoded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(entry_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
