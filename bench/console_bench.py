"""The console's benchmark (bench/console.sh runs it): real redis-server,
devbroker and cdrwarn-console on loopback, as in the tests.

1. ingest: CASES alerts produced on the alert topic as fast as kcat goes,
   while the console consumes them; the rate is cases applied per second,
   from the first to the last (target: keeps up with 5,000 alerts/s);
2. pages: with every case stored, GET /api/cases pages of 50 under the
   filters an agent uses, each REPEAT times (target: p99 under 100 ms);
3. live stream: STREAMS browsers hold /api/stream while BURST more alerts
   arrive at BURST_RATE a second (100: a week-close burst, every event
   going to every browser); every stream must receive every case, and the latency from the
   alert's emitted_at to its arrival is measured (target: all 200 held).

Prints a Markdown summary (bench/RESULTS.md keeps the runs)."""

import http.client
import json
import os
import random
import selectors
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "console"))
from cwconsole import Stack, wait_for  # noqa: E402

CASES = int(os.environ.get("CW_BENCH_CASES", "500000"))
STREAMS = int(os.environ.get("CW_BENCH_STREAMS", "200"))
BURST = int(os.environ.get("CW_BENCH_BURST", "1000"))
BURST_RATE = int(os.environ.get("CW_BENCH_BURST_RATE", "100"))
REPEAT = int(os.environ.get("CW_BENCH_REPEAT", "50"))
PARTITIONS = int(os.environ.get("CW_BENCH_PARTITIONS", "128"))
WEEKS = ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
TRIGGERS = [
    ("complaints", {"complaints": 2, "serious_complaints": 1, "overdue_complaints": 0}),
    ("fwd_rival", {"fwd_rival_days": 3, "days": ["2026-11-16", "2026-11-17", "2026-11-18"]}),
    ("rival_service", {"rival_service_calls": 3}),
    ("plan_downgrade", {"from_fee_fen": 12800, "to_fee_fen": 5800}),
    ("contract_expiry", {"contract_end": "2026-12-10", "days_left": 18}),
    ("spend_drop", {"spend_fen": 3800, "prev_spend_fen": 12000}),
    ("usage_drop", {"voice_s": 900, "prev_voice_s": 7200}),
]


def alerts(count, seed, start_ms):
    rnd = random.Random(seed)
    for i in range(count):
        number = "1%02d%08d" % (rnd.randint(30, 99), i + seed * 10000000)
        level = rnd.choices(["red", "yellow", "blue"], [3, 3, 4])[0]
        picks = sorted(rnd.sample(range(len(TRIGGERS)), rnd.randint(1, 3)))
        triggers = [{"name": TRIGGERS[p][0], "evidence": TRIGGERS[p][1]} for p in picks]
        yield number, {
            "alert_id": "b%d-%d" % (seed, i), "msisdn": number, "level": level,
            "week": WEEKS[i % len(WEEKS)], "triggers": triggers,
            "risk_tier": 1 if level != "yellow" else 2,
            "tier": rnd.choice(["high", "high", "mid"]), "subsidy_end": None,
            "contract_end": "2026-12-31", "eval_date": "2026-11-18", "event_time": start_ms,
            "emitted_at": start_ms + i, "actions": ["home_visit", "retention_call"],
            "rules_version": "bench",
        }


