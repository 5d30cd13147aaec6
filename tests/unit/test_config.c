/* Check suite for config.c: every key and its default, the value types, path
 * resolution, comments and syntax, the exact error lines (data-driven from
 * tests/data/config/invalid/<case>/{cdrwarn.conf,error}), rules_version and
 * out-of-memory paths. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "event.h"

#define INVALID_DIR CW_TEST_DATA_DIR "/config/invalid"
#define MINIMAL "[kafka]\nbrokers = 127.0.0.1:9092\n"
#define MAX_CASES 256

static char *case_names[MAX_CASES];
static int case_count;

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

/* Parses text that must be valid; fails the test with the errors if not. */
static cw_config_t *parse_ok_at(const char *text, const char *path)
{
    cw_config_t *config = NULL;
    int rc = cw_config_parse(text, strlen(text), path, &config, &errs);
    ck_assert_msg(rc == 0, "rc %d, errors:\n%s", rc, cw_errlist_text(&errs));
    ck_assert_ptr_nonnull(config);
    return config;
}

static cw_config_t *parse_ok(const char *text)
{
    return parse_ok_at(text, "/etc/cw/cdrwarn.conf");
}

/* Parses text that must fail; returns the error text. */
static const char *parse_errors(const char *text, int expected_count)
{
    cw_config_t *config = (cw_config_t *)1;
    int rc = cw_config_parse(text, strlen(text), "t.conf", &config, &errs);
    ck_assert_ptr_null(config);
    ck_assert_int_eq(rc, expected_count);
    ck_assert_int_eq(errs.count, expected_count);
    return cw_errlist_text(&errs);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* ---- defaults ---- */

START_TEST(minimal_config_takes_every_default)
{
    cw_config_t *c = parse_ok(MINIMAL);
    ck_assert_str_eq(c->path, "/etc/cw/cdrwarn.conf");
    ck_assert_str_eq(c->brokers, "127.0.0.1:9092");
    ck_assert_str_eq(c->group_id, "cdrwarn");
    ck_assert_uint_eq(c->input_topic_count, 3);
    ck_assert_str_eq(c->input_topics[0], "cdr");
    ck_assert_str_eq(c->input_topics[1], "billing");
    ck_assert_str_eq(c->input_topics[2], "crm");
    ck_assert_str_eq(c->alert_topic, "churn-alerts");
    ck_assert_str_eq(c->dlq_topic, "cdrwarn-dlq");
    ck_assert_uint_eq(c->kafka_prop_count, 0);
    ck_assert_int_eq(c->max_in_flight, 60000);
    ck_assert_str_eq(c->redis_host, "127.0.0.1");
    ck_assert_int_eq(c->redis_port, 6379);
    ck_assert_ptr_null(c->redis_password);
    ck_assert_ptr_null(c->redis_password_file);
    ck_assert_ptr_null(c->redis_user);
    ck_assert_str_eq(c->key_prefix, "cw:");
    ck_assert_int_eq(c->redis_timeout_ms, 5000);
    ck_assert_int_eq(c->utc_offset_s, 8 * 3600);
    ck_assert_int_eq(c->late_grace_ms, 6 * 3600000LL);
    ck_assert_int_eq(c->max_future_ms, 10 * 60000LL);
    ck_assert_int_eq(c->idle_close_ms, 3600000LL);
    ck_assert_int_eq(c->weeks_kept, 9);
    ck_assert_str_eq(c->country_code, "86");
    ck_assert_str_eq(c->rival_prefixes_path, "/etc/cdrwarn/rival_prefixes.txt");
    ck_assert_str_eq(c->own_prefixes_path, "/etc/cdrwarn/own_prefixes.txt");
    ck_assert_str_eq(c->ported_numbers_path, "/etc/cdrwarn/ported.txt");
    ck_assert_uint_eq(c->rival_service_numbers.count, 3);
    ck_assert_str_eq(c->rival_service_numbers.items[0], "10010");
    ck_assert_str_eq(c->rival_service_numbers.items[1], "10000");
    ck_assert_str_eq(c->rival_service_numbers.items[2], "10099");
    ck_assert_str_eq(c->rival_staff_numbers_path, "/etc/cdrwarn/rival_staff.txt");
    cw_rules_t defaults;
    cw_rules_defaults(&defaults);
    ck_assert_uint_eq(c->rules.watched_tiers, defaults.watched_tiers);
    ck_assert_int_eq(c->rules.complaints_per_week, 2);
    ck_assert_int_eq(c->rules.spend_drop_pct, 50);
    ck_assert_int_eq(c->rules.spend_drop_min_base_fen, 2000);
    ck_assert_int_eq(c->rules.usage_drop_pct, 50);
    ck_assert_int_eq(c->rules.usage_drop_min_base_s, 600);
    ck_assert_int_eq(c->rules.fwd_rival_days, 3);
    ck_assert_int_eq(c->rules.rival_service_calls, 2);
    ck_assert_int_eq(c->rules.contract_expiry_days, 30);
    ck_assert_int_eq(c->rules.subsidy_horizon_months, 3);
    ck_assert(c->rules.emit_blue);
    ck_assert_uint_eq(c->actions.by_trigger[CW_TRIG_COMPLAINTS].count, 1);
    ck_assert_str_eq(c->actions.by_trigger[CW_TRIG_COMPLAINTS].names[0],
                     "service_recovery_callback");
    ck_assert_str_eq(c->actions.by_level_tier[CW_LEVEL_RED][CW_TIER_HIGH].names[0],
                     "home_visit");
    ck_assert_str_eq(c->http_listen, "127.0.0.1:9464");
    ck_assert_int_eq(c->http_max_connections, 16);
    ck_assert_int_eq(c->http_request_timeout_ms, 5000);
    ck_assert_str_eq(c->outcome_topic, "churn-outcomes");
    ck_assert_str_eq(c->score_topic, "churn-scores");
    ck_assert(!c->redis_cluster);
    ck_assert_int_eq(c->min_replicas_acked, 0);
    ck_assert_uint_eq(c->own_service_numbers.count, 1);
    ck_assert_str_eq(c->own_service_numbers.items[0], "10086");
    ck_assert_int_eq(c->rules.outcome_horizon_weeks, 8);
    ck_assert_int_eq(c->score.threshold, 10);
    ck_assert_int_eq(c->score.spend_fall_pct, 90);
    ck_assert_int_eq(c->score.few_new_services_points, 1);
    ck_assert_int_eq(c->score.value_drop_min_base_fen, 5000);
    ck_assert_str_eq(c->console_listen, "127.0.0.1:8080");
    ck_assert_str_eq(c->console_key_prefix, "cwc:");
    ck_assert_str_eq(c->console_users_file, "/etc/cdrwarn/console-users");
    cw_config_free(c);
}
END_TEST

START_TEST(empty_file_lacks_only_brokers)
{
    ck_assert_str_eq(parse_errors("", 1),
                     "t.conf: [kafka] brokers: required key is missing, and so is its section [kafka]\n");
}
END_TEST

/* ---- values ---- */

static const char every_key[] =
    "[kafka]\n"
    "brokers = k1:9092,k2:9092\n"
    "group_id = cw-test\n"
    "input_topics = a , b.c , d_e-f\n"
    "alert_topic = alerts.v2\n"
    "dlq_topic = dead\n"
    "max_in_flight = 5000\n"
    "property.security.protocol = SASL_SSL\n"
    "property.sasl.mechanisms = SCRAM-SHA-512\n"
    "[redis]\n"
    "host = redis.internal\n"
    "port = 6380\n"
    "password_file = secrets/redis.pw\n"
    "user = cdrwarn\n"
    "key_prefix = cdrwarn:v1:\n"
    "timeout = 1500ms\n"
    "[time]\n"
    "utc_offset = -05:30\n"
    "late_grace = 2h\n"
    "max_future = 90s\n"
    "idle_close = 15m\n"
    "weeks_kept = 12\n"
    "[numbers]\n"
    "country_code = 44\n"
    "rival_prefixes = rp.txt\n"
    "own_prefixes = /srv/own.txt\n"
    "ported_numbers = lists/ported.txt\n"
    "rival_service_numbers = 150, +447700900123 ,00447700900124\n"
    "rival_staff_numbers =\n"
    "[rules]\n"
    "watched_tiers = low, unknown\n"
    "complaints_per_week = 4\n"
    "spend_drop_pct = 30\n"
    "spend_drop_min_base_fen = 5000\n"
    "usage_drop_pct = 40\n"
    "usage_drop_min_base_s = 1200\n"
    "fwd_rival_days = 2\n"
    "rival_service_calls = 5\n"
    "contract_expiry_days = 60\n"
    "subsidy_horizon_months = 6\n"
    "emit_blue = off\n"
    "[actions]\n"
    "complaints = apology_call, voucher\n"
    "red_high =\n"
    "yellow_low = sms\n"
    "[http]\n"
    "listen = [::1]:9500\n"
    "max_connections = 64\n"
    "request_timeout = 750ms\n";

START_TEST(every_key_is_parsed)
{
    cw_config_t *c = parse_ok(every_key);
    ck_assert_str_eq(c->brokers, "k1:9092,k2:9092");
    ck_assert_str_eq(c->group_id, "cw-test");
    ck_assert_uint_eq(c->input_topic_count, 3);
    ck_assert_str_eq(c->input_topics[0], "a");
    ck_assert_str_eq(c->input_topics[1], "b.c");
    ck_assert_str_eq(c->input_topics[2], "d_e-f");
    ck_assert_str_eq(c->alert_topic, "alerts.v2");
    ck_assert_str_eq(c->dlq_topic, "dead");
    ck_assert_int_eq(c->max_in_flight, 5000);
    ck_assert_uint_eq(c->kafka_prop_count, 2);
    ck_assert_str_eq(c->redis_host, "redis.internal");
    ck_assert_int_eq(c->redis_port, 6380);
    ck_assert_ptr_null(c->redis_password);
    ck_assert_str_eq(c->redis_password_file, "/etc/cw/secrets/redis.pw");
    ck_assert_str_eq(c->redis_user, "cdrwarn");
    ck_assert_str_eq(c->key_prefix, "cdrwarn:v1:");
    ck_assert_int_eq(c->redis_timeout_ms, 1500);
    ck_assert_int_eq(c->utc_offset_s, -(5 * 3600 + 30 * 60));
    ck_assert_int_eq(c->late_grace_ms, 2 * 3600000LL);
    ck_assert_int_eq(c->max_future_ms, 90000);
    ck_assert_int_eq(c->idle_close_ms, 15 * 60000LL);
    ck_assert_int_eq(c->weeks_kept, 12);
    ck_assert_str_eq(c->country_code, "44");
    ck_assert_str_eq(c->rival_prefixes_path, "/etc/cw/rp.txt");
    ck_assert_str_eq(c->own_prefixes_path, "/srv/own.txt");
    ck_assert_str_eq(c->ported_numbers_path, "/etc/cw/lists/ported.txt");
    ck_assert_uint_eq(c->rival_service_numbers.count, 3);
    ck_assert_str_eq(c->rival_service_numbers.items[0], "150");
    ck_assert_str_eq(c->rival_service_numbers.items[1], "7700900123");
    ck_assert_str_eq(c->rival_service_numbers.items[2], "7700900124");
    ck_assert_ptr_null(c->rival_staff_numbers_path);
    ck_assert_uint_eq(c->rules.watched_tiers,
                      (1u << CW_TIER_LOW) | (1u << CW_TIER_UNKNOWN));
    ck_assert_int_eq(c->rules.complaints_per_week, 4);
    ck_assert_int_eq(c->rules.spend_drop_pct, 30);
    ck_assert_int_eq(c->rules.spend_drop_min_base_fen, 5000);
    ck_assert_int_eq(c->rules.usage_drop_pct, 40);
    ck_assert_int_eq(c->rules.usage_drop_min_base_s, 1200);
    ck_assert_int_eq(c->rules.fwd_rival_days, 2);
    ck_assert_int_eq(c->rules.rival_service_calls, 5);
    ck_assert_int_eq(c->rules.contract_expiry_days, 60);
    ck_assert_int_eq(c->rules.subsidy_horizon_months, 6);
    ck_assert(!c->rules.emit_blue);
    const cw_action_list_t *complaints = &c->actions.by_trigger[CW_TRIG_COMPLAINTS];
    ck_assert_uint_eq(complaints->count, 2);
    ck_assert_str_eq(complaints->names[0], "apology_call");
    ck_assert_str_eq(complaints->names[1], "voucher");
    ck_assert_uint_eq(c->actions.by_level_tier[CW_LEVEL_RED][CW_TIER_HIGH].count, 0);
    ck_assert_str_eq(c->actions.by_level_tier[CW_LEVEL_YELLOW][CW_TIER_LOW].names[0],
                     "sms");
    /* keys not given keep their defaults */
    ck_assert_str_eq(c->actions.by_trigger[CW_TRIG_PLAN_DOWNGRADE].names[0],
                     "value_review");
    ck_assert_str_eq(c->http_listen, "[::1]:9500");
    ck_assert_int_eq(c->http_max_connections, 64);
    ck_assert_int_eq(c->http_request_timeout_ms, 750);
    cw_config_free(c);
}
END_TEST

START_TEST(every_duration_suffix)
{
    int64_t ms = -1;
    ck_assert_int_eq(cw_config_parse_duration("250ms", &ms), 0);
    ck_assert_int_eq(ms, 250);
    ck_assert_int_eq(cw_config_parse_duration("30", &ms), 0);
    ck_assert_int_eq(ms, 30000);
    ck_assert_int_eq(cw_config_parse_duration("30s", &ms), 0);
    ck_assert_int_eq(ms, 30000);
    ck_assert_int_eq(cw_config_parse_duration("5m", &ms), 0);
    ck_assert_int_eq(ms, 300000);
    ck_assert_int_eq(cw_config_parse_duration("2h", &ms), 0);
    ck_assert_int_eq(ms, 7200000);
    ck_assert_int_eq(cw_config_parse_duration("3d", &ms), 0);
    ck_assert_int_eq(ms, 259200000);
    ck_assert_int_eq(cw_config_parse_duration("0", &ms), 0);
    ck_assert_int_eq(ms, 0);
}
END_TEST

START_TEST(malformed_durations_are_rejected)
{
    static const char *const bad[] = {"",
                                      "s",
                                      "5 m",
                                      "-1s",
                                      "1.5h",
                                      "5M",
                                      "5ms ",
                                      "1w",
                                      "+5s",
                                      "9223372036854775807d",
                                      "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        ck_assert_msg(cw_config_parse_duration(bad[i], &ms) == -1, "'%s' accepted",
                      bad[i]);
        ck_assert_int_eq(ms, 42);
    }
}
END_TEST

