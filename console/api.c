/* The JSON API under /api/ (SPEC section 12). Every request goes through the
 * same gate, in this order: the route and method, the session cookie (401),
 * the role (403), and for every POST the CSRF value in X-CSRF-Token plus a
 * same-origin check (403). Handlers then talk to Redis asynchronously and
 * answer from the reply's callback; evhttp keeps the request alive until the
 * answer, whether or not the browser is still there. */
#include "api.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "audit.h"
#include "caserec.h"
#include "casestore.h"
#include "clock.h"
#include "feed.h"
#include "log.h"
#include "mask.h"
#include "passwd.h"
#include "report.h"
#include "server.h"
#include "sessions.h"
#include "token.h"
#include "month.h"
#include "users.h"
#include "week.h"
#include "workflow.h"

#define COOKIE "cwc_session"
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200
#define LIST_MAX_SCAN 5000
#define LEVEL_SCALE 10000000000000LL /* score = level * 1e13 + ms */
#define CAS_ATTEMPTS 3

typedef enum {
    K_GET,
    K_CLAIM,
    K_ASSIGN,
    K_STATE,
    K_LIST,
    K_REPORT,
    K_WEEKS,
} kind_t;

typedef struct call {
    cw_console_env_t *env;
    struct evhttp_request *req;
    kind_t kind;
    char user[CW_USER_NAME_MAX + 1];
    bool supervisor;
    char from[64];
    char id[CW_CASEID_SIZE];
    int attempts;
    cw_wf_request_t wf;
    json_t *body;  /* owned: the parsed request body */
    json_t *weeks; /* owned: /api/weeks's weeks, while it reads the months */
    char assignee[CW_USER_NAME_MAX + 1];
    char week[CW_WEEK_LABEL_SIZE];
    bool csv;
} call_t;

static call_t *call_new(cw_console_env_t *env, struct evhttp_request *req, kind_t kind)
{
    call_t *call = cw_calloc(1, sizeof *call);
    if (call == NULL)
        return NULL;
    call->env = env;
    call->req = req;
    call->kind = kind;
    return call;
}

static void call_free(call_t *call)
{
    if (call == NULL)
        return;
    json_decref(call->body);
    json_decref(call->weeks);
    cw_free(call);
}

static const char *header(struct evhttp_request *req, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

static void peer(struct evhttp_request *req, char *out, size_t size)
{
    char *addr = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    if (conn != NULL)
        evhttp_connection_get_peer(conn, &addr, &port);
    snprintf(out, size, "%s", addr ? addr : "?");
}

/* The session of the request's cookie, with the account it belongs to; NULL
 * (and 401 answered) when there is none. */
static const cw_session_t *authenticate(cw_console_env_t *env, struct evhttp_request *req,
                                        const cw_user_t **user)
{
    char token[CW_SESSION_TOKEN_LEN + 8];
    const cw_session_t *session = NULL;
    if (cw_token_cookie(header(req, "Cookie"), COOKIE, token, sizeof token) == 0)
        session = cw_sessions_find(env->sessions, token, cw_wall_ms());
    *user = session ? cw_users_find(env->users, session->user) : NULL;
    if (session == NULL || *user == NULL) {
        cw_server_reply_error(env, req, 401, "sign in first");
        return NULL;
    }
    return session;
}

/* A POST must come from the console's own page: the CSRF value it got at
 * sign-in, and no sign of another origin. */
static bool same_origin(struct evhttp_request *req)
{
    const char *site = header(req, "Sec-Fetch-Site");
    if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return false;
    const char *origin = header(req, "Origin");
    if (origin == NULL)
        return true;
    const char *host = header(req, "Host");
    if (host == NULL)
        return false;
    const char *rest = strncmp(origin, "http://", 7) == 0    ? origin + 7
                       : strncmp(origin, "https://", 8) == 0 ? origin + 8
                                                             : NULL;
    return rest != NULL && strcmp(rest, host) == 0;
}

static bool csrf_ok(cw_console_env_t *env, struct evhttp_request *req,
                    const cw_session_t *session)
{
    if (!same_origin(req)) {
        cw_server_reply_error(env, req, 403, "cross-site request refused");
        return false;
    }
    if (!cw_token_equal(header(req, "X-CSRF-Token"), session->csrf)) {
        cw_server_reply_error(env, req, 403, "missing or wrong X-CSRF-Token");
        return false;
    }
    return true;
}

/* The request body as JSON (a new reference), or NULL with 400/415 answered. */
static json_t *json_body(cw_console_env_t *env, struct evhttp_request *req)
{
    const char *type = header(req, "Content-Type");
    if (type == NULL || strncmp(type, "application/json", 16) != 0) {
        cw_server_reply_error(env, req, 415, "expected Content-Type: application/json");
        return NULL;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *text = len ? (const char *)evbuffer_pullup(in, -1) : "";
    json_t *body = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        cw_server_reply_error(env, req, 400, "expected a JSON object");
        return NULL;
    }
    return body;
}

static const char *string_member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return json_string_value(v);
}

