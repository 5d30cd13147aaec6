/* The week-close step (SPEC section 5 (b)): reads one chunk of the week's
 * seen lists, loads its subscribers' states, evaluates them (lib/close.c
 * decides) and commits their alerts with the sweep's cursor, so a restart
 * resumes where it stopped; the last step of a week marks it closed and
 * drops the W-1 list. The per-week published state makes a chunk done twice
 * publish nothing twice. */
#ifndef CW_SWEEP_H
#define CW_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "apply.h"
#include "env.h"
#include "meta.h"
#include "step.h"

/* Whether the partition has a week to close (or a close under way) at its
 * meta's stream time. */
bool cw_sweep_due(const cw_config_t *config, const cw_meta_t *meta);

/* Starts the next step of the week close from the partition's `meta`.
 * Returns the step, or NULL when out of memory (`done` is then never
 * called). */
cw_step_t *cw_sweep_begin(const cw_env_t *env, int32_t partition, const cw_meta_t *meta,
                          cw_step_done_fn done, void *arg);

#endif