START_TEST(duration_bounds_are_inclusive)
{
    cw_config_t *c =
        parse_ok(MINIMAL "[time]\nlate_grace = 30d\nmax_future = 0\nidle_close = 1s\n"
                         "[redis]\ntimeout = 100ms\n");
    ck_assert_int_eq(c->late_grace_ms, 30 * 86400000LL);
    ck_assert_int_eq(c->max_future_ms, 0);
    ck_assert_int_eq(c->idle_close_ms, 1000);
    ck_assert_int_eq(c->redis_timeout_ms, 100);
    cw_config_free(c);
}
END_TEST

START_TEST(http_limits_take_their_bounds_and_refuse_beyond)
{
    cw_config_t *c = parse_ok(MINIMAL "[http]\nmax_connections = 1\nrequest_timeout = 100ms\n");
    ck_assert_int_eq(c->http_max_connections, 1);
    ck_assert_int_eq(c->http_request_timeout_ms, 100);
    cw_config_free(c);
    c = parse_ok(MINIMAL "[http]\nmax_connections = 1024\nrequest_timeout = 5m\n");
    ck_assert_int_eq(c->http_max_connections, 1024);
    ck_assert_int_eq(c->http_request_timeout_ms, 300000);
    cw_config_free(c);
    ck_assert_str_eq(parse_errors(MINIMAL "[http]\nmax_connections = 0\n"
                                          "request_timeout = 99ms\n",
                                  2),
                     "t.conf:4: [http] max_connections: expected an integer from 1 to 1024, "
                     "found '0'\n"
                     "t.conf:5: [http] request_timeout: expected a duration from 100ms to 5m "
                     "(a whole number with an optional ms, s, m, h or d suffix; none = "
                     "seconds), found '99ms'\n");
}
END_TEST

