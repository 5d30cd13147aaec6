// cdrwarn retention console: the page's whole logic, no framework, no build.
// Talks to the console's JSON API (SPEC section 12) and its live stream.
// Every piece of data goes into the page through textContent, never as HTML.
"use strict";

const LEVELS = { red: 3, yellow: 2, blue: 1 };
const LEVEL_SHORT = { red: "visit", yellow: "callback", blue: "watch" };
const LEVEL_WORK = {
  red: "Personal visit",
  yellow: "Callback: find the real reason",
  blue: "Watch",
};
const ACTIONS = {
  home_visit: "Visit the customer in person",
  service_recovery_callback: "Call back about the complaint and put it right",
  tailored_plan_offer: "Offer a plan that fits how they use the phone now",
  retention_call: "Retention call: find out why, and what would keep them",
  value_review: "Go through what their plan gives them for the money",
  renewal_offer: "Offer a renewal before the contract ends",
};
const STRATEGIES = {
  price: {
    title: "Price: it costs too much",
    items: [
      "Compare their last three bills with the plans on offer; propose the cheapest plan that covers their real use.",
      "Offer a loyalty discount or bonus credit for renewing.",
      "Bundle data, calls and broadband at a family price.",
      "Renew the handset subsidy with a new contract.",
    ],
  },
  quality: {
    title: "Quality: the network or the service let them down",
    items: [
      "Check open fault tickets and coverage where they live and work; escalate what is unresolved.",
      "Apologise, give a goodwill credit, and say when it will be fixed.",
      "Call back after the fix to check it works for them.",
    ],
  },
  social: {
    title: "Social: family and friends are with another operator",
    items: [
      "Offer a family or group plan with free calls inside the group.",
      "Invite their circle over: a welcome offer for each number that joins.",
      "Point out on-net benefits for the people they call most.",
    ],
  },
  convenience: {
    title: "Convenience: dealing with us is a hassle",
    items: [
      "Fix the immediate nuisance (billing, top-up, SIM, app) during the call.",
      "Set up automatic payment and the self-service app with them.",
      "Offer a visit or delivery instead of a trip to a service hall.",
    ],
  },
};
// a monthly case (SPEC section 14) in words
const VALUE_CHURN = "Value churn: still a customer, but fallen to low value (a cheaper plan in the last two months, " +
  "or spend in the last two months well down on the two before)";
const MONTHLY_ACTIONS = {
  potential: "retention_call",
  value: "value_review",
};
const OUTCOMES = { retained: "Retained", churned: "Churned", unreachable: "Unreachable", declined: "Declined offer" };
const REASONS = { price: "Price", quality: "Quality", social: "Social", convenience: "Convenience", other: "Other" };
const PAGE = 50;

const state = {
  me: null,
  csrf: null,
  view: "feed",
  filters: { kind: "", level: "", state: "open", tier: "", trigger: "", owner: "", week: "", month: "" },
  cases: [],
  byId: new Map(),
  next: null,
  selected: null,
  detail: null,
  fresh: new Set(),
  newCount: 0,
  pending: [],
  stream: null,
  reloadTimer: null,
  mineTimer: null,
  users: [],
  weeks: [],
  months: [],
};

function isMonthly(c) { return c.kind === "monthly"; }
// the signs a case lists: a weekly case's triggers, a monthly case's items
function signs(c) { return isMonthly(c) ? (c.items || []) : c.triggers; }
function period(c) { return isMonthly(c) ? c.month : c.week; }
function scoreText(c) {
  const parts = [];
  if (c.potential_churner) parts.push("potential churner");
  if (c.value_churn) parts.push("value churn");
  return "score " + c.score + " of " + c.threshold + (parts.length ? ": " + parts.join(", ") : "");
}

// ---- small helpers ---------------------------------------------------------

function $(id) { return document.getElementById(id); }

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function toast(text, bad) {
  const t = $("toast");
  t.textContent = text;
  t.className = bad ? "toast bad" : "toast";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 5000 : 2500);
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

function when(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  const today = new Date();
  const time = pad(d.getHours()) + ":" + pad(d.getMinutes());
  if (d.toDateString() === today.toDateString()) return "today " + time;
  return d.getDate() + " " + d.toLocaleString("en", { month: "short" }) + " " + time;
}

function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + " %"; }

