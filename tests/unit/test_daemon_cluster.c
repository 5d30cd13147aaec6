/* Check suite for daemon/cluster.c: the slot map read from a CLUSTER SLOTS
 * answer (laid out as Redis 7.0 answers for a cluster of three masters with
 * a replica each), and the cluster's errors (MOVED, ASK, TRYAGAIN,
 * CLUSTERDOWN) told apart from every other reply. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

/* ---- replies built by hand, freed with reply_free ------------------------ */

static redisReply *integer(long long v)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

static redisReply *string(int type, const char *s)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = type;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *array(size_t n, ...)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = calloc(n ? n : 1, sizeof *r->element);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        r->element[i] = va_arg(ap, redisReply *);
    va_end(ap);
    return r;
}

static void reply_free(redisReply *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->elements; i++)
        reply_free(r->element[i]);
    free(r->element);
    free(r->str);
    free(r);
}

/* [host, port, id, {}] as Redis 7.0 lists a node */
static redisReply *node(const char *host, int port, const char *id)
{
    return array(4, string(REDIS_REPLY_STRING, host), integer(port),
                 string(REDIS_REPLY_STRING, id), array(0));
}

static redisReply *three_masters(const char *first_host)
{
    return array(3,
                 array(4, integer(0), integer(5460), node(first_host, 7000, "a"),
                       node("127.0.0.1", 7004, "d")),
                 array(4, integer(5461), integer(10922), node("127.0.0.1", 7001, "b"),
                       node("127.0.0.1", 7005, "e")),
                 array(4, integer(10923), integer(16383), node("127.0.0.1", 7002, "c"),
                       node("127.0.0.1", 7003, "f")));
}

static cw_slotmap_t map, other;
static char err[256];

/* ---- the map ----------------------------------------------------------- */

START_TEST(three_masters_share_every_slot)
{
    redisReply *r = three_masters("127.0.0.1");
    ck_assert_int_eq(cw_slotmap_read(&map, r, "127.0.0.1", err, sizeof err), 0);
    ck_assert_int_eq(map.master_count, 3);
    ck_assert_str_eq(map.masters[1].host, "127.0.0.1");
    ck_assert_int_eq(map.masters[1].port, 7001);
    ck_assert_int_eq(map.slots[0], 5461);
    ck_assert_int_eq(map.slots[1], 5462);
    ck_assert_int_eq(map.slots[2], 5461);
    ck_assert_int_eq(map.owner[0], 0);
    ck_assert_int_eq(map.owner[5461], 1);
    ck_assert_int_eq(map.owner[16383], 2);
    ck_assert_int_eq(cw_slotmap_uncovered(&map), 0);
    ck_assert_int_eq(map.replica_count, 3);
    cw_cluster_addr_t addr = {"127.0.0.1", 7002};
    ck_assert_int_eq(cw_slotmap_master(&map, &addr), 2);
    addr.port = 7003;
    ck_assert_int_eq(cw_slotmap_master(&map, &addr), -1);
    char ranges[64];
    cw_slotmap_ranges(&map, 1, ranges, sizeof ranges);
    ck_assert_str_eq(ranges, "5461-10922");
    reply_free(r);
}
END_TEST

START_TEST(a_master_with_several_ranges_is_one_master)
{
    /* after a reshard: 7000 serves 0-99 and 200-5460, 7001 took 100-199 */
    redisReply *r =
        array(3, array(3, integer(0), integer(99), node("127.0.0.1", 7000, "a")),
              array(3, integer(100), integer(199), node("127.0.0.1", 7001, "b")),
              array(3, integer(200), integer(5460), node("127.0.0.1", 7000, "a")));
    ck_assert_int_eq(cw_slotmap_read(&map, r, "127.0.0.1", err, sizeof err), 0);
    ck_assert_int_eq(map.master_count, 2);
    ck_assert_int_eq(map.slots[0], 100 + 5261);
    ck_assert_int_eq(map.slots[1], 100);
    ck_assert_int_eq(cw_slotmap_uncovered(&map), CW_SLOT_COUNT - 5461);
    char ranges[64];
    cw_slotmap_ranges(&map, 0, ranges, sizeof ranges);
    ck_assert_str_eq(ranges, "0-99, 200-5460");
    reply_free(r);
}
END_TEST

