// aperture serve: the page's behaviour. Plain JS, no build step.
"use strict";
const $ = id => document.getElementById(id);
const LABELS = {
  propose: "Selective-search proposals",
  predict: "Top-k classes",
  cam: "CAM heatmaps with boxes",
  gradcam: "Grad-CAM heatmaps with boxes",
  detect: "Detections with scores",
  segment: "Segmentation mask (overlay)",
};
const state = { runs: [], limits: {}, file: null, example: null, preview: null };

function mb(bytes) { return (bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 0) + " MB"; }

function showError(text) { $("error").textContent = text; $("error").hidden = !text; }

function status(text, busy) { $("status").textContent = text; $("status").classList.toggle("busy", !!busy); }

function setInput(url, caption) {
  const img = $("input-img");
  img.hidden = !url;
  if (url) img.src = url;
  $("input-caption").textContent = caption;
}

function chooseExample(name, button) {
  state.example = name; state.file = null; $("file").value = "";
  document.querySelectorAll(".example").forEach(b => b.setAttribute("aria-pressed", b === button));
  setInput("examples/" + name, name);
  showError("");
}

function chooseFile() {
  const f = $("file").files[0];
  if (!f) return;
  state.file = f; state.example = null;
  document.querySelectorAll(".example").forEach(b => b.setAttribute("aria-pressed", false));
  if (state.preview) URL.revokeObjectURL(state.preview);
  state.preview = URL.createObjectURL(f);
  setInput(state.preview, `${f.name} (${mb(f.size)})`);
  showError(f.size > state.limits.max_upload_bytes ? `${f.name}: ${mb(f.size)} is more than the limit of ${mb(state.limits.max_upload_bytes)}` : "");
}

function currentRun() { return state.runs.find(r => r.id === $("run").value) || null; }

function fillAnalyses() {
  const run = currentRun();
  const names = (run ? run.analyses : []).concat(["propose"]);
  const keep = $("analysis").value;
  $("analysis").replaceChildren(...names.map(n => new Option(LABELS[n] || n, n)));
  if (names.includes(keep)) $("analysis").value = keep;
  $("run-info").textContent = run ? `${run.family} · ${run.method} · ${run.classes.length} classes` : "Selective search needs no trained model.";
  fillOptions();
}

function fillOptions() {
  const a = $("analysis").value;
  const run = currentRun();
  const counts = { propose: ["Boxes drawn", 50], predict: ["Top k", 3], cam: ["Top k", 3], gradcam: ["Top k", 3] };
  $("count-label").hidden = !counts[a];
  if (counts[a]) { $("count-label").firstChild.textContent = counts[a][0] + " "; $("count").value = counts[a][1]; }
  $("mode-label").hidden = !(a === "propose" || (a === "detect" && run && run.method !== "sliding"));
}

async function load() {
  const response = await fetch("api/runs");
  const data = await response.json();
  state.runs = data.runs; state.limits = data.limits;
  $("limits").textContent = `PNG or JPEG, up to ${mb(data.limits.max_upload_bytes)} and ${(data.limits.max_pixels / 1e6).toFixed(0)} megapixels.`;
  $("run").replaceChildren(new Option("— none (selective search only)", ""), ...data.runs.map(r => new Option(`${r.id} (${r.method})`, r.id)));
  if (data.runs.length) $("run").value = data.runs[0].id;
  $("examples").replaceChildren(...data.examples.map(name => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "example"; b.dataset.name = name; b.title = name; b.setAttribute("aria-pressed", false);
    const img = document.createElement("img"); img.src = "examples/" + name; img.alt = name;
    b.append(img);
    b.addEventListener("click", () => chooseExample(name, b));
    return b;
  }));
  fillAnalyses();
  status(data.runs.length ? `${data.runs.length} trained runs found` : "No trained runs found under the runs folder: selective search only");
}

function clearResult() {
  $("result-img").hidden = true;
  $("result-caption").textContent = "The result appears here";
  $("summary").textContent = "";
  $("items").hidden = true;
  $("downloads").hidden = true;
}

function showResult(r) {
  setInput(r.image, r.name);
  const img = $("result-img");
  img.hidden = false;
  img.src = r.picture || r.image;
  $("result-caption").textContent = `${LABELS[r.analysis]}${r.run ? " · " + r.run : ""}`;
  $("summary").textContent = `${r.summary} — ${(r.ms / 1000).toFixed(1)} s`;
  const rows = r.items.map((it, i) => {
    const tr = document.createElement("tr");
    const score = document.createElement("td");
    if (it.score != null) {
      const bar = document.createElement("span");
      bar.className = "bar"; bar.style.width = Math.max(1, Math.round(60 * Math.min(1, Math.max(0, it.score)))) + "px";
      score.append(bar, it.score.toFixed(3));
    }
    const box = it.box ? it.box.map(v => v.toFixed(0)).join(", ") : "";
    tr.append(...[String(i + 1), it.label].map(t => { const td = document.createElement("td"); td.textContent = t; return td; }), score,
      Object.assign(document.createElement("td"), { textContent: box }));
    return tr;
  });
  $("items").tBodies[0].replaceChildren(...rows);
  $("items").hidden = rows.length === 0;
  $("download-image").href = r.image;
  $("download-picture").hidden = !r.picture;
  if (r.picture) $("download-picture").href = r.picture;
  $("download-json").href = r.json;
  $("downloads").hidden = false;
}

function run() {
  if (!state.file && !state.example) { showError("Choose an image first: upload one or pick an example."); return; }
  if (state.file && state.file.size > state.limits.max_upload_bytes) { chooseFile(); return; }
  showError("");
  const analysis = $("analysis").value;
  const params = new URLSearchParams({ analysis, run: $("run").value, count: $("count").value, mode: $("mode").value });
  if (state.file) params.set("name", state.file.name); else params.set("example", state.example);
  const started = performance.now();
  let phase = state.file ? "uploading" : "working";
  const tick = () => status(`${phase}: ${LABELS[analysis]} … ${((performance.now() - started) / 1000).toFixed(1)} s`, true);
  const timer = setInterval(tick, 100);
  tick();
  $("go").disabled = true;
  const xhr = new XMLHttpRequest();
  const finish = () => { clearInterval(timer); $("go").disabled = false; };
  xhr.open("POST", "api/analyze?" + params);
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  xhr.upload.onprogress = e => { if (e.lengthComputable) phase = `uploading ${Math.round(100 * e.loaded / e.total)}%`; };
  xhr.upload.onload = () => { phase = "working"; };
  xhr.onload = () => {
    finish();
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON: reported below */ }
    if (xhr.status === 200 && body) { showResult(body); status(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`); }
    else { clearResult(); showError(body && body.error ? body.error : `the server answered ${xhr.status} ${xhr.statusText}`); status("failed"); }
  };
  xhr.onerror = () => { finish(); clearResult(); showError("the upload did not reach the server (too large, or the server stopped)"); status("failed"); };
  xhr.send(state.file || null);
}

$("file").addEventListener("change", chooseFile);
$("run").addEventListener("change", fillAnalyses);
$("analysis").addEventListener("change", fillOptions);
$("go").addEventListener("click", run);
$("input-img").addEventListener("error", () => { $("input-img").hidden = true; });
load().catch(e => showError("could not list the runs: " + e));
