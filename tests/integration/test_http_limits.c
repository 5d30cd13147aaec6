/* Integration: the HTTP endpoints are bounded (README "Operations", HTTP
 * limits), so a slow or hostile client cannot take the descriptors Kafka and
 * Redis need. One daemon run with [http] max_connections = 4 and a short
 * request_timeout goes through, with records sent to Kafka in every phase:
 *   1. a slowloris client sending one header byte a second, while /healthz
 *      still answers others;
 *   2. max_connections idle connections, then one more with a whole request;
 *      then the idle ones go and /healthz answers;
 *   3. a flood of 40 connections at once, the daemon's descriptors counted;
 *   4. 100 KB of request headers;
 *   5. a POST announcing a 1 MiB body, of which nothing is sent;
 *   6. after all that, max_connections clients at once.
 * Each test checks one phase's outcome; the last ones check that every
 * record was applied exactly once throughout and that the log names the
 * refusals. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define PARTITIONS 1
#define WAIT_MS 30000
#define MAX_CONNECTIONS 4
#define TIMEOUT_MS 2000 /* [http] request_timeout, times the valgrind slowdown */
#define FLOOD 40
#define BIG_HEADER_BYTES (100 * 1024)
#define SUBSCRIBERS 4
#define PHASES 6 /* each sends one call per subscriber */
#define CALL_S 60

static cw_harness_t *h;
static int32_t week;   /* two weeks ago: nothing closes */
static int timeout_ms; /* TIMEOUT_MS scaled */

typedef enum { END_EOF, END_RESET, END_TIMEOUT, END_ERROR } end_t;

static const char *const end_names[] = {"closed", "reset", "still open", "failed"};

/* what the fixture saw */
static int slow_cut_ms = -1, slow_bytes, slow_healthz_status;
static int extra_status = -1, extra_ms = -1, freed_ms = -1;
static end_t extra_end;
static int flood_open = -1, flood_refused = -1, fds_before = -1, fds_during = -1;
static int big_status = -1, big_ms = -1;
static end_t big_end;
static int post_status = -1, post_ms = -1;
static end_t post_end;
static int together_ok = -1;
static char together_statuses[128];

/* ---- a raw HTTP client ------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A blocking connection to the daemon's [http] listen port; -1 on failure. */
static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)cw_harness_http_port(h))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends what the socket takes now; the server may have closed already. */
static void send_some(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Reads until the server closes (or resets) the connection or timeout_ms
 * pass; what came is in buf (NUL-terminated, cut to size), the time taken in
 * *elapsed_ms. */
static end_t read_to_end(int fd, int wait_ms, char *buf, size_t size, int *elapsed_ms)
{
    size_t len = 0;
    int64_t start = now_ms();
    end_t end = END_TIMEOUT;
    buf[0] = '\0';
    for (;;) {
        int left = (int)(start + wait_ms - now_ms());
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n == 0) {
            end = END_EOF;
            break;
        }
        if (n < 0) {
            end = errno == ECONNRESET ? END_RESET : END_ERROR;
            break;
        }
        size_t take = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;
        memcpy(buf + len, chunk, take);
        len += take;
        buf[len] = '\0';
    }
    *elapsed_ms = (int)(now_ms() - start);
    return end;
}

/* The status code of an HTTP/1.x status line, -1 when there is none. */
static int status_of(const char *reply)
{
    int code = -1;
    if (sscanf(reply, "HTTP/1.%*d %d", &code) != 1)
        return -1;
    return code;
}

/* Whether the server has closed the connection (EOF, reset, or its 503). */
static bool closed_by_server(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
    return poll(&p, 1, 0) == 1;
}

static int daemon_fds(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)cw_harness_daemon_pid_n(h, 0));
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        count += e->d_name[0] != '.';
    closedir(dir);
    return count;
}

/* Until /healthz answers 200; the milliseconds it took, -1 after the bound. */
static int healthz_ms(int bound_ms)
{
    int64_t start = now_ms();
    while (now_ms() - start < bound_ms) {
        int status = 0;
        if (cw_harness_http_get(h, "/healthz", &status, NULL) == 0 && status == 200)
            return (int)(now_ms() - start);
        cw_harness_sleep_ms(20);
    }
    return -1;
}

/* ---- the scenario ------------------------------------------------------ */

static void msisdn_of(int i, char out[24])
{
    snprintf(out, 24, "1380070%04d", i);
}

