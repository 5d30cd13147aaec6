"""cdrwarnd and cdrwarn-console together: CRM events go into the daemon, its
alert comes out on the alert topic, and the console turns it into a case
whose evidence reads in words, with the number masked for an agent who has
not claimed it; a plan downgraded last month comes out, once the month
closes, as a score record (value churn) that the console turns into a
monthly case."""

import datetime
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cwconsole import Stack, case_id, input_event, wait_for  # noqa: E402


class DaemonToConsole(unittest.TestCase):
    def test_a_real_alert_becomes_a_case(self):
        stack = Stack("console-daemon")
        try:
            stack.start_daemon()
            stack.start_console()
            number = "13700001234"
            stack.send_serious_complaint(number)
            carol = stack.client()
            self.assertEqual(carol.login("carol").status, 200)
            alice = stack.client()
            alice.login("alice")
            week = wait_for("the week", lambda: carol.get("/api/me").json()["current_week"])
            cid = case_id(stack, number, week)
            c = wait_for("the case", lambda: carol.get("/api/cases/" + cid).json()
                         if carol.get("/api/cases/" + cid).status == 200 else None, 60)
            self.assertEqual((c["level"], c["state"], c["tier"]), ("red", "new", "high"))
            self.assertEqual(c["triggers"][0]["name"], "complaints")
            self.assertEqual(c["triggers"][0]["words"],
                             "1 complaint this week, 1 serious, 1 not answered in time")
            self.assertIn("home_visit", c["actions"])
            self.assertEqual(alice.get("/api/cases/" + cid).json()["msisdn"], "137****1234")
            listed = alice.get("/api/cases?level=red&state=new").json()["cases"]
            self.assertIn(cid, [x["id"] for x in listed])
        except Exception:
            stack.dump_logs()
            raise
        finally:
            stack.close()


    def test_a_real_score_record_becomes_a_monthly_case(self):
        stack = Stack("console-daemon-monthly")
        try:
            stack.start_daemon()
            stack.start_console()
            number = "13700005678"
            now = int(time.time() * 1000)
            local = datetime.datetime.utcfromtimestamp(now / 1000) + datetime.timedelta(hours=8)
            first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            # last month, closed by an event now (its end + 6 h of grace has
            # passed unless it is the 1st before 06:00: then the month before)
            month_start = (first - datetime.timedelta(days=1)).replace(day=1)
            day = 15
            if local < first + datetime.timedelta(hours=7):
                month_start = (month_start - datetime.timedelta(days=1)).replace(day=1)
                day = 25
            label = month_start.strftime("%Y-%m")
            at = month_start.replace(day=day, hour=12) - datetime.timedelta(hours=8)
            ts = int(at.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
            stack.produce("crm", [input_event(number, "profile", ts, tier="high", subsidy_end=None,
                                              contract_end=None)])
            stack.produce("billing", [input_event(number, "plan_change", ts + 60000,
                                                  from_fee_fen=12800, to_fee_fen=5800)])
            # the month's events applied first, then the clock that closes it

            def applied(kind):
                status, text = stack.http_get("/metrics", stack.daemon_http_port)
                return f'cdrwarn_events_total{{type="{kind}"}} 1' in text
            wait_for("the month's events applied", lambda: applied("plan_change") and applied("profile"), 30)
            stack.produce("cdr", [input_event(number, "data", now - 1000, bytes=1)])
            carol = stack.client()
            self.assertEqual(carol.login("carol").status, 200)
            cid = case_id(stack, number, label)
            c = wait_for("the monthly case", lambda: carol.get("/api/cases/" + cid).json()
                         if carol.get("/api/cases/" + cid).status == 200 else None, 60)
            self.assertEqual((c["kind"], c["month"], c["week"]), ("monthly", label, None))
            self.assertEqual((c["level"], c["value_churn"], c["potential_churner"]), ("blue", True, False))
            self.assertEqual(c["threshold"], 10)
            self.assertEqual(len(c["score_ids"]), 1)
            # and the weekly alert of the downgrade is a case of its own
            weekly = carol.get("/api/cases?kind=weekly&state=&limit=200").json()["cases"]
            self.assertIn("137****5678", [x["msisdn"] for x in weekly])
        except Exception:
            stack.dump_logs()
            raise
        finally:
            stack.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
