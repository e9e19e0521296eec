// The ops dashboard: the figures of GET /api/metrics/daily for a date range and a skill, as
// tiles (the whole range), charts by day (Chart.js, served from /vendor/), the hand-over reasons,
// the top knowledge gaps, resolutions per skill, and the same figures as a CSV download. Days are calendar days in the
// business time zone the server names. Every text from the server goes in as text (shared/dom.js).
import { api } from "./shared/api.js";
import { clear, el } from "./shared/dom.js";
import { seconds } from "./shared/format.js";
import { HANDOFF_REASONS_SHORT } from "./shared/labels.js";
import { signIn } from "./shared/session.js";

const DEFAULT_DAYS = 14;
const OUTCOMES = [
  ["bot", "Resolved by the bot", "#1c7c3c"],
  ["agent", "Resolved by an agent", "#0b5cad"],
  ["ticket", "Became a ticket", "#b26a00"],
  ["abandoned", "Abandoned", "#b3261e"],
  ["open", "Still open", "#8a94a6"],
];

// -- formatting: the browser test formats the API's numbers the same way -----------------------

function percent(share) {
  return share === null || share === undefined ? "–" : +(share * 100).toFixed(2) + "%";
}

// The durable rate counts only resolutions past the durable window that were not reopened, so
// while some of a range's chats are still open or inside the window it can only rise: shown as
// "≥ x%", or "–" while none has passed yet. Tiles and table read it the same way.
function durable(d) {
  if (!d.awaiting_window && !(d.outcomes && d.outcomes.open)) return percent(d.durable_resolution_rate);
  return d.durable_resolutions ? "≥ " + percent(d.durable_resolution_rate) : "–";
}


function rating(value) {
  return value === null || value === undefined ? "–" : value.toFixed(2) + " / 5";
}

function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

// What the queue-wait tiles are over: the chats an agent took from the queue. A chat that left
// the queue for a ticket, or whose customer gave up, waited too, but is not among them.
function taken(n) {
  return n ? "over " + plural(n, "chat an agent took from the queue", "chats agents took from the queue") : null;
}

// -- dates ---------------------------------------------------------------------------------------