START_TEST(utc_offset_forms)
{
    int32_t s = 1;
    ck_assert_int_eq(cw_config_parse_utc_offset("Z", &s), 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(cw_config_parse_utc_offset("+08:00", &s), 0);
    ck_assert_int_eq(s, 28800);
    ck_assert_int_eq(cw_config_parse_utc_offset("+05:45", &s), 0);
    ck_assert_int_eq(s, 20700);
    ck_assert_int_eq(cw_config_parse_utc_offset("-03", &s), 0);
    ck_assert_int_eq(s, -10800);
    ck_assert_int_eq(cw_config_parse_utc_offset("+14:00", &s), 0);
    ck_assert_int_eq(s, 50400);
    ck_assert_int_eq(cw_config_parse_utc_offset("-12:00", &s), 0);
    ck_assert_int_eq(s, -43200);
    static const char *const bad[] = {"",       "8",      "+8",     "+08:0", "+0800",
                                      "+08:60", "+14:01", "-12:30", "08:00", "UTC"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(cw_config_parse_utc_offset(bad[i], &s) == -1, "'%s' accepted",
                      bad[i]);
}
END_TEST

START_TEST(bool_spellings)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "off", "0", "False", "OFF"};
    char text[128];
    for (size_t i = 0; i < 6; i++) {
        snprintf(text, sizeof text, MINIMAL "[rules]\nemit_blue = %s\n", yes[i]);
        cw_config_t *c = parse_ok(text);
        ck_assert_msg(c->rules.emit_blue, "'%s' is not true", yes[i]);
        cw_config_free(c);
        snprintf(text, sizeof text, MINIMAL "[rules]\nemit_blue = %s\n", no[i]);
        c = parse_ok(text);
        ck_assert_msg(!c->rules.emit_blue, "'%s' is not false", no[i]);
        cw_config_free(c);
    }
}
END_TEST