/* The week label of "now" at the config's UTC offset. */
static void current_week(const cw_console_env_t *env, char out[CW_WEEK_LABEL_SIZE])
{
    cw_week_label(cw_week_of_ms(cw_wall_ms(), env->config->utc_offset_s), out);
}

static bool store_down(cw_console_env_t *env, struct evhttp_request *req)
{
    if (cw_casestore_ready(env))
        return false;
    cw_server_reply_error(env, req, 503, "the case store (Redis) is unreachable");
    return true;
}

/* ---- sign-in ------------------------------------------------------------ */

static void set_cookie(cw_console_env_t *env, struct evhttp_request *req,
                       const char *token, bool clear)
{
    char cookie[160];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
             COOKIE, clear ? "" : token, clear ? "; Max-Age=0" : "",
             env->config->console_secure_cookies ? "; Secure" : "");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
}

static void on_login(cw_console_env_t *env, struct evhttp_request *req)
{
    char from[64];
    peer(req, from, sizeof from);
    if (!same_origin(req)) {
        cw_server_reply_error(env, req, 403, "cross-site request refused");
        return;
    }
    json_t *body = json_body(env, req);
    if (body == NULL)
        return;
    const char *name = string_member(body, "user");
    const char *password = string_member(body, "password");
    if (name == NULL || password == NULL || strlen(password) > 1024) {
        json_decref(body);
        cw_server_reply_error(env, req, 400, "expected {\"user\", \"password\"}");
        return;
    }
    char user_key[96], addr_key[80];
    snprintf(user_key, sizeof user_key, "u:%.80s", name);
    snprintf(addr_key, sizeof addr_key, "a:%s", from);
    int64_t now = cw_wall_ms();
    int64_t wait = cw_throttle_wait(&env->user_throttle, user_key, now);
    int64_t wait_addr = cw_throttle_wait(&env->addr_throttle, addr_key, now);
    if (wait_addr > wait)
        wait = wait_addr;
    if (wait > 0) {
        json_decref(body);
        env->metrics.logins_throttled++;
        char retry[24];
        snprintf(retry, sizeof retry, "%lld", (long long)((wait + 999) / 1000));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", retry);
        char message[128];
        snprintf(message, sizeof message, "too many failed sign-ins: try again in %lld s",
                 (long long)((wait + 999) / 1000));
        cw_server_reply_error(env, req, 429, message);
        return;
    }
    const cw_user_t *user =
        cw_users_name_valid(name) ? cw_users_find(env->users, name) : NULL;
    /* an unknown name costs the same as a wrong password */
    bool ok =
        cw_passwd_check(password, user ? user->hash : env->dummy_hash) && user != NULL;
    if (!ok) {
        cw_throttle_fail(&env->user_throttle, user_key, now);
        cw_throttle_fail(&env->addr_throttle, addr_key, now);
        env->metrics.logins_failed++;
        cw_audit_write(env->audit, now, user ? user->name : NULL, "sign_in_failed", NULL,
                       NULL, NULL, from);
        cw_log(LOG_NOTICE, "console: failed sign-in%s%s from %s", user ? " as " : "",
               user ? user->name : " with an unknown name", from);
        json_decref(body);
        cw_server_reply_error(env, req, 401, "wrong user name or password");
        return;
    }
    cw_throttle_clear(&env->user_throttle, user_key);
    const cw_session_t *session = cw_sessions_create(env->sessions, user->name, now);
    if (session == NULL) {
        json_decref(body);
        cw_server_reply_error(env, req, 500, "cannot make a session");
        return;
    }
    env->metrics.logins_ok++;
    cw_audit_write(env->audit, now, user->name, "sign_in", NULL, NULL, NULL, from);
    set_cookie(env, req, session->token, false);
    json_t *out = json_object();
    json_object_set_new(out, "user", json_string(user->name));
    json_object_set_new(out, "role",
                        json_string(user->supervisor ? "supervisor" : "agent"));
    json_object_set_new(out, "csrf", json_string(session->csrf));
    json_decref(body);
    cw_server_reply_json(env, req, 200, out);
}