def produce(stack, records, rate=None):
    """Streams (key, value) records into kcat; `rate` per second, or as fast as it goes."""
    proc = subprocess.Popen(["kcat", "-P", "-b", stack.brokers, "-t", "churn-alerts", "-K", "\t",
                             "-X", "queue.buffering.max.messages=1000000", "-X", "linger.ms=5"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    started = time.monotonic()
    for n, (key, value) in enumerate(records):
        if value.get("emitted_at") == 0:
            value["emitted_at"] = int(time.time() * 1000)
        proc.stdin.write((key + "\t" + json.dumps(value, separators=(",", ":")) + "\n").encode())
        if rate and n % 50 == 49:
            proc.stdin.flush()
            ahead = (n + 1) / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    proc.stdin.close()
    if proc.wait(600) != 0:
        raise RuntimeError("kcat failed: " + proc.stderr.read().decode())


def applied(stack):
    return (stack.metric('cdrwarn_console_alerts_total{result="new_case"}') or 0) + \
        (stack.metric('cdrwarn_console_alerts_total{result="raised"}') or 0)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main():
    stack = Stack("console-bench", partitions=PARTITIONS)
    out = []
    try:
        stack.start_console()
        print(f"# cdrwarn-console bench: {CASES} cases, {STREAMS} streams", flush=True)

        # 1. ingest
        start_ms = int(time.time() * 1000) - CASES
        first = [None]

        def watch():
            n = applied(stack)
            if n > 0 and first[0] is None:
                first[0] = (time.monotonic(), n)
            return n >= CASES
        t0 = time.monotonic()
        import threading
        producer = threading.Thread(target=produce, args=(stack, alerts(CASES, 1, start_ms)))
        producer.start()
        wait_for(f"{CASES} cases applied", watch, timeout=3600, interval=0.2)
        t1 = time.monotonic()
        producer.join()
        t_first, n_first = first[0]
        rate = (CASES - n_first) / (t1 - t_first)
        produced_s = t1 - t0
        info = stack.redis("INFO", "memory")
        used = int([l for l in info.splitlines() if l.startswith("used_memory:")][0].split(":")[1])
        out.append(("ingest: alerts applied per second (first to last case)", f"{rate:,.0f}", ">= 5,000"))
        out.append(("ingest: wall time for all cases, produced meanwhile", f"{produced_s:.1f} s", "-"))
        out.append(("Redis used_memory per case", f"{used / CASES:,.0f} B", "-"))
        print(out[-3:], flush=True)

        # 2. pages
        client = stack.client()
        client.login("alice")
        carol = stack.client()
        carol.login("carol")
        # give alice a few hundred cases, as an agent who works the feed has
        page = carol.get("/api/cases?state=new&limit=200").json()["cases"]
        for c in page[:150]:
            carol.post(f"/api/cases/{c['id']}/assign", {"owner": "alice"})
        queries = {
            "open cases (the feed)": "state=open",
            "new red cases": "level=red&state=new",
            "high tier, calls forwarded to a rival": "tier=high&trigger=fwd_rival&state=open",
            "one week, yellow, spend fell": "week=2026-W46&level=yellow&trigger=spend_drop",
            "my cases": "owner=me&state=open",
            "all cases, page 20 by cursor": None,
        }
        conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
        cookie = "cwc_session=" + client.cookies["cwc_session"]

        def timed(path):
            t = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            res = conn.getresponse()
            body = res.read()
            dt = (time.perf_counter() - t) * 1000
            assert res.status == 200, body
            return dt, json.loads(body)
        for name, q in queries.items():
            times = []
            count = 0
            for _ in range(REPEAT):
                if q is None:
                    cursor = None
                    for _page in range(20):
                        dt, data = timed("/api/cases?limit=50" + (f"&after={cursor}" if cursor else ""))
                        cursor = data["next"]
                else:
                    dt, data = timed(f"/api/cases?{q}&limit=50")
                count = len(data["cases"])
                times.append(dt)
            out.append((f"page of 50: {name} ({count} found)", f"p50 {pct(times, 50):.1f} / p99 {pct(times, 99):.1f} ms",
                        "< 100 ms"))
            print(out[-1], flush=True)
        conn.close()

        # 3. live stream
        sel = selectors.DefaultSelector()
        socks = []
        request = (f"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:{stack.http_port}\r\n"
                   f"Cookie: {cookie}\r\n\r\n").encode()
        for _ in range(STREAMS):
            s = socket.create_connection(("127.0.0.1", stack.http_port))
            s.sendall(request)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, {"buf": b"", "ids": set(), "lat": []})
            socks.append(s)
        wait_for("every stream open", lambda: stack.metric("cdrwarn_console_streams") == STREAMS, 30)
        burst_start = int(time.time() * 1000)
        burst = list(alerts(BURST, 2, 0))
        for _, a in burst:
            a["emitted_at"] = 0  # stamped as produced
        producer = threading.Thread(target=produce, args=(stack, burst, BURST_RATE))
        producer.start()
        deadline = time.monotonic() + BURST / BURST_RATE + 60
        done = 0
        while time.monotonic() < deadline and done < STREAMS:
            for key, _ in sel.select(timeout=0.5):
                st = key.data
                try:
                    chunk = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                now = int(time.time() * 1000)
                data = st["buf"] + chunk
                cut = data.rfind(b"\n")
                st["buf"] = data[cut + 1:]
                for line in data[:cut].split(b"\n"):
                    i = line.find(b'"alert_at":')
                    if i > 0 and line.startswith(b"data: "):
                        at = int(line[i + 11:line.index(b",", i)])
                        if at >= burst_start:
                            st["ids"].add(line[13:35])  # data: {"id":"<22 characters>"
                            st["lat"].append(now - at)
            done = sum(1 for k in sel.get_map().values() if len(k.data["ids"]) >= BURST)
        producer.join()
        received = [len(k.data["ids"]) for k in sel.get_map().values()]
        lats = [x for k in sel.get_map().values() for x in k.data["lat"]]
        out.append((f"live stream: browsers holding it while {BURST} alerts arrive at {BURST_RATE}/s",
                    f"{sum(1 for r in received if r >= BURST)} of {STREAMS} got every case", "200 of 200"))
        out.append(("live stream: alert produced to event received, p50 / p99",
                    f"{pct(lats, 50)} / {pct(lats, 99)} ms" if lats else "-", "< 2000 ms"))
        out.append(("live stream: streams dropped as too slow",
                    str(int(stack.metric("cdrwarn_console_streams_dropped_total") or 0)), "0"))
        for s in socks:
            s.close()
        rss = int(open(f"/proc/{stack.procs['console'].pid}/status").read().split("VmHWM:")[1].split()[0])
        out.append(("console peak RSS", f"{rss / 1024:.0f} MB", "-"))
    except Exception:
        stack.dump_logs()
        raise
    finally:
        stack.close()
    print()
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    for name, value, target in out:
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
