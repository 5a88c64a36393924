// RagTune web UI logic: plain DOM + fetch; chat streams over SSE (OpenAI chunk format) and shows passages and citations.
"use strict";

const $ = (id) => document.getElementById(id);
let info = { models: [], knowledge_bases: [] };
let controller = null;
const history = [];

function apiKey() { return $("api-key").value.trim(); }
function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  if (apiKey()) h["Authorization"] = "Bearer " + apiKey();
  return h;
}
async function getJson(url) {
  const r = await fetch(url, { headers: headers(false) });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
  return body;
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function option(select, value, label) { const o = el("option", null, label ?? value); o.value = value; select.appendChild(o); }
function fileUrl(kind, name) {
  const path = "/files/" + kind + "/" + name.split("/").map(encodeURIComponent).join("/");
  return apiKey() ? path + "?key=" + encodeURIComponent(apiKey()) : path;
}

// Text with some [start, end) spans wrapped in <mark class=cls>.
function highlighted(text, spans, cls) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (s < at) continue;
    frag.appendChild(document.createTextNode(text.slice(at, s)));
    frag.appendChild(el("mark", cls, text.slice(s, e)));
    at = e;
  }
  frag.appendChild(document.createTextNode(text.slice(at)));
  return frag;
}

// ---- tabs and start-up
function showTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("active", s.id === "tab-" + name);
  if (name === "datasets") loadDatasets();
  if (name === "reports") loadReports();
  if (name === "runs") loadRuns();
}

async function loadInfo() {
  try {
    info = await getJson("/api/info");
  } catch (e) {
    addMessage("error", "Could not load the server's models: " + e.message + " (API key?)");
    return;
  }
  const models = $("model-select"), kbs = $("kb-select"), searchKb = $("search-kb");
  models.replaceChildren(); kbs.replaceChildren(); searchKb.replaceChildren();
  option(kbs, "", "(none)");
  for (const m of info.models) {
    if (m.kind === "chat" || m.kind === "router") option(models, m.id, m.kind === "router" ? m.id + " (router)" : m.id);
    if (m.kind === "rag") option(kbs, m.id.slice(4), m.id.slice(4));
  }
  for (const kb of info.knowledge_bases) option(searchKb, kb);
  updateAdapters();
  // A search-only server (knowledge bases, no chat model): say so instead of offering a chat that cannot answer.
  const canChat = info.models.some((m) => m.kind !== "embedding");
  $("send").disabled = !canChat;
  if (!canChat) addMessage("error", "No chat model is configured: this server serves knowledge-base search only (the Search tab).");
}

function updateAdapters() {
  const select = $("adapter-select"), base = $("model-select").value;
  select.replaceChildren();
  option(select, "", "(none)");
  for (const m of info.models) if (m.kind === "adapter" && m.parent === base) option(select, m.id);
}

// The model a chat request names: a knowledge base's RAG pipeline, else the adapter, else the base model.
function requestModel() {
  if ($("kb-select").value) return "rag:" + $("kb-select").value;
  return $("adapter-select").value || $("model-select").value;
}

// ---- chat
function addMessage(role, text) {
  const m = el("div", "msg " + role);
  m.appendChild(el("div", "text", text));
  $("messages").appendChild(m);
  $("messages").scrollTop = $("messages").scrollHeight;
  return m;
}

function showPassages(passages) {
  const list = $("passages");
  list.replaceChildren();
  for (const p of passages || []) {
    const li = el("li");
    li.dataset.chunk = p.chunk_id;
    li.appendChild(el("div", "meta", (p.title || p.source) + " · " + p.source + " · score " + p.score.toFixed(3)));
    li.appendChild(el("div", "passage-text", p.text));
    list.appendChild(li);
  }
}

function openSource(citation, passages) {
  const p = (passages || []).find((x) => x.chunk_id === citation.chunk_id);
  $("source-title").textContent = "[" + citation.index + "] " + (citation.title || citation.document);
  $("source-meta").textContent = citation.document + " · chunk " + citation.chunk_id;
  const text = p ? p.text : (citation.quote || "");
  const spans = citation.quote && p ? [[citation.start, citation.end]] : [];
  $("source-text").replaceChildren(highlighted(text, spans, "quote"));
  $("source-dialog").showModal();
}

function showCitations(message, citations, passages) {
  const box = el("div", "citations");
  for (const c of citations) {
    const b = el("button", "citation", "[" + c.index + "] " + (c.title || c.document));
    b.type = "button";
    b.title = c.quote || c.document;
    b.addEventListener("click", () => openSource(c, passages));
    box.appendChild(b);
  }
  message.appendChild(box);
}

async function send(event) {
  event.preventDefault();
  const question = $("chat-input").value.trim();
  if (!question || controller) return;
  $("chat-input").value = "";
  addMessage("user", question);
  history.push({ role: "user", content: question });
  const message = addMessage("assistant", "");
  const textEl = message.querySelector(".text");
  controller = new AbortController();
  $("send").disabled = true; $("stop").disabled = false;
  let answer = "", passages = null;
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(true), signal: controller.signal,
      body: JSON.stringify({
        model: requestModel(), messages: history, stream: true, stream_options: { include_usage: true },
        max_tokens: parseInt($("max-tokens").value, 10) || 128,
      }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error ? body.error.message : response.statusText);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder("utf-8");
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const data = line.slice(6);
          if (data === "[DONE]") continue;
          const chunk = JSON.parse(data);
          if (chunk.error) throw new Error(chunk.error.message);
          if (chunk.route) message.prepend(el("div", "route", "routed to " + chunk.route));
          if (chunk.passages) { passages = chunk.passages; showPassages(passages); }
          const delta = chunk.choices && chunk.choices[0] ? chunk.choices[0].delta : null;
          if (delta && delta.content) {
            answer += delta.content;
            textEl.textContent = answer;
            message.dataset.chunks = String((parseInt(message.dataset.chunks || "0", 10)) + 1);
          }
          if (chunk.citations) showCitations(message, chunk.citations, passages);
        }
      }
      $("messages").scrollTop = $("messages").scrollHeight;
    }
    history.push({ role: "assistant", content: answer });
    message.dataset.done = "true";
  } catch (e) {
    if (e.name === "AbortError") message.dataset.done = "stopped";
    else { message.classList.add("error"); textEl.textContent = answer + "\n" + e.message; message.dataset.done = "error"; }
    history.pop();
  } finally {
    controller = null;
    $("send").disabled = false; $("stop").disabled = true;
  }
}

