"""Test support for cdrwarn-console: real redis-server, cdrwarn-devbroker,
cdrwarn-console (and cdrwarnd when a test wants real alerts) on free loopback
ports in a fresh temp dir; kcat to produce records; an HTTP client with a
cookie jar and the CSRF header. Every wait is bounded; every process this
module starts is stopped at the end, whatever happened.

The binaries come from the environment (CTest sets them): CW_CONSOLE,
CW_DEVBROKER, CW_CDRWARND; CW_SOURCE_DIR for config/; CW_KEEP_TMP=1 keeps
the temp dir."""

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

USERS = {
    "alice": ("agent", "alice-password-1"),
    "bob": ("agent", "bob-password-22"),
    "carol": ("supervisor", "carol-password-333"),
}
ALERT_TOPIC = "churn-alerts"
OUTCOME_TOPIC = "churn-outcomes"
SCORE_TOPIC = "churn-scores"
TOPICS = ["cdr", "billing", "crm", ALERT_TOPIC, "cdrwarn-dlq", OUTCOME_TOPIC, SCORE_TOPIC]

_hash_cache = {}


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set (run the test through ctest)")
    return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=20.0, interval=0.05):
    """Calls check() until it returns something truthy; raises after timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - reported when the wait fails
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout} s"
                         + (f" (last error: {last_error})" if last_error else ""))


def password_hash(password):
    if password not in _hash_cache:
        out = subprocess.run([env("CW_CONSOLE"), "--hash-password"], input=password + "\n",
                             capture_output=True, text=True, check=True, timeout=30)
        _hash_cache[password] = out.stdout.strip()
    return _hash_cache[password]


_seq = [0]


def input_event(msisdn, kind, ts, **fields):
    """An input event for cdrwarnd, as (key, value) for Stack.produce."""
    e = {"event_id": uuid.uuid4().hex, "type": kind, "msisdn": msisdn, "ts": ts}
    e.update(fields)
    return (msisdn, e)


def alert(msisdn, week, level="red", triggers=None, alert_id=None, emitted_at=None, tier="high",
          actions=None, risk_tier=None):
    """An alert as cdrwarnd publishes it (SPEC section 7)."""
    _seq[0] += 1
    if triggers is None:
        triggers = [{"name": "complaints",
                     "evidence": {"complaints": 2, "serious_complaints": 1, "overdue_complaints": 0}}]
    if actions is None:
        actions = (["home_visit"] if level == "red" else []) + ["service_recovery_callback"]
    return {
        "alert_id": alert_id or uuid.uuid4().hex,
        "msisdn": msisdn, "level": level, "week": week, "triggers": triggers,
        "risk_tier": risk_tier or (1 if level in ("red", "blue") else 2),
        "tier": tier, "subsidy_end": None, "contract_end": "2026-12-31",
        "eval_date": "2026-11-18", "event_time": 1795000000000,
        "emitted_at": emitted_at if emitted_at is not None else int(time.time() * 1000) + _seq[0],
        "actions": actions, "rules_version": "test",
    }


def outcome(msisdn, week, kind="port_out", to_operator="unicom", churn_date="2026-11-20",
            alerted=None):
    """A churn outcome as cdrwarnd publishes it (SPEC section 10)."""
    alerted = alerted or []
    return {
        "outcome_id": f"{msisdn}-{week}-{kind}", "msisdn": msisdn, "kind": kind,
        "to_operator": to_operator, "churn_date": churn_date, "week": week, "tier": "high",
        "watched": True, "alerted": alerted, "caught": bool(alerted),
        "lead_weeks": None, "event_id": "e-" + uuid.uuid4().hex[:8],
        "emitted_at": int(time.time() * 1000),
    }


def score(msisdn, month, potential=True, value_churn=False, risk_tier=1, items=None,
          score_id=None, tier="high", emitted_at=None):
    """A score record of the monthly model as cdrwarnd publishes it (SPEC
    section 14); the default is a potential churner with 12 points."""
    _seq[0] += 1
    if items is None:
        items = [
            {"name": "spend_fall", "points": 3, "evidence": {"spend_3m_fen": 9000, "spend_6m_fen": 42000}},
            {"name": "complaints_3m", "points": 3, "evidence": {"complaints_3m": 4}},
            {"name": "own_service", "points": 3, "evidence": {"own_service_calls_6m": 6}},
            {"name": "rival_service_6m", "points": 3, "evidence": {"rival_service_calls_6m": 3}},
        ] if potential else [
            {"name": "few_new_services", "points": 1, "evidence": {"new_services_6m": 0}}]
    points = sum(i["points"] for i in items)
    year, mon = int(month[:4]), int(month[5:7])
    last = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mon - 1]
    return {
        "score_id": score_id or uuid.uuid4().hex, "msisdn": msisdn, "month": month,
        "score": points, "threshold": 10, "potential_churner": potential,
        "value_churn": value_churn, "items": items, "tier": tier, "risk_tier": risk_tier,
        "eval_date": f"{month}-{last:02d}",
        "emitted_at": emitted_at if emitted_at is not None else int(time.time() * 1000) + _seq[0],
        "rules_version": "test",
    }


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def headers_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Client:
    """One browser-like client: a cookie jar and the CSRF value from sign-in."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None, csrf=True, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        h = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if raw is not None:
            data = raw
        if method == "POST" and csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        conn.request(method, path, body=data, headers=h)
        res = conn.getresponse()
        payload = res.read().decode("utf-8", "replace")
        headers_list = res.getheaders()
        conn.close()
        for k, v in headers_list:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return Response(res.status, headers_list, payload)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def login(self, user, password=None):
        password = password or USERS[user][1]
        r = self.post("/api/login", {"user": user, "password": password})
        if r.status == 200:
            self.csrf = r.json()["csrf"]
        return r


