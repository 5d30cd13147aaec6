"""cdrwarnd and cdrwarn-console together: CRM events go into the daemon, its
alert comes out on the alert topic, and the console turns it into a case
whose evidence reads in words, with the number masked for an agent who has
not claimed it."""

import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from cwconsole import Stack, case_id, wait_for  # noqa: E402


class DaemonToConsole(unittest.TestCase):
    def test_a_real_alert_becomes_a_case(self):
        stack = Stack("console-daemon")
        try:
            stack.start_daemon()
            stack.start_console()
            number = "13700001234"
            now = int(time.time() * 1000)

            def event(kind, ts, **fields):
                e = {"event_id": uuid.uuid4().hex, "type": kind, "msisdn": number, "ts": ts}
                e.update(fields)
                return (number, e)
            stack.produce("crm", [event("profile", now - 2000, tier="high", subsidy_end=None,
                                        contract_end=None),
                                  event("complaint", now - 1000, severity="serious", overdue=True)])
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