START_TEST(listen_accepts_host_names_and_bracketed_ipv6)
{
    static const char *const good[] = {"0.0.0.0:80", "metrics.local:9464", "[::1]:9464",
                                       "[::]:1", "localhost:65535"};
    char text[128];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(text, sizeof text, MINIMAL "[http]\nlisten = %s\n", good[i]);
        cw_config_t *c = parse_ok(text);
        ck_assert_str_eq(c->http_listen, good[i]);
        cw_config_free(c);
    }
    static const char *const bad[] = {":9464", "host:",      "host:0", "[::1]9464",
                                      "[]:1",  "host:65536", "a b:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, MINIMAL "[http]\nlisten = %s\n", bad[i]);
        cw_config_t *c = (cw_config_t *)1;
        cw_errlist_free(&errs);
        ck_assert_msg(cw_config_parse(text, strlen(text), "t.conf", &c, &errs) == 1,
                      "'%s' accepted", bad[i]);
    }
}
END_TEST

START_TEST(service_numbers_use_a_country_code_given_after_them)
{
    cw_config_t *c = parse_ok(MINIMAL "[numbers]\nrival_service_numbers = +447700900123\n"
                                      "country_code = 44\n");
    ck_assert_uint_eq(c->rival_service_numbers.count, 1);
    ck_assert_str_eq(c->rival_service_numbers.items[0], "7700900123");
    cw_config_free(c);
}
END_TEST

START_TEST(empty_service_numbers_mean_none)
{
    cw_config_t *c = parse_ok(MINIMAL "[numbers]\nrival_service_numbers =\n");
    ck_assert_uint_eq(c->rival_service_numbers.count, 0);
    cw_config_free(c);
}
END_TEST

START_TEST(topic_name_limits)
{
    char text[600];
    char topic[251];
    memset(topic, 'x', 249);
    topic[249] = '\0';
    snprintf(text, sizeof text, MINIMAL "alert_topic = %s\n", topic);
    cw_config_t *c = parse_ok(text);
    ck_assert_uint_eq(strlen(c->alert_topic), 249);
    cw_config_free(c);
    topic[249] = 'x';
    topic[250] = '\0';
    snprintf(text, sizeof text, MINIMAL "alert_topic = %s\n", topic);
    cw_config_t *bad = (cw_config_t *)1;
    ck_assert_int_eq(cw_config_parse(text, strlen(text), "t.conf", &bad, &errs), 1);
    cw_errlist_free(&errs);
    static const char dots[] = MINIMAL "dlq_topic = ..\n";
    ck_assert_int_eq(cw_config_parse(dots, sizeof dots - 1, "t.conf", &bad, &errs), 1);
    ck_assert_ptr_null(bad);
}
END_TEST

START_TEST(sixteen_input_topics_are_allowed)
{
    cw_config_t *c =
        parse_ok(MINIMAL "input_topics = t1,t2,t3,t4,t5,t6,t7,t8,t9,t10,t11,t12,"
                         "t13,t14,t15,t16\n");
    ck_assert_uint_eq(c->input_topic_count, CW_MAX_INPUT_TOPICS);
    ck_assert_str_eq(c->input_topics[15], "t16");
    cw_config_free(c);
}
END_TEST

START_TEST(password_given_inline)
{
    cw_config_t *c = parse_ok(MINIMAL "[redis]\npassword = s3cr3t!\nuser = cw\n");
    ck_assert_str_eq(c->redis_password, "s3cr3t!");
    ck_assert_str_eq(c->redis_user, "cw");
    ck_assert_ptr_null(c->redis_password_file);
    cw_config_free(c);
}
END_TEST

/* ---- paths ---- */

START_TEST(relative_paths_resolve_against_the_config_folder)
{
    cw_config_t *c = parse_ok_at(MINIMAL "[numbers]\nown_prefixes = own.txt\n"
                                         "rival_prefixes = ../shared/rival.txt\n"
                                         "ported_numbers = /abs/ported.txt\n",
                                 "/opt/cdrwarn/etc/cdrwarn.conf");
    ck_assert_str_eq(c->own_prefixes_path, "/opt/cdrwarn/etc/own.txt");
    ck_assert_str_eq(c->rival_prefixes_path, "/opt/cdrwarn/etc/../shared/rival.txt");
    ck_assert_str_eq(c->ported_numbers_path, "/abs/ported.txt");
    cw_config_free(c);
}
END_TEST

START_TEST(relative_config_path_gives_relative_paths_beside_it)
{
    cw_config_t *c =
        parse_ok_at(MINIMAL "[numbers]\nown_prefixes = own.txt\n", "config/cdrwarn.conf");
    ck_assert_str_eq(c->own_prefixes_path, "config/own.txt");
    cw_config_free(c);
    c = parse_ok_at(MINIMAL "[numbers]\nown_prefixes = own.txt\n", "cdrwarn.conf");
    ck_assert_str_eq(c->own_prefixes_path, "own.txt");
    cw_config_free(c);
    c = parse_ok_at(MINIMAL "[numbers]\nown_prefixes = own.txt\n", "/cdrwarn.conf");
    ck_assert_str_eq(c->own_prefixes_path, "/own.txt");
    cw_config_free(c);
}
END_TEST

