/* The case workflow of SPEC section 12 as a pure decision: given a case, who
 * asks (user and role) and what they ask, either the new state, owner,
 * outcome and reason with the history line to keep, or why not (as the HTTP
 * status the API answers). The store then applies the change only if the case
 * did not change meanwhile (compare-and-set on its version). */
#ifndef CW_WORKFLOW_H
#define CW_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "caserec.h"

#define CW_WORKFLOW_NOTE_MAX 2000 /* bytes */

typedef enum {
    CW_WF_CLAIM,      /* take a new case */
    CW_WF_ASSIGN,     /* a supervisor gives an open case to someone */
    CW_WF_CONTACTED,  /* the owner reached the customer */
    CW_WF_CLOSE,      /* with an outcome and maybe a reason */
    CW_WF_NOTE,       /* only a note */
} cw_wf_action_t;

typedef struct cw_wf_request {
    cw_wf_action_t action;
    const char *user;        /* who asks */
    bool supervisor;
    const char *assignee;    /* CW_WF_ASSIGN: an existing user (the caller checks) */
    const char *outcome;     /* CW_WF_CLOSE */
    const char *reason;      /* optional; NULL or "" for none */
    const char *note;        /* optional on every action */
} cw_wf_request_t;

typedef struct cw_wf_change {
    char state[12];
    char owner[CW_CASE_NAME_MAX + 1];
    char outcome[16];
    char reason[16];
    char what[160];          /* the history line: "closed: retained (price)" */
} cw_wf_change_t;

/* Returns 0 with the change, or an HTTP status with the reason in errbuf:
 * 400 (a bad outcome, reason or note), 403 (not the caller's case, or not a
 * supervisor), 409 (not possible in the case's state: claimed by someone
 * else, closed already, not claimed yet). Claiming a case the caller already
 * holds is 0 with the same state (nothing changes but nothing fails). */
int cw_workflow_decide(const cw_case_t *c, const cw_wf_request_t *req, cw_wf_change_t *out,
                       char *errbuf, size_t errbuf_size);

/* Parses the body of POST /api/cases/ID/state ({"state","outcome","reason",
 * "note"}: state "contacted" or "closed", or none for a note alone) into req
 * (strings borrowed from the parsed body, which the caller keeps). Returns 0
 * or 400 with errbuf. */
int cw_workflow_parse_state(const char *body, size_t len, void **keep, cw_wf_request_t *req,
                            char *errbuf, size_t errbuf_size);

#endif