function addDays(isoDay, days) {
  const d = new Date(isoDay + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function shortDay(isoDay) {
  return new Date(isoDay + "T00:00:00Z").toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

// -- the page ------------------------------------------------------------------------------------

async function start() {
  const root = document.getElementById("app");
  const { token, signOut } = await signIn({
    role: "ops",
    root,
    title: "Cascade ops dashboard",
  });
  const options = await api("/api/metrics/filters", { token });
  const query = new URLSearchParams(location.search);
  const until = query.get("until") || options.today;
  const since = query.get("since") || addDays(until, -(DEFAULT_DAYS - 1));

  const sinceInput = el("input", { type: "date", id: "since", name: "since", value: since, required: true });
  const untilInput = el("input", { type: "date", id: "until", name: "until", value: until, required: true });
  const skillSelect = el(
    "select",
    { id: "skill", name: "skill" },
    el("option", { value: "" }, "All skills"),
    options.skills.map((s) => el("option", { value: s }, s)),
  );
  skillSelect.value = options.skills.includes(query.get("skill")) ? query.get("skill") : "";
  const download = el("button", { type: "button", id: "download", onclick: () => downloadCsv() }, "Download CSV");
  const form = el(
    "form",
    { class: "filters card", "aria-label": "Filters", onsubmit: (e) => { e.preventDefault(); load(); } },
    el("div", { class: "field" }, el("label", { for: "since" }, "From"), sinceInput),
    el("div", { class: "field" }, el("label", { for: "until" }, "To (inclusive)"), untilInput),
    el("div", { class: "field" }, el("label", { for: "skill" }, "Skill"), skillSelect),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Show"), download),
  );
  // A date typed digit by digit is a valid date at each step (0002-11-24, 0020-11-24, …): the
  // figures load once the typing pauses on a whole date, not for every half-typed one.
  let typing = null;
  const whole = (value) => value === "" || Number(value.slice(0, 4)) >= 2000;
  for (const input of [sinceInput, untilInput]) {
    input.addEventListener("change", () => {
      clearTimeout(typing);
      if (whole(input.value)) typing = setTimeout(load, 500);
    });
  }
  skillSelect.addEventListener("change", () => load());

  const status = el("p", { class: "status muted", id: "status", role: "status", "aria-live": "polite" });
  const results = el("div", { id: "results" });
  root.append(
    el(
      "header",
      { class: "bar" },
      el("h1", {}, "Cascade · Ops dashboard"),
      el("span", { class: "spacer" }),
      el("button", { type: "button", onclick: signOut }, "Sign out"),
    ),
    el("main", { class: "dash" }, form, status, results),
  );

  let charts = [];
  let latest = 0;

  function filters() {
    const params = new URLSearchParams({ since: sinceInput.value, until: untilInput.value });
    if (skillSelect.value) params.set("skill", skillSelect.value);
    return params;
  }

  async function load() {
    const ticket = ++latest;
    const params = filters();
    if (sinceInput.value && untilInput.value && sinceInput.value > untilInput.value) {
      // Said in the form's words, and no figures of another range left on screen under it.
      forget();
      status.className = "status error";
      status.setAttribute("role", "alert");
      status.textContent = "“From” is after “To”: pick a From date on or before the To date.";
      return;
    }
    status.className = "status muted";
    status.textContent = "Loading…";
    let daily;
    try {
      daily = await api("/api/metrics/daily?" + params, { token });
    } catch (err) {
      if (ticket !== latest) return;
      status.className = "status error";
      status.setAttribute("role", "alert");
      status.textContent = "Could not load the figures: " + err.message;
      forget();
      return;
    }
    if (ticket !== latest) return;
    // A date left empty means the server's default: the form shows which days those are.
    if (!sinceInput.value) sinceInput.value = daily.since;
    if (!untilInput.value) untilInput.value = daily.until;
    history.replaceState(null, "", location.pathname + "?" + params);
    status.className = "status muted";
    status.setAttribute("role", "status");
    status.textContent =
      `${daily.since} to ${daily.until} (days in ${daily.timezone}), ` +
      (daily.skill ? `skill ${daily.skill}` : "all skills") +
      ` · ${plural(daily.total.contacts, "conversation", "conversations")}`;
    render(daily);
  }

  function forget() {
    for (const chart of charts) chart.destroy();
    charts = [];
    clear(results);
  }

  function render(daily) {
    forget();
    const total = daily.total;
    const empty = total.contacts === 0;
    results.append(el("h2", { class: "sr-only" }, "Figures for the whole range"), tiles(total, options));
    if (empty) {
      results.append(el("p", { class: "notice card", id: "empty" }, "No conversations in this range."));
      return;
    }
    const fcr = chartCard("fcr-chart", "First-contact resolution and bot containment by day");
    const volume = chartCard("volume-chart", "Conversations by day and where they ended");
    const waits = chartCard("wait-chart", "Queue wait by day (seconds)");
    const reasons = chartCard("reasons-chart", "Hand-overs by reason");
    results.append(
      el("section", { class: "charts", "aria-label": "Charts" }, fcr.card, volume.card, waits.card, reasons.card),
      el("section", { class: "panels" }, reasonList(total), gapList(total)),
      skillTable(total, options),
      dayTable(daily, options),
    );
    const labels = daily.days.map((d) => shortDay(d.day));
    charts.push(
      lineChart(fcr.canvas, labels, [
        ["First-contact resolution", daily.days.map((d) => settled(d, d.first_contact_resolution)), "#0b5cad"],
        ["Bot containment", daily.days.map((d) => settled(d, d.bot_containment)), "#1c7c3c"],
      ], { max: 100, unit: "%" }),
      new window.Chart(volume.canvas, {
        type: "bar",
        data: {
          labels,
          datasets: OUTCOMES.map(([key, label, color]) => ({
            label,
            data: daily.days.map((d) => d.outcomes[key]),
            backgroundColor: color,
          })),
        },
        options: base({ scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }),
      }),
    );
    if (total.wait_avg_s === null) {
      waits.canvas.replaceWith(el("p", { class: "muted" }, "Nobody waited for a person in this range."));
    } else {
      charts.push(
        lineChart(waits.canvas, labels, [
          ["Average wait", daily.days.map((d) => d.wait_avg_s), "#0b5cad"],
          ["90th percentile", daily.days.map((d) => d.wait_p90_s), "#b26a00"],
        ], { unit: " s" }),
      );
    }
    const reasonNames = Object.keys(total.handoffs_by_reason);
    if (reasonNames.length) {
      // Room for every reason's label (none skipped), two lines each when the box is narrow.
      reasons.canvas.parentElement.style.height = `max(16rem, ${reasonNames.length * (narrow(reasons.canvas) ? 2.6 : 1.6) + 3}rem)`;
      charts.push(
        new window.Chart(reasons.canvas, {
          type: "bar",
          data: {
            labels: reasonNames.map((r) => narrow(reasons.canvas) ? lines(reasonLabel(r), 18) : reasonLabel(r)),
            datasets: [{ label: "Hand-overs", data: reasonNames.map((r) => total.handoffs_by_reason[r]), backgroundColor: "#0b5cad" }],
          },
          options: base({ indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } } }),
        }),
      );
    } else {
      reasons.canvas.replaceWith(el("p", { class: "muted" }, "No hand-overs in this range."));
    }
  }

  function pct(share) {
    return share === null ? null : +(share * 100).toFixed(2);
  }

  // A day whose every chat is still going (today, early on) has no rate yet: no point, rather
  // than a plunge to 0 % that nothing has earned.
  function settled(day, share) {
    return day.contacts && day.outcomes.open === day.contacts ? null : pct(share);
  }

  function base(extra) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      ...extra,
      plugins: { legend: { position: "bottom" }, ...(extra.plugins || {}) },
    };
  }

  function lineChart(canvas, labels, series, { max, unit }) {
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels,
        datasets: series.map(([label, data, color]) => ({
          label,
          data,
          borderColor: color,
          backgroundColor: color,
          spanGaps: true,
          tension: 0.2,
        })),
      },
      options: base({
        scales: { y: { beginAtZero: true, max, ticks: { callback: (v) => v + unit } } },
      }),
    });
  }

  async function downloadCsv() {
    download.disabled = true;
    try {
      const response = await api("/api/metrics.csv?" + filters(), { token, raw: true });
      const blob = await response.blob();
      const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: named ? named[1] : "cascade-metrics.csv", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      status.className = "status error";
      status.setAttribute("role", "alert");
      status.textContent = "Could not download the CSV: " + err.message;
    } finally {
      download.disabled = false;
    }
  }

  load();
}