function capital(s) { return s.charAt(0).toUpperCase() + s.slice(1); }

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-CSRF-Token"] = state.csrf || "";
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== "/api/login") {
    showLogin();
    throw new ApiError(401, "Please sign in again.");
  }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.statusText);
  return data;
}

// ---- sign-in ---------------------------------------------------------------

function showLogin(message) {
  if (state.stream) { state.stream.close(); state.stream = null; }
  state.me = null;
  $("app").hidden = true;
  $("login").hidden = false;
  const err = $("login-error");
  err.hidden = !message;
  err.textContent = message || "";
  $("login-user").focus();
}

async function login(ev) {
  ev.preventDefault();
  const err = $("login-error");
  err.hidden = true;
  $("login-submit").disabled = true;
  try {
    const me = await api("POST", "/api/login", { user: $("login-user").value.trim(), password: $("login-password").value });
    $("login-password").value = "";
    await start(me);
  } catch (e) {
    err.textContent = e.status === 401 ? "Wrong user name or password." : e.message;
    err.hidden = false;
  } finally {
    $("login-submit").disabled = false;
  }
}

async function logout() {
  try { await api("POST", "/api/logout"); } catch (e) { /* signed out anyway */ }
  showLogin();
}

async function start(me) {
  const full = await api("GET", "/api/me");
  state.me = { user: full.user, role: full.role, currentWeek: full.current_week, currentMonth: full.current_month, horizon: full.horizon_weeks };
  state.csrf = full.csrf || me.csrf;
  $("login").hidden = true;
  $("app").hidden = false;
  $("whoami").textContent = state.me.user + " · " + state.me.role;
  const supervisor = state.me.role === "supervisor";
  $("tab-report").hidden = !supervisor;
  if (supervisor) {
    try { state.users = (await api("GET", "/api/users")).users; } catch (e) { state.users = []; }
    const owner = $("f-owner");
    for (const u of state.users) {
      if (u.name !== state.me.user) owner.append(h("option", { value: u.name }, u.name));
    }
  }
  await loadWeeks();
  connectStream();
  show(state.view);
}

async function loadWeeks() {
  try {
    const data = await api("GET", "/api/weeks");
    state.weeks = data.weeks.slice().reverse();
    if (!state.weeks.includes(data.current)) state.weeks.unshift(data.current);
    const f = $("f-week");
    const keep = f.value;
    f.replaceChildren(h("option", { value: "" }, "All weeks"), ...state.weeks.map((w) => h("option", { value: w }, w)));
    f.value = keep;
    state.months = (data.months || []).slice().reverse();
    const fm = $("f-month");
    const keepM = fm.value;
    fm.replaceChildren(h("option", { value: "" }, "All months"), ...state.months.map((m) => h("option", { value: m }, m)));
    fm.value = keepM;
    const r = $("r-week");
    const keepR = r.value;
    r.replaceChildren(
      h("optgroup", { label: "Weekly cases" }, ...state.weeks.map((w) => h("option", { value: w }, w + (w === data.current ? " (this week)" : "")))),
      state.months.length ? h("optgroup", { label: "Monthly cases" }, ...state.months.map((m) => h("option", { value: m }, m))) : null);
    r.value = keepR || data.current;
  } catch (e) { /* the filters keep what they had */ }
}

// ---- views -----------------------------------------------------------------

function show(view) {
  state.view = view;
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.view === view);
  $("view-feed").hidden = view === "report";
  $("view-report").hidden = view !== "report";
  if (view === "report") { loadReport(); return; }
  if (view === "mine") {
    state.filters.owner = "me";
    $("f-owner").value = "me";
  } else if (state.filters.owner === "me") {
    state.filters.owner = "";
    $("f-owner").value = "";
  }
  reload();
}

// ---- the feed --------------------------------------------------------------

function query(after) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filters)) if (v) p.set(k, v);
  p.set("limit", String(PAGE));
  if (after) p.set("after", after);
  return "/api/cases?" + p.toString();
}

async function reload() {
  clearTimeout(state.reloadTimer);
  state.reloadTimer = null;
  try {
    const data = await api("GET", query());
    state.cases = data.cases;
    state.next = data.next;
    state.byId = new Map(state.cases.map((c) => [c.id, c]));
    state.newCount = 0;
    renderList();
    updateMineCount();
  } catch (e) {
    if (e.status !== 401) toast("Cannot load cases: " + e.message, true);
  }
}

function reloadSoon() {
  if (!state.reloadTimer) state.reloadTimer = setTimeout(reload, 1500);
}