START_TEST(empty_path_means_no_file)
{
    cw_config_t *c =
        parse_ok(MINIMAL "[numbers]\nown_prefixes =\nrival_prefixes = # none\n"
                         "ported_numbers=\nrival_staff_numbers =\n");
    ck_assert_ptr_null(c->own_prefixes_path);
    ck_assert_ptr_null(c->rival_prefixes_path);
    ck_assert_ptr_null(c->ported_numbers_path);
    ck_assert_ptr_null(c->rival_staff_numbers_path);
    cw_config_free(c);
}
END_TEST

/* ---- syntax ---- */

START_TEST(comments_anywhere)
{
    cw_config_t *c = parse_ok("# a whole-line comment\n"
                              "   # an indented one\n"
                              "[kafka]   # after a section\n"
                              "brokers = b:1   # after a value\n"
                              "group_id = g#no space before the hash\n"
                              "dlq_topic = dead\n");
    ck_assert_str_eq(c->brokers, "b:1");
    ck_assert_str_eq(c->group_id, "g");
    ck_assert_str_eq(c->dlq_topic, "dead");
    cw_config_free(c);
    /* "alert_topic=#..." is an empty topic: an error, not the comment text */
    parse_errors("[kafka]\nbrokers = b:1\nalert_topic=#x\n", 1);
}
END_TEST

START_TEST(whitespace_crlf_and_bom_are_accepted)
{
    cw_config_t *c = parse_ok("\xEF\xBB\xBF[ kafka ]\r\n\tbrokers\t=\t b:1 \r\n\r\n"
                              "group_id=g\r\n[redis]\r\nport=7000");
    ck_assert_str_eq(c->brokers, "b:1");
    ck_assert_str_eq(c->group_id, "g");
    ck_assert_int_eq(c->redis_port, 7000); /* last line without a newline */
    cw_config_free(c);
}
END_TEST

START_TEST(values_may_hold_equals_and_spaces)
{
    cw_config_t *c = parse_ok(MINIMAL "group_id = team a=b\nproperty.sasl.jaas.config = "
                                      "x required user=\"u\"\n");
    ck_assert_str_eq(c->group_id, "team a=b");
    ck_assert_str_eq(c->kafka_props[0].value, "x required user=\"u\"");
    cw_config_free(c);
}
END_TEST

START_TEST(a_section_may_be_reopened)
{
    cw_config_t *c =
        parse_ok("[kafka]\nbrokers = b:1\n[redis]\nport = 7\n[kafka]\ngroup_id = g\n");
    ck_assert_str_eq(c->group_id, "g");
    ck_assert_int_eq(c->redis_port, 7);
    cw_config_free(c);
}
END_TEST

START_TEST(properties_pass_through_in_order_with_their_lines)
{
    cw_config_t *c = parse_ok("[kafka]\n"
                              "property.security.protocol = SASL_SSL\n"
                              "brokers = b:1\n"
                              "# comment\n"
                              "property.sasl.mechanisms = SCRAM-SHA-512  # comment\n"
                              "property.session.timeout.ms = 10000\n");
    ck_assert_uint_eq(c->kafka_prop_count, 3);
    ck_assert_str_eq(c->kafka_props[0].name, "security.protocol");
    ck_assert_str_eq(c->kafka_props[0].value, "SASL_SSL");
    ck_assert_int_eq(c->kafka_props[0].line, 2);
    ck_assert_str_eq(c->kafka_props[1].name, "sasl.mechanisms");
    ck_assert_str_eq(c->kafka_props[1].value, "SCRAM-SHA-512");
    ck_assert_int_eq(c->kafka_props[1].line, 5);
    ck_assert_str_eq(c->kafka_props[2].name, "session.timeout.ms");
    ck_assert_str_eq(c->kafka_props[2].value, "10000");
    ck_assert_int_eq(c->kafka_props[2].line, 6);
    cw_config_free(c);
}
END_TEST

/* ---- errors ---- */

START_TEST(invalid_case_reports_its_exact_errors)
{
    const char *name = case_names[_i];
    char dir[512], conf[600], errfile[600];
    snprintf(dir, sizeof dir, "%s/%s", INVALID_DIR, name);
    snprintf(conf, sizeof conf, "%s/cdrwarn.conf", dir);
    snprintf(errfile, sizeof errfile, "%s/error", dir);

    /* the error file names the config as "cdrwarn.conf"; the loader names it
     * by the path it was given */
    char expected[8192] = "";
    int lines = 0;
    const char *text = read_all(errfile);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0) {
            size_t used = strlen(expected);
            snprintf(expected + used, sizeof expected - used, "%s/%.*s\n", dir, (int)len,
                     p);
            lines++;
        }
        p += len + (nl ? 1 : 0);
    }

    cw_config_t *config = (cw_config_t *)1;
    int rc = cw_config_load(conf, &config, &errs);
    ck_assert_ptr_null(config);
    ck_assert_msg(strcmp(cw_errlist_text(&errs), expected) == 0,
                  "case %s:\n got:\n%s expected:\n%s", name, cw_errlist_text(&errs),
                  expected);
    ck_assert_msg(rc == lines, "case %s: rc %d, %d error lines", name, rc, lines);
}
END_TEST

START_TEST(unreadable_file_is_reported_at_line_0)
{
    cw_config_t *config = (cw_config_t *)1;
    ck_assert_int_eq(
        cw_config_load(CW_TEST_DATA_DIR "/config/no-such.conf", &config, &errs), 1);
    ck_assert_ptr_null(config);
    ck_assert_str_eq(
        cw_errlist_text(&errs), CW_TEST_DATA_DIR
        "/config/no-such.conf: cannot open the config file: No such file or "
        "directory\n");
}
END_TEST

START_TEST(directory_is_reported_at_line_0)
{
    cw_config_t *config = (cw_config_t *)1;
    ck_assert_int_eq(cw_config_load(CW_TEST_DATA_DIR "/config", &config, &errs), 1);
    ck_assert_ptr_null(config);
    ck_assert_str_eq(cw_errlist_text(&errs), CW_TEST_DATA_DIR
                     "/config: cannot read the config file: Is a directory\n");
}
END_TEST

