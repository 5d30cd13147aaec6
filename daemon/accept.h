/* `cdrwarnd --accept-state-loss`: the operator's explicit way out when a
 * partition's state is gone from Redis (SPEC section 13) and no backup is
 * to be restored: it writes the partitions' next offsets into Redis, from
 * the consumer group's committed offsets or from the topics' first
 * records, so the daemon (running or not) starts them again from there
 * with every subscriber fresh. Partitions that still hold state are left
 * alone. */
#ifndef CW_ACCEPT_H
#define CW_ACCEPT_H

/* `partitions`: "all" or comma-separated numbers; `from`: "committed" or
 * "earliest". Prints what it did; returns the process exit code (0, or 1
 * with the reason on stderr). */
int cw_accept_state_loss(const char *config_path, const char *partitions, const char *from);

#endif