async function more() {
  if (!state.next) return;
  try {
    const data = await api("GET", query(state.next));
    for (const c of data.cases) {
      if (!state.byId.has(c.id)) { state.cases.push(c); state.byId.set(c.id, c); }
    }
    state.next = data.next;
    renderList();
  } catch (e) { toast("Cannot load more: " + e.message, true); }
}

function matches(c) {
  const f = state.filters;
  if (f.kind && c.kind !== f.kind) return false;
  if (f.level && c.level !== f.level) return false;
  if (f.state === "open" && c.state === "closed") return false;
  if (f.state && f.state !== "open" && c.state !== f.state) return false;
  if (f.tier && c.tier !== f.tier) return false;
  if (f.trigger && !signs(c).some((t) => t.name === f.trigger)) return false;
  if (f.week && c.week !== f.week) return false;
  if (f.month && c.month !== f.month) return false;
  const owner = f.owner === "me" ? state.me.user : f.owner;
  if (owner && c.owner !== owner) return false;
  return true;
}

// red, yellow, blue, then the newest alert first (as the server orders them)
function order(a, b) {
  return (LEVELS[b.level] - LEVELS[a.level]) || (b.alert_at - a.alert_at) || (a.id < b.id ? 1 : -1);
}

function stateBadge(c) {
  if (c.state === "closed") {
    const cls = c.outcome === "retained" ? "retained" : c.outcome === "churned" ? "churned" : "closed";
    return h("span", { class: "badge " + cls }, OUTCOMES[c.outcome] || "Closed");
  }
  return h("span", { class: "badge " + c.state }, capital(c.state));
}

function row(c) {
  const list = signs(c);
  const first = list[0];
  const monthly = isMonthly(c);
  let why;
  // a value churner is a case for that, whatever its few points say
  if (monthly) why = c.potential_churner && first ? capital(first.words) : "Value churn: still a customer, fallen to low value";
  else why = first ? capital(first.words) : "No warning sign this week; contract subsidy ending: watch";
  const tr = h("tr", {
    class: c.level + (monthly ? " monthly" : "") + (state.selected === c.id ? " selected" : "") + (state.fresh.has(c.id) ? " fresh" : ""),
    "data-id": c.id,
    onclick: () => select(c.id),
  },
    h("td", { class: "c-level" }),
    h("td", {}, h("div", { class: "num" }, c.msisdn), h("div", { class: "lvl " + c.level, title: LEVEL_WORK[c.level] }, c.level + " · " + LEVEL_SHORT[c.level]),
      monthly ? h("div", { class: "kind-tag", title: "Monthly score (six months of behaviour)" }, "monthly · " + scoreText(c)) : null),
    h("td", { class: "why" }, why,
      list.length > 1 ? h("span", { class: "more-triggers" }, " +" + (list.length - 1) + " more") : null),
    h("td", { class: "c-tier" }, c.tier || ""),
    h("td", { class: "c-week" }, period(c)),
    h("td", {}, stateBadge(c)),
    h("td", {}, c.owner || "–"),
    h("td", { class: "c-age", title: new Date(c.alert_at).toString() }, ago(c.alert_at)));
  return tr;
}

function renderList() {
  const body = $("cases-body");
  body.replaceChildren(...state.cases.map(row));
  $("empty").hidden = state.cases.length > 0;
  $("more").hidden = !state.next;
  const badge = $("new-badge");
  badge.hidden = state.newCount === 0;
  badge.textContent = state.newCount === 1 ? "1 new case" : state.newCount + " new cases";
  // a page left open in a background tab still says that something came in
  document.title = (state.newCount ? "(" + state.newCount + ") " : "") + "cdrwarn · Retention console";
}

// A case from the stream: put it where it belongs in the list, or take it
// out when it no longer matches the filters.
function apply(c) {
  const had = state.byId.get(c.id);
  if (state.detail && state.detail.id === c.id && (!had || had.version !== c.version)) refreshDetail();
  if (had) {
    const i = state.cases.indexOf(had);
    state.cases.splice(i, 1);
    state.byId.delete(c.id);
  }
  if (!matches(c)) return;
  const last = state.cases[state.cases.length - 1];
  if (!had && state.next && last && order(c, last) > 0) return; // beyond the loaded page
  if (!had || had.alert_at !== c.alert_at || had.level !== c.level) {
    state.fresh.add(c.id);
    if (!had) state.newCount++;
    setTimeout(() => state.fresh.delete(c.id), 6000);
  }
  let i = 0;
  while (i < state.cases.length && order(state.cases[i], c) <= 0) i++;
  state.cases.splice(i, 0, c);
  state.byId.set(c.id, c);
}