static void on_logout(cw_console_env_t *env, struct evhttp_request *req,
                      const cw_session_t *session)
{
    char token[CW_SESSION_TOKEN_LEN + 1];
    snprintf(token, sizeof token, "%s", session->token);
    cw_sessions_drop(env->sessions, token);
    set_cookie(env, req, NULL, true);
    cw_server_reply_json(env, req, 200, json_object());
}

static void on_me(cw_console_env_t *env, struct evhttp_request *req,
                  const cw_session_t *session, const cw_user_t *user)
{
    char week[CW_WEEK_LABEL_SIZE], month[CW_MONTH_LABEL_SIZE];
    current_week(env, week);
    cw_month_label(cw_month_of_ms(cw_wall_ms(), env->config->utc_offset_s), month);
    json_t *out = json_object();
    json_object_set_new(out, "user", json_string(user->name));
    json_object_set_new(out, "role",
                        json_string(user->supervisor ? "supervisor" : "agent"));
    json_object_set_new(out, "csrf", json_string(session->csrf));
    json_object_set_new(out, "current_week", json_string(week));
    json_object_set_new(out, "current_month", json_string(month));
    json_object_set_new(out, "horizon_weeks",
                        json_integer(env->config->rules.outcome_horizon_weeks));
    cw_server_reply_json(env, req, 200, out);
}

static void on_users(cw_console_env_t *env, struct evhttp_request *req)
{
    json_t *list = json_array();
    for (size_t i = 0; i < env->users->count; i++) {
        json_t *u = json_object();
        json_object_set_new(u, "name", json_string(env->users->items[i].name));
        json_object_set_new(
            u, "role",
            json_string(env->users->items[i].supervisor ? "supervisor" : "agent"));
        json_array_append_new(list, u);
    }
    json_t *out = json_object();
    json_object_set_new(out, "users", list);
    cw_server_reply_json(env, req, 200, out);
}

/* ---- cases ------------------------------------------------------------- */

/* The case JSON for this caller: the full number for its owner and for
 * supervisors, written to the audit log first; masked when the audit log
 * cannot take the line. */
static json_t *case_for(call_t *call, const cw_case_t *c, json_t *history,
                        const char *action)
{
    cw_console_env_t *env = call->env;
    bool may = call->supervisor || (c->owner[0] && strcmp(c->owner, call->user) == 0);
    bool full = false;
    if (may) {
        char masked[CW_MASK_SIZE];
        cw_mask_msisdn(c->msisdn, masked);
        if (cw_audit_write(env->audit, cw_wall_ms(), call->user, action, c->id, c->week,
                           masked, call->from) == 0) {
            full = true;
            env->metrics.number_displays++;
        } else {
            cw_log(LOG_ERR,
                   "console: the audit log cannot be written; numbers stay masked");
        }
    }
    json_t *o = cw_case_json(c, full, history);
    if (o != NULL && may && !full)
        json_object_set_new(
            o, "msisdn_withheld",
            json_string("the audit log cannot be written: number withheld"));
    return o;
}

static void publish_case(cw_console_env_t *env, const redisReply *item)
{
    json_t *json = cw_casestore_case_json(item, false);
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (text != NULL) {
        cw_feed_publish(env->feed, "case", text, strlen(text));
        env->metrics.sse_events++;
        free(text);
    }
}

static void start_get(call_t *call);

