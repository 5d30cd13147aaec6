"""API integration tests of cdrwarn-console (SPEC section 12) against a real
redis-server and devbroker, alerts, outcomes and score records produced on
their topics: ingest and de-duplication, escalation, restarts and replays,
outcomes, the workflow, masking and the audit log, who gets 401 and 403
where, CSRF and cross-site refusals, sign-in throttling, lists and cursors,
the report; monthly cases from score records (SPEC section 14) beside the
weekly ones: their level, items, filters, outcomes, workflow and report."""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cwconsole import (USERS, Stack, alert, case_id, outcome, score, wait_for)  # noqa: E402

WEEK = "2026-W47"
_next = [0]


def msisdn():
    """A fresh number whose masked form is unique too (139****NNNN)."""
    _next[0] += 1
    return "1390000%04d" % _next[0]


class ConsoleApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack("console-api")
        cls.stack.start_console()
        cls.alice = cls.stack.client()
        cls.bob = cls.stack.client()
        cls.carol = cls.stack.client()
        for c, name in ((cls.alice, "alice"), (cls.bob, "bob"), (cls.carol, "carol")):
            r = c.login(name)
            assert r.status == 200, r.body

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def run(self, result=None):
        outcome_before = len(result.failures) + len(result.errors) if result else 0
        super().run(result)
        if result and len(result.failures) + len(result.errors) > outcome_before:
            self.stack.dump_logs()

    # ---- helpers ------------------------------------------------------------

    def case(self, number, week=WEEK, client=None, timeout=30, check=None):
        """Waits until the case exists (and check(case) holds); returns it."""
        client = client or self.carol
        cid = case_id(self.stack, number, week)

        def get():
            r = client.get("/api/cases/" + cid)
            if r.status != 200:
                return None
            c = r.json()
            return c if check is None or check(c) else None
        return wait_for(f"case {number} {week}", get, timeout)

    def new_case(self, level="red", **kw):
        number = msisdn()
        self.stack.send_alerts(alert(number, WEEK, level, **kw))
        return number, self.case(number)

    # ---- ingest ---------------------------------------------------------------

    def test_an_alert_opens_a_case_and_its_duplicate_changes_nothing(self):
        number = msisdn()
        a = alert(number, WEEK, "yellow")
        self.stack.send_alerts(a)
        c = self.case(number)
        self.assertEqual(c["level"], "yellow")
        self.assertEqual(c["state"], "new")
        self.assertEqual(c["alert_ids"], [a["alert_id"]])
        self.assertEqual(c["msisdn"], number)  # carol is a supervisor
        self.assertIsNone(c["owner"])
        self.assertEqual(c["triggers"][0]["words"], "2 complaints this week, 1 serious")
        dup_before = self.stack.metric('cdrwarn_console_alerts_total{result="duplicate"}')
        self.stack.send_alerts(a)
        wait_for("the duplicate counted",
                 lambda: self.stack.metric('cdrwarn_console_alerts_total{result="duplicate"}') > dup_before)
        again = self.case(number)
        self.assertEqual(again["version"], c["version"])
        self.assertEqual(again["history"], c["history"])

    def test_a_higher_alert_raises_the_case_and_merges_triggers(self):
        number = msisdn()
        self.stack.send_alerts(alert(number, WEEK, "yellow"))
        self.case(number)
        spend = {"name": "spend_drop", "evidence": {"spend_fen": 3800, "prev_spend_fen": 12000}}
        fwd = {"name": "fwd_rival", "evidence": {"fwd_rival_days": 3,
                                                 "days": ["2026-11-16", "2026-11-17", "2026-11-18"]}}
        self.stack.send_alerts(alert(number, WEEK, "red", triggers=[fwd, spend],
                                     actions=["home_visit", "retention_call"]))
        c = self.case(number, check=lambda c: c["level"] == "red")
        self.assertEqual([t["name"] for t in c["triggers"]], ["complaints", "fwd_rival", "spend_drop"])
        words = {t["name"]: t["words"] for t in c["triggers"]}
        self.assertEqual(words["spend_drop"], "weekly spend fell from 120.00 to 38.00 yuan, down 68 %")
        self.assertEqual(words["fwd_rival"], "incoming calls forwarded to a rival operator's number on 3 days: 16, 17, 18 Nov")
        self.assertEqual(c["actions"], ["home_visit", "retention_call", "service_recovery_callback"])
        self.assertEqual(len(c["alert_ids"]), 2)
        self.assertIn("raised to red (+fwd_rival, +spend_drop)", [e["what"] for e in c["history"]])
        # a lower alert for the same week never lowers it
        self.stack.send_alerts(alert(number, WEEK, "yellow", triggers=[spend]))
        c = self.case(number, check=lambda c: len(c["alert_ids"]) == 3)
        self.assertEqual(c["level"], "red")

    def test_a_blue_alert_without_triggers_opens_a_case_to_watch(self):
        number = msisdn()
        self.stack.send_alerts(alert(number, WEEK, "blue", triggers=[], actions=[]))
        c = self.case(number)
        self.assertEqual((c["level"], c["triggers"], c["actions"]), ("blue", [], []))
        self.assertEqual(c["history"][0]["what"], "opened: blue alert")
        self.stack.send_alerts(alert(number, WEEK, "red"))
        c = self.case(number, check=lambda c: c["level"] == "red")
        self.assertEqual([t["name"] for t in c["triggers"]], ["complaints"])
        self.stack.send_alerts(alert(number, WEEK, "blue", triggers=[], actions=[]))
        c = self.case(number, check=lambda c: len(c["alert_ids"]) == 3)
        self.assertEqual([t["name"] for t in c["triggers"]], ["complaints"])

    def test_bad_records_are_counted_and_skipped(self):
        before = self.stack.metric("cdrwarn_console_bad_records_total")
        self.stack.produce("churn-alerts", [("x", "not json"), ("x", '{"alert_id":"z"}'),
                                            ("x", json.dumps(alert("12", WEEK)))])
        self.stack.produce("churn-outcomes", [("x", '{"outcome_id":1}')])
        wait_for("four bad records counted",
                 lambda: self.stack.metric("cdrwarn_console_bad_records_total") == before + 4)
        self.assertEqual(self.stack.http_get("/healthz")[0], 200)
        self.assertNotIn("13900", self.stack.log("console"))

    # ---- outcomes -------------------------------------------------------------

    def test_an_outcome_closes_open_cases_as_churned_and_counts_as_a_hit(self):
        number = msisdn()
        self.stack.send_alerts(alert(number, "2026-W45", "red"), alert(number, WEEK, "yellow"))
        self.case(number, "2026-W45")
        self.case(number, WEEK)
        o = outcome(number, "2026-W48")
        self.stack.send_outcomes(o)
        for week in ("2026-W45", WEEK):
            c = self.case(number, week, check=lambda c: c["state"] == "closed")
            self.assertEqual(c["outcome"], "churned")
            self.assertTrue(c["churned_within_horizon"])
            self.assertEqual(c["churn"], {"kind": "port_out", "to_operator": "unicom",
                                          "churn_date": "2026-11-20", "week": "2026-W48"})
        applied = self.stack.metric('cdrwarn_console_outcomes_total{result="applied"}')
        self.stack.send_outcomes(o)
        wait_for("the duplicate outcome counted",
                 lambda: self.stack.metric('cdrwarn_console_outcomes_total{result="duplicate"}') >= 1)
        self.assertEqual(self.stack.metric('cdrwarn_console_outcomes_total{result="applied"}'), applied)

    def test_an_outcome_marks_a_retained_case_without_reopening_it(self):
        number, c = self.new_case("red")
        self.assertEqual(self.alice.post(f"/api/cases/{c['id']}/claim").status, 200)
        r = self.alice.post(f"/api/cases/{c['id']}/state", {"state": "closed", "outcome": "retained",
                                                             "reason": "price"})
        self.assertEqual(r.status, 200, r.body)
        self.stack.send_outcomes(outcome(number, "2026-W49"))
        c = self.case(number, check=lambda c: c["churned_within_horizon"])
        self.assertEqual(c["outcome"], "retained")

    def test_an_alert_after_the_outcome_lands_on_a_closed_case(self):
        number = msisdn()
        applied = self.stack.metric('cdrwarn_console_outcomes_total{result="applied"}')
        self.stack.send_outcomes(outcome(number, "2026-W48"))
        wait_for("the outcome applied",
                 lambda: self.stack.metric('cdrwarn_console_outcomes_total{result="applied"}') > applied)
        self.stack.send_alerts(alert(number, WEEK, "red"))
        c = self.case(number, check=lambda c: c["state"] == "closed")
        self.assertEqual(c["outcome"], "churned")
        self.assertTrue(c["churned_within_horizon"])

    # ---- monthly cases (score records, SPEC section 14) ------------------------------

    def test_a_score_record_opens_a_monthly_case_and_its_duplicate_changes_nothing(self):
        number = msisdn()
        s = score(number, "2026-10")
        self.stack.send_scores(s)
        c = self.case(number, "2026-10")
        self.assertEqual((c["kind"], c["month"], c["week"]), ("monthly", "2026-10", None))
        self.assertEqual(c["level"], "red", "a potential churner at risk tier 1")
        self.assertEqual((c["score"], c["threshold"], c["potential_churner"], c["value_churn"]),
                         (12, 10, True, False))
        self.assertEqual(c["score_ids"], [s["score_id"]])
        self.assertEqual((c["alert_ids"], c["triggers"], c["actions"]), ([], [], []))
        self.assertEqual(c["state"], "new")
        self.assertEqual([(i["name"], i["points"]) for i in c["items"]],
                         [("spend_fall", 3), ("complaints_3m", 3), ("own_service", 3), ("rival_service_6m", 3)])
        words = {i["name"]: i["words"] for i in c["items"]}
        self.assertEqual(words["spend_fall"],
                         "monthly spend averaged 30.00 over the last 3 months against 70.00 yuan over 6")
        self.assertEqual(words["complaints_3m"], "4 complaints in 3 months")
        self.assertEqual(words["rival_service_6m"], "called a rival operator's customer service 3 times in 6 months")
        self.assertEqual(c["items"][0]["title"], "Spend falling for months")
        self.assertEqual(c["history"][0]["what"], "opened: monthly score 12 of 10, a potential churner "
                                                  "(spend_fall, complaints_3m, own_service, rival_service_6m)")
        self.assertNotEqual(c["id"], case_id(self.stack, number, "2026-W44"))
        dup_before = self.stack.metric('cdrwarn_console_scores_total{result="duplicate"}')
        self.stack.send_scores(s)
        wait_for("the duplicate counted",
                 lambda: self.stack.metric('cdrwarn_console_scores_total{result="duplicate"}') > dup_before)
        again = self.case(number, "2026-10")
        self.assertEqual((again["version"], again["history"]), (c["version"], c["history"]))

    def test_a_monthly_case_s_level_follows_the_risk_tier_and_value_churn_is_blue(self):
        yellow, blue = msisdn(), msisdn()
        self.stack.send_scores(score(yellow, "2026-10", risk_tier=2),
                               score(blue, "2026-10", potential=False, value_churn=True))
        self.assertEqual(self.case(yellow, "2026-10")["level"], "yellow")
        c = self.case(blue, "2026-10")
        self.assertEqual((c["level"], c["potential_churner"], c["value_churn"], c["score"]),
                         ("blue", False, True, 1))
        self.assertEqual(c["items"][0]["words"], "no new value-added service in 6 months")
        # a weekly case of the same subscriber is a case of its own
        self.stack.send_alerts(alert(blue, "2026-W44", "red"))
        weekly = self.case(blue, "2026-W44")
        self.assertEqual((weekly["kind"], weekly["week"], weekly["month"]), ("weekly", "2026-W44", None))
        self.assertNotEqual(weekly["id"], c["id"])

    def test_monthly_cases_are_filtered_by_kind_and_month(self):
        number = msisdn()
        self.stack.send_scores(score(number, "2026-09"))
        self.stack.send_alerts(alert(number, "2026-W38", "red"))
        self.case(number, "2026-09")
        self.case(number, "2026-W38")

        def numbers(query):
            r = self.carol.get("/api/cases?state=&limit=200&" + query)
            self.assertEqual(r.status, 200, r.body)
            masked = number[:3] + "****" + number[-4:]  # lists mask every number
            return [(c["kind"], c["month"] or c["week"]) for c in r.json()["cases"] if c["msisdn"] == masked]
        self.assertEqual(numbers("kind=monthly"), [("monthly", "2026-09")])
        self.assertEqual(numbers("kind=weekly"), [("weekly", "2026-W38")])
        self.assertEqual(numbers("month=2026-09"), [("monthly", "2026-09")])
        self.assertEqual(numbers("week=2026-W38"), [("weekly", "2026-W38")])
        self.assertEqual(sorted(numbers("")), [("monthly", "2026-09"), ("weekly", "2026-W38")])
        self.assertEqual(numbers("kind=monthly&trigger=complaints_3m"), [("monthly", "2026-09")])
        for bad in ("kind=yearly", "month=2026-13", "month=2026-W38", "week=2026-W38&month=2026-09"):
            self.assertEqual(self.carol.get("/api/cases?" + bad).status, 400, bad)

    def test_an_outcome_closes_monthly_cases_by_the_week_their_month_ends(self):
        number = msisdn()
        # month ends: 2026-01 in W05, 2026-10 in W44, 2026-12 in W53; the churn
        # is in W47 and the horizon 8 weeks (W39..W47)
        self.stack.send_scores(*[score(number, m) for m in ("2026-01", "2026-10", "2026-12")])
        for m in ("2026-01", "2026-10", "2026-12"):
            self.case(number, m)
        self.stack.send_outcomes(outcome(number, "2026-W47"))
        old = self.case(number, "2026-01", check=lambda c: c["state"] == "closed")
        self.assertEqual((old["outcome"], old["churned_within_horizon"]), ("churned", False))
        hit = self.case(number, "2026-10", check=lambda c: c["state"] == "closed")
        self.assertEqual((hit["outcome"], hit["churned_within_horizon"]), ("churned", True))
        self.assertEqual(hit["churn"]["week"], "2026-W47")
        later = self.case(number, "2026-12")
        self.assertEqual((later["state"], later["churned_within_horizon"]), ("new", False))
        # a score record arriving after the outcome lands on a closed case
        late = msisdn()
        applied = self.stack.metric('cdrwarn_console_outcomes_total{result="applied"}')
        self.stack.send_outcomes(outcome(late, "2026-W47"))
        wait_for("the outcome applied",
                 lambda: self.stack.metric('cdrwarn_console_outcomes_total{result="applied"}') > applied)
        self.stack.send_scores(score(late, "2026-10"))
        c = self.case(late, "2026-10", check=lambda c: c["state"] == "closed")
        self.assertEqual((c["outcome"], c["churned_within_horizon"]), ("churned", True))

    def test_a_monthly_case_is_worked_like_a_weekly_one(self):
        number = msisdn()
        self.stack.send_scores(score(number, "2026-10"))
        c = self.case(number, "2026-10", client=self.alice)
        self.assertNotEqual(c["msisdn"], number)
        r = self.alice.post(f"/api/cases/{c['id']}/claim")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["msisdn"], number, "the owner sees the number")
        self.assertEqual(self.bob.get(f"/api/cases/{c['id']}").json()["msisdn"], c["msisdn"])
        r = self.alice.post(f"/api/cases/{c['id']}/state", {"state": "contacted", "note": "called"})
        self.assertEqual(r.status, 200, r.body)
        r = self.alice.post(f"/api/cases/{c['id']}/state", {"state": "closed", "outcome": "retained",
                                                             "reason": "quality"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["state"], r.json()["outcome"]), ("closed", "retained"))
        with open(os.path.join(self.stack.dir, "audit.log")) as f:
            audit = [json.loads(line) for line in f if c["id"] in line]
        self.assertTrue(audit)
        self.assertEqual({(a["user"], a.get("month"), "week" in a) for a in audit}, {("alice", "2026-10", False)})

    def test_bad_score_records_are_counted_and_skipped(self):
        before = self.stack.metric("cdrwarn_console_bad_records_total")
        neither = score(msisdn(), "2026-10", potential=False, value_churn=False)
        bad_month = score(msisdn(), "2026-10")
        bad_month["month"] = "2026-W44"
        bad_item = score(msisdn(), "2026-10")
        bad_item["items"][0]["points"] = "3"
        self.stack.send_scores(neither, bad_month, bad_item)
        wait_for("three bad records counted",
                 lambda: self.stack.metric("cdrwarn_console_bad_records_total") == before + 3)
        self.assertNotIn("13900", self.stack.log("console"))

    def test_the_monthly_report_counts_a_month_s_monthly_cases(self):
        month = "2026-08"
        numbers = [msisdn() for _ in range(3)]
        self.stack.send_scores(score(numbers[0], month), score(numbers[1], month, risk_tier=2),
                               score(numbers[2], month, potential=False, value_churn=True))
        ids = [self.case(n, month)["id"] for n in numbers]
        self.assertEqual(self.bob.post(f"/api/cases/{ids[0]}/claim").status, 200)
        self.assertEqual(self.bob.post(f"/api/cases/{ids[0]}/state",
                                       {"state": "closed", "outcome": "retained", "reason": "price"}).status, 200)
        # the value churner leaves 3 weeks after August (ends in W35): a hit
        self.stack.send_outcomes(outcome(numbers[2], "2026-W38"))
        self.case(numbers[2], month, check=lambda c: c["state"] == "closed")
        r = self.carol.get(f"/api/report?month={month}").json()
        self.assertEqual(r["month"], month)
        self.assertNotIn("week", r)
        self.assertEqual((r["by_level"]["red"]["cases"], r["by_level"]["red"]["retained"]), (1, 1))
        self.assertEqual(r["by_level"]["yellow"]["open"], 1)
        self.assertEqual((r["by_level"]["blue"]["churned"], r["by_level"]["blue"]["churned_within_horizon"]), (1, 1))
        self.assertEqual((r["all"]["cases"], r["retention_rate"], r["precision"]), (3, 0.5, 0.333))
        self.assertEqual(r["by_agent"]["bob"]["retained"], 1)
        rows = self.carol.get(f"/api/report?month={month}&format=csv").body.split("\r\n")
        self.assertTrue(rows[0].startswith("month,group,name,cases,"))
        self.assertIn(f"{month},level,all,3,1,2,1,1,0,0,1,0.500,0.333", rows)
        weeks = self.alice.get("/api/weeks").json()
        self.assertIn(month, weeks["months"])
        self.assertNotIn(month, weeks["weeks"])
        self.assertRegex(weeks["current_month"], r"^\d{4}-\d{2}$")
        self.assertEqual(self.carol.get("/api/report?month=2026-8").status, 400)
        self.assertEqual(self.carol.get(f"/api/report?month={month}&week=2026-W35").status, 400)

    # ---- the gate: 401, 403, CSRF ----------------------------------------------------

    ENDPOINTS = [("POST", "/api/logout"), ("GET", "/api/me"), ("GET", "/api/cases"),
                 ("GET", "/api/cases/AAAAAAAAAAAAAAAAAAAAAA"),
                 ("POST", "/api/cases/AAAAAAAAAAAAAAAAAAAAAA/claim"),
                 ("POST", "/api/cases/AAAAAAAAAAAAAAAAAAAAAA/assign"),
                 ("POST", "/api/cases/AAAAAAAAAAAAAAAAAAAAAA/state"), ("GET", "/api/stream"),
                 ("GET", "/api/report"), ("GET", "/api/weeks"), ("GET", "/api/users")]

    def test_every_endpoint_answers_401_without_a_session(self):
        anon = self.stack.client()
        forged = self.stack.client()
        forged.cookies["cwc_session"] = "A" * 43
        for method, path in self.ENDPOINTS:
            for client in (anon, forged):
                r = client.request(method, path, body={} if method == "POST" else None)
                self.assertEqual(r.status, 401, f"{method} {path}: {r.status} {r.body}")
                self.assertEqual(r.json(), {"error": "sign in first"})

    def test_an_agent_gets_403_from_supervisor_endpoints(self):
        number, c = self.new_case("blue")
        for method, path, body in [("GET", "/api/report", None), ("GET", "/api/report?format=csv", None),
                                   ("GET", "/api/users", None),
                                   ("POST", f"/api/cases/{c['id']}/assign", {"owner": "bob"})]:
            r = self.alice.request(method, path, body=body)
            self.assertEqual(r.status, 403, f"{method} {path}: {r.body}")
        self.assertEqual(self.carol.get("/api/report").status, 200)

    def test_a_post_without_the_csrf_value_or_from_another_site_is_refused(self):
        number, c = self.new_case("red")
        claim = f"/api/cases/{c['id']}/claim"
        self.assertEqual(self.alice.post(claim, csrf=False).status, 403)
        self.assertEqual(self.alice.post(claim, headers={"X-CSRF-Token": "x" * 43}, csrf=False).status, 403)
        # a forged cross-site form post: another origin, a form body, no token
        r = self.alice.request("POST", claim, raw=b"a=1", csrf=False,
                               headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site",
                                        "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 403)
        r = self.alice.post(claim, headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403, "the right token from another origin")
        r = self.alice.post(claim, headers={"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.case(number)["state"], "new", "nothing was claimed")
        # a sign-in from a form of another site is refused too
        anon = self.stack.client()
        r = anon.request("POST", "/api/login", raw=b"user=alice&password=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 415)
        r = anon.request("POST", "/api/login", body={"user": "alice", "password": USERS["alice"][1]},
                         headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.alice.post(claim).status, 200)

    def test_the_session_cookie_is_httponly_and_samesite_strict(self):
        r = self.stack.client().login("bob")
        cookie = r.header("Set-Cookie")
        self.assertRegex(cookie, r"^cwc_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$")
        self.assertEqual(set(r.json()), {"user", "role", "csrf"})
        self.assertEqual(r.json()["role"], "agent")
        page = self.stack.client().get("/")
        self.assertEqual(page.status, 200)
        self.assertIn("script-src 'self'", page.header("Content-Security-Policy"))
        self.assertEqual(page.header("X-Frame-Options"), "DENY")

    def test_sign_out_ends_the_session(self):
        c = self.stack.client()
        c.login("bob")
        self.assertEqual(c.get("/api/me").status, 200)
        self.assertEqual(c.post("/api/logout").status, 200)
        c.cookies["cwc_session"] = "A" * 43
        self.assertEqual(c.get("/api/me").status, 401)

    def test_sign_in_is_throttled_after_repeated_failures(self):
        anon = self.stack.client()
        for _ in range(5):
            self.assertEqual(anon.login("alice", "wrong-password").status, 401)
        r = anon.login("alice", "wrong-password")
        self.assertEqual(r.status, 429)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        # the right password waits too
        self.assertEqual(anon.login("alice").status, 429)
        # an unknown name fails the same way, with the same message
        other = self.stack.client()
        r = other.login("mallory", "whatever-it-is")
        self.assertEqual((r.status, r.json()), (401, {"error": "wrong user name or password"}))
        self.assertGreaterEqual(self.stack.metric('cdrwarn_console_logins_total{result="throttled"}'), 2)

    # ---- workflow, masking, audit ------------------------------------------------

    def test_the_number_is_shown_to_the_owner_and_supervisors_only_and_audited(self):
        number, c = self.new_case("red")
        cid = c["id"]
        masked = number[:3] + "****" + number[-4:]
        self.assertEqual(self.alice.get("/api/cases/" + cid).json()["msisdn"], masked)
        r = self.alice.post(f"/api/cases/{cid}/claim")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["msisdn"], r.json()["msisdn_full"]), (number, True))
        self.assertEqual(self.alice.get("/api/cases/" + cid).json()["msisdn"], number)
        self.assertEqual(self.bob.get("/api/cases/" + cid).json()["msisdn"], masked)
        self.assertEqual(self.carol.get("/api/cases/" + cid).json()["msisdn"], number)
        # lists are masked for everyone
        mine = self.alice.get("/api/cases?owner=me&state=claimed&limit=200").json()["cases"]
        self.assertIn(masked, [x["msisdn"] for x in mine])
        self.assertNotIn(number, json.dumps(mine))
        with open(os.path.join(self.stack.dir, "audit.log")) as f:
            lines = [json.loads(l) for l in f if cid in l]
        who = [(l["user"], l["action"]) for l in lines]
        self.assertIn(("alice", "show_number"), who)
        self.assertIn(("carol", "show_number"), who)
        self.assertNotIn("bob", [l["user"] for l in lines])
        for l in lines:
            self.assertEqual((l["case"], l["week"], l["msisdn"]), (cid, WEEK, masked))
            self.assertRegex(l["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertNotIn(number, open(os.path.join(self.stack.dir, "audit.log")).read())

    def test_the_workflow_refuses_what_the_state_or_the_role_does_not_allow(self):
        number, c = self.new_case("yellow")
        cid = c["id"]
        state = f"/api/cases/{cid}/state"
        self.assertEqual(self.alice.post(state, {"state": "contacted"}).status, 409, "not claimed yet")
        self.assertEqual(self.alice.post(f"/api/cases/{cid}/claim").status, 200)
        self.assertEqual(self.alice.post(f"/api/cases/{cid}/claim").status, 200, "claiming again is fine")
        r = self.bob.post(f"/api/cases/{cid}/claim")
        self.assertEqual(r.status, 409)
        self.assertIn("alice", r.json()["error"])
        self.assertEqual(self.bob.post(state, {"state": "closed", "outcome": "retained"}).status, 403)
        self.assertEqual(self.alice.post(state, {"state": "closed"}).status, 400, "no outcome")
        self.assertEqual(self.alice.post(state, {"state": "closed", "outcome": "won"}).status, 400)
        self.assertEqual(self.alice.post(state, {"state": "closed", "outcome": "retained",
                                                 "reason": "weather"}).status, 400)
        self.assertEqual(self.alice.post(state, {"state": "reopened"}).status, 400)
        self.assertEqual(self.alice.post(state, {"note": "x" * 2001}).status, 400)
        self.assertEqual(self.alice.post(state, {"state": "contacted", "note": "called, will think"}).status, 200)
        r = self.alice.post(state, {"state": "closed", "outcome": "retained", "reason": "social",
                                    "note": "family plan"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["state"], "closed")
        self.assertEqual(self.alice.post(state, {"state": "closed", "outcome": "declined"}).status, 409)
        self.assertEqual(self.carol.post(f"/api/cases/{cid}/assign", {"owner": "bob"}).status, 409)
        c = self.case(number)
        whats = [(e["by"], e["what"], e.get("note")) for e in c["history"]]
        self.assertEqual(whats[-3:], [("alice", "claimed", None),
                                      ("alice", "customer contacted", "called, will think"),
                                      ("alice", "closed: retained (social)", "family plan")])
        self.assertEqual(c["notes"], 2)

    def test_a_supervisor_assigns_a_case_and_the_new_owner_sees_the_number(self):
        number, c = self.new_case("red")
        cid = c["id"]
        self.assertEqual(self.carol.post(f"/api/cases/{cid}/assign", {"owner": "nobody"}).status, 400)
        r = self.carol.post(f"/api/cases/{cid}/assign", {"owner": "bob"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["owner"], r.json()["state"]), ("bob", "claimed"))
        self.assertEqual(self.bob.get("/api/cases/" + cid).json()["msisdn"], number)
        self.assertNotEqual(self.alice.get("/api/cases/" + cid).json()["msisdn"], number)

    # ---- lists --------------------------------------------------------------------

    def test_lists_put_red_first_then_newest_and_the_cursor_walks_them_all(self):
        week = "2026-W40"
        base = int(time.time() * 1000)
        sent = []
        for i in range(75):
            level = ("red", "yellow", "blue")[i % 3]
            number = msisdn()
            tier = "mid" if i % 5 == 0 else "high"
            sent.append((number, level, base + i, tier))
        self.stack.send_alerts(*[alert(n, week, l, emitted_at=t, tier=tier) for n, l, t, tier in sent])
        wait_for("75 cases", lambda: len(self.carol.get(f"/api/cases?week={week}&limit=200").json()["cases"]) == 75)
        seen, cursor, pages = [], None, 0
        while True:
            r = self.alice.get(f"/api/cases?week={week}&limit=20" + (f"&after={cursor}" if cursor else ""))
            self.assertEqual(r.status, 200, r.body)
            page = r.json()
            seen += page["cases"]
            pages += 1
            cursor = page["next"]
            if not cursor:
                break
        self.assertEqual(pages, 4)
        self.assertEqual(len(seen), 75)
        self.assertTrue(all(c["history"][0]["by"] == "cdrwarn" for c in seen), "lists carry history")
        self.assertEqual(len({c["id"] for c in seen}), 75)
        rank = {"red": 3, "yellow": 2, "blue": 1}
        keys = [(rank[c["level"]], c["alert_at"]) for c in seen]
        self.assertEqual(keys, sorted(keys, reverse=True))
        reds = self.alice.get(f"/api/cases?week={week}&level=red&tier=mid&limit=200").json()["cases"]
        expected = {n[:3] + "****" + n[-4:] for n, l, t, tier in sent if l == "red" and tier == "mid"}
        self.assertEqual({c["msisdn"] for c in reds}, expected)
        for bad in ("level=purple", "state=lost", "limit=0", "limit=201", "after=zzz", "week=2026-W99",
                    "trigger=DROP%20TABLE", "owner=a%3Ab"):
            self.assertEqual(self.alice.get("/api/cases?" + bad).status, 400, bad)

    def test_the_live_stream_sends_each_new_case(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.stack.http_port, timeout=10)
        conn.request("GET", "/api/stream", headers={"Cookie": "cwc_session=" + self.bob.cookies["cwc_session"]})
        res = conn.getresponse()
        self.assertEqual(res.status, 200)
        self.assertTrue(res.getheader("Content-Type").startswith("text/event-stream"))
        self.assertIn(b"event: hello", res.readline() + res.readline() + res.readline() + res.readline())
        number = msisdn()
        self.stack.send_alerts(alert(number, WEEK, "red"))
        masked = number[:3] + "****" + number[-4:]
        deadline = time.monotonic() + 10
        found = None
        while time.monotonic() < deadline and found is None:
            line = res.readline().decode()
            if line.startswith("data: ") and masked in line:
                found = json.loads(line[6:])
        conn.close()
        self.assertIsNotNone(found, "the case came on the stream")
        self.assertEqual((found["level"], found["state"], found["msisdn_full"]), ("red", "new", False))
        self.assertEqual([e["what"] for e in found["history"]], ["opened: red alert (complaints)"])

    # ---- report ---------------------------------------------------------------------

    def test_the_weekly_report_counts_levels_outcomes_agents_and_precision(self):
        week = "2026-W30"
        numbers = [msisdn() for _ in range(6)]
        levels = ["red", "red", "yellow", "yellow", "blue", "blue"]
        self.stack.send_alerts(*[alert(n, week, l) for n, l in zip(numbers, levels)])
        ids = [self.case(n, week)["id"] for n in numbers]
        plan = [("alice", "retained", "price"), ("alice", "declined", None), ("bob", "retained", "quality"),
                ("bob", "unreachable", None)]
        for cid, (who, oc, reason) in zip(ids, plan):
            client = self.alice if who == "alice" else self.bob
            self.assertEqual(client.post(f"/api/cases/{cid}/claim").status, 200)
            body = {"state": "closed", "outcome": oc}
            if reason:
                body["reason"] = reason
            self.assertEqual(client.post(f"/api/cases/{cid}/state", body).status, 200)
        # the last blue subscriber churns: closed as churned, a hit
        self.stack.send_outcomes(outcome(numbers[5], "2026-W31"))
        self.case(numbers[5], week, check=lambda c: c["state"] == "closed")
        r = self.carol.get(f"/api/report?week={week}").json()
        self.assertEqual(r["week"], week)
        self.assertEqual(r["by_level"]["red"], {"cases": 2, "open": 0, "closed": 2, "retained": 1, "churned": 0,
                                                "unreachable": 0, "declined": 1, "churned_within_horizon": 0,
                                                "retention_rate": 0.5, "precision": 0.0})
        self.assertEqual(r["by_level"]["blue"]["churned"], 1)
        self.assertEqual(r["by_level"]["blue"]["open"], 1)
        self.assertEqual(r["all"]["cases"], 6)
        self.assertEqual(r["retention_rate"], 0.4)  # 2 retained of 5 closed
        self.assertEqual(r["precision"], 0.167)     # 1 of 6 left within the horizon
        self.assertEqual(r["by_agent"]["alice"]["claimed"], 2)
        self.assertEqual(r["by_agent"]["bob"]["retained"], 1)
        self.assertEqual(r["by_reason"]["price"]["retained"], 1)
        csv = self.carol.get(f"/api/report?week={week}&format=csv")
        self.assertEqual(csv.status, 200)
        self.assertTrue(csv.header("Content-Type").startswith("text/csv"))
        self.assertIn(f'filename="cdrwarn-report-{week}.csv"', csv.header("Content-Disposition"))
        rows = csv.body.split("\r\n")
        self.assertEqual(rows[0], "week,group,name,cases,open,closed,retained,churned,unreachable,declined,"
                                  "churned_within_horizon,retention_rate,precision")
        self.assertIn(f"{week},level,red,2,0,2,1,0,0,1,0,0.500,0.000", rows)
        self.assertIn(f"{week},level,all,6,1,5,2,1,1,1,1,0.400,0.167", rows)
        self.assertIn(f"{week},agent,alice,2,0,2,1,0,0,1,0,0.500,0.000", rows)
        weeks = self.alice.get("/api/weeks").json()["weeks"]
        self.assertIn(week, weeks)

    # ---- restarts and replays -------------------------------------------------------------

    def test_zz_a_restart_and_a_replayed_topic_change_nothing(self):
        # (zz: runs last, it restarts the console the other tests share)
        number, c = self.new_case("red")
        self.assertEqual(self.alice.post(f"/api/cases/{c['id']}/claim").status, 200)
        before_keys = self.stack.redis("--scan", "--pattern", "cwc:*").splitlines()
        before = {k: self.stack.redis("DUMP", k) for k in before_keys if ":secret" not in k}
        listing = self.carol.get("/api/cases?limit=200").json()
        self.assertEqual(self.stack.stop_console(), 0, "SIGTERM: exit 0")
        # a new group reads both topics from the start: every record again
        self.stack.group = "cdrwarn-console-replay"
        self.stack.start_console()
        wait_for("the replay de-duplicated",
                 lambda: (self.stack.metric('cdrwarn_console_alerts_total{result="duplicate"}') or 0) >= 75)
        wait_for("nothing pending", lambda: self.stack.metric("cdrwarn_console_records_pending") == 0)
        time.sleep(1)
        self.assertEqual(self.stack.metric('cdrwarn_console_alerts_total{result="new_case"}'), 0)
        self.assertEqual(self.stack.metric('cdrwarn_console_scores_total{result="new_case"}'), 0)
        self.assertGreater(self.stack.metric('cdrwarn_console_scores_total{result="duplicate"}'), 0)
        after = {k: self.stack.redis("DUMP", k) for k in before}
        changed = [k for k in before if before[k] != after[k]]
        self.assertEqual(changed, [])
        client = self.stack.client()
        client.login("carol")
        self.assertEqual(client.get("/api/cases?limit=200").json(), listing)
        alice = self.stack.client()
        alice.login("alice")
        self.assertEqual(alice.get("/api/cases/" + c["id"]).json()["msisdn"], number, "still hers")


if __name__ == "__main__":
    unittest.main(verbosity=2)