/* One call per subscriber, at a time of its own in the week. */
static int send_phase(int phase)
{
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        int64_t ts = cw_week_start_ms(week, UTC8) + CW_MS_PER_DAY + phase * 3600000LL +
                     i * 60000LL;
        CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, msisdn, "voice",
                                                 ts,
                                                 ",\"direction\":\"mo\",\"peer\":"
                                                 "\"13800000999\",\"duration_s\":%d",
                                                 CALL_S) < 0);
    }
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    return 0;
}

static const char partial[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
static const char whole[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/* 1: one header byte a second until the server cuts the connection. */
static void slowloris(void)
{
    int fd = raw_connect();
    if (fd < 0)
        return;
    int64_t start = now_ms();
    send_some(fd, "GET /healthz HTTP/1.1\r\nX-Slow: ", 31);
    while (now_ms() - start < 4 * timeout_ms) {
        if (closed_by_server(fd)) {
            slow_cut_ms = (int)(now_ms() - start);
            break;
        }
        if ((now_ms() - start) / 1000 >= slow_bytes + 1) {
            send_some(fd, "a", 1);
            slow_bytes++;
        }
        if (slow_bytes == 1 && slow_healthz_status == 0)
            cw_harness_http_get(h, "/healthz", &slow_healthz_status, NULL);
        cw_harness_sleep_ms(10);
    }
    close(fd);
}

/* 2: max_connections idle connections, one more, then the idle ones go. */
static void one_too_many(void)
{
    int held[MAX_CONNECTIONS];
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        held[i] = raw_connect();
        if (held[i] >= 0)
            send_some(held[i], partial, sizeof partial - 1);
    }
    cw_harness_sleep_ms(200); /* the daemon accepts them in order */
    int fd = raw_connect();
    if (fd >= 0) {
        char reply[4096];
        send_some(fd, whole, sizeof whole - 1);
        extra_end = read_to_end(fd, timeout_ms / 2, reply, sizeof reply, &extra_ms);
        extra_status = status_of(reply);
        close(fd);
    }
    for (int i = 0; i < MAX_CONNECTIONS; i++)
        if (held[i] >= 0)
            close(held[i]);
    freed_ms = healthz_ms(timeout_ms);
}

/* 3: FLOOD connections at once, each with half a request. */
static void flood(void)
{
    fds_before = daemon_fds();
    int fds[FLOOD];
    for (int i = 0; i < FLOOD; i++) {
        fds[i] = raw_connect();
        if (fds[i] >= 0)
            send_some(fds[i], partial, sizeof partial - 1);
    }
    cw_harness_sleep_ms(timeout_ms / 4);
    fds_during = daemon_fds();
    flood_open = flood_refused = 0;
    for (int i = 0; i < FLOOD; i++) {
        if (fds[i] < 0)
            continue;
        if (closed_by_server(fds[i]))
            flood_refused++;
        else
            flood_open++;
        close(fds[i]);
    }
}

/* 4 and 5: requests refused for their size. */
static void oversized(void)
{
    char reply[4096];
    int fd = raw_connect();
    if (fd >= 0) {
        size_t size = BIG_HEADER_BYTES + 64;
        char *request = malloc(size);
        if (request != NULL) {
            int n = snprintf(request, size, "GET /healthz HTTP/1.1\r\nX-Big: ");
            memset(request + n, 'a', BIG_HEADER_BYTES);
            memcpy(request + n + BIG_HEADER_BYTES, "\r\n\r\n", 4);
            send_some(fd, request, (size_t)n + BIG_HEADER_BYTES + 4);
            free(request);
        }
        big_end = read_to_end(fd, timeout_ms / 2, reply, sizeof reply, &big_ms);
        big_status = status_of(reply);
        close(fd);
    }
    fd = raw_connect();
    if (fd >= 0) {
        static const char post[] =
            "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: text/plain\r\nContent-Length: 1048576\r\n"
            "\r\n";
        send_some(fd, post, sizeof post - 1);
        post_end = read_to_end(fd, timeout_ms / 2, reply, sizeof reply, &post_ms);
        post_status = status_of(reply);
        close(fd);
    }
}

/* 6: max_connections whole requests at once: every one is served. */
static void together(void)
{
    int fds[MAX_CONNECTIONS];
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        fds[i] = raw_connect();
        if (fds[i] >= 0)
            send_some(fds[i], whole, sizeof whole - 1);
    }
    together_ok = 0;
    size_t len = 0;
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        char reply[4096];
        int ms;
        int status = -1;
        if (fds[i] >= 0) {
            read_to_end(fds[i], timeout_ms, reply, sizeof reply, &ms);
            status = status_of(reply);
            close(fds[i]);
        }
        together_ok += status == 200;
        len += (size_t)snprintf(together_statuses + len, sizeof together_statuses - len,
                                "%s%d", i ? ", " : "", status);
    }
}