function flush() {
  const batch = state.pending;
  state.pending = [];
  for (const c of batch) apply(c);
  if (batch.length) {
    renderList();
    mineSoon();
  }
}

// the "My cases" badge follows changes, at most every 5 s
function mineSoon() {
  if (state.mineTimer) return;
  state.mineTimer = setTimeout(() => { state.mineTimer = null; updateMineCount(); }, 5000);
}

function connectStream() {
  if (state.stream) state.stream.close();
  const es = new EventSource("/api/stream");
  state.stream = es;
  const live = $("live");
  es.addEventListener("hello", () => {
    live.className = "live on";
    live.textContent = "Live";
    reloadSoon(); // after a reconnect: whatever was missed meanwhile
  });
  es.addEventListener("case", (ev) => {
    try { state.pending.push(JSON.parse(ev.data)); } catch (e) { return; }
    if (state.pending.length === 1) requestAnimationFrame(flush);
  });
  es.addEventListener("reload", reloadSoon);
  es.onerror = () => {
    live.className = "live off";
    live.textContent = "Reconnecting…";
    // a stream refused for a lost session never reopens: check the session
    fetch("/api/me", { credentials: "same-origin" }).then((r) => { if (r.status === 401) showLogin("Your session ended. Please sign in again."); });
  };
}

async function updateMineCount() {
  if (!state.me) return;
  try {
    const data = await api("GET", "/api/cases?owner=me&state=open&limit=200");
    const n = data.cases.length;
    const el = $("mine-count");
    el.hidden = n === 0;
    el.textContent = data.next ? n + "+" : String(n);
  } catch (e) { /* the badge waits for the next change */ }
}

// ---- one case --------------------------------------------------------------

