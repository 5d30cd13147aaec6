"""End-to-end test of cdrwarn-console in a real browser: Debian's chromium,
headless, driven by python3-selenium through chromium-driver. An agent signs
in, sees an alert produced on the topic appear in the open page within 2 s,
claims it, sees the full number, closes it as retained with a reason; a
second agent does not see that number; a supervisor sees it in the weekly
report. Then the monthly model: score records produced on the score topic
appear as monthly cases within 2 s, filtered by kind, with their items in
words; an agent works one to retained and the supervisor sees it in the
month's report. Screenshots of the feed, the case, the report and a monthly
case are saved under $CW_ARTIFACTS (build/<dir>/artifacts/console/)."""

import os
import random
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cwconsole import USERS, Stack, alert, case_id, score, wait_for  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

WEEK = "2026-W47"


def masked(number):
    return number[:3] + "****" + number[-4:]


def sample_alerts(count, week, seed=47):
    """A morning's worth of varied, realistic alerts for the page to show."""
    rnd = random.Random(seed)
    now = int(time.time() * 1000)
    out = []
    for i in range(count):
        number = "13%d%08d" % (rnd.randint(5, 9), rnd.randint(0, 99999999))
        level = rnd.choices(["red", "yellow", "blue"], [3, 3, 2])[0]
        pool = [
            {"name": "complaints", "evidence": {"complaints": rnd.randint(2, 4),
                                                "serious_complaints": rnd.randint(0, 1),
                                                "overdue_complaints": rnd.randint(0, 1)}},
            {"name": "fwd_rival", "evidence": {"fwd_rival_days": 3,
                                               "days": ["2026-11-16", "2026-11-17", "2026-11-19"]}},
            {"name": "rival_service", "evidence": {"rival_service_calls": rnd.randint(2, 5)}},
            {"name": "plan_downgrade", "evidence": {"from_fee_fen": 12800, "to_fee_fen": 5800}},
            {"name": "contract_expiry", "evidence": {"contract_end": "2026-12-10", "days_left": 18}},
            {"name": "spend_drop", "evidence": {"spend_fen": rnd.randint(500, 4000),
                                                "prev_spend_fen": rnd.randint(9000, 20000)}},
            {"name": "usage_drop", "evidence": {"voice_s": rnd.randint(300, 2000),
                                                "prev_voice_s": rnd.randint(6000, 14000)}},
        ]
        triggers = [] if level == "blue" else sorted(rnd.sample(pool, rnd.randint(1, 3)),
                                                     key=lambda t: [p["name"] for p in pool].index(t["name"]))
        if level == "blue":
            triggers = [pool[4]]
        actions = {"red": ["home_visit", "retention_call"], "yellow": ["retention_call"],
                   "blue": ["renewal_offer"]}[level]
        out.append(alert(number, week, level, triggers=triggers, actions=actions,
                         tier=rnd.choice(["high", "high", "mid"]),
                         emitted_at=now - (count - i) * 97000))
    return out


class Browser:
    def __init__(self, base_url, profile):
        options = webdriver.ChromeOptions()
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1440,900", "--user-data-dir=" + profile]:
            options.add_argument(arg)
        # the binary itself: Debian's /usr/bin/chromium is a shell wrapper
        if os.path.exists("/usr/lib/chromium/chromium"):
            options.binary_location = "/usr/lib/chromium/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.base = base_url

    def quit(self):
        self.driver.quit()

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def finds(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, what, check, timeout=10):
        return wait_for(what, check, timeout, 0.02)

    def sign_in(self, user):
        self.driver.get(self.base + "/")
        # a session left from before opens the app: sign out of it first
        self.wait("the page", lambda: self.find("#login-user").is_displayed() or self.find("#app").is_displayed())
        if self.find("#app").is_displayed():
            self.sign_out()
        self.wait("the sign-in form", lambda: self.find("#login-user").is_displayed())
        self.find("#login-user").clear()
        self.find("#login-user").send_keys(user)
        self.find("#login-password").send_keys(USERS[user][1])
        self.find("#login-submit").click()
        self.wait("signed in as " + user, lambda: user in self.find("#whoami").text)
        self.wait("the live stream", lambda: self.find("#live").text == "Live")

    def sign_out(self):
        self.find("#logout").click()
        self.wait("the sign-in form", lambda: self.find("#login-user").is_displayed())

    def row(self, number):
        for tr in self.finds("#cases-body tr"):
            if masked(number) in tr.text:
                return tr
        return None

    def shot(self, name):
        folder = os.environ.get("CW_ARTIFACTS") or tempfile.gettempdir()
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name + ".png")
        self.driver.save_screenshot(path)
        print("screenshot:", path)
        return path

    def errors(self):
        return [e for e in self.driver.get_log("browser")
                if e["level"] == "SEVERE" and "401" not in e["message"]]


class ConsoleInBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack("console-browser")
        cls.stack.start_console()
        cls.stack.send_alerts(*sample_alerts(26, WEEK))
        c = cls.stack.client()
        c.login("carol")
        wait_for("the sample cases", lambda: len(c.get(f"/api/cases?week={WEEK}&limit=200").json()["cases"]) == 26)
        cls.profile = tempfile.mkdtemp(prefix="cw-chromium-")
        cls.browser = Browser(f"http://127.0.0.1:{cls.stack.http_port}", cls.profile)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.stack.close()
        shutil.rmtree(cls.profile, ignore_errors=True)

    def test_an_agent_works_a_live_case_and_the_supervisor_reports_it(self):
        b = self.browser
        try:
            self._scenario(b)
        except Exception:
            b.shot("failure")
            self.stack.dump_logs()
            raise

    def _scenario(self, b):
        # an agent's page is open on the feed ...
        b.sign_in("alice")
        b.wait("the feed", lambda: len(b.finds("#cases-body tr")) >= 20)
        # ... and an alert is produced on the topic: it must show within 2 s
        number = "13812345678"
        hot = alert(number, WEEK, "red", actions=["home_visit", "retention_call"], triggers=[
            {"name": "fwd_rival", "evidence": {"fwd_rival_days": 3, "days": ["2026-11-16", "2026-11-17", "2026-11-18"]}},
            {"name": "spend_drop", "evidence": {"spend_fen": 3800, "prev_spend_fen": 12000}}])
        self.stack.send_alerts(hot)
        sent = time.monotonic()
        row = b.wait("the new alert on the page", lambda: b.row(number), timeout=5)
        seen = time.monotonic() - sent
        print(f"the alert showed {seen:.2f} s after kcat returned")
        self.assertLess(seen, 2.0, "a new alert appears within 2 s")
        self.assertIn("fresh", row.get_attribute("class"), "new cases are highlighted")
        self.assertIn("red", row.get_attribute("class"))
        first = b.finds("#cases-body tr")[0]
        self.assertIn("red", first.get_attribute("class"), "red first")
        self.assertEqual(first.text, row.text, "the newest red case leads the feed")
        self.assertIn("Incoming calls forwarded to a rival operator's number on 3 days: 16, 17, 18 Nov", row.text)
        self.assertIn("1 new case", b.find("#new-badge").text)
        b.shot("feed")

        # claim it: the full number shows
        row.click()
        b.wait("the case panel", lambda: b.find("#case-number").text.startswith(masked(number)))
        self.assertIn("Weekly spend fell from 120.00 to 38.00 yuan, down 68 %", b.find("#detail-body").text)
        self.assertIn("Visit the customer in person", b.find("#detail-body").text)
        b.find("#claim").click()
        b.wait("the full number", lambda: b.find("#case-number").text == number)
        # contacted, then closed as retained for price, with a note
        b.find("#contacted").click()
        b.wait("contacted", lambda: "Contacted" in b.find(".case-head").text)
        Select(b.find("#close-outcome")).select_by_value("retained")
        Select(b.find("#close-reason")).select_by_value("price")
        b.find("#close-note").send_keys("Moved to the 58-yuan family plan; happy to stay.")
        b.find("#close").click()
        b.wait("closed", lambda: "Closed: Retained" in b.find("#detail-body").text)
        self.assertIn("closed: retained (price)", b.find("#detail-body").text)
        self.assertIn("Moved to the 58-yuan family plan", b.find("#detail-body").text)
        b.driver.execute_script("document.querySelector('.list-pane').scrollTop = 0")
        b.shot("case")
        self.assertEqual(b.errors(), [])
        b.sign_out()

        # a second agent does not see that number
        b.sign_in("bob")
        Select(b.find("#f-state")).select_by_value("")
        row = b.wait("the case in bob's list", lambda: b.row(number))
        row.click()
        b.wait("the case panel", lambda: b.find("#case-number").text.startswith(masked(number)))
        self.assertNotIn(number, b.driver.page_source)
        self.assertNotIn(number, b.find("#detail-body").text)
        self.assertIn("only its owner sees the number", b.find("#case-number").text)
        b.sign_out()

        # the supervisor sees it in the weekly report
        b.sign_in("carol")
        b.find("#tab-report").click()
        Select(b.find("#r-week")).select_by_value(WEEK)
        b.wait("the report", lambda: "alice" in b.find("#r-agents").text)
        agents = b.find("#r-agents").text
        self.assertRegex(agents, r"alice 1 1 1 0 100\.0 % 0\.0 %")
        self.assertIn("Retained\n1", b.find("#r-kpis").text)
        self.assertIn(b.find("#r-csv").get_attribute("href").split("/", 3)[3],
                      f"api/report?week={WEEK}&format=csv")
        self.assertEqual(len(b.finds("#r-chart svg rect")) >= 3, True)
        b.shot("report")
        self.assertEqual(b.errors(), [])
        # the full number was shown to alice (and only her) and audited
        with open(os.path.join(self.stack.dir, "audit.log")) as f:
            audit = f.read()
        cid = case_id(self.stack, number, WEEK)
        self.assertIn('"user":"alice","action":"show_number","case":"%s"' % cid, audit)
        self.assertNotIn('"user":"bob","action":"show_number"', audit)