static int play(void)
{
    timeout_ms = TIMEOUT_MS * cw_harness_slowdown();
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2;
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    char value[32];
    snprintf(value, sizeof value, "%d", MAX_CONNECTIONS);
    cw_harness_config_set(h, "http", "max_connections", value);
    snprintf(value, sizeof value, "%dms", timeout_ms);
    cw_harness_config_set(h, "http", "request_timeout", value);
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));

    CW_HARNESS_STEP(h, send_phase(0));
    cw_harness_log(h, "slowloris");
    slowloris();
    CW_HARNESS_STEP(h, send_phase(1));
    cw_harness_log(h, "one connection too many");
    one_too_many();
    CW_HARNESS_STEP(h, send_phase(2));
    cw_harness_log(h, "a flood of %d connections", FLOOD);
    flood();
    CW_HARNESS_STEP(h, send_phase(3));
    /* records are applied while the flood's connections drain */
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    cw_harness_log(h, "oversized requests");
    oversized();
    CW_HARNESS_STEP(h, send_phase(4));
    if (healthz_ms(timeout_ms * 2) < 0) {
        cw_harness_fail(h, "/healthz did not come back after the oversized requests");
        return -1;
    }
    cw_harness_sleep_ms(200); /* every connection of before is gone */
    cw_harness_log(h, "%d clients at once", MAX_CONNECTIONS);
    together();
    CW_HARNESS_STEP(h, send_phase(5));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    cw_harness_log(h,
                   "slowloris cut after %d ms; one too many: %d, %s after %d ms, then "
                   "healthz in %d ms; flood: %d open, %d refused, fds %d -> %d; 100 KB "
                   "headers: %d in %d ms; POST: %d in %d ms; together: %s",
                   slow_cut_ms, extra_status, end_names[extra_end], extra_ms, freed_ms,
                   flood_open, flood_refused, fds_before, fds_during, big_status, big_ms,
                   post_status, post_ms, together_statuses);
    return 0;
}

static void setup(void)
{
    h = cw_harness_new("http_limits");
    if (h != NULL)
        play();
}

static void teardown(void)
{
    cw_harness_free(h);
    h = NULL;
}

/* ---- the tests --------------------------------------------------------- */

START_TEST(a_slowloris_sending_a_header_byte_a_second_is_cut_at_the_request_timeout)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, slow_cut_ms >= 0,
                      "a client sending a header byte a second was still connected after "
                      "%d ms and %d bytes ([http] request_timeout %d ms)",
                      4 * timeout_ms, slow_bytes, timeout_ms);
    CW_HARNESS_ASSERT(h,
                      slow_cut_ms >= timeout_ms - 100 && slow_cut_ms <= timeout_ms + 1500,
                      "the slow client was cut after %d ms; expected the request_timeout "
                      "of %d ms",
                      slow_cut_ms, timeout_ms);
    CW_HARNESS_ASSERT(h, slow_healthz_status == 200,
                      "/healthz answered %d to another client during the slowloris",
                      slow_healthz_status);
}
END_TEST

START_TEST(
    a_connection_beyond_max_connections_is_refused_and_healthz_answers_once_they_go)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, extra_status != 200,
                      "connection %d of %d allowed was served 200", MAX_CONNECTIONS + 1,
                      MAX_CONNECTIONS);
    CW_HARNESS_ASSERT(
        h,
        extra_status == 503 ||
            (extra_status == -1 && (extra_end == END_EOF || extra_end == END_RESET)),
        "connection %d of %d allowed: status %d, %s after %d ms; expected "
        "503 or a closed connection",
        MAX_CONNECTIONS + 1, MAX_CONNECTIONS, extra_status, end_names[extra_end],
        extra_ms);
    CW_HARNESS_ASSERT(h, extra_ms < timeout_ms / 2,
                      "the refusal took %d ms (the request_timeout is %d ms)", extra_ms,
                      timeout_ms);
    CW_HARNESS_ASSERT(h, freed_ms >= 0 && freed_ms < 1000 * cw_harness_slowdown(),
                      "/healthz answered 200 %d ms after the idle connections went "
                      "(-1: not within %d ms)",
                      freed_ms, timeout_ms);
}
END_TEST