static void on_updated(redisReply *reply, void *arg)
{
    call_t *call = arg;
    cw_console_env_t *env = call->env;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        cw_server_reply_error(env, call->req, 503, "the case store did not answer");
        call_free(call);
        return;
    }
    const char *status = reply->element[0]->str;
    if (strcmp(status, "conflict") == 0 && ++call->attempts < CAS_ATTEMPTS) {
        start_get(call); /* someone else changed it meanwhile: decide again */
        return;
    }
    if (strcmp(status, "ok") != 0 || reply->elements < 2) {
        cw_server_reply_error(env, call->req, strcmp(status, "missing") == 0 ? 404 : 409,
                              strcmp(status, "missing") == 0
                                  ? "no such case"
                                  : "the case keeps changing; retry");
        call_free(call);
        return;
    }
    cw_case_t c;
    if (cw_casestore_case(reply->element[1], &c) != 0) {
        cw_server_reply_error(env, call->req, 500, "the case store answered nonsense");
        call_free(call);
        return;
    }
    env->metrics.actions++;
    publish_case(env, reply->element[1]);
    json_t *history = cw_casestore_history(reply->element[1]);
    json_t *out = case_for(call, &c, history, "show_number");
    json_decref(history);
    cw_server_reply_json(env, call->req, 200, out);
    call_free(call);
}

/* Decides the change with workflow.c and applies it if the case is still at
 * the version it was read at. */
static void decide_and_update(call_t *call, const cw_case_t *c)
{
    cw_console_env_t *env = call->env;
    cw_wf_change_t change;
    char why[160];
    call->wf.user = call->user;
    call->wf.supervisor = call->supervisor;
    int code = cw_workflow_decide(c, &call->wf, &change, why, sizeof why);
    if (code != 0) {
        cw_server_reply_error(env, call->req, code, why);
        call_free(call);
        return;
    }
    bool unchanged = strcmp(change.state, c->state) == 0 &&
                     strcmp(change.owner, c->owner) == 0 && call->wf.note == NULL &&
                     call->wf.action == CW_WF_CLAIM;
    if (unchanged) {
        /* claiming one's own case again: nothing to write */
        cw_server_reply_json(env, call->req, 200, case_for(call, c, NULL, "show_number"));
        call_free(call);
        return;
    }
    json_t *entry = json_object();
    json_object_set_new(entry, "at", json_integer(cw_wall_ms()));
    json_object_set_new(entry, "by", json_string(call->user));
    json_object_set_new(entry, "what", json_string(change.what));
    if (call->wf.note)
        json_object_set_new(entry, "note", json_string(call->wf.note));
    char *text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(entry);
    if (text == NULL ||
        cw_casestore_update(env, c, change.state, change.owner, change.outcome,
                            change.reason, text, call->wf.note != NULL, on_updated,
                            call) != 0) {
        free(text);
        cw_server_reply_error(env, call->req, 503,
                              "the case store (Redis) is unreachable");
        call_free(call);
        return;
    }
    free(text);
}

static void on_got(redisReply *reply, void *arg)
{
    call_t *call = arg;
    cw_console_env_t *env = call->env;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        cw_server_reply_error(env, call->req, 503, "the case store did not answer");
        call_free(call);
        return;
    }
    cw_case_t c;
    if (cw_casestore_case(reply, &c) != 0) {
        cw_server_reply_error(env, call->req, 404, "no such case");
        call_free(call);
        return;
    }
    if (call->kind == K_GET) {
        json_t *history = cw_casestore_history(reply);
        json_t *out = case_for(call, &c, history, "show_number");
        json_decref(history);
        cw_server_reply_json(env, call->req, 200, out);
        call_free(call);
        return;
    }
    decide_and_update(call, &c);
}

static void start_get(call_t *call)
{
    if (cw_casestore_get(call->env, call->id, on_got, call) != 0) {
        cw_server_reply_error(call->env, call->req, 503,
                              "the case store (Redis) is unreachable");
        call_free(call);
    }
}

static void on_listed(redisReply *reply, void *arg)
{
    call_t *call = arg;
    cw_console_env_t *env = call->env;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            cw_log(LOG_ERR, "console: listing cases: %s", reply->str);
        cw_server_reply_error(env, call->req, 503, "the case store did not answer");
        call_free(call);
        return;
    }
    json_t *cases = json_array();
    for (size_t i = 2; i < reply->elements; i++) {
        json_t *c = cw_casestore_case_json(reply->element[i], false);
        if (c != NULL)
            json_array_append_new(cases, c);
    }
    json_t *out = json_object();
    json_object_set_new(out, "cases", cases);
    const redisReply *next_id = reply->element[0], *next_score = reply->element[1];
    if (next_id->type == REDIS_REPLY_STRING && next_id->len > 0 &&
        next_score->type == REDIS_REPLY_STRING) {
        char cursor[96];
        snprintf(cursor, sizeof cursor, "%.*s.%.*s", (int)next_id->len, next_id->str,
                 (int)next_score->len, next_score->str);
        json_object_set_new(out, "next", json_string(cursor));
    } else {
        json_object_set_new(out, "next", json_null());
    }
    cw_server_reply_json(env, call->req, 200, out);
    call_free(call);
}