/* Writes a valid config padded with a comment to exactly `size` bytes. */
static void write_padded(const char *path, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    static const char head[] = MINIMAL "#";
    fputs(head, f);
    for (size_t i = sizeof head - 1; i < size; i++)
        fputc('x', f);
    fclose(f);
}

START_TEST(config_of_one_mib_loads_and_one_byte_more_is_refused)
{
    char path[] = "/tmp/cw_test_config_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_padded(path, 1024 * 1024);
    cw_config_t *config = NULL;
    int rc = cw_config_load(path, &config, &errs);
    ck_assert_msg(rc == 0, "%s", cw_errlist_text(&errs));
    cw_config_free(config);

    write_padded(path, 1024 * 1024 + 1);
    config = (cw_config_t *)1;
    rc = cw_config_load(path, &config, &errs);
    char expected[128];
    snprintf(expected, sizeof expected,
             "%s: the config file is larger than 1048576 bytes\n", path);
    unlink(path);
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_null(config);
    ck_assert_str_eq(cw_errlist_text(&errs), expected);
}
END_TEST

START_TEST(nul_byte_makes_a_malformed_line)
{
    static const char text[] = "[kafka]\nbrokers = b:1\ngroup_id = a\0b\n";
    cw_config_t *config = (cw_config_t *)1;
    ck_assert_int_eq(cw_config_parse(text, sizeof text - 1, "t.conf", &config, &errs), 1);
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "t.conf:3: malformed line: expected text, found a NUL byte\n");
}
END_TEST

START_TEST(long_found_value_is_cut_and_control_bytes_masked)
{
    char text[400];
    char value[201];
    memset(value, '7', 200);
    value[200] = '\0';
    value[1] = '\x01';
    snprintf(text, sizeof text, MINIMAL "[redis]\nport = %s\n", value);
    ck_assert_str_eq(
        parse_errors(text, 1),
        "t.conf:4: [redis] port: expected a port from 1 to 65535, found "
        "'7?77777777777777777777777777777777777777777777777777777777777777...'\n");
}
END_TEST

START_TEST(errors_do_not_stop_at_the_first)
{
    /* every bad line is reported, the file is read to its end */
    const char *text =
        parse_errors("[kafka]\nbrokers = b:1\nmax_in_flight = 1\n"
                     "[redis]\nport = 0\n[nope]\nx = 1\n[rules]\nfwd_rival_days = 0\n",
                     4);
    ck_assert_str_eq(
        text, "t.conf:3: [kafka] max_in_flight: expected an integer from 100 to 1000000, "
              "found '1'\n"
              "t.conf:5: [redis] port: expected a port from 1 to 65535, found '0'\n"
              "t.conf:6: unknown section '[nope]'; expected one of [kafka], [redis], "
              "[time], [numbers], [rules], [actions], [http], [score], [console]\n"
              "t.conf:9: [rules] fwd_rival_days: expected an integer from 1 to 7, found "
              "'0'\n");
}
END_TEST

/* ---- overrides (cdrwarn-backtest --set) ---- */

static int parse_with(const char *text, const char *const *overrides, size_t count,
                      cw_config_t **config)
{
    return cw_config_parse_with(text, strlen(text), "t.conf", overrides, count, config, &errs);
}

START_TEST(override_replaces_a_value_the_file_gave)
{
    const char *sets[] = {"rules.spend_drop_pct=40", "score.threshold = 12"};
    cw_config_t *config = NULL;
    ck_assert_int_eq(parse_with(MINIMAL "[rules]\nspend_drop_pct = 60\n", sets, 2, &config), 0);
    ck_assert_int_eq(config->rules.spend_drop_pct, 40);
    ck_assert_int_eq(config->score.threshold, 12);
    cw_config_free(config);
}
END_TEST

START_TEST(override_changes_the_rules_version_like_the_file_would)
{
    const char *sets[] = {"rules.spend_drop_pct=40"};
    cw_config_t *overridden = NULL;
    ck_assert_int_eq(parse_with(MINIMAL, sets, 1, &overridden), 0);
    cw_config_t *written = parse_ok(MINIMAL "[rules]\nspend_drop_pct = 40\n");
    ck_assert_str_eq(overridden->rules_version, written->rules_version);
    cw_config_free(overridden);
    cw_config_free(written);
}
END_TEST

START_TEST(override_is_validated_like_a_file_value_and_names_itself)
{
    const char *sets[] = {"rules.spend_drop_pct=120"};
    cw_config_t *config = (cw_config_t *)1;
    ck_assert_int_eq(parse_with(MINIMAL, sets, 1, &config), 1);
    ck_assert_ptr_null(config);
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "--set rules.spend_drop_pct=120: [rules] spend_drop_pct: expected an "
                     "integer from 1 to 100, found '120'\n");
}
END_TEST

START_TEST(override_of_an_unknown_key_or_section_is_an_error)
{
    const char *sets[] = {"rules.spend_drop_pc=40", "time.late_grace=1h", "spend_drop_pct"};
    cw_config_t *config = (cw_config_t *)1;
    ck_assert_int_eq(parse_with(MINIMAL, sets, 3, &config), 3);
    const char *text = cw_errlist_text(&errs);
    ck_assert_msg(strstr(text, "--set rules.spend_drop_pc=40: [rules] spend_drop_pc: unknown "
                               "key; did you mean 'spend_drop_pct'?") != NULL,
                  "%s", text);
    ck_assert_msg(strstr(text, "--set time.late_grace=1h: expected rules.KEY=VALUE or "
                               "score.KEY=VALUE") != NULL,
                  "%s", text);
    ck_assert_msg(strstr(text, "--set spend_drop_pct: expected") != NULL, "%s", text);
}
END_TEST

START_TEST(overridden_horizon_is_explicit_and_checked_against_weeks_kept)
{
    /* left at its default the horizon shrinks to weeks_kept - 1; set, it must fit */
    const char *sets[] = {"rules.outcome_horizon_weeks=8"};
    cw_config_t *config = (cw_config_t *)1;
    ck_assert_int_eq(parse_with(MINIMAL "[time]\nweeks_kept = 5\n", sets, 1, &config), 1);
    ck_assert_msg(strstr(cw_errlist_text(&errs), "expected at most weeks_kept - 1 = 4") != NULL,
                  "%s", cw_errlist_text(&errs));
}
END_TEST

