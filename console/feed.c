/* Server-Sent Events over evhttp (see feed.h). A stream's request lives
 * until its connection closes: evhttp calls the close callback, which takes
 * the client off the list; a stream we end ourselves first unhooks that
 * callback, so it can never fire on a freed client. */
#include "feed.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define HEARTBEAT_S 15
#define MAX_BACKLOG (4u << 20)

typedef struct client {
    struct client *prev, *next;
    cw_feed_t *feed;
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    char user[65];
} client_t;

struct cw_feed {
    client_t head;
    int count;
    unsigned long dropped;
    struct event *heartbeat;
};

static void unlink_client(client_t *c)
{
    c->prev->next = c->next;
    c->next->prev = c->prev;
    c->feed->count--;
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    client_t *c = arg;
    unlink_client(c);
    /* a stream whose browser went away: evhttp detached the unfinished
     * request from the dying connection and leaves freeing it to us; one
     * still attached (the server closing the connection) goes with it */
    if (evhttp_request_get_connection(c->req) == NULL)
        evhttp_request_free(c->req);
    cw_free(c);
}

/* Ends a stream from our side. */
static void end_client(client_t *c)
{
    evhttp_connection_set_closecb(c->conn, NULL, NULL);
    unlink_client(c);
    evhttp_send_reply_end(c->req);
    cw_free(c);
}

static size_t backlog(const client_t *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static void send_text(cw_feed_t *feed, const char *text, size_t len)
{
    client_t *c = feed->head.next;
    while (c != &feed->head) {
        client_t *next = c->next;
        if (backlog(c) > MAX_BACKLOG) {
            feed->dropped++;
            end_client(c);
        } else {
            struct evbuffer *buf = evbuffer_new();
            if (buf != NULL) {
                evbuffer_add(buf, text, len);
                evhttp_send_reply_chunk(c->req, buf);
                evbuffer_free(buf);
            }
        }
        c = next;
    }
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    static const char ping[] = ": ping\n\n";
    send_text(arg, ping, sizeof ping - 1);
}

cw_feed_t *cw_feed_new(struct event_base *base)
{
    cw_feed_t *feed = cw_calloc(1, sizeof *feed);
    if (feed == NULL)
        return NULL;
    feed->head.next = feed->head.prev = &feed->head;
    feed->heartbeat = event_new(base, -1, EV_PERSIST, on_heartbeat, feed);
    if (feed->heartbeat == NULL) {
        cw_free(feed);
        return NULL;
    }
    struct timeval tv = {HEARTBEAT_S, 0};
    event_add(feed->heartbeat, &tv);
    return feed;
}

void cw_feed_free(cw_feed_t *feed)
{
    if (feed == NULL)
        return;
    while (feed->head.next != &feed->head)
        end_client(feed->head.next);
    event_free(feed->heartbeat);
    cw_free(feed);
}

int cw_feed_add(cw_feed_t *feed, struct evhttp_request *req, const char *user)
{
    client_t *c = cw_calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->feed = feed;
    c->req = req;
    c->conn = evhttp_request_get_connection(req);
    snprintf(c->user, sizeof c->user, "%s", user);
    c->prev = feed->head.prev;
    c->next = &feed->head;
    feed->head.prev->next = c;
    feed->head.prev = c;
    feed->count++;
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(c->conn, on_close, c);
    /* the browser reconnects 2 s after a lost stream; "hello" tells the page
     * its stream is (again) live, so it reloads what it may have missed */
    struct evbuffer *buf = evbuffer_new();
    if (buf != NULL) {
        evbuffer_add_printf(buf, "retry: 2000\n\nevent: hello\ndata: {}\n\n");
        evhttp_send_reply_chunk(req, buf);
        evbuffer_free(buf);
    }
    return 0;
}

void cw_feed_publish(cw_feed_t *feed, const char *event, const char *data, size_t len)
{
    if (feed == NULL || feed->count == 0)
        return;
    struct evbuffer *buf = evbuffer_new();
    if (buf == NULL)
        return;
    /* data never holds a line break: it is compact JSON */
    evbuffer_add_printf(buf, "event: %s\ndata: ", event);
    evbuffer_add(buf, data, len);
    evbuffer_add(buf, "\n\n", 2);
    size_t n = evbuffer_get_length(buf);
    const char *text = (const char *)evbuffer_pullup(buf, -1);
    if (text != NULL)
        send_text(feed, text, n);
    evbuffer_free(buf);
}

void cw_feed_broadcast(cw_feed_t *feed, const char *text, size_t len)
{
    if (feed != NULL && feed->count > 0 && len > 0)
        send_text(feed, text, len);
}

int cw_feed_count(const cw_feed_t *feed)
{
    return feed ? feed->count : 0;
}

unsigned long cw_feed_dropped(const cw_feed_t *feed)
{
    return feed ? feed->dropped : 0;
}
