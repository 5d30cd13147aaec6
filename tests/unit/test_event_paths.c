/* Check suite: cw_event_parse's flat fast path agrees with the jansson
 * reference path (cw_event_parse_reference) on every input, valid or not:
 * same reason, same detail, same event. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

static const char *const records[] = {
    "{\"event_id\":\"v1\",\"type\":\"voice\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"direction\":\"mo\",\"peer\":\"13012345678\",\"duration_s\":120,\"charge_fen\":35}",
    "{\"event_id\":\"v2\",\"type\":\"voice\",\"msisdn\":\"+8613800138000\","
    "\"ts\":\"2026-11-22T10:00:00+08:00\",\"direction\":\"fwd\",\"peer\":\"0086133123456789\","
    "\"duration_s\":0}",
    "{\"event_id\":\"s1\",\"type\":\"sms\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"direction\":\"mt\",\"peer\":\"10010\"}",
    "{\"event_id\":\"d1\",\"type\":\"data\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"bytes\":1048576,\"charge_fen\":0,\"cell\":\"A17\"}",
    "{\"event_id\":\"c1\",\"type\":\"charge\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"charge_fen\":5800,\"item\":\"rental\"}",
    "{\"event_id\":\"p1\",\"type\":\"plan_change\",\"msisdn\":\"13800138000\","
    "\"ts\":1795312800000,\"from_fee_fen\":18800,\"to_fee_fen\":9800}",
    "{\"event_id\":\"k1\",\"type\":\"complaint\",\"msisdn\":\"13800138000\","
    "\"ts\":1795312800000,\"severity\":\"serious\",\"overdue\":true}",
    "{\"event_id\":\"f1\",\"type\":\"profile\",\"msisdn\":\"13800138000\","
    "\"ts\":1795312800000,\"tier\":\"high\",\"subsidy_end\":null,\"contract_end\":\"2027-06-30\"}",
    "{\"event_id\":\"n1\",\"type\":\"churn\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"kind\":\"port_out\",\"to_operator\":\"unicom\"}",
    "{\"event_id\":\"n2\",\"type\":\"churn\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"kind\":\"cancel\"}",
    "{\"event_id\":\"u1\",\"type\":\"suspend\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"reason\":\"loss_report\"}",
    "{\"event_id\":\"a1\",\"type\":\"arrears\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"owed_fen\":15800,\"months\":2}",
    "{\"event_id\":\"t1\",\"type\":\"fault\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"level\":3}",
    "{\"event_id\":\"r1\",\"type\":\"service\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"channel\":\"vip\"}",
    "{\"event_id\":\"b1\",\"type\":\"subscribe\",\"msisdn\":\"13800138000\","
    "\"ts\":1795312800000,\"service\":\"vas:music\",\"fee_fen\":1500}",
    "{\"event_id\":\"c2\",\"type\":\"charge\",\"msisdn\":\"13800138000\",\"ts\":1795312800000,"
    "\"charge_fen\":900,\"item\":\"vas:music\"}",
    " { \"event_id\" : \"w1\" , \"type\" : \"data\" , \"msisdn\" : \"13800138000\" , "
    "\"ts\" : 1795312800000 , \"bytes\" : 5 }\n",
    /* integers of 18, 19 and 20 digits: the fast path declines past 18 */
    "{\"event_id\":\"n\",\"type\":\"data\",\"msisdn\":\"13800138000\",\"ts\":1,"
    "\"bytes\":999999999999999999}",
    "{\"event_id\":\"n\",\"type\":\"data\",\"msisdn\":\"13800138000\",\"ts\":1,"
    "\"bytes\":9999999999999999999}",
    "{\"event_id\":\"n\",\"type\":99999999999999999999,\"msisdn\":\"1\"}",
    /* the first MUTATED records are the mutation bases */
    "{\"event_id\":\"n\",\"type\":\"churn\",\"msisdn\":\"1\",\"ts\":0,\"to_operator\":\"x\"}",
    "{\"event_id\":\"n\",\"type\":\"churn\",\"msisdn\":\"1\",\"ts\":0,\"kind\":\"cancel\","
    "\"to_operator\":\"\\u8054\\u901a\"}",
    "{\"event_id\":\"n\",\"type\":\"fault\",\"msisdn\":\"1\",\"ts\":0,\"level\":0}",
    "{}",
    "[]",
    "42",
};