static bool word(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static void on_list(call_t *call, struct evkeyvalq *params)
{
    cw_console_env_t *env = call->env;
    cw_casestore_query_t q;
    memset(&q, 0, sizeof q);
    const char *level = evhttp_find_header(params, "level");
    const char *state = evhttp_find_header(params, "state");
    const char *owner = evhttp_find_header(params, "owner");
    const char *tier = evhttp_find_header(params, "tier");
    const char *trigger = evhttp_find_header(params, "trigger");
    const char *week = evhttp_find_header(params, "week");
    const char *month = evhttp_find_header(params, "month");
    const char *kind = evhttp_find_header(params, "kind");
    const char *limit = evhttp_find_header(params, "limit");
    const char *after = evhttp_find_header(params, "after");
    level = level ? level : "";
    state = state ? state : "";
    owner = owner ? owner : "";
    tier = tier ? tier : "";
    trigger = trigger ? trigger : "";
    week = week ? week : "";
    month = month ? month : "";
    kind = kind ? kind : "";
    const char *bad = NULL;
    int lv = level[0] ? cw_intake_level(level) : 0;
    if (level[0] && lv == 0)
        bad = "level: expected red, yellow or blue";
    else if (state[0] && !cw_case_state_valid(state) && strcmp(state, "open") != 0)
        bad = "state: expected new, claimed, contacted, closed or open";
    else if (owner[0] && strcmp(owner, "me") != 0 && !cw_users_name_valid(owner))
        bad = "owner: expected a user name or me";
    else if (tier[0] && strcmp(tier, "high") && strcmp(tier, "mid") &&
             strcmp(tier, "low") && strcmp(tier, "unknown"))
        bad = "tier: expected high, mid, low or unknown";
    else if (!word(trigger, 32))
        bad = "trigger: expected a trigger name";
    else if (week[0] && cw_week_parse_label(week, strlen(week), &(int32_t){0}) != 0)
        bad = "week: expected YYYY-Www";
    else if (month[0] && (strlen(month) != 7 ||
                          cw_month_parse_label(month, strlen(month), &(int32_t){0}) != 0))
        bad = "month: expected YYYY-MM";
    else if (week[0] && month[0])
        bad = "week, month: a case has one or the other";
    else if (kind[0] && strcmp(kind, "weekly") != 0 && strcmp(kind, "monthly") != 0)
        bad = "kind: expected weekly or monthly";
    q.limit = LIST_LIMIT_DEFAULT;
    if (!bad && limit) {
        char *end;
        long n = strtol(limit, &end, 10);
        if (*end || n < 1 || n > LIST_LIMIT_MAX)
            bad = "limit: expected 1..200";
        else
            q.limit = (int)n;
    }
    if (!bad && after && after[0]) {
        const char *dot = strchr(after, '.');
        char *end;
        if (dot == NULL || (size_t)(dot - after) != CW_CASEID_LEN) {
            bad = "after: not a cursor of this list";
        } else {
            memcpy(q.after_id, after, CW_CASEID_LEN);
            q.after_id[CW_CASEID_LEN] = '\0';
            q.after_score = strtoll(dot + 1, &end, 10);
            if (*end || !cw_token_valid(q.after_id, CW_CASEID_LEN) || q.after_score < 0)
                bad = "after: not a cursor of this list";
        }
    }
    if (bad) {
        cw_server_reply_error(env, call->req, 400, bad);
        call_free(call);
        return;
    }
    if (strcmp(owner, "me") == 0)
        owner = call->user;
    q.min_score = lv ? lv * LEVEL_SCALE : 0;
    q.max_score = lv ? (lv + 1) * LEVEL_SCALE - 1 : 4 * LEVEL_SCALE;
    q.max_scan = LIST_MAX_SCAN;
    q.state = "";
    q.owner = "";
    q.tier = tier;
    q.trigger = trigger;
    /* a monthly case's period is its month: the same filter */
    q.week = month[0] ? month : week;
    q.kind = kind;
    if (owner[0]) {
        snprintf(q.index, sizeof q.index, "z:own:%s", owner);
        q.state = state;
    } else if (strcmp(state, "open") == 0) {
        snprintf(q.index, sizeof q.index, "z:open");
    } else if (strcmp(state, "closed") == 0) {
        snprintf(q.index, sizeof q.index, "z:closed");
    } else if (state[0]) {
        snprintf(q.index, sizeof q.index, "z:st:%s", state);
    } else {
        snprintf(q.index, sizeof q.index, "z:all");
    }
    if (cw_casestore_list(env, &q, on_listed, call) != 0) {
        cw_server_reply_error(env, call->req, 503,
                              "the case store (Redis) is unreachable");
        call_free(call);
    }
}

/* ---- report ------------------------------------------------------------ */

static void on_report_reply(redisReply *reply, void *arg)
{
    call_t *call = arg;
    cw_console_env_t *env = call->env;
    const char **fields, **values;
    size_t *field_lens, *value_lens, count;
    if (cw_casestore_pairs(reply, &fields, &field_lens, &values, &value_lens, &count) !=
        0) {
        cw_server_reply_error(env, call->req, 503, "the case store did not answer");
        call_free(call);
        return;
    }
    cw_report_t *r = cw_malloc(sizeof *r);
    if (r == NULL) {
        cw_casestore_pairs_free(fields, field_lens, values, value_lens);
        cw_server_reply_error(env, call->req, 500, "out of memory");
        call_free(call);
        return;
    }
    cw_report_from_fields(r, call->week, (int)env->config->rules.outcome_horizon_weeks,
                          count, fields, field_lens, values, value_lens);
    cw_casestore_pairs_free(fields, field_lens, values, value_lens);
    if (call->csv) {
        char *csv = cw_report_csv(r);
        if (csv == NULL) {
            cw_server_reply_error(env, call->req, 500, "out of memory");
        } else {
            char disposition[96];
            snprintf(disposition, sizeof disposition,
                     "attachment; filename=\"cdrwarn-report-%s.csv\"", call->week);
            evhttp_add_header(evhttp_request_get_output_headers(call->req),
                              "Content-Disposition", disposition);
            cw_server_reply(env, call->req, 200, "text/csv; charset=utf-8", csv,
                            strlen(csv));
            cw_free(csv);
        }
    } else {
        json_t *out = cw_report_json(r);
        /* a week is final once its horizon has passed; a month once the
         * horizon after the week of its last day has */
        int32_t week = 0, now_week = 0, month;
        char current[CW_WEEK_LABEL_SIZE];
        current_week(env, current);
        if (r->monthly &&
            cw_month_parse_label(call->week, strlen(call->week), &month) == 0)
            week = cw_week_of_day(cw_month_last_day(month));
        else
            cw_week_parse_label(call->week, strlen(call->week), &week);
        cw_week_parse_label(current, strlen(current), &now_week);
        json_object_set_new(
            out, "final",
            json_boolean(now_week - week > env->config->rules.outcome_horizon_weeks));
        cw_server_reply_json(env, call->req, 200, out);
    }
    cw_free(r);
    call_free(call);
}

static void on_report(call_t *call, struct evkeyvalq *params)
{
    cw_console_env_t *env = call->env;
    const char *week = evhttp_find_header(params, "week");
    const char *month = evhttp_find_header(params, "month");
    const char *format = evhttp_find_header(params, "format");
    if (week && week[0] && month && month[0]) {
        cw_server_reply_error(env, call->req, 400, "week, month: one or the other");
        call_free(call);
        return;
    }
    if (month && month[0]) {
        /* the report of a month's monthly cases */
        int32_t m;
        if (strlen(month) != 7 || cw_month_parse_label(month, strlen(month), &m) != 0) {
            cw_server_reply_error(env, call->req, 400, "month: expected YYYY-MM");
            call_free(call);
            return;
        }
        snprintf(call->week, sizeof call->week, "%s", month);
    } else if (week && week[0]) {
        int32_t w;
        if (cw_week_parse_label(week, strlen(week), &w) != 0) {
            cw_server_reply_error(env, call->req, 400, "week: expected YYYY-Www");
            call_free(call);
            return;
        }
        snprintf(call->week, sizeof call->week, "%s", week);
    } else {
        current_week(env, call->week);
    }
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        cw_server_reply_error(env, call->req, 400, "format: expected csv or json");
        call_free(call);
        return;
    }
    call->csv = format && strcmp(format, "csv") == 0;
    if (cw_casestore_report(env, call->week, on_report_reply, call) != 0) {
        cw_server_reply_error(env, call->req, 503,
                              "the case store (Redis) is unreachable");
        call_free(call);
    }
}

