/* Check suite for console/workflow.c: who may do what to a case, in which
 * state, and what history line it leaves. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow.h"

static cw_case_t make(const char *state, const char *owner)
{
    cw_case_t c;
    memset(&c, 0, sizeof c);
    strcpy(c.id, "AAAAAAAAAAAAAAAAAAAAAA");
    strcpy(c.week, "2026-W47");
    c.level = 3;
    strcpy(c.state, state);
    strcpy(c.owner, owner);
    return c;
}

static int decide(const cw_case_t *c, cw_wf_action_t action, const char *user, bool supervisor,
                  const char *outcome, const char *reason, cw_wf_change_t *out)
{
    cw_wf_request_t req = {action, user, supervisor, "bob", outcome, reason, NULL};
    char why[160];
    return cw_workflow_decide(c, &req, out, why, sizeof why);
}

START_TEST(an_agent_claims_a_new_case)
{
    cw_case_t c = make("new", "");
    cw_wf_change_t ch;
    ck_assert_int_eq(decide(&c, CW_WF_CLAIM, "alice", false, NULL, NULL, &ch), 0);
    ck_assert_str_eq(ch.state, "claimed");
    ck_assert_str_eq(ch.owner, "alice");
    ck_assert_str_eq(ch.what, "claimed");
}
END_TEST

START_TEST(a_case_claimed_by_another_is_a_conflict)
{
    cw_case_t c = make("claimed", "alice");
    cw_wf_change_t ch;
    ck_assert_int_eq(decide(&c, CW_WF_CLAIM, "bob", false, NULL, NULL, &ch), 409);
    ck_assert_int_eq(decide(&c, CW_WF_CLAIM, "alice", false, NULL, NULL, &ch), 0);
    ck_assert_str_eq(ch.owner, "alice");
    cw_case_t closed = make("closed", "alice");
    ck_assert_int_eq(decide(&closed, CW_WF_CLAIM, "alice", false, NULL, NULL, &ch), 409);
}
END_TEST

START_TEST(only_the_owner_or_a_supervisor_works_a_case)
{
    cw_case_t c = make("claimed", "alice");
    cw_wf_change_t ch;
    ck_assert_int_eq(decide(&c, CW_WF_CONTACTED, "bob", false, NULL, NULL, &ch), 403);
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "bob", false, "retained", NULL, &ch), 403);
    ck_assert_int_eq(decide(&c, CW_WF_CONTACTED, "carol", true, NULL, NULL, &ch), 0);
    ck_assert_int_eq(decide(&c, CW_WF_CONTACTED, "alice", false, NULL, NULL, &ch), 0);
    ck_assert_str_eq(ch.state, "contacted");
    ck_assert_str_eq(ch.owner, "alice");
}
END_TEST

START_TEST(closing_needs_a_known_outcome_and_reason)
{
    cw_case_t c = make("contacted", "alice");
    cw_wf_change_t ch;
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "alice", false, NULL, NULL, &ch), 400);
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "alice", false, "won", NULL, &ch), 400);
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "alice", false, "retained", "weather", &ch), 400);
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "alice", false, "retained", "price", &ch), 0);
    ck_assert_str_eq(ch.state, "closed");
    ck_assert_str_eq(ch.outcome, "retained");
    ck_assert_str_eq(ch.reason, "price");
    ck_assert_str_eq(ch.what, "closed: retained (price)");
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "alice", false, "unreachable", "", &ch), 0);
    ck_assert_str_eq(ch.what, "closed: unreachable");
}
END_TEST

START_TEST(a_new_case_is_claimed_before_it_is_worked)
{
    cw_case_t c = make("new", "");
    cw_wf_change_t ch;
    ck_assert_int_eq(decide(&c, CW_WF_CONTACTED, "alice", false, NULL, NULL, &ch), 409);
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "carol", true, "retained", NULL, &ch), 409);
}
END_TEST

START_TEST(a_closed_case_stays_closed)
{
    cw_case_t c = make("closed", "alice");
    cw_wf_change_t ch;
    ck_assert_int_eq(decide(&c, CW_WF_CLOSE, "alice", false, "declined", NULL, &ch), 409);
    ck_assert_int_eq(decide(&c, CW_WF_CONTACTED, "alice", false, NULL, NULL, &ch), 409);
    ck_assert_int_eq(decide(&c, CW_WF_ASSIGN, "carol", true, NULL, NULL, &ch), 409);
}
END_TEST

START_TEST(only_supervisors_assign)
{
    cw_case_t c = make("new", "");
    cw_wf_change_t ch;
    ck_assert_int_eq(decide(&c, CW_WF_ASSIGN, "alice", false, NULL, NULL, &ch), 403);
    ck_assert_int_eq(decide(&c, CW_WF_ASSIGN, "carol", true, NULL, NULL, &ch), 0);
    ck_assert_str_eq(ch.state, "claimed");
    ck_assert_str_eq(ch.owner, "bob");
    ck_assert_str_eq(ch.what, "assigned to bob");
    cw_case_t contacted = make("contacted", "alice");
    ck_assert_int_eq(decide(&contacted, CW_WF_ASSIGN, "carol", true, NULL, NULL, &ch), 0);
    ck_assert_str_eq(ch.state, "contacted");
}
END_TEST

START_TEST(the_state_body_is_parsed_strictly)
{
    cw_wf_request_t req;
    void *keep;
    char why[160];
    const char *ok = "{\"state\":\"closed\",\"outcome\":\"retained\",\"reason\":\"price\","
                     "\"note\":\"n\"}";
    ck_assert_int_eq(cw_workflow_parse_state(ok, strlen(ok), &keep, &req, why, sizeof why), 0);
    ck_assert_int_eq(req.action, CW_WF_CLOSE);
    ck_assert_str_eq(req.outcome, "retained");
    ck_assert_str_eq(req.note, "n");
    json_decref(keep);
    const char *note = "{\"note\":\"called twice\"}";
    ck_assert_int_eq(cw_workflow_parse_state(note, strlen(note), &keep, &req, why, sizeof why), 0);
    ck_assert_int_eq(req.action, CW_WF_NOTE);
    json_decref(keep);
    const char *bad[] = {"[]", "{\"state\":\"open\"}", "{\"state\":1}", "{\"outcome\":\"retained\"}",
                         "{\"note\":\"a\\u0000b\"}", "not json", "{\"state\":\"closed\",\"state\":\"x\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(cw_workflow_parse_state(bad[i], strlen(bad[i]), &keep, &req, why, sizeof why),
                         400);
        json_decref(keep);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("console_workflow");
    TCase *claims = tcase_create("claims");
    tcase_add_test(claims, an_agent_claims_a_new_case);
    tcase_add_test(claims, a_case_claimed_by_another_is_a_conflict);
    tcase_add_test(claims, only_supervisors_assign);
    suite_add_tcase(s, claims);
    TCase *work = tcase_create("work");
    tcase_add_test(work, only_the_owner_or_a_supervisor_works_a_case);
    tcase_add_test(work, closing_needs_a_known_outcome_and_reason);
    tcase_add_test(work, a_new_case_is_claimed_before_it_is_worked);
    tcase_add_test(work, a_closed_case_stays_closed);
    suite_add_tcase(s, work);
    TCase *body = tcase_create("body");
    tcase_add_test(body, the_state_body_is_parsed_strictly);
    suite_add_tcase(s, body);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