// A chart in a phone-wide box: Chart.js cuts a long axis label at the box's edge, so it is given
// as lines (an array) of at most `width` characters instead.
function narrow(canvas) {
  return canvas.parentElement.clientWidth < 480;
}

function lines(text, width) {
  const out = [];
  for (const word of text.split(" ")) {
    const last = out.length - 1;
    if (last >= 0 && out[last].length + 1 + word.length <= width) out[last] += " " + word;
    else out.push(word);
  }
  return out;
}

function reasonLabel(reason) {
  return HANDOFF_REASONS_SHORT[reason] || reason.replace(/_/g, " ");
}

function tile(figure, label, value, detail, bad) {
  return el(
    "li",
    { class: "tile" + (bad ? " bad" : ""), dataset: { figure } },
    el("span", { class: "label" }, label),
    el("span", { class: "value" }, value),
    detail ? el("span", { class: "detail" }, detail) : null,
  );
}

function tiles(t, options) {
  const of = (n) => (t.contacts ? `${n} of ${t.contacts}` : null);
  // Chats still going count as not resolved until they end: the reader is told how many.
  const going = t.outcomes && t.outcomes.open ? ` (${t.outcomes.open} still open)` : "";
  const within = hours(options.durable_window_h);
  return el(
    "ul",
    { class: "tiles", id: "tiles", "aria-label": "Figures for the whole range" },
    tile("contacts", "Conversations", String(t.contacts), "in which the customer wrote"),
    tile("first_contact_resolution", "First-contact resolution", percent(t.first_contact_resolution), t.contacts ? of(t.resolved_first_time) + going : null),
    tile("bot_containment", "Bot containment", percent(t.bot_containment), t.contacts ? of(t.bot_contained) + going : null),
    tile("confirmed_resolution_rate", "Bot resolved, confirmed", percent(t.confirmed_resolution_rate),
      t.contacts ? `${of(t.bot_resolved_confirmed)}: the customer said yes` : null),
    tile("assumed_resolution_rate", "Bot resolved, assumed", percent(t.assumed_resolution_rate),
      t.contacts ? `${of(t.bot_resolved_assumed)}: an answer, then silence` : null),
    tile("durable_resolution_rate", "Durable resolutions", durable(t),
      t.contacts ? `${of(t.durable_resolutions)}: not back within ${within}` +
        (t.awaiting_window ? ` (${t.awaiting_window} resolved less than ${within} ago)` : "") : null),
    tile("reopen_rate", "Reopen rate", percent(t.reopen_rate),
      t.resolved ? `${t.reopened} of ${t.resolved} resolved: back within ${within}` : null),
    tile("handoff_rate", "Hand-over rate", percent(t.handoff_rate), of(t.handed_over)),
    tile("ticket_rate", "Ticket rate", percent(t.ticket_rate), of(t.ticketed)),
    tile("wait_avg_s", "Queue wait, average", seconds(t.wait_avg_s), taken(t.queue_waits)),
    tile("wait_p90_s", "Queue wait, 90th percentile", seconds(t.wait_p90_s), taken(t.queue_waits)),
    tile("handle_time_avg_s", "Handle time, average", seconds(t.handle_time_avg_s)),
    tile("abandonment_rate", "Abandonment", percent(t.abandonment_rate), of(t.abandoned)),
    tile("csat_avg", "Satisfaction (CSAT)", rating(t.csat_avg), plural(t.csat_responses, "rating", "ratings")),
    tile("sla_warnings", "SLA warnings", String(t.sla_warnings), null, false),
    tile("sla_breaches", "SLA breaches", String(t.sla_breaches), null, t.sla_breaches > 0),
  );
}