// ---- knowledge-base search
async function search(event) {
  event.preventDefault();
  const kb = $("search-kb").value, q = $("search-q").value.trim();
  const list = $("search-results");
  list.replaceChildren();
  if (!kb || !q) return;
  try {
    const result = await getJson("/api/kb/" + encodeURIComponent(kb) + "/search?k=10&q=" + encodeURIComponent(q));
    if (result.hits.length === 0) list.appendChild(el("li", "meta", "No match."));
    for (const h of result.hits) {
      const li = el("li");
      li.appendChild(el("div", "meta", (h.passage.title || h.passage.source) + " · " + h.passage.source + " · " + h.route + " · " + h.passage.score.toFixed(3)));
      const text = el("div", "passage-text");
      text.appendChild(highlighted(h.passage.text, h.highlights, ""));
      li.appendChild(text);
      list.appendChild(li);
    }
  } catch (e) {
    list.appendChild(el("li", "msg error", e.message));
  }
}

// ---- RAFT datasets
let datasetOffset = 0;
async function loadDatasets() {
  const select = $("dataset-select");
  if (select.options.length > 0) return;
  try {
    const { files } = await getJson("/api/datasets");
    for (const f of files) option(select, f);
    if (files.length === 0) $("dataset-records").replaceChildren(el("p", "meta", "No RAFT datasets in the configured folder."));
    else showDataset(0);
  } catch (e) { $("dataset-records").replaceChildren(el("p", "msg error", e.message)); }
}

function quoteSpans(text, quotes) {
  const spans = [];
  const re = /##begin_quote##([\s\S]*?)##end_quote##/g;
  let m;
  while ((m = re.exec(text)) !== null) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

async function showDataset(offset) {
  const name = $("dataset-select").value;
  if (!name) return;
  const page = await getJson("/api/datasets/" + encodeURIComponent(name) + "?limit=5&offset=" + Math.max(0, offset));
  datasetOffset = page.offset;
  $("dataset-pos").textContent = (page.offset + 1) + "–" + (page.offset + page.records.length) + " of " + page.total;
  const box = $("dataset-records");
  box.replaceChildren();
  for (const r of page.records) {
    const card = el("article", "record");
    card.appendChild(el("h3", null, r.question));
    card.appendChild(el("div", "meta", "id " + r.id + " · line " + r.line));
    for (const d of r.documents) {
      const doc = el("div", "doc" + (d.oracle ? " oracle" : ""));
      doc.appendChild(el("span", "badge", d.oracle ? "oracle" : "distractor"));
      if (d.title) doc.appendChild(el("strong", null, d.title));
      doc.appendChild(el("div", "passage-text", d.text));
      card.appendChild(doc);
    }
    const cot = el("div", "passage-text cot");
    cot.appendChild(highlighted(r.cot_answer, quoteSpans(r.cot_answer), "quote"));
    card.appendChild(el("h4", null, "Chain-of-thought answer"));
    card.appendChild(cot);
    if (r.final_answer) card.appendChild(el("p", null, "Answer: " + r.final_answer));
    box.appendChild(card);
  }
}

// ---- reports and training runs
async function loadReports() {
  const list = $("report-list");
  const { files } = await getJson("/api/reports");
  list.replaceChildren();
  if (files.length === 0) list.appendChild(el("li", "meta", "No evaluation reports in the configured folder."));
  for (const f of files) {
    const a = el("a", null, f);
    a.addEventListener("click", () => { $("report-frame").src = fileUrl("reports", f); });
    const li = el("li"); li.appendChild(a); list.appendChild(li);
  }
}

async function loadRuns() {
  const box = $("run-list");
  const { files } = await getJson("/api/runs");
  box.replaceChildren();
  if (files.length === 0) box.appendChild(el("p", "meta", "No loss curves (*.svg) in the configured runs folder."));
  for (const f of files) {
    const fig = el("figure");
    const img = el("img"); img.src = fileUrl("runs", f); img.alt = f;
    fig.appendChild(img); fig.appendChild(el("figcaption", "meta", f));
    box.appendChild(fig);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = localStorage.getItem("ragtune.key") || "";
  $("api-key").addEventListener("change", () => { localStorage.setItem("ragtune.key", apiKey()); loadInfo(); });
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("model-select").addEventListener("change", updateAdapters);
  $("chat-form").addEventListener("submit", send);
  $("chat-input").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) send(e); });
  $("stop").addEventListener("click", () => controller && controller.abort());
  $("search-form").addEventListener("submit", search);
  $("dataset-select").addEventListener("change", () => showDataset(0));
  $("dataset-prev").addEventListener("click", () => showDataset(datasetOffset - 5));
  $("dataset-next").addEventListener("click", () => showDataset(datasetOffset + 5));
  loadInfo();
});
