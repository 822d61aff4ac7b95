// The live public wall. Plain ES module, no dependencies: HTTP for the first page of reports,
// then one graphql-transport-ws socket for publicFeed (resumed with `after`, so a reconnect
// misses nothing), rankingsUpdated and statsUpdated. Everything it reads is public.

const TZ = "Asia/Ho_Chi_Minh";
const MAX_CARDS = 24;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000, 30000];
const PING_EVERY_MS = 15000; // a lobby screen must notice a dead network by itself
const PONG_WITHIN_MS = 10000;

const STATUS = {
  PENDING_REVIEW: "Chờ xác minh",
  ASSIGNED: "Đã chuyển đơn vị",
  IN_PROGRESS: "Đang xử lý",
  RESULT_SUBMITTED: "Chờ duyệt kết quả",
  RESOLVED: "Đã xử lý",
  REJECTED: "Từ chối",
  MERGED: "Đã gộp",
};
const KIND = {
  ASSIGNED: "chuyển đến đơn vị xử lý",
  ACCEPTED: "đơn vị đã tiếp nhận",
  DECLINED: "đơn vị trả lại",
  EXTENSION_REQUESTED: "xin gia hạn",
  EXTENSION_DECIDED: "đã quyết định gia hạn",
  RESULT_SUBMITTED: "đơn vị báo cáo kết quả",
  RESULT_RETURNED: "kết quả cần xử lý lại",
  PUBLISHED: "công bố kết quả",
  RATED: "người dân đánh giá",
  CONTESTED: "người dân chưa đồng ý",
  CONTEST_DISMISSED: "giữ nguyên kết quả",
  REOPENED: "mở lại để xử lý",
  COMMENTED: "có bình luận mới",
  SUPPORTED: "có thêm người ủng hộ",
  DEADLINE_NEAR: "sắp đến hạn",
  OVERDUE: "quá hạn xử lý",
};

// The GraphQL documents, in a file of their own: a server with PERSISTED_QUERIES=trusted trusts
// exactly these (web/wall/routes.py).
const DOCUMENTS = await (await fetch("/wall/documents.json")).json();
const { START, FIRST_PAGE, FEED, RANKING, HEADLINE, CHART } = DOCUMENTS;

const $ = (id) => document.getElementById(id);
const state = {
  reports: new Map(), // id -> {report, activity (ms), change}
  cursor: null, // {seq, cursor} of the newest event taken into account
  skewMs: 0, // server clock minus ours
  ranking: new Map(), // agency id -> row, to mark what changed
  windowKey: "",
};

const now = () => new Date(Date.now() + state.skewMs);

function localDay(date) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(date).map((x) => [x.type, x.value]));
  return { y: +p.year, m: +p.month, d: +p.day, iso: `${p.year}-${p.month}-${p.day}` };
}

function shiftDay(day, days) {
  return new Date(Date.UTC(day.y, day.m - 1, day.d + days)).toISOString().slice(0, 10);
}

function windows() {
  const today = localDay(now());
  return {
    quarter: `${today.y}-Q${Math.floor((today.m - 1) / 3) + 1}`,
    from: shiftDay(today, -29),
    to: today.iso,
  };
}