function hours(value) {
  return value >= 24 && value % 24 === 0 ? plural(value / 24, "day", "days") : seconds(value * 3600);
}

function skillTable(total, options) {
  const columns = [
    ["Conversations", (r) => String(r.contacts)],
    ["Resolved", (r) => String(r.resolved)],
    ["Bot, confirmed", (r) => String(r.bot_resolved_confirmed)],
    ["Bot, assumed", (r) => String(r.bot_resolved_assumed)],
    ["Durable", (r) => String(r.durable_resolutions)],
    ["Reopened", (r) => String(r.reopened)],
    ["Reopen rate", (r) => percent(r.reopen_rate)],
  ];
  return el(
    "section",
    { class: "by-skill card", id: "by-skill", "aria-labelledby": "by-skill-title" },
    el("h2", { id: "by-skill-title" }, "Resolutions by skill"),
    el("p", { class: "muted" }, `Reopened: the same customer (visitor id, email or signed user id) came back within ${hours(options.durable_window_h)} of the resolution.`),
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Skill"), columns.map(([name]) => el("th", { scope: "col" }, name)))),
      el(
        "tbody",
        {},
        total.by_skill.map((r) =>
          el("tr", { dataset: { skill: r.skill || "" } }, el("th", { scope: "row" }, r.skill || "no skill"), columns.map(([, f]) => el("td", {}, f(r)))),
        ),
      ),
    ),
  );
}

function chartCard(id, title) {
  const canvas = el("canvas", { id, role: "img", "aria-label": title + " (the same figures are in the table below)" });
  const card = el("figure", { class: "chart card" }, el("h2", {}, title), el("div", { class: "canvas-box" }, canvas));
  return { card, canvas };
}

