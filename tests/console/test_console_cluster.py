"""cdrwarn-console and cdrwarnd on a Redis Cluster ([redis] cluster = yes):
the daemon's real alert and alerts produced on the topic become cases; the
slot of the console's hash tag ({console}) is then migrated to another
master while alerts keep coming (CLUSTER SETSLOT, MIGRATE a few keys at a
time); every case is still there, new alerts still become cases on the new
master, and a restart of the console changes nothing."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cwconsole import Stack, alert, case_id, wait_for  # noqa: E402


def migrate_slot(stack, key):
    """Moves the key's slot to another master, five keys at a time."""
    slot = int(stack.redis_on(stack.cluster_ports[0], "CLUSTER", "KEYSLOT", key))
    source = next(p for p in stack.cluster_ports
                  if int(stack.redis_on(p, "CLUSTER", "COUNTKEYSINSLOT", str(slot))) > 0)
    target = next(p for p in stack.cluster_ports if p != source)
    src_id = stack.redis_on(source, "CLUSTER", "MYID")
    dst_id = stack.redis_on(target, "CLUSTER", "MYID")
    assert stack.redis_on(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", src_id) == "OK"
    assert stack.redis_on(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", dst_id) == "OK"
    moved = 0
    while True:
        keys = stack.redis_on(source, "CLUSTER", "GETKEYSINSLOT", str(slot), "5").split()
        if not keys:
            break
        out = stack.redis_on(source, "MIGRATE", "127.0.0.1", str(target), "", "0", "5000",
                             "KEYS", *keys)
        assert out == "OK", out
        moved += len(keys)
        time.sleep(0.02)
    for port in (target, source, *[p for p in stack.cluster_ports if p not in (source, target)]):
        assert stack.redis_on(port, "CLUSTER", "SETSLOT", str(slot), "NODE", dst_id) == "OK"
    return source, target, moved


class ConsoleOnCluster(unittest.TestCase):
    def test_cases_live_on_a_cluster_and_survive_their_slot_moving(self):
        stack = Stack("console-cluster", cluster=3)
        try:
            stack.start_daemon()
            stack.start_console()
            carol = stack.client()
            self.assertEqual(carol.login("carol").status, 200)
            week = wait_for("the week", lambda: carol.get("/api/me").json()["current_week"])

            # a real alert from the daemon, through the cluster
            number = "13700005678"
            stack.send_serious_complaint(number)
            cid = case_id(stack, number, week)
            wait_for("the daemon's alert as a case",
                     lambda: carol.get("/api/cases/" + cid).status == 200, 60)

            def count():
                return len(carol.get(f"/api/cases?week={week}&limit=200").json()["cases"])
            first = [f"1390000{i:04d}" for i in range(40)]
            stack.send_alerts(*[alert(n, week) for n in first])
            wait_for("41 cases", lambda: count() == 41, 30)

            # the console's slot moves while more alerts come
            second = [f"1390001{i:04d}" for i in range(40)]
            stack.send_alerts(*[alert(n, week) for n in second[:20]])
            source, target, moved = migrate_slot(stack, "cwc:{console}:secret")
            self.assertGreater(moved, 40)
            stack.send_alerts(*[alert(n, week) for n in second[20:]])
            wait_for("81 cases", lambda: count() == 81, 30)
            keys = int(stack.redis_on(target, "CLUSTER", "COUNTKEYSINSLOT",
                                      stack.redis_on(target, "CLUSTER", "KEYSLOT",
                                                     "cwc:{console}:secret")))
            self.assertGreater(keys, 80, "the console's keys are not on the new master")
            self.assertEqual(carol.get("/api/cases/" + case_id(stack, first[0], week)).status, 200)

            # a restart finds everything where it moved
            listing = carol.get(f"/api/cases?week={week}&limit=200").json()
            self.assertEqual(stack.stop_console(), 0)
            stack.start_console()
            carol = stack.client()
            self.assertEqual(carol.login("carol").status, 200)
            self.assertEqual(carol.get(f"/api/cases?week={week}&limit=200").json(), listing)
            self.assertIn("cluster", stack.log("console") + stack.log("daemon"))
        except Exception:
            stack.dump_logs()
            raise
        finally:
            stack.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
