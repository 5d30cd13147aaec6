/* Case workflow decisions (see workflow.h). Who may do what:
 *   claim     anyone signed in, on a new case (or their own claimed one)
 *   assign    supervisors, on an open case, to any user
 *   contacted the owner or a supervisor, on a claimed case
 *   close     the owner or a supervisor, on a claimed or contacted case
 *   note      the owner or a supervisor, in any state but new */
#include "workflow.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define REFUSE(code, ...)                                                                \
    do {                                                                                 \
        snprintf(errbuf, errbuf_size, __VA_ARGS__);                                      \
        return code;                                                                     \
    } while (0)

static bool is_open(const cw_case_t *c)
{
    return strcmp(c->state, "closed") != 0;
}

static void keep(cw_wf_change_t *out, const cw_case_t *c)
{
    snprintf(out->state, sizeof out->state, "%s", c->state);
    snprintf(out->owner, sizeof out->owner, "%s", c->owner);
    snprintf(out->outcome, sizeof out->outcome, "%s", c->outcome);
    snprintf(out->reason, sizeof out->reason, "%s", c->reason);
}

static bool valid_note(const char *note)
{
    return note == NULL || strlen(note) <= CW_WORKFLOW_NOTE_MAX;
}

int cw_workflow_decide(const cw_case_t *c, const cw_wf_request_t *req, cw_wf_change_t *out,
                       char *errbuf, size_t errbuf_size)
{
    memset(out, 0, sizeof *out);
    keep(out, c);
    bool owner = c->owner[0] != '\0' && strcmp(c->owner, req->user) == 0;
    bool may_work = owner || req->supervisor;
    if (!valid_note(req->note))
        REFUSE(400, "note: at most %d bytes", CW_WORKFLOW_NOTE_MAX);
    const char *reason = req->reason && req->reason[0] ? req->reason : NULL;
    switch (req->action) {
    case CW_WF_CLAIM:
        if (owner && is_open(c)) {
            snprintf(out->what, sizeof out->what, "claimed");
            return 0;
        }
        if (strcmp(c->state, "new") != 0) {
            if (!is_open(c))
                REFUSE(409, "the case is closed");
            REFUSE(409, "the case is already claimed by %s", c->owner);
        }
        snprintf(out->state, sizeof out->state, "claimed");
        snprintf(out->owner, sizeof out->owner, "%s", req->user);
        snprintf(out->what, sizeof out->what, "claimed");
        return 0;
    case CW_WF_ASSIGN:
        if (!req->supervisor)
            REFUSE(403, "only a supervisor assigns cases");
        if (req->assignee == NULL || req->assignee[0] == '\0' ||
            strlen(req->assignee) > CW_CASE_NAME_MAX)
            REFUSE(400, "owner: expected a user name");
        if (!is_open(c))
            REFUSE(409, "the case is closed");
        if (strcmp(c->state, "new") == 0)
            snprintf(out->state, sizeof out->state, "claimed");
        snprintf(out->owner, sizeof out->owner, "%s", req->assignee);
        snprintf(out->what, sizeof out->what, "assigned to %s", req->assignee);
        return 0;
    case CW_WF_CONTACTED:
        if (strcmp(c->state, "new") == 0)
            REFUSE(409, "claim the case first");
        if (!may_work)
            REFUSE(403, "only the case's owner or a supervisor works it");
        if (strcmp(c->state, "claimed") != 0)
            REFUSE(409, "the case is %s", c->state);
        snprintf(out->state, sizeof out->state, "contacted");
        snprintf(out->what, sizeof out->what, "customer contacted");
        return 0;
    case CW_WF_CLOSE:
        if (strcmp(c->state, "new") == 0)
            REFUSE(409, "claim the case first");
        if (!may_work)
            REFUSE(403, "only the case's owner or a supervisor works it");
        if (!cw_case_outcome_valid(req->outcome))
            REFUSE(400, "outcome: expected retained, churned, unreachable or declined");
        if (reason && !cw_case_reason_valid(reason))
            REFUSE(400, "reason: expected price, quality, social, convenience or other");
        if (!is_open(c))
            REFUSE(409, "the case is closed already");
        snprintf(out->state, sizeof out->state, "closed");
        snprintf(out->outcome, sizeof out->outcome, "%s", req->outcome);
        snprintf(out->reason, sizeof out->reason, "%s", reason ? reason : "");
        if (reason)
            snprintf(out->what, sizeof out->what, "closed: %s (%s)", req->outcome, reason);
        else
            snprintf(out->what, sizeof out->what, "closed: %s", req->outcome);
        return 0;
    case CW_WF_NOTE:
        if (req->note == NULL || req->note[0] == '\0')
            REFUSE(400, "note: expected some text");
        if (strcmp(c->state, "new") == 0)
            REFUSE(409, "claim the case first");
        if (!may_work)
            REFUSE(403, "only the case's owner or a supervisor adds notes");
        snprintf(out->what, sizeof out->what, "note");
        return 0;
    }
    REFUSE(400, "unknown action");
}

int cw_workflow_parse_state(const char *body, size_t len, void **keep_out,
                            cw_wf_request_t *req, char *errbuf, size_t errbuf_size)
{
    *keep_out = NULL;
    json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        REFUSE(400, "expected a JSON object");
    }
    *keep_out = root;
    const char *keys[] = {"state", "outcome", "reason", "note"};
    const char *vals[4] = {NULL};
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(root, keys[i]);
        if (v == NULL || json_is_null(v))
            continue;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            REFUSE(400, "%s: expected a string", keys[i]);
        vals[i] = json_string_value(v);
    }
    const char *state = vals[0];
    req->outcome = vals[1];
    req->reason = vals[2];
    req->note = vals[3] && vals[3][0] ? vals[3] : NULL;
    if (state == NULL || state[0] == '\0') {
        if (req->outcome)
            REFUSE(400, "state: \"closed\" goes with an outcome");
        req->action = CW_WF_NOTE;
    } else if (strcmp(state, "contacted") == 0) {
        req->action = CW_WF_CONTACTED;
    } else if (strcmp(state, "closed") == 0) {
        req->action = CW_WF_CLOSE;
    } else {
        REFUSE(400, "state: expected contacted or closed (claim with /claim)");
    }
    return 0;
}