function reasonList(total) {
  const entries = Object.entries(total.handoffs_by_reason);
  // Every hand-over is counted; the hand-over rate counts chats. A chat back with the bot and
  // handed over again counts twice here, which this line says when it happened.
  const handoffs = entries.reduce((sum, [, n]) => sum + n, 0);
  const chats = total.handed_over === 1 ? "1 chat" : total.handed_over + " chats";
  return el(
    "section",
    { class: "panel card", id: "reasons", "aria-labelledby": "reasons-title" },
    el("h2", { id: "reasons-title" }, "Hand-over reasons"),
    handoffs > total.handed_over
      ? el("p", { class: "muted", id: "reasons-note" }, `${handoffs} hand-overs in ${chats}: some chats were handed over more than once.`)
      : null,
    entries.length
      ? el("ul", {}, entries.map(([reason, n]) => el("li", {}, reasonLabel(reason), " ", el("span", { class: "count" }, "(" + n + ")"))))
      : el("p", { class: "muted" }, "No hand-overs in this range."),
  );
}

function gapList(total) {
  return el(
    "section",
    { class: "panel card", id: "gaps", "aria-labelledby": "gaps-title" },
    el("h2", { id: "gaps-title" }, "Top knowledge gaps"),
    // Not the editor's Content gaps: those are the questions still waiting for an article.
    el("p", { class: "muted", id: "gaps-note" }, "What customers first asked in the chats of this range handed over for want of an answer, however the knowledge base has changed since. The editor's Content gaps lists the questions still waiting for an article."),
    total.knowledge_gaps.length
      ? el("ol", {}, total.knowledge_gaps.map((g) => el("li", {}, el("span", { class: "question" }, g.question), " ", el("span", { class: "count" }, "(" + plural(g.count, "time", "times") + ")"))))
      : el("p", { class: "muted" }, "No chat of this range was handed over for want of an answer."),
    gapsLeftOut(total),
  );
}

// The list holds the most asked questions only: when there are more, it says how many chats
// it shows of how many.
function gapsLeftOut(total) {
  const listed = total.knowledge_gaps.reduce((sum, g) => sum + g.count, 0);
  if (listed >= total.knowledge_gap_questions) return null;
  return el(
    "p",
    { class: "muted", id: "gaps-more" },
    "Only the most asked are listed: " + listed + " of the " + total.knowledge_gap_questions + " chats handed over for want of an answer."
  );
}

function dayTable(daily, options) {
  const columns = [
    ["Conversations", (d) => String(d.contacts)],
    ["Still open", (d) => String(d.outcomes.open)],
    ["FCR", (d) => percent(d.first_contact_resolution)],
    ["Containment", (d) => percent(d.bot_containment)],
    ["Confirmed", (d) => percent(d.confirmed_resolution_rate)],
    ["Assumed", (d) => percent(d.assumed_resolution_rate)],
    ["Durable", durable],
    ["Reopen rate", (d) => percent(d.reopen_rate)],
    ["Hand-overs", (d) => percent(d.handoff_rate)],
    ["Tickets", (d) => percent(d.ticket_rate)],
    ["Wait avg", (d) => seconds(d.wait_avg_s)],
    ["Wait p90", (d) => seconds(d.wait_p90_s)],
    ["Handle time", (d) => seconds(d.handle_time_avg_s)],
    ["Abandoned", (d) => percent(d.abandonment_rate)],
    ["CSAT", (d) => rating(d.csat_avg)],
    ["SLA warnings", (d) => String(d.sla_warnings)],
    ["SLA breaches", (d) => String(d.sla_breaches)],
  ];
  const row = (label, d) => el("tr", {}, el("th", { scope: "row" }, label), columns.map(([, f]) => el("td", {}, f(d))));
  return el(
    "details",
    { class: "by-day card" },
    el("summary", {}, "Figures by day as a table"),
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Day"), columns.map(([name]) => el("th", { scope: "col" }, name)))),
      el("tbody", {}, daily.days.map((d) => row(d.day, d)), row("Total", daily.total)),
    ),
    el("p", { class: "muted" }, `Still open chats count as not resolved (FCR, containment) until they end. Durable “≥”: some of that row's chats are still open, or were resolved less than ${hours(options.durable_window_h)} ago, so the rate can still rise; “–” while none is past that yet.`),
  );
}

start().catch((err) => {
  const root = document.getElementById("app");
  clear(root).append(el("p", { class: "card error", role: "alert" }, "The dashboard could not start: " + err.message));
});
