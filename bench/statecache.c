/* The subscriber state cache alone (lib/statecache.c), as a step uses it:
 * look up a step's subscribers together, then store the states its commit
 * wrote, over a key space larger or smaller than the budget holds. Prints
 * nanoseconds per subscriber (lookup + store) and the hit ratio: the cost
 * the daemon pays per subscriber per step, without Kafka, Redis or noise
 * from other processes' run time (it is all memory access).
 *   cwbench-statecache [--subscribers N] [--budget BYTES] [--lookups N] [--step N]
 *                      [--state-bytes N] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "statecache.h"

#define STEP_MAX 512
#define KEY_SIZE 48
#define PARTITIONS 128

int main(int argc, char **argv)
{
    long subscribers = 1000000, lookups = 4000000, step = 256, state_bytes = 170;
    long long budget = 32LL << 20;
    static const struct option longopts[] = {{"subscribers", required_argument, NULL, 's'},
                                             {"budget", required_argument, NULL, 'b'},
                                             {"lookups", required_argument, NULL, 'n'},
                                             {"step", required_argument, NULL, 'k'},
                                             {"state-bytes", required_argument, NULL, 'z'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': subscribers = atol(optarg); break;
        case 'b': budget = atoll(optarg); break;
        case 'n': lookups = atol(optarg); break;
        case 'k': step = atol(optarg); break;
        case 'z': state_bytes = atol(optarg); break;
        default:
            fprintf(stderr, "usage: cwbench-statecache [--subscribers N] [--budget BYTES] "
                            "[--lookups N] [--step N (<= %d)] [--state-bytes N (20-200)]\n", STEP_MAX);
            return c == 'h' ? 0 : 2;
        }
    }
    if (subscribers <= 0 || budget < 0 || lookups <= 0 || step <= 0 || step > STEP_MAX ||
        state_bytes < 20 || state_bytes > 200) {
        fprintf(stderr, "cwbench-statecache: positive figures, --step at most %d, "
                        "--state-bytes 20-200\n", STEP_MAX);
        return 2;
    }
    cw_statecache_t *cache = cw_statecache_new((size_t)budget);
    if (cache == NULL)
        return 1;
    static char keys[STEP_MAX][KEY_SIZE];
    static uint8_t state[256];
    memset(state, 's', sizeof state);
    cw_statecache_item_t items[STEP_MAX];
    uint64_t seed = 1;
    int64_t spent_us = 0;
    for (long done = 0; done < lookups; done += step) {
        /* a step's subscribers: random numbers of one partition, states of
         * state_bytes +- 20 (the bench's are ~175 after 3 weeks, ~100 in
         * its first) */
        int32_t partition = (int32_t)((done / step) % PARTITIONS);
        for (long k = 0; k < step; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            /* a subscriber's partition is fixed, as Kafka's keying makes it */
            long per_partition = subscribers / PARTITIONS > 0 ? subscribers / PARTITIONS : 1;
            long number = (long)((seed >> 33) % (uint64_t)per_partition) * PARTITIONS + partition;
            items[k].key = keys[k];
            items[k].key_len = (size_t)snprintf(keys[k], KEY_SIZE, "cw:{p%d}:s:1380%07ld",
                                                partition, number);
        }
        int64_t start = cwb_mono_us();
        cw_statecache_get_many(cache, partition, items, (size_t)step);
        for (long k = 0; k < step; k++) {
            items[k].bytes = state;
            items[k].len = (size_t)state_bytes - 20 + (size_t)((seed >> 40) % 41);
        }
        cw_statecache_put_many(cache, partition, items, (size_t)step);
        spent_us += cwb_mono_us() - start;
    }
    cw_statecache_stats_t stats = cw_statecache_stats(cache);
    printf("subscribers %ld, budget %lld B, %ld lookups in steps of %ld: %.1f ns per subscriber "
           "(lookup + store), hits %.1f %%, %llu entries, %.1f MB held\n",
           subscribers, budget, lookups, step, 1000.0 * (double)spent_us / (double)lookups,
           100.0 * (double)stats.hits / (double)(stats.hits + stats.misses),
           (unsigned long long)stats.entries, (double)stats.bytes / 1e6);
    cw_statecache_free(cache);
    return 0;
}
