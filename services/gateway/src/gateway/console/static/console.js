// The operator console: a client of the public admin API. The admin token lives in this tab's
// sessionStorage and goes out as a bearer token; nothing is fetched from anywhere but the gateway.
// Data is put into the page as text nodes only (never as HTML).
"use strict";

const TOKEN_KEY = "settle.console.token";
const MONEY = JSON.parse(document.body.dataset.money);
const PAGES = { overview, payouts, payments, failed, invoices, texts };

class Refused extends Error {}
class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// ---- plumbing -----------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function money(amount, currency) {
  const entry = MONEY[currency] || { exponent: 2, symbol: "" };
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(entry.exponent + 1, "0");
  const whole = digits.slice(0, digits.length - entry.exponent).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const text = entry.exponent ? `${whole}.${digits.slice(-entry.exponent)}` : whole;
  return `${negative ? "-" : ""}${entry.symbol}${text} ${currency.toUpperCase()}`;
}

// "12.34" in `currency` -> minor units, exactly (no floating point).
function minorUnits(text, currency) {
  const exponent = (MONEY[currency] || { exponent: 2 }).exponent;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match || (match[2] || "").length > exponent) return null;
  return Number(match[1] + (match[2] || "").padEnd(exponent, "0"));
}

function when(value) {
  return value ? new Date(value).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—";
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method === "POST") headers["Idempotency-Key"] = crypto.randomUUID();
  const answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (answer.status === 401 || answer.status === 403) throw new Refused();
  const data = answer.status === 204 ? null : await answer.json().catch(() => ({}));
  if (!answer.ok) throw new ApiError(answer.status, data || {});
  return data;
}

function notice(text, kind = "") {
  const box = document.getElementById("notice");
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
}