class Stack:
    """redis-server (or, with cluster=N, a Redis Cluster of N masters) +
    devbroker + cdrwarn-console (+ cdrwarnd on demand)."""

    def __init__(self, name, partitions=4, console_extra=None, cluster=0):
        self.dir = tempfile.mkdtemp(prefix=f"cw-{name}-")
        self.procs = {}
        self.logs = {}
        self.partitions = partitions
        self.console_extra = console_extra or {}
        self.group = "cdrwarn-console-test"
        self.cluster_ports = []
        atexit.register(self.close)
        self.http_port = free_port()
        self.daemon_http_port = free_port()
        if cluster:
            self._start_cluster(cluster)
        else:
            self.redis_port = free_port()
            self._start_redis()
        self._start_broker()
        self._write_users()

    # ---- processes ------------------------------------------------------

    def _spawn(self, name, argv, stdout=None):
        with open(os.path.join(self.dir, name + ".log"), "ab") as log:
            self.logs[name] = log.name
            proc = subprocess.Popen(argv, stdout=stdout or log, stderr=log,
                                    stdin=subprocess.DEVNULL, cwd=self.dir, start_new_session=True)
        self.procs[name] = proc
        return proc

    def _stop(self, name, timeout=15):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            raise AssertionError(f"{name} did not stop within {timeout} s of SIGTERM")

    def _start_redis(self):
        self._spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", self.dir])
        wait_for("redis-server start", lambda: self.redis("PING") == "PONG", 10)

    def _start_cluster(self, masters):
        """Masters only (no replicas): redis-server --cluster-enabled yes each,
        then redis-cli --cluster create; every wait bounded."""
        for i in range(masters):
            port, bus = free_port(), free_port()
            node_dir = os.path.join(self.dir, f"node-{i}")
            os.mkdir(node_dir)
            self._spawn(f"redis-node-{i}", [
                "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", node_dir, "--cluster-enabled", "yes",
                "--cluster-config-file", os.path.join(node_dir, "nodes.conf"),
                "--cluster-port", str(bus), "--cluster-node-timeout", "3000"])
            self.cluster_ports.append(port)
        self.redis_port = self.cluster_ports[0]
        for port in self.cluster_ports:
            wait_for("redis-server start", lambda p=port: self.redis_on(p, "PING") == "PONG", 10)
        out = subprocess.run(["redis-cli", "--cluster", "create",
                              *[f"127.0.0.1:{p}" for p in self.cluster_ports],
                              "--cluster-replicas", "0", "--cluster-yes"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("redis-cli --cluster create failed: " + out.stdout + out.stderr)
        for port in self.cluster_ports:
            wait_for("cluster_state:ok", lambda p=port: "cluster_state:ok" in
                     self.redis_on(p, "CLUSTER", "INFO"), 30)

    def redis_on(self, port, *args):
        out = subprocess.run(["redis-cli", "-p", str(port), *args],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    def _start_broker(self):
        argv = [env("CW_DEVBROKER"), "--port", "0"]
        for t in TOPICS:
            argv += ["--topic", f"{t}:{self.partitions}"]
        with open(os.path.join(self.dir, "broker.out"), "wb") as out:
            self._spawn("broker", argv, stdout=out)

        def bootstrap():
            with open(os.path.join(self.dir, "broker.out")) as f:
                return f.readline().strip()
        self.brokers = wait_for("devbroker start", bootstrap, 20)

    def _write_users(self):
        path = os.path.join(self.dir, "console-users")
        with open(path, "w") as f:
            f.write("# test accounts\n")
            for name, (role, password) in USERS.items():
                f.write(f"{name}:{role}:{password_hash(password)}\n")
        os.chmod(path, 0o600)
        self.users_file = path

    def config(self, extra=None):
        src = env("CW_SOURCE_DIR")
        lines = {
            "kafka": {"brokers": self.brokers, "property.fetch.wait.max.ms": "10",
                      "property.session.timeout.ms": "6000", "property.heartbeat.interval.ms": "1000"},
            "redis": {"port": str(self.redis_port), **({"cluster": "yes"} if self.cluster_ports else {})},
            "numbers": {k: f"{src}/config/{k}.txt" for k in ("rival_prefixes", "own_prefixes")},
            "http": {"listen": f"127.0.0.1:{self.daemon_http_port}"},
            "console": {"listen": f"127.0.0.1:{self.http_port}", "users_file": self.users_file,
                        "audit_log": os.path.join(self.dir, "audit.log"), "group_id": self.group},
        }
        lines["numbers"]["ported_numbers"] = f"{src}/config/ported.txt"
        lines["numbers"]["rival_staff_numbers"] = f"{src}/config/rival_staff.txt"
        for section, values in {**self.console_extra, **(extra or {})}.items():
            lines.setdefault(section, {}).update(values)
        path = os.path.join(self.dir, "cdrwarn.conf")
        with open(path, "w") as f:
            for section, values in lines.items():
                f.write(f"[{section}]\n")
                for k, v in values.items():
                    f.write(f"{k} = {v}\n")
        return path

    def start_console(self, extra=None, wait=True):
        path = self.config(extra)
        with open(os.path.join(self.dir, "console.log"), "ab") as log:
            log.write(b"---- start ----\n")
        self._spawn("console", [env("CW_CONSOLE"), "-c", path])
        if wait:
            wait_for("console healthy", lambda: self.http_get("/healthz")[0] == 200, 30)

    def stop_console(self):
        return self._stop("console")

    def start_daemon(self):
        path = self.config()
        self._spawn("daemon", [env("CW_CDRWARND"), "-c", path])
        wait_for("cdrwarnd healthy", lambda: self.http_get("/healthz", self.daemon_http_port)[0] == 200, 60)

    def close(self):
        for name in list(self.procs)[::-1]:
            try:
                self._stop(name, 10)
            except AssertionError:
                pass
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self, name):
        try:
            with open(self.logs.get(name, os.path.join(self.dir, name + ".log")), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def dump_logs(self):
        nodes = [f"redis-node-{i}" for i in range(len(self.cluster_ports))]
        for name in ("console", "daemon", "broker", "redis", *nodes):
            text = self.log(name)
            if text:
                print(f"---- {name}.log (tail) ----\n" + "\n".join(text.splitlines()[-40:]))

    # ---- clients ----------------------------------------------------------

    def redis(self, *args):
        cluster = ["-c"] if self.cluster_ports else []
        out = subprocess.run(["redis-cli", *cluster, "-p", str(self.redis_port), "--no-raw", *args],
                             capture_output=True, text=True, timeout=10)
        text = out.stdout.strip()
        return text.strip('"') if text.startswith('"') and "\n" not in text else text

    def http_get(self, path, port=None):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.http_port, timeout=5)
        try:
            conn.request("GET", path)
            res = conn.getresponse()
            return res.status, res.read().decode()
        finally:
            conn.close()

    def metric(self, series):
        status, text = self.http_get("/metrics")
        for line in text.splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        return None

    def client(self):
        return Client(self.http_port)

    def produce(self, topic, records):
        """records: [(key, value)], value a dict (sent as JSON) or bytes/str."""
        lines = []
        for key, value in records:
            if isinstance(value, dict):
                value = json.dumps(value, separators=(",", ":"))
            if isinstance(value, bytes):
                value = value.decode()
            assert "\n" not in value and "\t" not in key
            lines.append(f"{key}\t{value}")
        out = subprocess.run(["kcat", "-P", "-b", self.brokers, "-t", topic, "-K", "\t",
                              "-X", "message.timeout.ms=10000"],
                             input="\n".join(lines) + "\n", text=True, capture_output=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError(f"kcat could not produce to {topic}: {out.stderr.strip()}")

    def send_serious_complaint(self, msisdn):
        """What makes cdrwarnd alert now: a high-tier subscriber's overdue
        serious complaint (a red alert of the current week)."""
        now = int(time.time() * 1000)
        self.produce("crm", [input_event(msisdn, "profile", now - 2000, tier="high",
                                         subsidy_end=None, contract_end=None),
                             input_event(msisdn, "complaint", now - 1000, severity="serious",
                                         overdue=True)])

    def send_alerts(self, *alerts):
        self.produce(ALERT_TOPIC, [(a["msisdn"], a) for a in alerts])

    def send_outcomes(self, *outcomes):
        self.produce(OUTCOME_TOPIC, [(o["msisdn"], o) for o in outcomes])

    def send_scores(self, *scores):
        self.produce(SCORE_TOPIC, [(s["msisdn"], s) for s in scores])


# ---- case ids, computed the console's way (console/caseid.c) ----------------

def _siphash24(key, data):
    """SipHash-2-4 (64-bit), an independent check of console/siphash.c."""
    mask = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask

    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:16], "little")
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261,
         k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & mask; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & mask; v[3] = rotl(v[3], 16); v[3] ^= v[2]
        v[0] = (v[0] + v[3]) & mask; v[3] = rotl(v[3], 21); v[3] ^= v[0]
        v[2] = (v[2] + v[1]) & mask; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32)

    whole = len(data) - len(data) % 8
    for i in range(0, whole, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v[3] ^= m; rnd(); rnd(); v[0] ^= m
    b = (len(data) << 56) & mask
    for i, byte in enumerate(data[whole:]):
        b |= byte << (8 * i)
    v[3] ^= b; rnd(); rnd(); v[0] ^= b
    v[2] ^= 0xff
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def case_id(stack, msisdn, week):
    import base64
    secret = bytes.fromhex(stack.redis("GET", "cwc:{console}:secret"))
    text = f"case|{msisdn}|{week}".encode()
    raw = _siphash24(secret[:16], text).to_bytes(8, "little") + _siphash24(secret[16:], text).to_bytes(8, "little")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