/* ---- rules_version ---- */

static void version_of(const char *text, char out[CW_RULES_VERSION_SIZE])
{
    cw_config_t *c = parse_ok(text);
    memcpy(out, c->rules_version, CW_RULES_VERSION_SIZE);
    cw_config_free(c);
}

START_TEST(rules_version_of_the_defaults_is_pinned)
{
    char v[CW_RULES_VERSION_SIZE];
    version_of(MINIMAL, v);
    ck_assert_uint_eq(strlen(v), 16);
    ck_assert_uint_eq(strspn(v, "0123456789abcdef"), 16);
    ck_assert_str_eq(v, "671c68b0ca968901");
}
END_TEST

START_TEST(rules_version_ignores_comments_order_and_formatting)
{
    char a[CW_RULES_VERSION_SIZE], b[CW_RULES_VERSION_SIZE], d[CW_RULES_VERSION_SIZE];
    version_of(MINIMAL, a);
    version_of("# same rules, written differently\n[rules]\n"
               "emit_blue=yes   # blue on\n"
               "watched_tiers = mid ,high\n"
               "spend_drop_pct = 50\n"
               "[kafka]\nbrokers = other:1\n",
               b);
    ck_assert_str_eq(a, b);
    /* other sections are not part of the rules */
    version_of(MINIMAL "[actions]\nred_high = x\n[time]\nlate_grace = 1h\n", d);
    ck_assert_str_eq(a, d);
}
END_TEST

START_TEST(rules_version_changes_with_a_score_setting_too)
{
    char base[CW_RULES_VERSION_SIZE], changed[CW_RULES_VERSION_SIZE];
    version_of(MINIMAL, base);
    version_of(MINIMAL "[score]\nthreshold = 11\n", changed);
    ck_assert_str_ne(base, changed);
    version_of(MINIMAL "[score]\nvas_fall_points = 3\n", changed);
    ck_assert_str_ne(base, changed);
    version_of(MINIMAL "[rules]\noutcome_horizon_weeks = 7\n", changed);
    ck_assert_str_ne(base, changed);
}
END_TEST

/* ---- reload ---- */

static int reload_check(const char *running_text, const char *next_text, char *restart,
                        size_t size)
{
    cw_config_t *running = parse_ok(running_text), *next = parse_ok(next_text);
    int refused = cw_config_reload_check(running, next, restart, size, &errs);
    cw_config_free(running);
    cw_config_free(next);
    return refused;
}

START_TEST(reload_applies_rules_and_names_restart_only_keys)
{
    char restart[512];
    ck_assert_int_eq(reload_check(MINIMAL, MINIMAL "[rules]\ncomplaints_per_week = 3\n"
                                           "[score]\nthreshold = 12\n[numbers]\n"
                                           "rival_service_numbers = 10010\n",
                                  restart, sizeof restart),
                     0);
    ck_assert_str_eq(restart, "");
    ck_assert_int_eq(reload_check(MINIMAL, MINIMAL "property.linger.ms = 5\n"
                                           "[redis]\ntimeout = 3s\npassword = s3cret\n"
                                           "[http]\nlisten = 127.0.0.1:1\n"
                                           "max_connections = 2\n",
                                  restart, sizeof restart),
                     0);
    /* table order, then the properties; never a value */
    ck_assert_str_eq(restart,
                     "[redis] password, [redis] timeout, [http] listen, [http] "
                     "max_connections, [kafka] property.*");
    ck_assert_uint_eq(errs.count, 0);
}
END_TEST

START_TEST(reload_refuses_a_changed_country_code)
{
    char restart[512];
    ck_assert_int_eq(reload_check(MINIMAL, MINIMAL "[numbers]\ncountry_code = 852\n"
                                           "[time]\nweeks_kept = 5\n",
                                  restart, sizeof restart),
                     1);
    ck_assert_str_eq(restart, "[time] weeks_kept");
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "/etc/cw/cdrwarn.conf: [numbers] country_code: changed from 86 to 852; "
                     "a change of this key needs a restart, not a reload\n");
}
END_TEST

START_TEST(rules_version_changes_with_a_threshold)
{
    static const char *const changes[] = {
        "watched_tiers = high",      "complaints_per_week = 3",
        "spend_drop_pct = 49",       "spend_drop_min_base_fen = 2001",
        "usage_drop_pct = 51",       "usage_drop_min_base_s = 601",
        "fwd_rival_days = 4",        "rival_service_calls = 3",
        "contract_expiry_days = 31", "subsidy_horizon_months = 4",
        "emit_blue = false",
    };
    char base[CW_RULES_VERSION_SIZE], changed[CW_RULES_VERSION_SIZE];
    version_of(MINIMAL, base);
    char text[256];
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        snprintf(text, sizeof text, MINIMAL "[rules]\n%s\n", changes[i]);
        version_of(text, changed);
        ck_assert_msg(strcmp(base, changed) != 0, "'%s' kept the version", changes[i]);
    }
}
END_TEST

/* ---- memory ---- */

START_TEST(parse_fails_cleanly_at_every_allocation)
{
    int rc = -1;
    long n;
    for (n = 0; rc != 0; n++) {
        ck_assert_int_lt(n, 10000);
        cw_config_t *c = (cw_config_t *)1;
        cw_alloc_fail_after(n);
        rc = cw_config_parse(every_key, strlen(every_key), "/etc/cw/cdrwarn.conf", &c,
                             &errs);
        cw_alloc_fail_after(-1);
        if (rc != 0) {
            ck_assert_int_eq(rc, -1);
            ck_assert_ptr_null(c);
        } else {
            cw_config_free(c);
        }
    }
    ck_assert_int_gt(n, 50); /* the sweep really went through the parse */
}
END_TEST