function table(headings, rows, empty = "Nothing here.") {
  if (!rows.length) return el("p", { class: "empty" }, empty);
  return el("table", {},
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", { class: h.endsWith("amount") || h === "Amount" ? "money" : "" }, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c)))))));
}

const amountCell = (amount, currency) => el("td", { class: "money" }, money(amount, currency));

function action(label, confirmText, run) {
  return el("button", {
    type: "button",
    onclick: async (event) => {
      if (confirmText && !window.confirm(confirmText)) return;
      event.target.disabled = true;
      try {
        await run();
      } catch (error) {
        failed_(error);
      } finally {
        event.target.disabled = false;
      }
    },
  }, label);
}

function failed_(error) {
  if (error instanceof Refused) refuse();
  else notice(`Refused: ${error.message}`);
}

function refuse() {
  document.getElementById("page").replaceChildren();
  notice("This token is not an admin's (or has expired): the console shows nothing to it. Sign out and sign in with an admin token.", "refused");
}

let shown = 0; // the latest page asked for: an earlier one that answers late is dropped

async function show() {
  const mine = ++shown;
  const name = location.hash.slice(1) || "overview";
  const render = PAGES[name] || overview;
  const signedIn = Boolean(sessionStorage.getItem(TOKEN_KEY));
  document.getElementById("sign-in").hidden = signedIn;
  document.getElementById("nav").hidden = !signedIn;
  if (!signedIn) return;
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("current", link.getAttribute("href") === `#${name}`);
  notice("");
  const page = document.getElementById("page");
  page.replaceChildren(el("p", { class: "empty" }, "Loading…"));
  try {
    const content = await render();
    if (mine === shown) page.replaceChildren(...content);
  } catch (error) {
    if (mine !== shown) return;
    page.replaceChildren();
    failed_(error);
  }
}

// ---- pages --------------------------------------------------------------------------------

async function overview() {
  const [stats, metrics] = await Promise.all([api("GET", "/v1/admin/payment-stats?days=30"), api("GET", "/v1/admin/metrics?window=30d")]);
  const rate = stats.success_rate === null ? "—" : `${(stats.success_rate * 100).toFixed(1)} %`;
  const figures = (items) => (items.length ? items.map((m) => el("div", {}, money(m.amount, m.currency))) : el("div", { class: "empty" }, "none"));
  return [
    el("h1", {}, "Overview (last 30 days)"),
    el("div", { class: "cards" },
      el("div", { class: "card" }, el("div", {}, "Payment success rate"), el("div", { class: "figure", id: "success-rate" }, rate)),
      el("div", { class: "card" }, el("div", {}, "Collected"), el("div", { class: "figure" }, figures(stats.collected))),
      el("div", { class: "card" }, el("div", {}, "Platform revenue (fees)"), el("div", { class: "figure" }, figures(metrics.platform_revenue))),
      el("div", { class: "card" }, el("div", {}, "Pending payouts"), el("div", { class: "figure" }, figures(metrics.pending_payouts)))),
    el("h2", {}, "Successful payments per day"),
    chart(stats),
  ];
}

function chart(stats) {
  const days = [];
  const start = new Date(`${stats.since}T00:00:00Z`);
  for (let i = 0; i < 30; i++) days.push(new Date(start.getTime() + i * 86400000).toISOString().slice(0, 10));
  const counts = Object.fromEntries(days.map((d) => [d, 0]));
  for (const day of stats.days) counts[day.date] = (counts[day.date] || 0) + day.succeeded;
  const most = Math.max(1, ...Object.values(counts));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const width = 30 * 22 + 40, height = 180;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("id", "payments-chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Successful payments per day, last 30 days");
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  add("line", { class: "axis", x1: 30, y1: 150, x2: width, y2: 150 });
  add("text", { x: 0, y: 20 }, String(most));
  days.forEach((day, i) => {
    const h = Math.round((counts[day] / most) * 130);
    add("rect", { class: "bar", x: 34 + i * 22, y: 150 - h, width: 16, height: h, "data-day": day, "data-count": counts[day] });
    if (i % 5 === 0) add("text", { x: 30 + i * 22, y: 166 }, day.slice(5));
  });
  return svg;
}

async function payouts() {
  const [pending, paid] = await Promise.all([api("GET", "/v1/admin/payouts?status=pending&limit=100"), api("GET", "/v1/admin/payouts?status=paid&limit=20")]);
  const result = el("div", { id: "payout-result" });
  const run = action("Run payouts", "Pay every pending payout whose payee can receive payouts now?", async () => {
    const summary = await api("POST", "/v1/admin/payouts/run");
    const page = await payouts();
    document.getElementById("page").replaceChildren(...page);
    notice(`Payout run: ${summary.paid.length} paid, ${summary.failed.length} failed, ${summary.waiting_for_payouts_enabled} waiting for payouts to be enabled.`);
    document.getElementById("payout-result").replaceChildren(
      table(["Payee", "Source", "Amount", "Status", "Transfer"], summary.paid.map((p) => [p.payee_id, `${p.source.type} ${p.source.id}`, amountCell(p.amount, p.currency), p.status, p.transfer_id || "—"]), "Nothing was paid."),
      table(["Payee", "Source", "Code", "Detail"], summary.failed.map((f) => [f.expert_id, `${f.source.type} ${f.source.id}`, f.code, f.detail]), "No failures."));
  });
  const row = (p) => [p.payee_id, p.sources.map((s) => `${s.type} ${s.id}`).join(", "), amountCell(p.amount, p.currency), p.status, p.payouts_enabled ? "yes" : "no"];
  return [
    el("h1", {}, "Payouts"),
    el("h2", {}, "Pending, by payee"), table(["Payee", "Sources", "Amount", "Status", "Payouts enabled"], pending.data.map(row), "No pending payouts."),
    run, result,
    el("h2", {}, "Recently paid"), table(["Payee", "Sources", "Amount", "Status", "Payouts enabled"], paid.data.map(row), "None yet."),
  ];
}

async function payments() {
  const input = el("input", { id: "payment-search", name: "q", placeholder: "payment id (pay_…) or user id", size: 40 });
  const results = el("div", { id: "payment-results" });
  const search = async (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    try {
      if (q.startsWith("pay_")) {
        results.replaceChildren(...(await paymentDetail(q)));
        return;
      }
      const [asPayer, asPayee] = await Promise.all([
        api("GET", `/v1/payments?payer_id=${encodeURIComponent(q)}&limit=50`), api("GET", `/v1/payments?payee_id=${encodeURIComponent(q)}&limit=50`)]);
      const seen = new Map([...asPayer.data, ...asPayee.data].map((p) => [p.id, p]));
      results.replaceChildren(table(["Payment", "Status", "Amount", "Payer", "Payee", "Created"], [...seen.values()].map((p) => [
        el("a", { href: "#payments", onclick: async (e) => { e.preventDefault(); results.replaceChildren(...(await paymentDetail(p.id))); } }, p.id),
        p.status, amountCell(p.amount, p.currency), p.payer_id, p.payee_id || "—", when(p.created_at)]), "No payments of that user."));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) results.replaceChildren(el("p", { class: "empty" }, `No payment ${q}.`));
      else failed_(error);
    }
  };
  return [el("h1", {}, "Payments"), el("form", { onsubmit: search }, input, " ", el("button", { type: "submit" }, "Search")), results];
}

