/* Fault suite: publishing fails for good for a while (SPEC sections 7 and 8:
 * nothing lost; issue "no retry storms"). While the traffic streams in, the
 * devbroker fails the next produce requests with errors no retry by
 * librdkafka can mend (TOPIC_AUTHORIZATION_FAILED, then MSG_SIZE_TOO_LARGE):
 * every alert, churn outcome, score record and dead letter of those requests
 * fails (which topics' requests meet them is up to the timing). Each failed entry
 * waits a backoff of its own before it goes again; /healthz says publishing
 * is failing while it does; once the errors are used up everything is
 * delivered, and the run equals the fault-free reference. The sends stay
 * within a small multiple of what there is to send: a failure no longer
 * re-sends the partition's whole outbox every 50 ms. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static cw_harness_t *h;

static void inject(const char *err, int count)
{
    char text[128];
    snprintf(text, sizeof text, "error produce %s %d", err, count);
    CW_HARNESS_OK(h, cw_harness_broker_command(h, text, NULL, 0));
    cw_harness_log(h, "devbroker: %s (%lld records applied)", text,
                   (long long)cw_fault_applied(h));
}

START_TEST(permanent_produce_errors_are_retried_with_backoff_and_lose_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_FAULT_OK(h, cw_fault_preload(h));
    const int64_t total = ref.records;
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 5, CW_FAULT_WAIT_MS));
    /* both at once: injected apart, the second could come when every alert
     * was out already (the run is over within seconds) */
    inject("TOPIC_AUTHORIZATION_FAILED", 30);
    inject("MSG_SIZE_TOO_LARGE", 30);
    bool degraded = false;
    for (int waited = 0; waited < 20000 && !degraded; waited += 100) {
        char *body = NULL;
        int status = 0;
        cw_harness_http_get(h, "/healthz", &status, &body);
        degraded =
            status == 503 && body != NULL && strstr(body, "publishing failing") != NULL;
        if (degraded)
            cw_harness_log(h, "/healthz while failing: %s", body);
        free(body);
        cw_harness_sleep_ms(100);
    }
    CW_HARNESS_ASSERT(h, degraded, "/healthz never said publishing was failing");

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    /* every failed delivery of any topic, whatever the error (librdkafka
     * refuses new messages for a topic while its metadata says not allowed) */
    double sends = 0, failed = 0;
    char *metrics = NULL;
    int metrics_status = 0;
    CW_HARNESS_OK(h, cw_harness_http_get(h, "/metrics", &metrics_status, &metrics));
    bool auth = false, size = false;
    for (char *line = strtok(metrics, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        double value = 0;
        const char *space = strrchr(line, ' ');
        if (space != NULL)
            value = strtod(space + 1, NULL);
        if (strncmp(line, "cdrwarn_outbox_sends_total ", 27) == 0)
            sends = value;
        if (strncmp(line, "cdrwarn_publish_errors_total{", 29) != 0)
            continue;
        cw_harness_log(h, "%s", line);
        failed += value;
        if (strstr(line, "TOPIC_AUTHORIZATION_FAILED") && value > 0)
            auth = true;
        if (strstr(line, "MSG_SIZE_TOO_LARGE") && value > 0)
            size = true;
    }
    free(metrics);
    double to_send = (double)(got.alerts.count + got.outcomes.count + got.scores.count +
                              got.dead.count);
    cw_harness_log(h,
                   "%.0f sends for %.0f alerts, outcomes, score records and dead letters "
                   "and %.0f failures",
                   sends, to_send, failed);
    CW_HARNESS_ASSERT(h, auth && size,
                      "the outputs did not meet both injected errors (authorization %s, "
                      "size %s)",
                      auth ? "met" : "not met", size ? "met" : "not met");
    /* every send is a delivery or a failure, each failure one retry; the
     * old way re-sent a partition's whole outbox on every failure */
    CW_HARNESS_ASSERT(
        h, sends <= 1.1 * (to_send + failed),
        "%.0f sends for %.0f entries and %.0f failures: more than each failure "
        "retried once",
        sends, to_send, failed);
    int status = 0;
    cw_harness_http_get(h, "/healthz", &status, NULL);
    CW_HARNESS_ASSERT(h, status == 200, "/healthz %d once everything was delivered",
                      status);
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main(
        "fault_publish",
        permanent_produce_errors_are_retried_with_backoff_and_lose_nothing, &h);
}
