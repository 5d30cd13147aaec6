/* Integration: a Redis address whose connection never completes (the
 * server's accept queue full, so its SYNs go unanswered) is dropped after
 * [redis] timeout and tried again, over and over: the daemon never waits for
 * good on a connection still being made (hiredis calls no disconnect
 * callback for one, which once left the daemon without any reconnect after
 * Redis restarted). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static cw_harness_t *h;

/* A listener that accepts nothing, its queue filled by two connections of
 * our own: further SYNs are dropped by the kernel. Returns its port. */
static int blackhole(int fds[3])
{
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fds[0] < 0 || bind(fds[0], (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(fds[0], 0) != 0 ||
        getsockname(fds[0], (struct sockaddr *)&addr, &len) != 0)
        return -1;
    for (int i = 1; i <= 2; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fds[i], (struct sockaddr *)&addr, sizeof addr); /* EINPROGRESS or done */
    }
    cw_harness_sleep_ms(200);
    return ntohs(addr.sin_port);
}

static int count_lines(const char *path, const char *text)
{
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return -1;
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, file) != NULL)
        n += strstr(line, text) != NULL;
    fclose(file);
    return n;
}

START_TEST(a_connection_that_never_completes_is_dropped_and_tried_again)
{
    CW_HARNESS_REQUIRE(h);
    int fds[3] = {-1, -1, -1};
    int port = blackhole(fds);
    CW_HARNESS_ASSERT(h, port > 0, "no listener");
    /* the harness's own Redis too (it writes the config from it); the
     * daemon is pointed at the listener instead */
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    cw_harness_config_set(h, "redis", "port", port_text);
    cw_harness_config_set(h, "redis", "timeout", "1s");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    /* the timeout is checked once a second and the backoff grows from
     * 100 ms: three drops fit in 8 s with room */
    int drops = 0;
    for (int waited = 0; waited < 15000 && drops < 3; waited += 250) {
        cw_harness_sleep_ms(250);
        drops = count_lines(cw_harness_daemon_log_path_n(h, 0),
                            "not ready in time; reconnecting");
    }
    CW_HARNESS_ASSERT(
        h, drops >= 3,
        "%d drop(s) of the connection being made in 15 s: the daemon stopped "
        "trying to reconnect",
        drops);
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d", status);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {a_connection_that_never_completes_is_dropped_and_tried_again};
    return cw_harness_main("redis_connecting", tests, sizeof tests / sizeof tests[0], 120,
                           &h);
}
