/* Fault suite, hostile input (SPEC section 8): a corpus of bad records is
 * mixed into the seeded traffic while it streams in: every dead-letter reason,
 * truncated and deeply nested JSON, invalid UTF-8, NUL bytes, a 1 MiB value,
 * numbers out of range, duplicate keys, a wrong JSON type in every field of
 * every event type, empty and null values and keys. Each lands on the DLQ once
 * at least, unchanged (same key, same value bytes), with the reason expected
 * and a detail that names no number; the daemon does not crash; and the good
 * traffic's alerts and aggregates (and the traffic's own bad records) are
 * those of the fault-free reference run. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

#define RATE_EPS 30000 /* the traffic takes about 13 s */
#define MAX_CORPUS 160
#define TS "1742788800000" /* 2025-03-24T12:00:00+08:00, inside the traffic */
#define BIG (1024 * 1024)

typedef struct bad {
    const char *name;
    const char *reason;
    char *value; /* owned; NULL: a null value */
    size_t len;
    bool null_key;
    char key[24];
    int sent; /* harness send index */
} bad_t;

static cw_harness_t *h;
static bad_t corpus[MAX_CORPUS];
static int corpus_count;

/* A number no subscriber has, on partition i % partitions. */
static void key_for(int i, char out[24])
{
    for (int j = 0;; j++) {
        snprintf(out, 24, "1390077%04d", (i * 97 + j) % 10000);
        if (cw_harness_partition_of(out, CW_FAULT_PARTITIONS) == i % CW_FAULT_PARTITIONS)
            return;
    }
}

static bad_t *add_bytes(const char *name, const char *reason, const char *value,
                        size_t len)
{
    ck_assert_int_lt(corpus_count, MAX_CORPUS);
    bad_t *b = &corpus[corpus_count];
    memset(b, 0, sizeof *b);
    b->name = name;
    b->reason = reason;
    key_for(corpus_count, b->key);
    if (value != NULL) {
        b->value = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(b->value);
        memcpy(b->value, value, len);
    }
    b->len = len;
    b->sent = -1;
    corpus_count++;
    return b;
}

/* printf-style; "%K" is not used: the record's own number is the key, so
 * the format gets it as its first %s where it wants it. */
