/* The live stream, GET /api/stream (SPEC section 12): Server-Sent Events on
 * long-lived evhttp chunked replies. `event: case` carries a case's JSON
 * (number masked) on every change; a comment line every 15 s keeps proxies
 * from closing an idle stream; a client that cannot keep up (over 4 MiB
 * unsent) is dropped, and its page reconnects and reloads. */
#ifndef CW_FEED_H
#define CW_FEED_H

#include <stddef.h>

struct event_base;
struct evhttp_request;
typedef struct cw_feed cw_feed_t;

cw_feed_t *cw_feed_new(struct event_base *base);
/* Ends every stream, then frees. */
void cw_feed_free(cw_feed_t *feed);
/* Starts a stream on the request (its headers already set by the caller);
 * 0, or -1 when out of memory (the caller answers 500). */
int cw_feed_add(cw_feed_t *feed, struct evhttp_request *req, const char *user);
/* Sends one event to every stream. */
void cw_feed_publish(cw_feed_t *feed, const char *event, const char *data, size_t len);
/* Sends text already formatted as events (several at once: one write per
 * stream for a whole ingest batch). */
void cw_feed_broadcast(cw_feed_t *feed, const char *text, size_t len);
int cw_feed_count(const cw_feed_t *feed);
/* Events dropped with slow clients since the start. */
unsigned long cw_feed_dropped(const cw_feed_t *feed);

#endif