const percent = (x) => `${(x * 100).toLocaleString("vi-VN", { maximumFractionDigits: 1 })}%`;
const number = (x) => x.toLocaleString("vi-VN");
const dateText = (iso) => new Intl.DateTimeFormat("vi-VN", {
  timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric" }).format(new Date(iso));

function since(iso) {
  const minutes = Math.max(0, Math.floor((now() - new Date(iso)) / 60000));
  if (minutes < 1) return "vừa xong";
  if (minutes < 60) return `${minutes} phút trước`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} giờ trước`;
  return `${Math.floor(hours / 24)} ngày trước`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

// --- the cards ----------------------------------------------------------------------------

function isOverdue(r) {
  const open = r.status !== "RESOLVED" && r.status !== "REJECTED" && r.status !== "MERGED";
  return open && new Date(r.dueAt) < now();
}

function card({ report: r, change }) {
  const photo = (r.media || []).find((m) => m.thumbnailUrl);
  const picture = photo
    ? el("img", { src: photo.thumbnailUrl, alt: "Ảnh hiện trường", loading: "lazy" })
    : el("div", { class: "nophoto" }, r.category ? r.category.name : "Không có ảnh");
  const tags = el("div", { class: "tags" },
    el("span", { class: `tag status-${r.status}`, "data-role": "status" }, STATUS[r.status] || r.status));
  if (r.status === "RESOLVED") {
    tags.append(el("span", { class: "tag" }, r.onTime ? "Đúng hạn" : "Trễ hạn"));
  } else if (isOverdue(r)) {
    tags.append(el("span", { class: "tag overdue", "data-role": "overdue" }, "Quá hạn"));
  } else {
    tags.append(el("span", { class: "tag due" }, `Hạn ${dateText(r.dueAt)}`));
  }
  return el("li", { class: "card", "data-code": r.code, "data-status": r.status },
    picture,
    el("div", {},
      el("h3", {}, r.title),
      el("p", { class: "line" }, `${r.code} · ${r.category ? r.category.name : "Chưa phân loại"}`),
      el("p", { class: "line", "data-role": "place" }, r.location?.address || "Không rõ địa điểm"),
      el("p", { class: "line", "data-role": "agency" },
        r.agency ? `Đơn vị xử lý: ${r.agency.name}` : "Chưa chuyển đơn vị"),
      el("p", { class: "line" },
        `Gửi ${since(r.submittedAt)}${change ? ` · ${change}` : ""}`),
      tags));
}

function renderFeed() {
  const items = [...state.reports.values()].sort((a, b) => b.activity - a.activity);
  for (const dropped of items.slice(MAX_CARDS)) state.reports.delete(dropped.report.id);
  $("feed").replaceChildren(...items.slice(0, MAX_CARDS).map(card));
  $("feed-empty").hidden = items.length > 0;
}

function take(event) {
  if (state.cursor && event.seq <= state.cursor.seq) return; // replay overlap: seen already
  state.cursor = { seq: event.seq, cursor: event.cursor };
  if (!event.report) return;
  state.reports.set(event.report.id, {
    report: event.report, activity: Date.parse(event.at), change: KIND[event.kind] || "",
  });
  renderFeed();
}

// --- figures and ranking -------------------------------------------------------------------

function renderHeadline(s) {
  $("fig-received").textContent = number(s.received);
  $("fig-period").textContent = `Quý ${s.period.slice(-1)}/${s.period.slice(0, 4)}`;
  $("fig-processed").textContent = s.received ? percent(s.processedRate) : "–";
  $("fig-processed-count").textContent = `${number(s.processed)} phản ánh`;
  $("fig-on-time").textContent = s.processed ? percent(s.onTimeRate) : "–";
  const rated = s.satisfied + s.acceptable + s.unsatisfied;
  $("fig-satisfaction").textContent = rated ? percent(s.satisfiedRate + s.acceptableRate) : "–";
  $("fig-rated").textContent = rated
    ? `${number(rated)} đánh giá, kể cả chấp nhận được` : "chưa có đánh giá";
}

function renderChart(days) {
  const svg = $("chart");
  const ns = "http://www.w3.org/2000/svg";
  const top = Math.max(1, ...days.map((d) => Math.max(d.received, d.resolved)));
  const w = 300 / Math.max(1, days.length);
  const shapes = days.map((d, i) => {
    const bar = document.createElementNS(ns, "rect");
    const h = (d.received / top) * 76;
    bar.setAttribute("class", "bar");
    bar.setAttribute("x", String(i * w + w * 0.15));
    bar.setAttribute("width", String(w * 0.7));
    bar.setAttribute("y", String(80 - h));
    bar.setAttribute("height", String(h));
    const title = document.createElementNS(ns, "title");
    title.textContent = `${d.date}: ${d.received} tiếp nhận, ${d.resolved} đã xử lý`;
    bar.append(title);
    return bar;
  });
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("class", "line");
  line.setAttribute("points", days.map((d, i) => `${i * w + w / 2},${80 - (d.resolved / top) * 76}`).join(" "));
  svg.replaceChildren(...shapes, line);
}

function renderRanking(table) {
  $("ranking-period").textContent = `quý ${table.period.slice(-1)}/${table.period.slice(0, 4)}`;
  const rows = table.rows.map((r) => {
    const before = state.ranking.get(r.agency.id);
    const changed = before && (before.received !== r.received || before.resolved !== r.resolved
      || before.score !== r.score);
    return el("tr", { "data-agency": r.agency.name, class: changed ? "changed" : "" },
      el("td", {}, r.rank == null ? "–" : String(r.rank)),
      el("td", { class: "name", title: r.agency.name }, r.agency.name),
      el("td", { "data-role": "handled" }, `${number(r.resolved)}/${number(r.received)}`),
      el("td", {}, percent(r.onTimeRate)),
      el("td", {}, r.score.toLocaleString("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 1 })));
  });
  state.ranking = new Map(table.rows.map((r) => [r.agency.id, r]));
  $("ranking").replaceChildren(...rows);
}

// --- HTTP and the socket -------------------------------------------------------------------

async function query(text, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data;
}

async function loadFirstPage() {
  // Where the stream stands before the page is read: an empty page has no event to resume
  // after, and whatever is committed between the page and the subscription must not be lost.
  const start = await query(START, {});
  const before = Date.now();
  const data = await query(FIRST_PAGE, { first: MAX_CARDS });
  state.skewMs = Date.parse(data.serverTime) - (before + Date.now()) / 2;
  tick();
  state.reports.clear();
  state.cursor = null;
  for (const { node } of data.reports.edges) {
    const last = node.lastEvent;
    state.reports.set(node.id, {
      report: node, activity: Date.parse(last ? last.at : node.submittedAt),
      change: last ? KIND[last.kind] || "" : "",
    });
    if (last && (!state.cursor || last.seq > state.cursor.seq)) {
      state.cursor = { seq: last.seq, cursor: last.cursor };
    }
  }
  if (!state.cursor) state.cursor = { seq: Number(start.eventCursor), cursor: start.eventCursor };
  renderFeed();
}

function setConnection(kind, text) {
  $("connection").dataset.state = kind;
  $("connection").textContent = text;
}

let socket = null;
let attempt = 0;
let pingTimer = null;
let pongTimer = null;

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

// Subscription ids are never reused on one socket (graphql-transport-ws closes on a reuse).
let generation = 0;
const active = new Map(); // id -> what it carries

function subscribe(name, text, variables) {
  generation += 1;
  const id = `${name}-${generation}`;
  active.set(id, name);
  send({ id, type: "subscribe", payload: { query: text, variables } });
}

function subscribeFigures() {
  for (const [id, name] of active) {
    if (name !== "feed") {
      send({ id, type: "complete" });
      active.delete(id);
    }
  }
  const w = windows();
  state.windowKey = JSON.stringify(w);
  subscribe("ranking", RANKING, { quarter: w.quarter });
  subscribe("headline", HEADLINE, { quarter: w.quarter });
  subscribe("chart", CHART, { from: w.from, to: w.to });
}

function subscribeAll() {
  active.clear();
  subscribe("feed", FEED, { after: state.cursor ? state.cursor.cursor : null });
  subscribeFigures();
}

function onMessage(message) {
  switch (message.type) {
    case "connection_ack":
      attempt = 0;
      setConnection("live", "Trực tiếp");
      subscribeAll();
      break;
    case "ping":
      send({ type: "pong" });
      break;
    case "pong":
      clearTimeout(pongTimer);
      break;
    case "next": {
      const data = message.payload.data;
      if (message.payload.errors || !data) {
        console.warn("wall:", message.id, message.payload.errors);
        break;
      }
      const name = active.get(message.id);
      if (name === "feed") take(data.publicFeed);
      else if (name === "ranking") renderRanking(data.rankingsUpdated);
      else if (name === "headline") renderHeadline(data.statsUpdated);
      else if (name === "chart") renderChart(data.statsUpdated.daily);
      break;
    }
    case "error":
      console.warn("wall:", message.id, message.payload);
      if (active.get(message.id) === "feed") {
        // Too far behind to replay (or a bad cursor): start again from a fresh first page.
        state.cursor = null;
        socket.close(4000, "reload");
      }
      break;
    default:
      break;
  }
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  const ws = new WebSocket(url, "graphql-transport-ws");
  socket = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: "connection_init", payload: {} }));
    pingTimer = setInterval(() => {
      send({ type: "ping" });
      pongTimer = setTimeout(() => ws.close(4408, "no pong"), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  };
  ws.onmessage = (e) => onMessage(JSON.parse(e.data));
  ws.onclose = () => {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    if (socket !== ws) return;
    socket = null;
    const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] * (0.75 + Math.random() / 2);
    attempt += 1;
    setConnection("retrying", "Mất kết nối, đang thử lại…");
    setTimeout(start, delay);
  };
}

async function start() {
  try {
    // With a cursor, the feed's replay covers the gap; without one, read a fresh first page.
    if (!state.cursor) await loadFirstPage();
  } catch (error) {
    console.warn("wall: first page", error);
  }
  connect();
}

function tick() {
  const t = now();
  $("clock").textContent = new Intl.DateTimeFormat("vi-VN", {
    timeZone: TZ, hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric",
  }).format(t);
  // A new day or quarter: follow it without a reload.
  if (socket && state.windowKey && state.windowKey !== JSON.stringify(windows())) {
    subscribeFigures();
  }
}

setInterval(() => { tick(); renderFeed(); }, 30000);
tick();
start();
