/* Integration: Redis authentication (SPEC section 2, [redis] password,
 * password_file, user) against a redis-server that requires it:
 *   - an ACL user limited to the key prefix, with exactly the rights the
 *     README tells operators to grant, and its password in a 0600
 *     password_file: the daemon works end to end, warns about nothing and
 *     never logs the secret;
 *   - the password in the config file itself, readable by other users, with no
 *     user (plain AUTH of the default user, requirepass): a loud SECURITY
 *     warning at start naming the file, and it still works;
 *   - a password_file readable by other users: the same warning for it;
 *   - a wrong password: /healthz stays 503 naming Redis, the log says
 *     clearly that authentication failed, the daemon keeps retrying (and
 *     stops cleanly), and neither the wrong secret nor the right one is ever
 *     in the log;
 *   - a Kafka secret (property.sasl.password) in a config readable by
 *     others: the same warning, naming the key, never the value;
 *   - a password file whose first line is longer than the daemon takes:
 *     refused at start (exit 1) with an error naming the file, never cut. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "week.h"

#define ADMIN_SECRET "harness-admin-7Qk2"
#define USER "cdrwarn"
#define USER_SECRET "cw-Secret-9xVt4Lp"
#define WRONG_SECRET "not-the-Secret-3zR"
#define KAFKA_SECRET "kafka-Secret-8wQm2"
#define LONG_SECRET_BYTES 1025 /* one more than daemon/secret.h allows */
#define UTC8 (8 * 3600)
#define WAIT_MS 60000

static cw_harness_t *h;

/* redis-server with a password for the default user (the harness's own
 * client) and the ACL user the README recommends. */
static void start_redis(void)
{
    static const char *const args[] = {
        "--requirepass", ADMIN_SECRET, "--user", USER,      "on",
        ">" USER_SECRET, "~cw:*",      "+@read", "+@write", "+@scripting",
        "+ping",         "+auth",      NULL};
    cw_harness_redis_auth(h, NULL, ADMIN_SECRET);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, args));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
}

static void write_secret(const char *name, const char *secret, mode_t mode, char *path,
                         size_t size)
{
    snprintf(path, size, "%s/%s", cw_harness_dir(h), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_msg(fd >= 0, "cannot write %s", path);
    ck_assert_int_eq(write(fd, secret, strlen(secret)), (ssize_t)strlen(secret));
    ck_assert_int_eq(write(fd, "\n", 1), 1);
    close(fd);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* The ACL user, its password in <tmpdir>/redis.secret with that mode. */
static void use_password_file(const char *secret, mode_t mode, char *path, size_t size)
{
    write_secret("redis.secret", secret, mode, path, size);
    cw_harness_config_set(h, "redis", "user", USER);
    cw_harness_config_set(h, "redis", "password_file", path);
}

/* One complaint pair for a high-tier subscriber: red alert, state in Redis. */
static void works_end_to_end(void)
{
    const char *msisdn = "13800900001";
    int32_t week = cw_week_of_ms(cw_harness_now_ms(), UTC8);
    int64_t t = cw_week_start_ms(week, UTC8) + 3600000;
    if (t > cw_harness_now_ms())
        t = cw_harness_now_ms() - 60000;
    CW_HARNESS_ASSERT(
        h,
        cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, msisdn, "profile", t,
                              ",\"tier\":\"high\",\"subsidy_end\":null") >= 0 &&
            cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, msisdn, "complaint", t + 1000,
                                  ",\"severity\":\"normal\"") >= 0 &&
            cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, msisdn, "complaint", t + 2000,
                                  ",\"severity\":\"normal\"") >= 0,
        "send: %s", cw_harness_error(h));
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));
    cw_harness_msgs_t alerts;
    CW_HARNESS_OK(h,
                  cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, 1, WAIT_MS, &alerts));
    CW_HARNESS_ASSERT(h,
                      alerts.count >= 1 &&
                          strstr(alerts.items[0].value, msisdn) != NULL &&
                          strstr(alerts.items[0].value, "\"level\":\"red\"") != NULL,
                      "no red alert for %s", msisdn);
    cw_harness_msgs_free(&alerts);
    cw_sub_t sub;
    bool found;
    CW_HARNESS_OK(h, cw_harness_sub_state(h, msisdn, &sub, &found));
    CW_HARNESS_ASSERT(h, found && sub.tier == CW_TIER_HIGH, "no state for %s in Redis",
                      msisdn);
}

static void stop_cleanly(void)
{
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      status);
}

static void secrets_not_logged(void)
{
    static const char *const secrets[] = {USER_SECRET, WRONG_SECRET, ADMIN_SECRET,
                                          KAFKA_SECRET, "long-Secret-"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, secrets[i]),
                          "the log holds the secret %s", secrets[i]);
}

START_TEST(an_acl_user_with_a_password_file_works_and_nothing_is_logged)
{
    CW_HARNESS_REQUIRE(h);
    start_redis();
    char path[400];
    use_password_file(USER_SECRET, 0600, path, sizeof path);
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, WAIT_MS));
    works_end_to_end();
    stop_cleanly();
    CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, "SECURITY"),
                      "a SECURITY warning for a 0600 password file");
    secrets_not_logged();
    cw_harness_stop(h);
}
END_TEST