static void on_weeks_reply(redisReply *reply, void *arg)
{
    call_t *call = arg;
    cw_console_env_t *env = call->env;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        cw_server_reply_error(env, call->req, 503, "the case store did not answer");
        call_free(call);
        return;
    }
    json_t *labels = json_array();
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            json_array_append_new(
                labels, json_stringn(reply->element[i]->str, reply->element[i]->len));
    if (call->weeks == NULL) {
        /* the weeks: now the months with monthly cases */
        call->weeks = labels;
        if (cw_casestore_months(env, on_weeks_reply, call) != 0) {
            cw_server_reply_error(env, call->req, 503,
                                  "the case store (Redis) is unreachable");
            call_free(call);
        }
        return;
    }
    char current[CW_WEEK_LABEL_SIZE], month[CW_MONTH_LABEL_SIZE];
    current_week(env, current);
    cw_month_label(cw_month_of_ms(cw_wall_ms(), env->config->utc_offset_s), month);
    json_t *out = json_object();
    json_object_set(out, "weeks", call->weeks);
    json_object_set_new(out, "current", json_string(current));
    json_object_set_new(out, "months", labels);
    json_object_set_new(out, "current_month", json_string(month));
    cw_server_reply_json(env, call->req, 200, out);
    call_free(call);
}