START_TEST(an_unknown_endpoint_is_the_node_that_answered)
{
    redisReply *r = three_masters("");
    ck_assert_int_eq(cw_slotmap_read(&map, r, "10.1.2.3", err, sizeof err), 0);
    ck_assert_str_eq(map.masters[0].host, "10.1.2.3");
    reply_free(r);
    r = three_masters("?");
    ck_assert_int_eq(cw_slotmap_read(&map, r, "10.1.2.4", err, sizeof err), 0);
    ck_assert_str_eq(map.masters[0].host, "10.1.2.4");
    reply_free(r);
}
END_TEST

START_TEST(maps_compare_by_masters_and_slots)
{
    redisReply *r = three_masters("127.0.0.1");
    ck_assert_int_eq(cw_slotmap_read(&map, r, "127.0.0.1", err, sizeof err), 0);
    ck_assert_int_eq(cw_slotmap_read(&other, r, "127.0.0.1", err, sizeof err), 0);
    ck_assert(cw_slotmap_same(&map, &other));
    other.owner[42] = 1;
    ck_assert(!cw_slotmap_same(&map, &other));
    reply_free(r);
}
END_TEST

START_TEST(malformed_answers_are_refused_with_a_reason)
{
    redisReply *r = string(REDIS_REPLY_ERROR, "ERR This instance has cluster support disabled");
    ck_assert_int_eq(cw_slotmap_read(&map, r, "h", err, sizeof err), -1);
    ck_assert_str_eq(err, "CLUSTER SLOTS: not an array");
    reply_free(r);
    r = array(1, array(3, integer(5), integer(2), node("h", 1, "a")));
    ck_assert_int_eq(cw_slotmap_read(&map, r, "h", err, sizeof err), -1);
    ck_assert_str_eq(err, "CLUSTER SLOTS: a slot range is out of bounds");
    reply_free(r);
    r = array(1, array(3, integer(0), integer(16384), node("h", 1, "a")));
    ck_assert_int_eq(cw_slotmap_read(&map, r, "h", err, sizeof err), -1);
    reply_free(r);
    r = array(1, array(3, integer(0), integer(1), node("h", 70000, "a")));
    ck_assert_int_eq(cw_slotmap_read(&map, r, "h", err, sizeof err), -1);
    ck_assert_str_eq(err, "CLUSTER SLOTS: a master is not [host, port, ...]");
    reply_free(r);
    r = array(2, array(3, integer(0), integer(10), node("h", 1, "a")),
              array(3, integer(10), integer(20), node("h", 2, "b")));
    ck_assert_int_eq(cw_slotmap_read(&map, r, "h", err, sizeof err), -1);
    ck_assert_str_eq(err, "CLUSTER SLOTS: a slot is served by two masters");
    reply_free(r);
    r = array(1, array(2, integer(0), integer(10)));
    ck_assert_int_eq(cw_slotmap_read(&map, r, "h", err, sizeof err), -1);
    reply_free(r);
}
END_TEST

START_TEST(an_empty_cluster_serves_no_slot)
{
    redisReply *r = array(0);
    ck_assert_int_eq(cw_slotmap_read(&map, r, "h", err, sizeof err), 0);
    ck_assert_int_eq(map.master_count, 0);
    ck_assert_int_eq(cw_slotmap_uncovered(&map), CW_SLOT_COUNT);
    reply_free(r);
}
END_TEST

/* ---- replies ------------------------------------------------------------- */

static cw_cluster_reply_t kind_of(const char *error, int *slot, cw_cluster_addr_t *to)
{
    redisReply *r = string(REDIS_REPLY_ERROR, error);
    cw_cluster_reply_t kind = cw_cluster_reply_kind(r, slot, to);
    reply_free(r);
    return kind;
}

START_TEST(moved_and_ask_name_the_slot_and_the_node)
{
    int slot = -1;
    cw_cluster_addr_t to;
    ck_assert_int_eq(kind_of("MOVED 3999 127.0.0.1:6381", &slot, &to), CW_CLUSTER_MOVED);
    ck_assert_int_eq(slot, 3999);
    ck_assert_str_eq(to.host, "127.0.0.1");
    ck_assert_int_eq(to.port, 6381);
    ck_assert_int_eq(kind_of("ASK 16383 ::1:7002", &slot, &to), CW_CLUSTER_ASK);
    ck_assert_int_eq(slot, 16383);
    ck_assert_str_eq(to.host, "::1");
    ck_assert_int_eq(to.port, 7002);
    ck_assert_int_eq(kind_of("ASK 0 redis-2.example.net:6379", NULL, NULL), CW_CLUSTER_ASK);
}
END_TEST