START_TEST(errors_fail_cleanly_at_every_allocation)
{
    static const char text[] = "[kafka]\ngroup_id = g\ngroup_id = h\nproperty.a = 1\n"
                               "[actions]\nred = a\nred = b\n[numbers]\n"
                               "rival_service_numbers = 100, x\n";
    int rc = -1;
    for (long n = 0; rc == -1; n++) {
        ck_assert_int_lt(n, 10000);
        cw_config_t *c = (cw_config_t *)1;
        cw_errlist_free(&errs);
        cw_alloc_fail_after(n);
        rc = cw_config_parse(text, sizeof text - 1, "t.conf", &c, &errs);
        cw_alloc_fail_after(-1);
        ck_assert_ptr_null(c);
    }
    ck_assert_int_eq(rc, 4);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");

    TCase *defaults = tcase_create("defaults");
    tcase_add_checked_fixture(defaults, setup, teardown);
    tcase_add_test(defaults, minimal_config_takes_every_default);
    tcase_add_test(defaults, empty_file_lacks_only_brokers);
    suite_add_tcase(s, defaults);

    TCase *values = tcase_create("values");
    tcase_add_checked_fixture(values, setup, teardown);
    tcase_add_test(values, every_key_is_parsed);
    tcase_add_test(values, every_duration_suffix);
    tcase_add_test(values, malformed_durations_are_rejected);
    tcase_add_test(values, duration_bounds_are_inclusive);
    tcase_add_test(values, http_limits_take_their_bounds_and_refuse_beyond);
    tcase_add_test(values, utc_offset_forms);
    tcase_add_test(values, bool_spellings);
    tcase_add_test(values, listen_accepts_host_names_and_bracketed_ipv6);
    tcase_add_test(values, service_numbers_use_a_country_code_given_after_them);
    tcase_add_test(values, empty_service_numbers_mean_none);
    tcase_add_test(values, topic_name_limits);
    tcase_add_test(values, sixteen_input_topics_are_allowed);
    tcase_add_test(values, password_given_inline);
    suite_add_tcase(s, values);

    TCase *paths = tcase_create("paths");
    tcase_add_checked_fixture(paths, setup, teardown);
    tcase_add_test(paths, relative_paths_resolve_against_the_config_folder);
    tcase_add_test(paths, relative_config_path_gives_relative_paths_beside_it);
    tcase_add_test(paths, empty_path_means_no_file);
    suite_add_tcase(s, paths);

    TCase *syntax = tcase_create("syntax");
    tcase_add_checked_fixture(syntax, setup, teardown);
    tcase_add_test(syntax, comments_anywhere);
    tcase_add_test(syntax, whitespace_crlf_and_bom_are_accepted);
    tcase_add_test(syntax, values_may_hold_equals_and_spaces);
    tcase_add_test(syntax, a_section_may_be_reopened);
    tcase_add_test(syntax, properties_pass_through_in_order_with_their_lines);
    suite_add_tcase(s, syntax);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_loop_test(errors, invalid_case_reports_its_exact_errors, 0, case_count);
    tcase_add_test(errors, unreadable_file_is_reported_at_line_0);
    tcase_add_test(errors, directory_is_reported_at_line_0);
    tcase_add_test(errors, config_of_one_mib_loads_and_one_byte_more_is_refused);
    tcase_add_test(errors, nul_byte_makes_a_malformed_line);
    tcase_add_test(errors, long_found_value_is_cut_and_control_bytes_masked);
    tcase_add_test(errors, errors_do_not_stop_at_the_first);
    suite_add_tcase(s, errors);

    TCase *reload = tcase_create("reload");
    tcase_add_checked_fixture(reload, setup, teardown);
    tcase_add_test(reload, reload_applies_rules_and_names_restart_only_keys);
    tcase_add_test(reload, reload_refuses_a_changed_country_code);
    suite_add_tcase(s, reload);
    TCase *overrides = tcase_create("overrides");
    tcase_add_checked_fixture(overrides, setup, teardown);
    tcase_add_test(overrides, override_replaces_a_value_the_file_gave);
    tcase_add_test(overrides, override_changes_the_rules_version_like_the_file_would);
    tcase_add_test(overrides, override_is_validated_like_a_file_value_and_names_itself);
    tcase_add_test(overrides, override_of_an_unknown_key_or_section_is_an_error);
    tcase_add_test(overrides, overridden_horizon_is_explicit_and_checked_against_weeks_kept);
    suite_add_tcase(s, overrides);
    TCase *version = tcase_create("rules_version");
    tcase_add_checked_fixture(version, setup, teardown);
    tcase_add_test(version, rules_version_of_the_defaults_is_pinned);
    tcase_add_test(version, rules_version_ignores_comments_order_and_formatting);
    tcase_add_test(version, rules_version_changes_with_a_threshold);
    tcase_add_test(version, rules_version_changes_with_a_score_setting_too);
    suite_add_tcase(s, version);

    TCase *memory = tcase_create("memory");
    tcase_add_checked_fixture(memory, setup, teardown);
    tcase_set_timeout(memory, 60);
    tcase_add_test(memory, parse_fails_cleanly_at_every_allocation);
    tcase_add_test(memory, errors_fail_cleanly_at_every_allocation);
    suite_add_tcase(s, memory);
    return s;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* The data-driven cases: every folder under tests/data/config/invalid. */
static void collect_cases(void)
{
    struct dirent **entries;
    int n = scandir(INVALID_DIR, &entries, NULL, by_name);
    if (n < 0) {
        perror(INVALID_DIR);
        exit(EXIT_FAILURE);
    }
    for (int i = 0; i < n; i++) {
        if (entries[i]->d_name[0] != '.' && case_count < MAX_CASES)
            case_names[case_count++] = strdup(entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    if (case_count == 0) {
        fprintf(stderr, "no cases in %s\n", INVALID_DIR);
        exit(EXIT_FAILURE);
    }
}

int main(void)
{
    collect_cases();
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < case_count; i++)
        free(case_names[i]);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