/* ---- routing ------------------------------------------------------------ */

typedef enum {
    R_NONE,
    R_LOGIN,
    R_LOGOUT,
    R_ME,
    R_CASES,
    R_CASE,
    R_CLAIM,
    R_ASSIGN,
    R_STATE,
    R_STREAM,
    R_REPORT,
    R_WEEKS,
    R_USERS,
} route_t;

typedef struct {
    route_t route;
    bool post;
    bool supervisor;
} route_info_t;

/* The route of a path; the case id (unchecked yet) into id. */
static route_t route_of(const char *path, char *id, size_t id_size)
{
    static const struct {
        const char *path;
        route_t route;
    } fixed[] = {
        {"/api/login", R_LOGIN}, {"/api/logout", R_LOGOUT}, {"/api/me", R_ME},
        {"/api/cases", R_CASES}, {"/api/stream", R_STREAM}, {"/api/report", R_REPORT},
        {"/api/weeks", R_WEEKS}, {"/api/users", R_USERS},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(path, fixed[i].path) == 0)
            return fixed[i].route;
    if (strncmp(path, "/api/cases/", 11) != 0)
        return R_NONE;
    const char *rest = path + 11;
    const char *slash = strchr(rest, '/');
    size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (len == 0 || len >= id_size)
        return R_NONE;
    memcpy(id, rest, len);
    id[len] = '\0';
    if (slash == NULL)
        return R_CASE;
    if (strcmp(slash, "/claim") == 0)
        return R_CLAIM;
    if (strcmp(slash, "/assign") == 0)
        return R_ASSIGN;
    if (strcmp(slash, "/state") == 0)
        return R_STATE;
    return R_NONE;
}

static route_info_t info_of(route_t route)
{
    switch (route) {
    case R_LOGIN:
    case R_LOGOUT:
    case R_CLAIM:
    case R_STATE:
        return (route_info_t){route, true, false};
    case R_ASSIGN:
        return (route_info_t){route, true, true};
    case R_REPORT:
    case R_USERS:
        return (route_info_t){route, false, true};
    default:
        return (route_info_t){route, false, false};
    }
}

static void on_stream(cw_console_env_t *env, struct evhttp_request *req,
                      const cw_user_t *user)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    cw_server_security_headers(req);
    evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Accel-Buffering",
                      "no"); /* a proxy must not hold events back */
    if (cw_feed_add(env->feed, req, user->name) != 0) {
        cw_server_reply_error(env, req, 500, "out of memory");
        return;
    }
    env->metrics.http_requests[2]++;
}