static bad_t *add(const char *name, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bad_t *add(const char *name, const char *reason, const char *fmt, ...)
{
    bad_t *b = add_bytes(name, reason, "", 0);
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int len = vasprintf(&text, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(len, 0);
    free(b->value);
    b->value = text;
    b->len = (size_t)len;
    return b;
}

/* An event of `type` for the record's own number with the given extra
 * fields ("" or ",\"k\":v..."). */
#define EVENT(name, reason, type, fields)                                                \
    do {                                                                                 \
        char k_[24];                                                                     \
        key_for(corpus_count, k_);                                                       \
        add(name, reason,                                                                \
            "{\"event_id\":\"hostile-%d\",\"type\":\"" type                              \
            "\",\"msisdn\":\"%s\",\"ts\":" TS "%s}",                                     \
            corpus_count, k_, fields);                                                   \
    } while (0)

static void build_corpus(void)
{
    char key[24];
    /* ---- invalid_json ---- */
    key_for(corpus_count, key);
    add("truncated", "invalid_json",
        "{\"event_id\":\"t1\",\"type\":\"voice\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"direction\":\"mo\",\"peer\":\"1380013",
        key);
    add("truncated in an escape", "invalid_json", "{\"event_id\":\"t2\\u00");
    add("truncated after a key", "invalid_json", "{\"event_id\":");
    {
        /* 30000 levels: far beyond any parser's depth limit, under 64 KiB */
        size_t depth = 30000;
        char *text = malloc(2 * depth);
        memset(text, '[', depth);
        memset(text + depth, ']', depth);
        add_bytes("deeply nested arrays", "invalid_json", text, 2 * depth);
        free(text);
    }
    {
        key_for(corpus_count, key);
        char head[160];
        int n = snprintf(
            head, sizeof head,
            "{\"event_id\":\"deep\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
            ",\"bytes\":1,\"x\":",
            key);
        size_t depth = 5000, len = (size_t)n + depth * 5 + 1 + depth + 1;
        char *text = malloc(len);
        memcpy(text, head, (size_t)n);
        char *p = text + n;
        for (size_t i = 0; i < depth; i++, p += 5)
            memcpy(p, "{\"a\":", 5);
        *p++ = '1';
        memset(p, '}', depth + 1);
        add_bytes("deeply nested object in an unknown field", "invalid_json", text, len);
        free(text);
    }
    key_for(corpus_count, key);
    add("invalid UTF-8 in a value", "invalid_json",
        "{\"event_id\":\"\xff\xfe\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("invalid UTF-8 in a key", "invalid_json",
        "{\"\x80\":1,\"event_id\":\"u\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("overlong UTF-8", "invalid_json",
        "{\"event_id\":\"\xc0\xaf\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("lone surrogate escape", "invalid_json",
        "{\"event_id\":\"\\ud800\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        key);
    {
        key_for(corpus_count, key);
        char text[200];
        int n = snprintf(
            text, sizeof text,
            "{\"event_id\":\"n#l\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
            ",\"bytes\":1}",
            key);
        *strchr(text, '#') = '\0';
        add_bytes("NUL byte inside a string", "invalid_json", text, (size_t)n);
    }
    {
        key_for(corpus_count, key);
        char text[200];
        int n =
            snprintf(text, sizeof text,
                     "{\"event_id\":\"z\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
                     ",\"bytes\":1}#",
                     key);
        text[n - 1] = '\0';
        add_bytes("NUL byte after the object", "invalid_json", text, (size_t)n);
    }
    key_for(corpus_count, key);
    add("escaped NUL", "invalid_json",
        "{\"event_id\":\"a\\u0000b\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("duplicate key", "invalid_json",
        "{\"event_id\":\"d1\",\"event_id\":\"d2\",\"type\":\"data\",\"msisdn\":\"%s\","
        "\"ts\":" TS ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("duplicate msisdn", "invalid_json",
        "{\"event_id\":\"d3\",\"type\":\"data\",\"msisdn\":\"%s\",\"msisdn\":\"%s\","
        "\"ts\":" TS ",\"bytes\":1}",
        key, key);
    add_bytes("empty value", "invalid_json", "", 0);
    add_bytes("null value", "invalid_json", NULL, 0);
    add("whitespace only", "invalid_json", " \t\r\n ");
    key_for(corpus_count, key);
    add("trailing garbage", "invalid_json",
        "{\"event_id\":\"g\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1} x",
        key);
    add("single quotes", "invalid_json", "{'event_id':'q','type':'data'}");
    key_for(corpus_count, key);
    add("NaN", "invalid_json",
        "{\"event_id\":\"nan\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":NaN}",
        key);
    key_for(corpus_count, key);
    add("byte-order mark", "invalid_json",
        "\xef\xbb\xbf{\"event_id\":\"bom\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        key);
    bad_t *null_key = add("null key", "invalid_json", "{nope");
    null_key->null_key = true;

    /* ---- not_object ---- */
    add("array", "not_object", "[1,2,3]");
    add("string", "not_object", "\"just a string\"");
    add("number", "not_object", "12345");
    add("null", "not_object", "null");
    add("true", "not_object", "true");

    /* ---- missing_field: the common ones, then each type's required ones ---- */
    key_for(corpus_count, key);
    add("no event_id", "missing_field",
        "{\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS ",\"bytes\":1}", key);
    key_for(corpus_count, key);
    add("no type", "missing_field",
        "{\"event_id\":\"m2\",\"msisdn\":\"%s\",\"ts\":" TS ",\"bytes\":1}", key);
    add("no msisdn", "missing_field",
        "{\"event_id\":\"m3\",\"type\":\"data\",\"ts\":" TS ",\"bytes\":1}");
    key_for(corpus_count, key);
    add("no ts", "missing_field",
        "{\"event_id\":\"m4\",\"type\":\"data\",\"msisdn\":\"%s\",\"bytes\":1}", key);
    add("empty object", "missing_field", "{}");
    EVENT("voice without direction", "missing_field", "voice",
          ",\"peer\":\"13800138000\",\"duration_s\":60");
    EVENT("voice without peer", "missing_field", "voice",
          ",\"direction\":\"mo\",\"duration_s\":60");
    EVENT("voice without duration_s", "missing_field", "voice",
          ",\"direction\":\"mo\",\"peer\":\"13800138000\"");
    EVENT("sms without direction", "missing_field", "sms", ",\"peer\":\"13800138000\"");
    EVENT("sms without peer", "missing_field", "sms", ",\"direction\":\"mt\"");
    EVENT("data without bytes", "missing_field", "data", ",\"charge_fen\":10");
    EVENT("charge without charge_fen", "missing_field", "charge", ",\"item\":\"rental\"");
    EVENT("plan_change without from_fee_fen", "missing_field", "plan_change",
          ",\"to_fee_fen\":1000");
    EVENT("plan_change without to_fee_fen", "missing_field", "plan_change",
          ",\"from_fee_fen\":1000");
    EVENT("complaint without severity", "missing_field", "complaint",
          ",\"overdue\":true");
    EVENT("suspend without reason", "missing_field", "suspend", "");
    EVENT("arrears without owed_fen", "missing_field", "arrears", ",\"months\":1");
    EVENT("arrears without months", "missing_field", "arrears", ",\"owed_fen\":1200");
    EVENT("fault without level", "missing_field", "fault", "");
    EVENT("service without channel", "missing_field", "service", "");
    EVENT("subscribe without service", "missing_field", "subscribe", ",\"fee_fen\":500");

    /* ---- bad_field: a wrong JSON type (or value) in every field ---- */
    key_for(corpus_count, key);
    add("event_id a number", "bad_field",
        "{\"event_id\":7,\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("event_id empty", "bad_field",
        "{\"event_id\":\"\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("event_id of 65 characters", "bad_field",
        "{\"event_id\":\"%065d\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
        ",\"bytes\":1}",
        0, key);
    key_for(corpus_count, key);
    add("event_id an object", "bad_field",
        "{\"event_id\":{},\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("type a number", "bad_field",
        "{\"event_id\":\"b1\",\"type\":3,\"msisdn\":\"%s\",\"ts\":" TS ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("type null", "bad_field",
        "{\"event_id\":\"b2\",\"type\":null,\"msisdn\":\"%s\",\"ts\":" TS ",\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("ts a boolean", "bad_field",
        "{\"event_id\":\"b3\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":true,\"bytes\":"
        "1}",
        key);
    key_for(corpus_count, key);
    add("ts a real", "bad_field",
        "{\"event_id\":\"b4\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":1741579200000.5,"
        "\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("ts negative", "bad_field",
        "{\"event_id\":\"b5\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":-1,\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("ts after year 9999", "bad_field",
        "{\"event_id\":\"b6\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":253402300800000,"
        "\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("ts beyond 64 bits", "bad_field",
        "{\"event_id\":\"b7\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":"
        "99999999999999999999999,"
        "\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("ts not RFC 3339", "bad_field",
        "{\"event_id\":\"b8\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":\"yesterday\","
        "\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("ts without an offset", "bad_field",
        "{\"event_id\":\"b9\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":\"2025-03-10T12:"
        "00:00\","
        "\"bytes\":1}",
        key);
    EVENT("direction a number", "bad_field", "voice",
          ",\"direction\":1,\"peer\":\"13800138000\",\"duration_s\":60");
    EVENT("direction unknown", "bad_field", "voice",
          ",\"direction\":\"sideways\",\"peer\":\"13800138000\",\"duration_s\":60");
    EVENT("sms forwarded", "bad_field", "sms",
          ",\"direction\":\"fwd\",\"peer\":\"13800138000\"");
    EVENT("peer a number", "bad_field", "voice",
          ",\"direction\":\"mo\",\"peer\":13800138000,\"duration_s\":60");
    EVENT("peer not a number", "bad_field", "sms",
          ",\"direction\":\"mo\",\"peer\":\"abc\"");
    EVENT("peer too short", "bad_field", "sms", ",\"direction\":\"mo\",\"peer\":\"12\"");
    EVENT("duration_s a string", "bad_field", "voice",
          ",\"direction\":\"mo\",\"peer\":\"13800138000\",\"duration_s\":\"60\"");
    EVENT("duration_s negative", "bad_field", "voice",
          ",\"direction\":\"mo\",\"peer\":\"13800138000\",\"duration_s\":-5");
    EVENT("duration_s over 31 days", "bad_field", "voice",
          ",\"direction\":\"mo\",\"peer\":\"13800138000\",\"duration_s\":2678401");
    EVENT("charge_fen a string", "bad_field", "charge", ",\"charge_fen\":\"100\"");
    EVENT("charge_fen negative", "bad_field", "charge", ",\"charge_fen\":-1");
    EVENT("charge_fen over 10^11", "bad_field", "charge", ",\"charge_fen\":100000000001");
    EVENT("charge_fen a real", "bad_field", "charge", ",\"charge_fen\":1e3");
    EVENT("charge_fen beyond 64 bits", "bad_field", "sms",
          ",\"direction\":\"mo\",\"peer\":\"13800138000\",\"charge_fen\":"
          "18446744073709551616");
    EVENT("charge_fen null", "bad_field", "data", ",\"bytes\":1,\"charge_fen\":null");
    EVENT("item a number", "bad_field", "charge", ",\"charge_fen\":100,\"item\":5");
    EVENT("bytes an array", "bad_field", "data", ",\"bytes\":[1]");
    EVENT("bytes over 10^15", "bad_field", "data", ",\"bytes\":1000000000000001");
    EVENT("from_fee_fen a string", "bad_field", "plan_change",
          ",\"from_fee_fen\":\"9900\",\"to_fee_fen\":1000");
    EVENT("to_fee_fen null", "bad_field", "plan_change",
          ",\"from_fee_fen\":9900,\"to_fee_fen\":null");
    EVENT("severity a number", "bad_field", "complaint", ",\"severity\":2");
    EVENT("severity unknown", "bad_field", "complaint", ",\"severity\":\"minor\"");
    EVENT("overdue a string", "bad_field", "complaint",
          ",\"severity\":\"normal\",\"overdue\":\"yes\"");
    EVENT("overdue a number", "bad_field", "complaint",
          ",\"severity\":\"normal\",\"overdue\":1");
    EVENT("tier a number", "bad_field", "profile", ",\"tier\":3");
    EVENT("tier unknown", "bad_field", "profile", ",\"tier\":\"platinum\"");
    EVENT("tier unknown as a word", "bad_field", "profile", ",\"tier\":\"unknown\"");
    EVENT("subsidy_end a number", "bad_field", "profile", ",\"subsidy_end\":20250101");
    EVENT("subsidy_end not a date", "bad_field", "profile",
          ",\"subsidy_end\":\"2025-13-45\"");
    EVENT("contract_end slashed", "bad_field", "profile",
          ",\"contract_end\":\"2025/01/01\"");
    EVENT("contract_end an object", "bad_field", "profile", ",\"contract_end\":{}");
    /* the types of SPEC sections 10 and 14 */
    EVENT("churn without kind", "bad_field", "churn", ",\"to_operator\":\"chinaunicom\"");
    EVENT("churn kind unknown", "bad_field", "churn", ",\"kind\":\"moved_abroad\"");
    EVENT("churn kind a number", "bad_field", "churn", ",\"kind\":1");
    EVENT("to_operator a number", "bad_field", "churn",
          ",\"kind\":\"port_out\",\"to_operator\":7");
    EVENT("to_operator empty", "bad_field", "churn",
          ",\"kind\":\"port_out\",\"to_operator\":\"\"");
    EVENT("suspend reason unknown", "bad_field", "suspend", ",\"reason\":\"holiday\"");
    EVENT("suspend reason null", "bad_field", "suspend", ",\"reason\":null");
    EVENT("owed_fen a string", "bad_field", "arrears",
          ",\"owed_fen\":\"1200\",\"months\":1");
    EVENT("owed_fen negative", "bad_field", "arrears", ",\"owed_fen\":-1,\"months\":1");
    EVENT("months over 1200", "bad_field", "arrears",
          ",\"owed_fen\":1200,\"months\":1201");
    EVENT("fault level 0", "bad_field", "fault", ",\"level\":0");
    EVENT("fault level 4", "bad_field", "fault", ",\"level\":4");
    EVENT("fault level a string", "bad_field", "fault", ",\"level\":\"2\"");
    EVENT("service channel unknown", "bad_field", "service", ",\"channel\":\"email\"");
    EVENT("service channel an array", "bad_field", "service", ",\"channel\":[\"vip\"]");
    EVENT("subscribe service empty", "bad_field", "subscribe", ",\"service\":\"\"");
    EVENT("subscribe service a number", "bad_field", "subscribe", ",\"service\":5");
    EVENT("subscribe fee_fen negative", "bad_field", "subscribe",
          ",\"service\":\"vas:music\",\"fee_fen\":-100");

    /* ---- unknown_type ---- */
    EVENT("type fax", "unknown_type", "fax", ",\"bytes\":1");
    EVENT("type in capitals", "unknown_type", "VOICE",
          ",\"direction\":\"mo\",\"peer\":\"13800138000\",\"duration_s\":60");
    EVENT("type empty", "unknown_type", "", ",\"bytes\":1");

    /* ---- bad_msisdn ---- */
    add("msisdn too short", "bad_msisdn",
        "{\"event_id\":\"s1\",\"type\":\"data\",\"msisdn\":\"12\",\"ts\":" TS
        ",\"bytes\":1}");
    add("msisdn of 16 digits", "bad_msisdn",
        "{\"event_id\":\"s2\",\"type\":\"data\",\"msisdn\":\"1234567890123456\","
        "\"ts\":" TS ",\"bytes\":1}");
    add("msisdn with dashes", "bad_msisdn",
        "{\"event_id\":\"s3\",\"type\":\"data\",\"msisdn\":\"138-0013-8000\",\"ts\":" TS
        ",\"bytes\":1}");
    add("msisdn empty", "bad_msisdn",
        "{\"event_id\":\"s4\",\"type\":\"data\",\"msisdn\":\"\",\"ts\":" TS
        ",\"bytes\":1}");
    add("msisdn a number", "bad_msisdn",
        "{\"event_id\":\"s5\",\"type\":\"data\",\"msisdn\":13800138000,\"ts\":" TS
        ",\"bytes\":1}");
    add("msisdn null", "bad_msisdn",
        "{\"event_id\":\"s6\",\"type\":\"data\",\"msisdn\":null,\"ts\":" TS
        ",\"bytes\":1}");

    /* ---- future_ts and too_old: valid events at the wrong time ---- */
    key_for(corpus_count, key);
    add("two days ahead", "future_ts",
        "{\"event_id\":\"f1\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":%lld,\"bytes\":"
        "1}",
        key, (long long)(cw_harness_now_ms() + 2 * 86400000LL));
    key_for(corpus_count, key);
    add("year 2000", "too_old",
        "{\"event_id\":\"o1\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":946684800000,"
        "\"bytes\":1}",
        key);
    key_for(corpus_count, key);
    add("ten weeks before the traffic", "too_old",
        "{\"event_id\":\"o2\",\"type\":\"complaint\",\"msisdn\":\"%s\",\"ts\":\"2024-12-"
        "20T10:00:00+08:00\","
        "\"severity\":\"serious\"}",
        key);

    /* ---- too_large ---- */
    {
        key_for(corpus_count, key);
        char *text = malloc(BIG);
        int n = snprintf(
            text, BIG,
            "{\"event_id\":\"big\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
            ",\"bytes\":1,\"pad\":\"",
            key);
        memset(text + n, 'x', BIG - (size_t)n - 2);
        memcpy(text + BIG - 2, "\"}", 2);
        add_bytes("1 MiB value", "too_large", text, BIG);
        key_for(corpus_count, key);
        n = snprintf(
            text, BIG,
            "{\"event_id\":\"big2\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":" TS
            ",\"bytes\":1,\"pad\":\"",
            key);
        memset(text + n, 'y', 65537 - (size_t)n - 2);
        memcpy(text + 65537 - 2, "\"}", 2);
        add_bytes("one byte over 64 KiB", "too_large", text, 65537);
        memset(text, '[', 200000);
        add_bytes("200 kB of brackets", "too_large", text, 200000);
        free(text);
    }
}

/* Sends corpus records first..last-1 to the input topic. */
static void send_corpus(int first, int last)
{
    for (int i = first; i < last; i++) {
        bad_t *b = &corpus[i];
        b->sent = cw_harness_send(h, CW_FAULT_TOPIC, b->null_key ? NULL : b->key,
                                  b->value, b->len);
        CW_HARNESS_ASSERT(h, b->sent >= 0, "sending '%s': %s", b->name,
                          cw_harness_error(h));
    }
    CW_HARNESS_OK(h, cw_harness_flush(h, 60000));
    cw_harness_log(h, "sent bad records %d..%d at %lld records applied", first, last - 1,
                   (long long)cw_fault_applied(h));
}

static const bad_t *corpus_at(const char *topic, int32_t partition, int64_t offset)
{
    for (int i = 0; i < corpus_count; i++) {
        const cw_harness_sent_t *s = cw_harness_sent(h, corpus[i].sent);
        if (s != NULL && s->partition == partition && s->offset == offset &&
            strcmp(s->topic, topic) == 0)
            return &corpus[i];
    }
    return NULL;
}

static bool is_corpus(const char *topic, int32_t partition, int64_t offset, void *arg)
{
    return corpus_at(topic, partition, offset) != NULL;
}

START_TEST(every_bad_record_lands_on_the_dlq_and_the_good_traffic_is_unchanged)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    build_corpus();
    cw_harness_log(h, "a corpus of %d bad records", corpus_count);
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, RATE_EPS));

    /* in three parts through the stream; the first once every partition has
     * a stream time, which too_old is measured against */
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++) {
        bool found = false;
        for (int waited = 0; !found; waited += 20) {
            cw_meta_t meta;
            CW_HARNESS_OK(h, cw_harness_meta(h, p, &meta, &found));
            found = found && meta.stream_ms != CW_STREAM_NONE;
            CW_HARNESS_ASSERT(h, found || waited < CW_FAULT_WAIT_MS,
                              "partition %d has no stream time", p);
            if (!found)
                cw_harness_sleep_ms(20);
        }
    }
    send_corpus(0, corpus_count / 3);
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records * 2 / 5, CW_FAULT_WAIT_MS));
    send_corpus(corpus_count / 3, corpus_count * 2 / 3);
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records * 7 / 10, CW_FAULT_WAIT_MS));
    send_corpus(corpus_count * 2 / 3, corpus_count);

    CW_FAULT_OK(h, cw_fault_settle(h, CW_FAULT_WAIT_MS));
    CW_HARNESS_ASSERT(h, cw_harness_daemon_running(h), "cdrwarnd died");
    CW_FAULT_OK(h, cw_fault_collect(h, &got, is_corpus, NULL));
    CW_FAULT_OK(h, cw_fault_compare(h, &ref, &got));

    /* each corpus record on the DLQ, unchanged, with its reason */
    cw_harness_msgs_t dlq;
    CW_HARNESS_OK(
        h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ, 0, CW_FAULT_WAIT_MS, &dlq));
    int found[MAX_CORPUS] = {0};
    int wrong = 0;
    for (size_t i = 0; i < dlq.count; i++) {
        const cw_harness_msg_t *m = &dlq.items[i];
        const char *topic = cw_harness_msg_header(m, "cdrwarn.source.topic");
        const char *partition = cw_harness_msg_header(m, "cdrwarn.source.partition");
        const char *offset = cw_harness_msg_header(m, "cdrwarn.source.offset");
        const char *reason = cw_harness_msg_header(m, "cdrwarn.reason");
        const char *detail = cw_harness_msg_header(m, "cdrwarn.detail");
        if (topic == NULL || partition == NULL || offset == NULL)
            continue;
        const bad_t *b = corpus_at(topic, atoi(partition), strtoll(offset, NULL, 10));
        if (b == NULL)
            continue;
        found[b - corpus]++;
        bool same_key = b->null_key ? m->key == NULL
                                    : m->key != NULL && m->key_len == strlen(b->key) &&
                                          memcmp(m->key, b->key, m->key_len) == 0;
        bool same_value = cw_harness_dead_letter_value_is(m, b->value, b->len);
        bool right_reason = reason != NULL && strcmp(reason, b->reason) == 0;
        bool private = detail != NULL && detail[0] != '\0' &&
                       strstr(detail, b->key) == NULL &&
                       strstr(detail, "13800138000") == NULL;
        if (!same_key || !same_value || !right_reason || !private) {
            if (wrong++ < 20)
                cw_harness_log(
                    h, "bad record '%s': reason %s (expected %s), detail '%s'%s%s",
                    b->name, reason ? reason : "(none)", b->reason,
                    detail ? detail : "(none)", same_key ? "" : ", key changed",
                    same_value ? "" : ", value changed");
        }
    }
    int missing = 0;
    for (int i = 0; i < corpus_count; i++)
        if (found[i] == 0 && missing++ < 20)
            cw_harness_log(h, "bad record '%s' (%s) is not on the DLQ", corpus[i].name,
                           corpus[i].reason);
    cw_harness_msgs_free(&dlq);
    CW_HARNESS_ASSERT(
        h, missing == 0 && wrong == 0,
        "%d of %d bad records missing from the DLQ, %d with the wrong reason, a "
        "changed key or value, or a detail that is empty or names a number",
        missing, corpus_count, wrong);

    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    int rc = cw_fault_main(
        "fault_hostile",
        every_bad_record_lands_on_the_dlq_and_the_good_traffic_is_unchanged, &h);
    for (int i = 0; i < corpus_count; i++)
        free(corpus[i].value);
    return rc;
}