async function select(id) {
  state.selected = id;
  for (const tr of document.querySelectorAll("#cases-body tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  await refreshDetail();
}

async function refreshDetail() {
  const id = state.selected;
  if (!id) return;
  try {
    const c = await api("GET", "/api/cases/" + encodeURIComponent(id));
    if (state.selected !== id) return;
    state.detail = c;
    renderDetail(c);
  } catch (e) {
    if (e.status !== 401) toast("Cannot open the case: " + e.message, true);
  }
}

function section(title, ...children) {
  return h("section", { class: "case-section" }, h("h3", {}, title), ...children);
}

async function act(path, body, done) {
  try {
    const c = await api("POST", "/api/cases/" + encodeURIComponent(state.detail.id) + path, body);
    state.detail = c;
    renderDetail(c);
    state.pending.push(c);
    requestAnimationFrame(flush);
    if (done) toast(done);
  } catch (e) {
    if (e.status !== 401) toast(e.message, true);
    refreshDetail();
  }
}

function workSection(c) {
  const me = state.me.user;
  const supervisor = state.me.role === "supervisor";
  const mine = c.owner === me;
  const rows = [];
  if (c.state === "closed") {
    rows.push(h("div", { class: "closed-note" }, "Closed: ", h("b", {}, OUTCOMES[c.outcome] || c.outcome),
      c.reason ? " · reason: " + REASONS[c.reason] : "",
      c.churn ? " · the customer " + (c.churn.kind === "port_out" ? "ported out" : "cancelled") +
        (c.churn.to_operator ? " to " + c.churn.to_operator : "") + (c.churn.churn_date ? " on " + c.churn.churn_date : "") : ""));
  }
  if (c.state === "new") {
    rows.push(h("div", { class: "work-row" },
      h("button", { class: "btn btn-primary", id: "claim", onclick: () => act("/claim", undefined, "Claimed: the case is yours.") }, "Claim this case"),
      h("span", { class: "muted" }, "Claiming shows you the full number.")));
  } else if (c.state !== "closed" && !mine && !supervisor) {
    rows.push(h("p", { class: "muted" }, "Claimed by " + c.owner + "."));
  }
  if (c.state !== "closed" && (mine || supervisor) && c.state !== "new") {
    const outcome = h("select", { id: "close-outcome" }, h("option", { value: "" }, "Outcome…"),
      ...Object.entries(OUTCOMES).map(([k, v]) => h("option", { value: k }, v)));
    const reason = h("select", { id: "close-reason" }, h("option", { value: "" }, "Reason (if known)…"),
      ...Object.entries(REASONS).map(([k, v]) => h("option", { value: k }, v)));
    const note = h("textarea", { id: "close-note", placeholder: "What was said, what was offered (optional)", maxlength: "2000" });
    if (c.state === "claimed") {
      rows.push(h("div", { class: "work-row" },
        h("button", { class: "btn", id: "contacted", onclick: () => act("/state", { state: "contacted", note: note.value || undefined }, "Marked as contacted.") }, "Customer contacted")));
    }
    rows.push(h("div", { class: "work-row" }, outcome, reason,
      h("button", {
        class: "btn btn-good", id: "close",
        onclick: () => {
          if (!outcome.value) { toast("Pick an outcome first.", true); return; }
          act("/state", { state: "closed", outcome: outcome.value, reason: reason.value || undefined, note: note.value || undefined }, "Case closed.");
        },
      }, "Close case")));
    rows.push(note);
  }
  if (c.state !== "new" && (mine || supervisor)) {
    const text = h("textarea", { id: "note-text", placeholder: "Add a note", maxlength: "2000" });
    rows.push(h("div", { class: "work-row" }, text));
    rows.push(h("div", { class: "work-row" }, h("button", {
      class: "btn", id: "add-note",
      onclick: () => { if (text.value.trim()) act("/state", { note: text.value }, "Note added."); },
    }, "Add note")));
  }
  if (supervisor && c.state !== "closed") {
    const who = h("select", { id: "assign-to" }, h("option", { value: "" }, "Assign to…"),
      ...state.users.map((u) => h("option", { value: u.name }, u.name + (u.role === "supervisor" ? " (supervisor)" : ""))));
    rows.push(h("div", { class: "work-row" }, who, h("button", {
      class: "btn", id: "assign",
      onclick: () => { if (who.value) act("/assign", { owner: who.value }, "Assigned to " + who.value + "."); },
    }, "Assign")));
  }
  return section("Work the case", h("div", { class: "work" }, rows));
}

// a monthly case's suggested actions: its record names none, its kind does
function actionsOf(c) {
  if (!isMonthly(c)) return c.actions;
  const out = [];
  if (c.potential_churner) out.push(MONTHLY_ACTIONS.potential);
  if (c.value_churn) out.push(MONTHLY_ACTIONS.value);
  return out;
}

function evidenceSection(c) {
  if (!isMonthly(c)) {
    return section("Why this customer may leave",
      c.triggers.length ? h("ul", { class: "evidence" }, c.triggers.map((t) => h("li", {}, h("b", {}, t.title), capital(t.words))))
        : h("p", {}, "No warning sign this week. The customer's contract subsidy has ended or ends within a few months " +
          "(risk tier " + c.risk_tier + "), which is when customers leave: keep an eye on them."));
  }
  const items = c.items || [];
  return section("Why this customer may leave: six months scored",
    h("p", { class: "score-line", id: "score-line" }, capital(scoreText(c)) + " (" + c.month + ")"),
    items.length ? h("ul", { class: "evidence" }, items.map((t) => h("li", {}, h("b", {}, t.title + " · " + t.points + (t.points === 1 ? " point" : " points")), capital(t.words)))) : null,
    c.value_churn ? h("p", { class: "value-churn" }, VALUE_CHURN + ".") : null);
}

function renderDetail(c) {
  $("detail-placeholder").hidden = true;
  const body = $("detail-body");
  body.hidden = false;
  const number = h("div", { class: "case-number", id: "case-number" }, c.msisdn,
    c.msisdn_full ? null : h("span", { class: "hint" }, c.msisdn_withheld || (c.state === "new" ? "claim to see the number" : "only its owner sees the number")));
  const head = h("div", { class: "case-head" },
    h("span", { class: "lvl-pill " + c.level }, c.level), " ",
    h("b", {}, LEVEL_WORK[c.level]),
    number,
    isMonthly(c) ? h("div", { class: "kind-tag" }, "Monthly case · " + scoreText(c)) : null,
    h("div", { class: "case-meta" },
      h("span", {}, isMonthly(c) ? "Month " + c.month : "Week " + c.week),
      h("span", {}, "Tier " + (c.tier || "unknown")),
      h("span", {}, "Risk tier " + c.risk_tier),
      c.contract_end ? h("span", {}, "Contract ends " + c.contract_end) : null,
      c.subsidy_end ? h("span", {}, "Subsidy ends " + c.subsidy_end) : null,
      h("span", {}, stateBadge(c)),
      c.owner ? h("span", {}, "Owner " + c.owner) : null));
  const evidence = evidenceSection(c);
  const actions = section("Recommended actions",
    h("ol", { class: "actions-list" }, actionsOf(c).map((a) => h("li", {}, ACTIONS[a] || capital(a.replace(/_/g, " "))))),
    c.churned_within_horizon ? h("p", { class: "error" }, "This customer has left since.") : null);
  const strategies = section("If you find the real reason",
    h("div", { class: "strategies" }, Object.entries(STRATEGIES).map(([k, s]) =>
      h("details", { open: c.reason === k ? true : null }, h("summary", {}, s.title), h("ul", {}, s.items.map((i) => h("li", {}, i)))))));
  const hist = section("History",
    h("ol", { class: "history" }, (c.history || []).slice().reverse().map((e) =>
      h("li", {}, h("time", {}, when(e.at)), h("span", {}, h("b", {}, e.by === "cdrwarn" ? "cdrwarn" : e.by), " ", e.what,
        e.note ? h("span", { class: "note" }, e.note) : null)))));
  body.replaceChildren(head, evidence, workSection(c), actions, strategies, hist);
}

// ---- the weekly report -------------------------------------------------------

const CHART_COLOURS = { open: "#c7cedb", retained: "#1f9d55", churned: "#d92d20", unreachable: "#8a94a8", declined: "#f2a100" };

function chart(report) {
  const ns = "http://www.w3.org/2000/svg";
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const levels = ["red", "yellow", "blue"];
  const parts = ["retained", "churned", "unreachable", "declined", "open"];
  const max = Math.max(1, ...levels.map((l) => report.by_level[l].cases));
  const W = 560, rowH = 44, left = 70, right = 70, top = 10;
  const svg = el("svg", { viewBox: "0 0 " + W + " " + (top + levels.length * rowH + 10), role: "img", "aria-label": "Cases by level and outcome" });
  levels.forEach((l, i) => {
    const y = top + i * rowH;
    svg.append(el("text", { x: 0, y: y + 22, "font-size": 13, "font-weight": 600, fill: "#1d2433" }, capital(l)));
    let x = left;
    for (const p of parts) {
      const n = report.by_level[l][p];
      if (!n) continue;
      const w = (W - left - right) * n / max;
      const r = el("rect", { x: x, y: y + 6, width: Math.max(w, 1), height: 24, fill: CHART_COLOURS[p], rx: 2 });
      r.append(el("title", {}, capital(p) + ": " + n));
      svg.append(r);
      if (w > 26) svg.append(el("text", { x: x + w / 2, y: y + 22, "font-size": 11, fill: "#fff", "text-anchor": "middle" }, String(n)));
      x += w;
    }
    svg.append(el("text", { x: x + 6, y: y + 22, "font-size": 12, fill: "#5d6b82" }, report.by_level[l].cases + " cases"));
  });
  return svg;
}

function kpi(label, value, sub) {
  return h("div", { class: "kpi" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), sub ? h("div", { class: "sub" }, sub) : null);
}

function gridTable(table, head, rows, totalLast) {
  table.replaceChildren(h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map((r, i) => h("tr", { class: totalLast && i === rows.length - 1 ? "total" : null }, r.map((c) => h("td", {}, c))))));
}

async function loadReport() {
  const label = $("r-week").value || state.me.currentWeek;
  // a month (YYYY-MM) reports its monthly cases; a week its weekly ones
  const param = /^\d{4}-\d{2}$/.test(label) ? "month" : "week";
  $("r-csv").href = "/api/report?" + param + "=" + encodeURIComponent(label) + "&format=csv";
  let r;
  try { r = await api("GET", "/api/report?" + param + "=" + encodeURIComponent(label)); } catch (e) {
    if (e.status !== 401) toast("Cannot load the report: " + e.message, true);
    return;
  }
  const all = r.all;
  $("r-note").textContent = (r.month ? "Monthly cases opened by the score records of " + r.month +
    ". Precision counts the cases whose customer left within " + r.horizon_weeks + " weeks after the month's end"
    : "Cases opened by alerts of week " + r.week + ". Precision counts the cases whose customer left within " +
      r.horizon_weeks + " weeks") +
    "; it grows as outcomes arrive" + (r.final ? " (the horizon has passed: final)." : ", so it is a figure so far.");
  $("r-kpis").replaceChildren(
    kpi("Cases", String(all.cases), all.open + " still open"),
    kpi("Closed", String(all.closed), all.cases ? Math.round(100 * all.closed / all.cases) + " % of the cases" : ""),
    kpi("Retained", String(all.retained), "customers kept"),
    kpi("Retention rate", pct(r.retention_rate), "retained / closed"),
    kpi("Precision so far", pct(r.precision), all.churned_within_horizon + " of " + all.cases + " left"));
  $("r-chart").replaceChildren(chart(r));
  $("r-legend").replaceChildren(...Object.entries(CHART_COLOURS).map(([k, c]) => {
    const sw = h("i");
    sw.style.background = c;
    return h("span", {}, sw, capital(k));
  }));
  const cols = ["", "Cases", "Open", "Retained", "Churned", "Unreachable", "Declined", "Retention", "Precision"];
  const line = (name, x) => [name, x.cases, x.open, x.retained, x.churned, x.unreachable, x.declined, pct(x.retention_rate), pct(x.precision)];
  gridTable($("r-levels"), cols, [...["red", "yellow", "blue"].map((l) => line(capital(l), r.by_level[l])), line("All", all)], true);
  const agents = Object.entries(r.by_agent);
  gridTable($("r-agents"), ["Agent", "Claimed", "Closed", "Retained", "Churned", "Retention", "Precision"],
    agents.length ? agents.map(([n, a]) => [n, a.claimed, a.closed, a.retained, a.churned, pct(a.retention_rate), pct(a.precision)])
      : [["No case claimed yet", "", "", "", "", "", ""]]);
  gridTable($("r-reasons"), ["Reason", "Retained", "Churned", "Unreachable", "Declined"],
    Object.entries(r.by_reason).map(([k, v]) => [REASONS[k], v.retained, v.churned, v.unreachable, v.declined]));
}

// ---- wiring --------------------------------------------------------------------

function keys(ev) {
  if (state.view === "report" || ev.target.closest("input, textarea, select")) return;
  const i = state.cases.findIndex((c) => c.id === state.selected);
  if (ev.key === "j" || ev.key === "ArrowDown") {
    const c = state.cases[Math.min(state.cases.length - 1, i + 1)];
    if (c) select(c.id);
  } else if (ev.key === "k" || ev.key === "ArrowUp") {
    const c = state.cases[Math.max(0, i - 1)];
    if (c) select(c.id);
  } else if (ev.key === "c" && state.detail && state.detail.state === "new") {
    act("/claim", undefined, "Claimed: the case is yours.");
  } else {
    return;
  }
  ev.preventDefault();
  const tr = document.querySelector("#cases-body tr.selected");
  if (tr) tr.scrollIntoView({ block: "nearest" });
}

function wire() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => show(t.dataset.view));
  for (const b of document.querySelectorAll("#f-level button")) {
    b.addEventListener("click", () => {
      for (const o of document.querySelectorAll("#f-level button")) o.classList.toggle("on", o === b);
      state.filters.level = b.dataset.v;
      reload();
    });
  }
  for (const [id, key] of [["f-kind", "kind"], ["f-state", "state"], ["f-tier", "tier"], ["f-trigger", "trigger"], ["f-owner", "owner"], ["f-week", "week"], ["f-month", "month"]]) {
    $(id).addEventListener("change", () => {
      state.filters[key] = $(id).value;
      // a case has a week or a month: one period filter at a time
      const other = key === "week" ? "month" : key === "month" ? "week" : null;
      if (other && state.filters[key]) { state.filters[other] = ""; $("f-" + other).value = ""; }
      reload();
    });
  }
  $("more").addEventListener("click", more);
  $("new-badge").addEventListener("click", () => {
    state.newCount = 0;
    document.querySelector(".list-pane").scrollTop = 0;
    renderList();
  });
  $("r-week").addEventListener("change", loadReport);
  document.addEventListener("keydown", keys);
  // ages ("3 min ago") stay true without a reload
  setInterval(() => { if (state.view !== "report" && state.me) renderList(); }, 60000);
}

async function boot() {
  wire();
  try {
    const me = await fetch("/api/me", { credentials: "same-origin" });
    if (me.ok) { await start(await me.json()); return; }
  } catch (e) { /* not signed in */ }
  showLogin();
}

boot();