START_TEST(a_requirepass_password_in_a_config_readable_by_others_is_warned_about)
{
    CW_HARNESS_REQUIRE(h);
    start_redis();
    cw_harness_config_set(h, "redis", "password", ADMIN_SECRET);
    CW_HARNESS_OK(h, cw_harness_config_write(h));
    CW_HARNESS_ASSERT(h, chmod(cw_harness_config_path(h), 0644) == 0, "chmod");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, WAIT_MS));
    char warning[1200];
    snprintf(warning, sizeof warning,
             "SECURITY: %s holds the Redis password and is readable "
             "by other users (mode 0644)",
             cw_harness_config_path(h));
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, warning),
                      "no warning \"%s\" in the log", warning);
    works_end_to_end();
    stop_cleanly();
    secrets_not_logged();
    cw_harness_stop(h);
}
END_TEST

START_TEST(a_password_file_readable_by_others_is_warned_about)
{
    CW_HARNESS_REQUIRE(h);
    start_redis();
    char path[400];
    use_password_file(USER_SECRET, 0640, path, sizeof path);
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, WAIT_MS));
    char warning[1200];
    snprintf(warning, sizeof warning,
             "SECURITY: %s holds the Redis password and is readable by other users (mode "
             "0640); run: chmod 600 %s",
             path, path);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, warning),
                      "no warning \"%s\" in the log", warning);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "<4>SECURITY"),
                      "the SECURITY line is not logged at warning priority");
    stop_cleanly();
    secrets_not_logged();
    cw_harness_stop(h);
}
END_TEST

START_TEST(a_wrong_password_keeps_health_503_and_says_so_without_the_secret)
{
    CW_HARNESS_REQUIRE(h);
    start_redis();
    char path[400];
    use_password_file(WRONG_SECRET, 0600, path, sizeof path);
    cw_harness_config_set(h, "redis", "timeout", "1s");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    /* long enough for the group join, several AUTH attempts and reconnects */
    int status = 0;
    char *body = NULL;
    for (int i = 0; i < 60; i++) {
        free(body);
        body = NULL;
        cw_harness_http_get(h, "/healthz", &status, &body);
        CW_HARNESS_ASSERT(h, status != 200,
                          "/healthz answered 200 with a wrong Redis password");
        cw_harness_sleep_ms(100);
    }
    CW_HARNESS_ASSERT(h, status == 503 && body != NULL && strstr(body, "redis") != NULL,
                      "/healthz answered %d %s, expected 503 naming Redis", status,
                      body ? body : "");
    free(body);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_running(h), "cdrwarnd gave up and exited");
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "authentication failed"),
                      "no log line says that the Redis authentication failed");
    CW_HARNESS_ASSERT(h,
                      cw_harness_daemon_log_contains(h, "WRONGPASS") ||
                          cw_harness_daemon_log_contains(h, "invalid username-password"),
                      "the log does not give Redis's reason");
    stop_cleanly();
    secrets_not_logged();
    cw_harness_stop(h);
}
END_TEST

START_TEST(a_kafka_secret_in_a_config_readable_by_others_is_warned_about_by_key)
{
    CW_HARNESS_REQUIRE(h);
    start_redis();
    char path[400];
    use_password_file(USER_SECRET, 0600, path, sizeof path);
    /* the devbroker speaks PLAINTEXT: librdkafka keeps the SASL settings unused */
    cw_harness_config_set(h, "kafka", "property.sasl.username", "cdrwarn");
    cw_harness_config_set(h, "kafka", "property.sasl.password", KAFKA_SECRET);
    CW_HARNESS_OK(h, cw_harness_config_write(h));
    CW_HARNESS_ASSERT(h, chmod(cw_harness_config_path(h), 0644) == 0, "chmod");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, WAIT_MS));
    char warning[1200];
    snprintf(warning, sizeof warning,
             "<4>SECURITY: %s holds [kafka] property.sasl.password and is readable by other "
             "users (mode 0644); run: chmod 600 %s",
             cw_harness_config_path(h), cw_harness_config_path(h));
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, warning),
                      "no warning \"%s\" in the log", warning);
    works_end_to_end();
    stop_cleanly();
    secrets_not_logged();
    cw_harness_stop(h);
}
END_TEST

START_TEST(a_password_file_line_longer_than_the_limit_is_refused_naming_the_file)
{
    CW_HARNESS_REQUIRE(h);
    start_redis();
    char secret[LONG_SECRET_BYTES + 1];
    memset(secret, 'x', LONG_SECRET_BYTES);
    memcpy(secret, "long-Secret-", 12);
    secret[LONG_SECRET_BYTES] = '\0';
    char path[400];
    use_password_file(secret, 0600, path, sizeof path);
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_wait_exit_n(h, 0, WAIT_MS, &status));
    CW_HARNESS_ASSERT(h, status == 1,
                      "cdrwarnd exited with status %d given a %d-byte password; expected 1",
                      status, LONG_SECRET_BYTES);
    char error[1200];
    snprintf(error, sizeof error,
             "%s: the password file's first line is longer than 1024 bytes; it is refused "
             "rather than cut",
             path);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, error),
                      "no error \"%s\" in the log", error);
    secrets_not_logged();
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        an_acl_user_with_a_password_file_works_and_nothing_is_logged,
        a_requirepass_password_in_a_config_readable_by_others_is_warned_about,
        a_password_file_readable_by_others_is_warned_about,
        a_wrong_password_keeps_health_503_and_says_so_without_the_secret,
        a_kafka_secret_in_a_config_readable_by_others_is_warned_about_by_key,
        a_password_file_line_longer_than_the_limit_is_refused_naming_the_file,
    };
    return cw_harness_main("auth", tests, sizeof tests / sizeof tests[0], 120, &h);
}