START_TEST(refusals_while_the_cluster_changes_are_told_apart)
{
    ck_assert_int_eq(kind_of("TRYAGAIN Multiple keys request during rehashing of slot", NULL,
                             NULL),
                     CW_CLUSTER_TRYAGAIN);
    ck_assert_int_eq(kind_of("CLUSTERDOWN The cluster is down", NULL, NULL), CW_CLUSTER_DOWN);
    ck_assert_int_eq(kind_of("CLUSTERDOWN Hash slot not served", NULL, NULL), CW_CLUSTER_DOWN);
}
END_TEST

START_TEST(other_replies_are_answers)
{
    ck_assert_int_eq(kind_of("NOSCRIPT No matching script", NULL, NULL), CW_CLUSTER_ANSWER);
    ck_assert_int_eq(kind_of("FENCED expected \"1\" found \"2\"", NULL, NULL),
                     CW_CLUSTER_ANSWER);
    ck_assert_int_eq(kind_of("MOVEDX 1 h:1", NULL, NULL), CW_CLUSTER_ANSWER);
    ck_assert_int_eq(kind_of("MOVED", NULL, NULL), CW_CLUSTER_ANSWER);
    ck_assert_int_eq(kind_of("MOVED 99999 h:1", NULL, NULL), CW_CLUSTER_ANSWER);
    ck_assert_int_eq(kind_of("MOVED 1 nohostport", NULL, NULL), CW_CLUSTER_ANSWER);
    ck_assert_int_eq(kind_of("ASK 1 h:0", NULL, NULL), CW_CLUSTER_ANSWER);
    redisReply *r = string(REDIS_REPLY_STATUS, "MOVED 1 h:1");
    ck_assert_int_eq(cw_cluster_reply_kind(r, NULL, NULL), CW_CLUSTER_ANSWER);
    reply_free(r);
    ck_assert_int_eq(cw_cluster_reply_kind(NULL, NULL, NULL), CW_CLUSTER_ANSWER);
}
END_TEST

START_TEST(addresses_parse_at_the_last_colon)
{
    cw_cluster_addr_t a;
    ck_assert_int_eq(cw_cluster_addr_parse("10.0.0.1:6379", 13, &a), 0);
    ck_assert_str_eq(a.host, "10.0.0.1");
    ck_assert_int_eq(a.port, 6379);
    ck_assert_int_eq(cw_cluster_addr_parse("10.0.0.1:", 9, &a), -1);
    ck_assert_int_eq(cw_cluster_addr_parse(":6379", 5, &a), -1);
    ck_assert_int_eq(cw_cluster_addr_parse("h:65536", 7, &a), -1);
    ck_assert_int_eq(cw_cluster_addr_parse("h:12a", 5, &a), -1);
    char name[CW_CLUSTER_NAME_SIZE];
    cw_cluster_addr_t b = {"127.0.0.1", 7001};
    cw_cluster_addr_name(&b, name);
    ck_assert_str_eq(name, "127.0.0.1:7001");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("daemon_cluster");
    TCase *tc = tcase_create("slot_map");
    tcase_add_test(tc, three_masters_share_every_slot);
    tcase_add_test(tc, a_master_with_several_ranges_is_one_master);
    tcase_add_test(tc, an_unknown_endpoint_is_the_node_that_answered);
    tcase_add_test(tc, maps_compare_by_masters_and_slots);
    tcase_add_test(tc, malformed_answers_are_refused_with_a_reason);
    tcase_add_test(tc, an_empty_cluster_serves_no_slot);
    suite_add_tcase(s, tc);
    tc = tcase_create("replies");
    tcase_add_test(tc, moved_and_ask_name_the_slot_and_the_node);
    tcase_add_test(tc, refusals_while_the_cluster_changes_are_told_apart);
    tcase_add_test(tc, other_replies_are_answers);
    tcase_add_test(tc, addresses_parse_at_the_last_colon);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