/* Records the mutations start from: every valid one and the edge cases
 * before "{}". */
#define MUTATED 23

/* Bytes a mutation may write: JSON's structural characters, digits, escape
 * and non-ASCII starts, so the mutants reach every branch of both parsers. */
static const char mutation_bytes[] = "{}[]\":,.-+eE0123456789 \t\n\\u\x80\xc3\xa9tfnul";

static void assert_same(const char *value, size_t len)
{
    cw_event_t fast, reference;
    char fast_detail[CW_DETAIL_SIZE], reference_detail[CW_DETAIL_SIZE];
    cw_dlq_reason_t a = cw_event_parse(value, len, "86", &fast, fast_detail, sizeof fast_detail);
    cw_dlq_reason_t b = cw_event_parse_reference(value, len, "86", &reference, reference_detail,
                                                 sizeof reference_detail);
    ck_assert_msg(a == b, "reason %s vs reference %s for: %.*s", cw_dlq_reason_name(a),
                  cw_dlq_reason_name(b), (int)len, value);
    ck_assert_str_eq(fast_detail, reference_detail);
    if (a == CW_DLQ_NONE)
        ck_assert_msg(memcmp(&fast, &reference, sizeof fast) == 0, "events differ for: %.*s",
                      (int)len, value);
}

START_TEST(valid_and_plain_invalid_records_agree)
{
    ck_assert_str_eq(records[MUTATED], "{}");
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++)
        assert_same(records[i], strlen(records[i]));
}
END_TEST

START_TEST(duplicate_keys_are_invalid_on_both_paths)
{
    const char *known = "{\"event_id\":\"a\",\"event_id\":\"b\",\"type\":\"data\"}";
    const char *unknown = "{\"x\":1,\"event_id\":\"a\",\"x\":2}";
    cw_event_t ev;
    char detail[CW_DETAIL_SIZE];
    ck_assert_int_eq(cw_event_parse(known, strlen(known), "86", &ev, detail, sizeof detail),
                     CW_DLQ_INVALID_JSON);
    ck_assert_int_eq(cw_event_parse(unknown, strlen(unknown), "86", &ev, detail, sizeof detail),
                     CW_DLQ_INVALID_JSON);
    assert_same(known, strlen(known));
    assert_same(unknown, strlen(unknown));
}
END_TEST

START_TEST(mutated_records_agree)
{
    /* a fixed seed: the same mutants in every run */
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    char buf[1024];
    for (int round = 0; round < 60000; round++) {
        const char *base = records[round % MUTATED];
        size_t len = strlen(base);
        memcpy(buf, base, len);
        int edits = 1 + round % 3;
        for (int e = 0; e < edits; e++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (size_t)(state >> 33) % len;
            char c = mutation_bytes[(state >> 13) % (sizeof mutation_bytes - 1)];
            switch ((state >> 7) % 3) {
            case 0: /* replace */
                buf[at] = c;
                break;
            case 1: /* insert */
                if (len + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = c;
                    len++;
                }
                break;
            default: /* truncate */
                len = at;
                break;
            }
            if (len == 0)
                break;
        }
        assert_same(buf, len);
    }
}
END_TEST

static Suite *paths_suite(void)
{
    Suite *s = suite_create("event_paths");
    TCase *tc = tcase_create("agreement");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, valid_and_plain_invalid_records_agree);
    tcase_add_test(tc, duplicate_keys_are_invalid_on_both_paths);
    tcase_add_test(tc, mutated_records_agree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(paths_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