void cw_api_handle(cw_console_env_t *env, struct evhttp_request *req, const char *path)
{
    char raw_id[64];
    route_info_t route = info_of(route_of(path, raw_id, sizeof raw_id));
    if (route.route == R_NONE) {
        cw_server_reply_error(env, req, 404, "no such endpoint");
        return;
    }
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    bool is_post = method == EVHTTP_REQ_POST;
    if (is_post != route.post || (!is_post && method != EVHTTP_REQ_GET)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          route.post ? "POST" : "GET");
        cw_server_reply_error(env, req, 405, route.post ? "use POST" : "use GET");
        return;
    }
    if (route.route == R_LOGIN) {
        on_login(env, req);
        return;
    }
    const cw_user_t *user;
    const cw_session_t *session = authenticate(env, req, &user);
    if (session == NULL)
        return;
    if (route.supervisor && !user->supervisor) {
        cw_server_reply_error(env, req, 403, "supervisors only");
        return;
    }
    if (route.post && !csrf_ok(env, req, session))
        return;
    switch (route.route) {
    case R_LOGOUT:
        on_logout(env, req, session);
        return;
    case R_ME:
        on_me(env, req, session, user);
        return;
    case R_USERS:
        on_users(env, req);
        return;
    case R_STREAM:
        on_stream(env, req, user);
        return;
    default:
        break;
    }
    if (store_down(env, req))
        return;
    kind_t kind = route.route == R_CASES    ? K_LIST
                  : route.route == R_CASE   ? K_GET
                  : route.route == R_CLAIM  ? K_CLAIM
                  : route.route == R_ASSIGN ? K_ASSIGN
                  : route.route == R_STATE  ? K_STATE
                  : route.route == R_REPORT ? K_REPORT
                                            : K_WEEKS;
    call_t *call = call_new(env, req, kind);
    if (call == NULL) {
        cw_server_reply_error(env, req, 500, "out of memory");
        return;
    }
    snprintf(call->user, sizeof call->user, "%s", user->name);
    call->supervisor = user->supervisor;
    peer(req, call->from, sizeof call->from);
    if (kind == K_GET || kind == K_CLAIM || kind == K_ASSIGN || kind == K_STATE) {
        if (!cw_token_valid(raw_id, CW_CASEID_LEN) || strlen(raw_id) != CW_CASEID_LEN) {
            cw_server_reply_error(env, req, 404, "no such case");
            call_free(call);
            return;
        }
        snprintf(call->id, sizeof call->id, "%s", raw_id);
    }
    if (kind == K_CLAIM) {
        call->wf.action = CW_WF_CLAIM;
    } else if (kind == K_ASSIGN) {
        call->body = json_body(env, req);
        if (call->body == NULL) {
            call_free(call);
            return;
        }
        const char *owner = string_member(call->body, "owner");
        if (owner == NULL || cw_users_find(env->users, owner) == NULL) {
            cw_server_reply_error(env, req, 400, "owner: expected the name of a user");
            call_free(call);
            return;
        }
        snprintf(call->assignee, sizeof call->assignee, "%s", owner);
        call->wf.action = CW_WF_ASSIGN;
        call->wf.assignee = call->assignee;
        const char *note = string_member(call->body, "note");
        call->wf.note = note && note[0] ? note : NULL;
    } else if (kind == K_STATE) {
        const char *type = header(req, "Content-Type");
        if (type == NULL || strncmp(type, "application/json", 16) != 0) {
            cw_server_reply_error(env, req, 415,
                                  "expected Content-Type: application/json");
            call_free(call);
            return;
        }
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(in);
        const char *text = len ? (const char *)evbuffer_pullup(in, -1) : "";
        void *keep = NULL;
        char why[160];
        int code = cw_workflow_parse_state(text, len, &keep, &call->wf, why, sizeof why);
        call->body = keep;
        if (code != 0) {
            cw_server_reply_error(env, req, code, why);
            call_free(call);
            return;
        }
    }
    if (kind == K_LIST || kind == K_REPORT) {
        struct evkeyvalq params;
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
        const char *query = evhttp_uri_get_query(uri);
        if (evhttp_parse_query_str(query ? query : "", &params) != 0) {
            cw_server_reply_error(env, req, 400, "bad query string");
            call_free(call);
            return;
        }
        if (kind == K_LIST)
            on_list(call, &params);
        else
            on_report(call, &params);
        evhttp_clear_headers(&params);
        return;
    }
    if (kind == K_WEEKS) {
        if (cw_casestore_weeks(env, on_weeks_reply, call) != 0) {
            cw_server_reply_error(env, req, 503, "the case store (Redis) is unreachable");
            call_free(call);
        }
        return;
    }
    start_get(call);
}
