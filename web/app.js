// The page: picks files (input, drag and drop of files and folders, the example), hands them
// to the worker and draws what it answers. Everything from a file (names, messages) goes into
// the page as text, never as HTML.

const $ = (id) => document.getElementById(id);
const statusLine = $("status");
const results = $("results");
const overview = $("overview");

// Files a folder holds that are worth a look (a named file is always analysed).
const KERAS_NAME = /\.(h5|hdf5|keras)$|\.weights\.json$/i;

let worker = null;
let ready = false;
let run = 0;
let pending = null;
let current = null;
let report = null;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(text, error = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", error);
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const thousands = (n) => (n === null || n === undefined ? "?" : n.toLocaleString("en-US"));
const plural = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;

// ---- the worker --------------------------------------------------------------------------

function startWorker() {
  ready = false;
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => receive(data);
  // Fires for a worker that cannot even load; errors inside it arrive as messages.
  worker.onerror = (event) => {
    event.preventDefault();
    failed(`The analyser failed to start: ${event.message || "the worker script did not load"}`);
  };
}

function failed(message) {
  say(message, true);
  document.body.dataset.state = "error";
  pending = null;
}

function receive(data) {
  switch (data.type) {
    case "ready":
      ready = true;
      document.body.dataset.ready = "true";
      if (pending) send(pending);
      else say("Ready. Pick or drop model files; they stay on this computer.");
      break;
    case "file":
      if (data.id === run) showFile(data.view);
      break;
    case "done":
      if (data.id === run) finish(data);
      break;
    case "crash":
      // The module trapped: its state is gone, so a new worker takes over.
      if (data.id === run) {
        showFile({ file: data.name, status: "unreadable", verdict: `Unreadable: ${data.message}`, error: data.message });
        finish({ totals: null, report: null });
      }
      worker.terminate();
      startWorker();
      break;
    case "error":
      failed(`The analyser reported an error: ${data.message}`);
      break;
  }
}

function send(job) {
  pending = null;
  worker.postMessage({ type: "analyze", id: job.id, files: job.files });
}

// ---- picking files -----------------------------------------------------------------------

function analyze(files) {
  if (files.length === 0) {
    say("No Keras file there (.h5, .hdf5, .keras, .weights.json).", true);
    return;
  }
  run += 1;
  report = null;
  results.replaceChildren();
  overview.hidden = true;
  document.body.dataset.state = "busy";
  delete document.body.dataset.firstTableMs;
  const job = { id: run, files, started: performance.now(), views: [] };
  pending = job;
  current = job;
  say(`Reading ${plural(files.length, "file")}…`);
  if (ready) send(job);
}

function showFile(view) {
  current.views.push(view);
  if (current.views.length === 1) {
    // The time a person waits for the first table: from the pick to the table drawn.
    requestAnimationFrame(() => {
      document.body.dataset.firstTableMs = (performance.now() - current.started).toFixed(1);
    });
  }
  results.append(fileCard(view, current.views.length - 1));
}

function finish({ totals, report: document_ }) {
  report = document_;
  const views = current.views;
  if (views.length > 1) {
    $("check-table").replaceChildren(...checkTable(views, totals));
  } else {
    $("check-table").replaceChildren();
  }
  $("overview-title").textContent = views.length > 1 ? "Files" : "Report";
  overview.hidden = !report;
  const ms = performance.now() - current.started;
  const read = views.reduce((sum, v) => sum + (v.bytes_read || 0), 0);
  const size = views.reduce((sum, v) => sum + (v.size || 0), 0);
  say(`${plural(views.length, "file")} analysed in ${ms.toFixed(0)} ms; ${bytes(read)} read of ${bytes(size)}, nothing sent anywhere.`);
  document.body.dataset.lastRunMs = ms.toFixed(1);
  // After the first table's frame (showFile's callback runs first), so that a reader of
  // data-state sees this run's data-first-table-ms.
  requestAnimationFrame(() => {
    document.body.dataset.state = "done";
  });
}

const input = $("files");
input.addEventListener("change", () => {
  const files = [...input.files].map((file) => ({ file, name: file.name }));
  analyze(files);
  input.value = "";
});

$("example").addEventListener("click", async () => {
  document.body.dataset.state = "busy";
  say("Fetching the example from this site…");
  try {
    const response = await fetch("examples/seed_lstm_4096.h5");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    // Through an ArrayBuffer: response.blob() may be refused when the blob store would
    // have to spill to a nearly full disk.
    const blob = new Blob([await response.arrayBuffer()]);
    analyze([{ file: blob, name: "seed_lstm_4096.h5" }]);
  } catch (error) {
    say(`The example could not be fetched: ${error.message}`, true);
  }
});

// Folders arrive as entries: walked here, keeping the files that look like Keras files.
async function entryFiles(entry, named) {
  if (entry.isFile) {
    if (!named && !KERAS_NAME.test(entry.name)) return [];
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, name: entry.fullPath.replace(/^\//, "") }];
  }
  const reader = entry.createReader();
  const children = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  children.sort((a, b) => a.name.localeCompare(b.name));
  const files = [];
  for (const child of children) files.push(...(await entryFiles(child, false)));
  return files;
}

const dropzone = $("dropzone");
for (const type of ["dragenter", "dragover"]) {
  document.addEventListener(type, (event) => {
    event.preventDefault();
    dropzone.classList.add("dragging");
  });
}
document.addEventListener("dragleave", (event) => {
  if (!event.relatedTarget) dropzone.classList.remove("dragging");
});
document.addEventListener("drop", async (event) => {
  event.preventDefault();
  dropzone.classList.remove("dragging");
  const items = [...(event.dataTransfer.items || [])].filter((item) => item.kind === "file");
  const entries = items.map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry());
  let files;
  if (entries.length > 0 && entries.every(Boolean)) {
    files = [];
    for (const entry of entries) files.push(...(await entryFiles(entry, true)));
  } else {
    files = [...event.dataTransfer.files].map((file) => ({ file, name: file.name }));
  }
  analyze(files);
});

$("download").addEventListener("click", () => {
  if (!report) return;
  const url = URL.createObjectURL(new Blob([report + "\n"], { type: "application/json" }));
  const link = el("a", { href: url, download: "kerascope-report.json" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- drawing -----------------------------------------------------------------------------

const STATUS_WORD = { clean: "clean", findings: "findings", dangerous: "dangerous", unreadable: "unreadable" };

function badge(status) {
  return el("span", { class: `badge ${status}` }, STATUS_WORD[status] || status);
}

function checkTable(views, totals) {
  const rows = views.map((view, index) => {
    const counts = { error: 0, warning: 0, info: 0 };
    for (const f of view.findings || []) counts[f.severity] += 1;
    const findings = view.status === "unreadable"
      ? "—"
      : [counts.error && `${counts.error} error`, counts.warning && `${counts.warning} warning`, counts.info && `${counts.info} info`]
          .filter(Boolean).join(", ") || "none";
    const params = view.document ? view.document.total_params : null;
    return el("tr", {},
      el("td", {}, el("a", { href: `#file-${index}` }, view.file)),
      el("td", {}, view.format || "—"),
      el("td", {}, view.keras_version || "—"),
      el("td", { class: "num" }, view.document ? thousands(params) : "—"),
      el("td", {}, findings),
      el("td", {}, badge(view.status)));
  });
  const table = el("table", { class: "checks" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "File"), el("th", { scope: "col" }, "Format"), el("th", { scope: "col" }, "Keras"),
      el("th", { scope: "col", class: "num" }, "Parameters"), el("th", { scope: "col" }, "Findings"),
      el("th", { scope: "col" }, "Verdict"))),
    el("tbody", {}, rows));
  const parts = [el("div", { class: "table-wrap" }, table)];
  if (totals) {
    table.append(el("tfoot", {}, el("tr", {},
      el("td", { colspan: 3 }, `${plural(totals.files, "file")}: ${totals.clean} clean, ${totals.findings} with findings, ${totals.errors} unreadable`),
      el("td", { class: "num" }, thousands(totals.total_params)),
      el("td", { colspan: 2 }, `${totals.findings_by_severity.error} error, ${totals.findings_by_severity.warning} warning, ${totals.findings_by_severity.info} info`))));
    parts.push(el("p", { class: "exit" }, `kerascope check would exit ${totals.exit}: ${totals.verdict}`));
  }
  return parts;
}

function fileCard(view, index) {
  const card = el("article", { class: "file", id: `file-${index}`, "data-status": view.status, "aria-labelledby": `file-${index}-title` },
    el("div", { class: "overview-head" },
      el("h2", { id: `file-${index}-title` }, view.file),
      badge(view.status)),
    el("p", { class: `verdict ${view.status}`, role: view.status === "dangerous" ? "alert" : null }, view.verdict));
  const meta = [];
  const item = (label, value) => value !== null && value !== undefined && meta.push(el("div", {}, el("dt", {}, label), el("dd", {}, value)));
  item("Format", view.format);
  item("Keras", view.keras_version || (view.format ? "not recorded" : null));
  item("Backend", view.backend);
  if (view.size !== undefined) item("Size", bytes(view.size));
  if (view.bytes_read !== undefined) item("Read", `${bytes(view.bytes_read)} (${view.size ? ((100 * view.bytes_read) / view.size).toFixed(view.bytes_read * 1000 < view.size ? 3 : 1) : 0} %)`);
  if (view.ms !== undefined) item("Time", `${view.ms.toFixed(1)} ms`);
  card.append(el("dl", { class: "meta" }, meta));
  if (view.error) {
    card.append(el("p", { class: "error-text" }, view.error));
    return card;
  }
  card.append(summaryTable(view, index), findingList(view));
  card.append(el("div", { class: "tools" },
    el("button", { type: "button", class: "button small", onclick: () => download(`${baseName(view.file)}.summary.json`, JSON.stringify(view.document, null, 2) + "\n") },
      "Download this summary (JSON)")));
  return card;
}

const baseName = (path) => path.split("/").pop();

function summaryTable(view, index) {
  const s = view.summary;
  const section = el("section", { "aria-label": "Summary" }, el("h3", {}, "Summary"));
  const head = el("tr", {}, s.columns.map((c, i) => el("th", { scope: "col", class: i === 2 ? "num" : null }, c)), el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Arithmetic")));
  const body = el("tbody");
  const toggles = [];
  s.rows.forEach((row, r) => {
    const cells = [el("td", {}, row.layer), el("td", {}, row.shape), el("td", { class: "num" }, row.params)];
    if (s.columns.length > 3) cells.push(el("td", {}, row.connected_to));
    const tr = el("tr", { class: row.mismatch ? "mismatch" : null }, cells);
    body.append(tr);
    if (!row.arithmetic) {
      tr.append(el("td"));
      return;
    }
    const id = `arith-${index}-${r}`;
    const note = el("tr", { class: "arithmetic", id, hidden: true }, el("td", { colspan: s.columns.length + 1 }, row.arithmetic));
    const button = el("button", { type: "button", class: "button small", "aria-expanded": "false", "aria-controls": id }, "Show arithmetic");
    const set = (open) => {
      note.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "Hide arithmetic" : "Show arithmetic";
    };
    button.addEventListener("click", () => set(note.hidden));
    toggles.push(set);
    tr.append(el("td", { class: "num" }, button));
    body.append(note);
  });
  const table = el("table", { class: "summary" },
    el("caption", {}, `Model: "${s.model || "?"}"${s.class ? ` (${s.class})` : ""}`),
    el("thead", {}, head), body);
  section.append(el("div", { class: "table-wrap" }, table));
  section.append(el("ul", { class: "totals" }, s.footer.map((line) => el("li", {}, line))));
  if (!s.shapes_known) {
    section.append(el("p", { class: "none" }, "No model config in this file: the rows are the stored tensors; output shapes are unknown."));
  }
  const tools = el("div", { class: "tools" });
  if (toggles.length > 1) {
    let all = false;
    tools.append(el("button", { type: "button", class: "button small", onclick: (event) => {
      all = !all;
      toggles.forEach((set) => set(all));
      event.target.textContent = all ? "Hide all arithmetic" : "Show all arithmetic";
    } }, "Show all arithmetic"));
  }
  section.append(tools, el("details", { class: "keras-text" }, el("summary", {}, "As text, with the arithmetic (kerascope summary --explain)"), el("pre", {}, s.text)));
  return section;
}

function findingList(view) {
  const section = el("section", { "aria-label": "Findings" }, el("h3", {}, `Findings (${view.findings.length})`));
  if (view.findings.length === 0) {
    section.append(el("p", { class: "none" }, "No finding: every stored tensor fits the config, nothing hazardous in the config or the container."));
    return section;
  }
  const order = { error: 0, warning: 1, info: 2 };
  const findings = [...view.findings].sort((a, b) => order[a.severity] - order[b.severity]);
  section.append(el("ul", { class: "finding-list" }, findings.map((f) => el("li", { class: "finding", "data-code": f.code },
    el("div", { class: "finding-head" },
      el("span", { class: "finding-code" }, f.code),
      el("span", { class: `badge sev-${f.severity}` }, f.severity),
      f.layer ? el("span", { class: "mono" }, f.layer) : null,
      f.cve && f.cve.length ? el("span", { class: "cve" }, f.cve.join(", ")) : null),
    el("p", { class: "finding-message" }, f.message),
    f.rule ? el("details", { class: "rule" },
      el("summary", {}, `About ${f.code} (${f.rule.name})`),
      el("p", {}, f.rule.summary),
      el("p", {}, el("strong", {}, "Why it matters: "), f.rule.why)) : null))));
  return section;
}

startWorker();