async function paymentDetail(id) {
  const [payment, refunds] = await Promise.all([api("GET", `/v1/payments/${encodeURIComponent(id)}`), api("GET", `/v1/payments/${encodeURIComponent(id)}/refunds`)]);
  const intent = payment.stripe_payment_intent_id;
  const [events, receipts] = await Promise.all([
    intent ? api("GET", `/v1/admin/stripe-events?payment_intent=${encodeURIComponent(intent)}&limit=100`) : { data: [] },
    api("GET", `/v1/admin/receipts?payment_id=${encodeURIComponent(payment.id)}`)]);
  const left = payment.amount - payment.amount_refunded;
  const amount = el("input", { id: "refund-amount", name: "amount", placeholder: `up to ${money(left, payment.currency)}`, size: 16 });
  const refund = async (event) => {
    event.preventDefault();
    const minor = minorUnits(amount.value, payment.currency);
    if (minor === null || minor <= 0) return notice(`Enter an amount in ${payment.currency.toUpperCase()}, e.g. 12.50.`);
    if (!window.confirm(`Refund ${money(minor, payment.currency)} of payment ${payment.id} to ${payment.payer_id}?`)) return;
    try {
      const made = await api("POST", `/v1/payments/${encodeURIComponent(id)}/refunds`, { amount: minor });
      document.getElementById("payment-results").replaceChildren(...(await paymentDetail(id)));
      notice(`Refund ${made.id} of ${money(made.amount, made.currency)}: ${made.status}.`);
    } catch (error) {
      failed_(error);
    }
  };
  const facts = [["Status", payment.status], ["Amount", money(payment.amount, payment.currency)], ["Refunded", money(payment.amount_refunded, payment.currency)],
    ["Payer", payment.payer_id], ["Payee", payment.payee_id || "—"], ["Purpose", payment.purpose], ["Description", payment.description || "—"],
    ["Stripe PaymentIntent", payment.stripe_payment_intent_id || "—"], ["Created", when(payment.created_at)], ["Succeeded", when(payment.succeeded_at)]];
  return [
    el("h2", { id: "payment-detail" }, `Payment ${payment.id}`),
    el("table", {}, el("tbody", {}, facts.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", { "data-field": k }, v))))),
    el("h3", {}, "Stripe events"),
    table(["Event", "Type", "Status", "Received", "Processed"], events.data.map((e) => [e.id, e.type, e.status, when(e.received_at), when(e.processed_at)]), "No Stripe events."),
    el("h3", {}, "Refunds"),
    table(["Refund", "Amount", "Status", "By", "Created"], refunds.data.map((r) => [r.id, amountCell(r.amount, r.currency), r.status, r.requested_by || "—", when(r.created_at)]), "No refunds."),
    el("h3", {}, "Receipts in its conversation"),
    el("div", { id: "payment-receipts" },
      table(["Receipt", "Conversation", "Text", "Posted"], receipts.data.map((r) => [r.id, r.conversation_id, r.body, when(r.created_at)]), "No receipts yet.")),
    left > 0 && ["succeeded", "partially_refunded"].includes(payment.status)
      ? el("form", { id: "refund-form", onsubmit: refund }, el("label", { for: "refund-amount" }, `Refund (${payment.currency.toUpperCase()}) `), amount, " ", el("button", { type: "submit" }, "Refund"))
      : el("p", { class: "empty" }, "Nothing to refund."),
  ];
}

async function failed() {
  const [events, letters, tasks] = await Promise.all([
    api("GET", "/v1/admin/stripe-events?status=failed&limit=100"), api("GET", "/v1/admin/dead-letters?limit=100"), api("GET", "/v1/admin/stripe-tasks?status=failed&limit=100")]);
  const again = async (method, path, done) => {
    await api(method, path);
    document.getElementById("page").replaceChildren(...(await failed()));
    notice(done);
  };
  if (letters.unavailable && letters.unavailable.length) notice(`Not answering, so their dead letters are not listed: ${letters.unavailable.join(", ")}.`);
  return [
    el("h1", {}, "Failed work"),
    el("h2", {}, "Stripe events"),
    table(["Event", "Type", "Received", "Attempts", "Last error", ""], events.data.map((e) => [e.id, e.type, when(e.received_at), e.attempts, e.last_error || "—",
      action("Retry", null, () => again("POST", `/v1/admin/stripe-events/${encodeURIComponent(e.id)}/retry`, `Stripe event ${e.id} handed back for processing.`))]), "No failed Stripe events."),
    el("h2", {}, "Dead letters"),
    table(["Message", "Service", "Type", "Dead at", "Error", "Payload", ""], letters.data.map((d) => [d.id, d.service, d.type || "—", when(d.dead_at), d.error || "—",
      el("pre", {}, typeof d.payload === "string" ? d.payload : JSON.stringify(d.payload, null, 1)),
      el("span", {},
        action("Replay", `Hand ${d.type || "this message"} to ${d.service} once more?`, () => again("POST", `/v1/admin/dead-letters/${encodeURIComponent(d.id)}/replay`, `Dead letter ${d.id} replayed.`)),
        " ",
        action("Discard", `Discard ${d.type || "this message"} for good? Your name is kept with the discard.`, () => again("DELETE", `/v1/admin/dead-letters/${encodeURIComponent(d.id)}`, `Dead letter ${d.id} discarded.`)))]),
    "No dead letters."),
    el("h2", {}, "Stripe tasks"),
    table(["Task", "Kind", "Attempts", "Last error", ""], tasks.data.map((t) => [t.id, t.kind || t.type || "—", t.attempts, t.last_error || "—",
      action("Retry", null, () => again("POST", `/v1/admin/stripe-tasks/${encodeURIComponent(t.id)}/retry`, `Stripe task ${t.id} handed back.`))]), "No failed Stripe tasks."),
  ];
}

async function invoices() {
  let overdue;
  try {
    overdue = await api("GET", "/v1/invoices?status=overdue&limit=100");
  } catch (error) {
    if (error instanceof ApiError) return [el("h1", {}, "Overdue invoices"), el("p", { class: "unavailable" }, `Overdue invoices are not available to admins (${error.message}).`)];
    throw error;
  }
  const texts = el("div", { id: "invoice-texts" });
  const showTexts = async (invoice) => {
    const sent = await api("GET", `/v1/admin/sms?reference_id=${encodeURIComponent(invoice.id)}&limit=100`);
    texts.replaceChildren(el("h2", {}, `Texts about invoice ${invoice.number}`),
      table(["Text", "To", "Body", "Status", "Created"], sent.data.map((t) => [t.id, t.to || "—", t.body, t.status, when(t.created_at)]), "No texts about it."));
  };
  return [el("h1", {}, "Overdue invoices"), table(["Invoice", "Issuer", "Customer", "Total", "Paid", "Remaining", "Due", ""], overdue.data.map((i) => [
    i.number, i.issuer_id, i.customer.name, amountCell(i.total.amount, i.total.currency), amountCell(i.paid.amount, i.paid.currency),
    amountCell(i.remaining.amount, i.remaining.currency), i.due_date || "—", action("Texts", null, () => showTexts(i))]), "No overdue invoices."), texts];
}

async function texts() {
  const [sms, optOuts] = await Promise.all([api("GET", "/v1/admin/sms?limit=100"), api("GET", "/v1/admin/opt-outs?limit=100")]);
  return [
    el("h1", {}, "Texts"),
    table(["Text", "To", "Body", "Status", "Error", "Asked by", "Created"], sms.data.map((t) => [t.id, t.to || "—", t.body, t.status, t.error_code || "—", t.requested_by || "—", when(t.created_at)]), "No texts."),
    el("h2", {}, "Opted out"),
    table(["Number", "How", "Since"], optOuts.data.map((o) => [o.phone, o.source, when(o.created_at)]), "Nobody opted out."),
  ];
}

// ---- start --------------------------------------------------------------------------------

document.getElementById("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
  document.getElementById("token").value = "";
  show();
});
document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  document.getElementById("page").replaceChildren();
  notice("");
  show();
});
window.addEventListener("hashchange", show);
show();
