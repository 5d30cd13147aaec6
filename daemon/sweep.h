/* The close step of a week (SPEC section 5 (b)) or a month (SPEC section
 * 14): reads one chunk of the period's seen lists, loads its subscribers'
 * states, evaluates them (lib/close.c decides: a week's alerts, a month's
 * score records) and commits what they publish with the close's cursor, so
 * a restart resumes where it stopped; the last step of a close marks the
 * period closed and drops the list of the one before. A chunk done twice
 * publishes nothing twice: alerts by the week's published state, score
 * records by their ids. */
#ifndef CW_SWEEP_H
#define CW_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "apply.h"
#include "env.h"
#include "meta.h"
#include "period.h"
#include "step.h"

/* Starts the next step of the period's close from the partition's `meta`.
 * Returns the step (held: see cw_step_go), or NULL when out of memory
 * (`done` is then never called). */
cw_step_t *cw_sweep_begin(const cw_env_t *env, int32_t partition, const cw_meta_t *meta,
                          cw_period_t period, cw_step_done_fn done, void *arg);

#endif