class MonthlyCasesInBrowser(unittest.TestCase):
    """Score records of the monthly model (SPEC section 14) as cases of their
    own kind beside the weekly ones."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack("console-browser-monthly")
        cls.stack.start_console()
        cls.stack.send_alerts(*sample_alerts(8, WEEK, seed=11))
        c = cls.stack.client()
        c.login("carol")
        wait_for("the sample cases", lambda: len(c.get(f"/api/cases?week={WEEK}&limit=200").json()["cases"]) == 8)
        cls.profile = tempfile.mkdtemp(prefix="cw-chromium-")
        cls.browser = Browser(f"http://127.0.0.1:{cls.stack.http_port}", cls.profile)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.stack.close()
        shutil.rmtree(cls.profile, ignore_errors=True)

    def test_a_monthly_case_appears_is_filtered_by_kind_and_is_worked(self):
        b = self.browser
        try:
            self._scenario(b)
        except Exception:
            b.shot("failure-monthly")
            self.stack.dump_logs()
            raise

    def _scenario(self, b):
        month = "2026-11"
        b.sign_in("alice")
        b.wait("the feed", lambda: len(b.finds("#cases-body tr")) == 8)
        Select(b.find("#f-kind")).select_by_value("monthly")
        b.wait("no monthly case yet", lambda: b.find("#empty").is_displayed())
        # a potential churner and a value churner scored for November
        churner, faded = "13712345678", "13787654321"
        self.stack.send_scores(score(churner, month),
                               score(faded, month, potential=False, value_churn=True, tier="mid"))
        sent = time.monotonic()
        b.wait("the monthly case on the page", lambda: b.row(churner), timeout=5)
        seen = time.monotonic() - sent
        print(f"the score record showed {seen:.2f} s after kcat returned")
        self.assertLess(seen, 2.0, "a new monthly case appears within 2 s")
        # the two records may come in two batches: the list is drawn again
        # when the second arrives, so rows are looked up once both are there
        b.wait("the value churner", lambda: b.row(faded))
        row = b.row(churner)
        self.assertIn("red", row.get_attribute("class"), "a potential churner at risk tier 1 is red")
        self.assertIn("monthly · score 12 of 10: potential churner", row.text)
        self.assertIn("Monthly spend averaged 30.00 over the last 3 months against 70.00 yuan over 6", row.text)
        self.assertIn(month, row.text)
        other = b.row(faded)
        self.assertIn("blue", other.get_attribute("class"))
        self.assertIn("Value churn", other.text)
        self.assertEqual(len(b.finds("#cases-body tr")), 2, "only monthly cases under the kind filter")
        # claim it, see the items, close it as retained
        row.click()
        b.wait("the case panel", lambda: b.find("#case-number").text.startswith(masked(churner)))
        detail = b.find("#detail-body").text
        self.assertIn("Monthly case · score 12 of 10: potential churner", detail)
        self.assertIn("Month " + month, detail)
        self.assertIn("Complaints, 3 months · 3 points", detail)
        self.assertIn("4 complaints in 3 months", detail)
        self.assertIn("Called a rival's service line, 6 months · 3 points", detail)
        self.assertIn("Retention call: find out why, and what would keep them", detail)
        b.find("#claim").click()
        b.wait("the full number", lambda: b.find("#case-number").text == churner)
        b.find("#contacted").click()
        b.wait("contacted", lambda: "Contacted" in b.find(".case-head").text)
        Select(b.find("#close-outcome")).select_by_value("retained")
        Select(b.find("#close-reason")).select_by_value("quality")
        b.find("#close").click()
        b.wait("closed", lambda: "Closed: Retained" in b.find("#detail-body").text)
        b.shot("monthly-case")
        # the weekly kind hides them again
        Select(b.find("#f-kind")).select_by_value("weekly")
        b.wait("weekly cases only", lambda: b.row(faded) is None and len(b.finds("#cases-body tr")) == 8)
        self.assertEqual(b.errors(), [])
        b.sign_out()

        # the supervisor's report of the month's monthly cases
        b.sign_in("carol")
        b.find("#tab-report").click()
        b.wait("the month in the report's list",
               lambda: month in [o.get_attribute("value") for o in b.finds("#r-week option")])
        Select(b.find("#r-week")).select_by_value(month)
        b.wait("the month's report", lambda: "alice" in b.find("#r-agents").text)
        self.assertIn("Monthly cases opened by the score records of " + month, b.find("#r-note").text)
        self.assertRegex(b.find("#r-agents").text, r"alice 1 1 1 0 100\.0 % 0\.0 %")
        self.assertIn("Cases\n2", b.find("#r-kpis").text)
        self.assertIn(f"api/report?month={month}&format=csv", b.find("#r-csv").get_attribute("href"))
        self.assertEqual(b.errors(), [])
        b.sign_out()


if __name__ == "__main__":
    unittest.main(verbosity=2)