START_TEST(a_flood_of_connections_holds_at_most_max_connections_descriptors)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(
        h, flood_open >= 0 && flood_open <= MAX_CONNECTIONS,
        "%d of %d flooding connections were still open (max_connections %d)", flood_open,
        FLOOD, MAX_CONNECTIONS);
    CW_HARNESS_ASSERT(h, flood_refused >= FLOOD - MAX_CONNECTIONS,
                      "only %d of %d flooding connections were refused", flood_refused,
                      FLOOD);
    CW_HARNESS_ASSERT(h, fds_before > 0 && fds_during > 0,
                      "cannot count the daemon's fds");
    /* a few more for librdkafka's and Redis's own comings and goings */
    CW_HARNESS_ASSERT(h, fds_during - fds_before <= MAX_CONNECTIONS + 4,
                      "the daemon held %d descriptors before the flood, %d during it",
                      fds_before, fds_during);
}
END_TEST

START_TEST(headers_of_100_kb_are_refused_before_the_request_timeout)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h,
                      (big_status >= 400 && big_status < 500) ||
                          (big_status == -1 && big_end == END_RESET),
                      "100 KB of headers: status %d, %s after %d ms; expected a 4xx",
                      big_status, end_names[big_end], big_ms);
    CW_HARNESS_ASSERT(h, big_ms < timeout_ms / 2, "the refusal took %d ms", big_ms);
}
END_TEST

START_TEST(a_post_body_is_refused_with_413_before_any_of_it_is_sent)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, post_status == 413,
                      "a POST announcing 1 MiB: status %d, %s after %d ms; expected 413 "
                      "before the body",
                      post_status, end_names[post_end], post_ms);
    CW_HARNESS_ASSERT(h, post_end == END_EOF || post_end == END_RESET,
                      "the connection was %s after the 413", end_names[post_end]);
}
END_TEST

START_TEST(max_connections_clients_at_once_are_all_served_after_the_abuse)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, together_ok == MAX_CONNECTIONS,
                      "%d of %d simultaneous clients got 200 (statuses %s): a connection "
                      "of before is still counted",
                      together_ok, MAX_CONNECTIONS, together_statuses);
}
END_TEST

START_TEST(records_sent_in_every_phase_are_applied_exactly_once)
{
    CW_HARNESS_REQUIRE(h);
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        cw_sub_t sub;
        bool found;
        CW_HARNESS_OK(h, cw_harness_sub_state(h, msisdn, &sub, &found));
        const cw_week_agg_t *agg = found ? cw_sub_find_week(&sub, week) : NULL;
        CW_HARNESS_ASSERT(
            h, agg != NULL && agg->calls == PHASES && agg->voice_s == PHASES * CALL_S,
            "%s: %u calls, %lld s; expected %d calls of %d s", msisdn,
            agg ? agg->calls : 0, agg ? (long long)agg->voice_s : 0LL, PHASES, CALL_S);
    }
}
END_TEST

START_TEST(the_log_names_the_refusals_and_the_cut)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "[http] max_connections"),
                      "no log line names [http] max_connections for the refusals");
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "[http] request_timeout"),
                      "no log line names [http] request_timeout for the cut");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_limits");
    TCase *tc = tcase_create("abuse");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, a_slowloris_sending_a_header_byte_a_second_is_cut_at_the_request_timeout);
    tcase_add_test(
        tc,
        a_connection_beyond_max_connections_is_refused_and_healthz_answers_once_they_go);
    tcase_add_test(tc, a_flood_of_connections_holds_at_most_max_connections_descriptors);
    tcase_add_test(tc, headers_of_100_kb_are_refused_before_the_request_timeout);
    tcase_add_test(tc, a_post_body_is_refused_with_413_before_any_of_it_is_sent);
    tcase_add_test(tc, max_connections_clients_at_once_are_all_served_after_the_abuse);
    tcase_add_test(tc, records_sent_in_every_phase_are_applied_exactly_once);
    tcase_add_test(tc, the_log_names_the_refusals_and_the_cut);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
