// The storyboard editor page: plain JavaScript, no build step.
//
// The page keeps two copies of the storyboard: `saved` (the current version on disk) and `draft`
// (what the person is editing). Every edit changes the draft and asks the server for a preview
// frame and a validation; Save sends the draft with the version it started from, and the server
// refuses it (409) if another tab saved in between. Undo/redo move through saved versions; with
// unsaved edits, Undo drops them first (and Redo brings them back).

const NS = "http://www.w3.org/2000/svg";
const W = 1000; // the canvas is W wide in SVG units; its height follows the film's aspect
const MIN_SIZE = 0.02; // smallest box side while resizing, as a fraction of the frame
const PREVIEW_WIDTH = 640;
const THUMB_WIDTH = 192;

const S = {
  project: null, // the last /api/project answer
  saved: null, // the current saved storyboard
  savedJSON: "",
  draft: null, // the storyboard being edited
  version: 0,
  scene: 0, // index of the selected scene
  key: 0, // index of the selected keyframe (layout frame), -1 between keyframes
  t: 0, // playhead, seconds into the scene
  box: null, // entity id of the selected box
  errors: [], // [{path, message}] for the draft
  discarded: null, // unsaved edits dropped by Undo, for Redo
  colors: {},
  drag: null,
  playing: false,
  thumbs: new Map(), // scene id -> {key, url}
  backdrop: { key: "", url: "" },
  tab: "scene",
  view: null, // {shot, cx, cy, size}: where the camera of the shot at the playhead looks (from the preview)
  cameraView: false, // the canvas shows what the camera sees (true) or the whole scene's layout (false)
  retime: null, // {scene, shots, duration}: the shots as they were when a duration edit began
};

// -- small helpers ---------------------------------------------------------------------------------

const $ = (selector, root = document) => root.querySelector(selector);
const clone = (value) => JSON.parse(JSON.stringify(value));
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const round4 = (v) => Math.round(v * 10000) / 10000;
const fmt = (t) => `${Number(t).toFixed(2)} s`;
const scene = () => S.draft.scenes[S.scene];
const dirty = () => JSON.stringify(S.draft) !== S.savedJSON;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) if (child != null && child !== false) node.append(child);
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) if (child != null) node.append(child);
  return node;
}

function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function setPath(obj, path, value) {
  const keys = path.split(".");
  const last = keys.pop();
  const parent = keys.reduce((o, k) => o[k], obj);
  parent[last] = value;
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const type = response.headers.get("content-type") || "";
  const data = type.includes("application/json") ? await response.json() : await response.blob();
  if (data instanceof Blob) data.headers = response.headers; // the preview says which shot it shows
  if (!response.ok) {
    const error = new Error((data && data.detail) || `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

function toast(message, kind = "") {
  const node = el("div", { class: `toast ${kind}` }, message);
  $("#toasts").append(node);
  setTimeout(() => node.remove(), kind === "error" ? 8000 : 4500);
}

function colorOf(id) {
  if (S.colors[id]) return S.colors[id];
  let hash = 0; // an entity the server has not coloured yet (added in this draft)
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 65% 55%)`;
}

function nameOf(id) {
  const entity = S.draft.entities.find((e) => e.id === id);
  return entity ? entity.name : id;
}

// -- the layout track, as the renderer reads it (director.storyboard.Scene.layout_at) ----------------

function layoutAt(sc, t) {
  const frames = sc.layouts;
  if (!frames.length) return {};
  if (t <= frames[0].t) return { ...frames[0].boxes };
  const last = frames[frames.length - 1];
  if (t >= last.t) return { ...last.boxes };
  let i = 0;
  while (i + 1 < frames.length && frames[i + 1].t <= t) i++;
  const a = frames[i];
  const b = frames[i + 1];
  if (t === a.t) return { ...a.boxes };
  const w = (t - a.t) / (b.t - a.t);
  const out = {};
  for (const [id, box] of Object.entries(a.boxes)) {
    const other = b.boxes[id];
    if (!other) continue;
    out[id] = {
      x0: box.x0 + (other.x0 - box.x0) * w, y0: box.y0 + (other.y0 - box.y0) * w,
      x1: box.x1 + (other.x1 - box.x1) * w, y1: box.y1 + (other.y1 - box.y1) * w,
    };
  }
  return out;
}

function keyIndexAt(sc, t) {
  return sc.layouts.findIndex((f) => Math.abs(f.t - t) < 1e-6);
}

// -- loading and adopting the server's state ----------------------------------------------------------

function adopt(project, { keepSelection = true } = {}) {
  const sceneId = keepSelection && S.draft ? scene()?.id : null;
  S.project = project;
  S.version = project.version;
  S.saved = project.storyboard;
  S.savedJSON = JSON.stringify(project.storyboard);
  S.draft = clone(project.storyboard);
  S.colors = { ...project.colors };
  S.errors = [];
  const index = sceneId ? S.draft.scenes.findIndex((s) => s.id === sceneId) : -1;
  selectScene(index >= 0 ? index : Math.min(S.scene, S.draft.scenes.length - 1), { keepTime: true });
}

function refreshMeta(project) {
  if (project.version !== S.version) {
    if (!dirty()) {
      adopt(project);
      toast(`Loaded version ${project.version}, saved from another tab.`);
      return;
    }
    showConflict(project.version);
  }
  S.project = { ...project, storyboard: S.saved };
  renderHeader();
  renderStrip();
  renderHistory();
  renderMovie();
}

async function reload() {
  adopt(await api("GET", "/api/project"));
}

// -- selection -----------------------------------------------------------------------------------

function selectScene(index, { keepTime = false } = {}) {
  S.scene = clamp(index, 0, S.draft.scenes.length - 1);
  const sc = scene();
  S.t = keepTime ? clamp(S.t, 0, sc.duration) : 0;
  const k = keyIndexAt(sc, S.t);
  S.key = k >= 0 ? k : keepTime ? -1 : sc.layouts.length ? 0 : -1;
  if (S.key >= 0 && !keepTime) S.t = sc.layouts[S.key].t;
  if (S.box && !sc.entities.includes(S.box)) S.box = null;
  renderAll();
}

function selectKey(index) {
  const sc = scene();
  S.key = index;
  if (index >= 0) S.t = sc.layouts[index].t;
  renderStage();
  renderSceneTab();
  placeErrors();
  requestPreview();
}

function setTime(t, { snap = 0 } = {}) {
  const sc = scene();
  S.t = clamp(t, 0, sc.duration);
  let k = keyIndexAt(sc, S.t);
  if (k < 0 && snap > 0) {
    k = sc.layouts.findIndex((f) => Math.abs(f.t - S.t) <= snap);
    if (k >= 0) S.t = sc.layouts[k].t;
  }
  const changedKey = k !== S.key;
  S.key = k;
  renderCanvas();
  renderTimeline();
  if (changedKey) {
    renderKeyChips();
    renderSceneTab();
    placeErrors();
  }
  requestPreview();
}

// -- edits -----------------------------------------------------------------------------------------

// Call after any change to the draft. `structure`: re-render the panels (rows added or removed).
function edited({ structure = false } = {}) {
  S.discarded = null;
  if (structure) renderAll();
  else {
    renderHeader();
    renderStrip();
    renderCanvas();
    renderTimeline();
  }
  requestPreview();
  validateSoon();
  refreshThumbSoon();
}

const validateSoon = debounce(async () => {
  if (!dirty()) {
    S.errors = [];
    placeErrors();
    renderHeader();
    return;
  }
  const draftJSON = JSON.stringify(S.draft);
  try {
    const answer = await api("POST", "/api/validate", { storyboard: S.draft });
    if (JSON.stringify(S.draft) !== draftJSON) return; // edited again meanwhile: a newer check follows
    S.errors = answer.errors;
  } catch (error) {
    S.errors = [{ path: "", message: error.message }];
  }
  placeErrors();
  renderHeader();
  renderStrip();
}, 250);

function bindInput(input, path, { kind = "text", nullable = false, onchange = null } = {}) {
  input.dataset.path = path;
  const value = getPath(S.draft, path);
  if (input.type === "checkbox") input.checked = !!value;
  else input.value = value == null ? "" : value;
  input.addEventListener(input.tagName === "SELECT" ? "change" : "input", () => {
    let v = input.value;
    if (kind === "number") {
      const text = v.trim();
      v = text === "" ? (nullable ? null : "") : Number.isFinite(Number(text)) ? Number(text) : text;
    } else if (nullable && v === "") v = null;
    setPath(S.draft, path, v);
    if (onchange) onchange(v);
    edited();
  });
  return input;
}

function field(label, path, options = {}) {
  const { kind = "text", rows = 0, step = "any", nullable = false, placeholder = "", onchange = null } = options;
  let input;
  if (rows) input = el("textarea", { rows, placeholder, spellcheck: "true" });
  else input = el("input", { type: kind === "number" ? "number" : "text", step: kind === "number" ? step : null, placeholder });
  bindInput(input, path, { kind, nullable, onchange });
  return el("label", { class: "field" }, el("span", {}, label), input);
}

function entitySelect(path, ids, { nullable = false, noneLabel = "—" } = {}) {
  const select = el("select", {});
  if (nullable) select.append(el("option", { value: "" }, noneLabel));
  for (const id of ids) select.append(el("option", { value: id }, nameOf(id)));
  return bindInput(select, path, { nullable });
}

// -- the header, strip and status -----------------------------------------------------------------------

function renderHeader() {
  const title = $("#title");
  if (document.activeElement !== title) title.value = S.draft.title;
  const isDirty = dirty();
  const status = $("#status");
  const problems = S.errors.length;
  status.textContent = `v${S.version}` + (isDirty ? " · unsaved changes" : " · saved") + (problems ? ` · ${problems} problem${problems > 1 ? "s" : ""}` : "");
  status.className = `status${problems ? " bad" : isDirty ? " dirty" : ""}`;
  $("#save").disabled = !isDirty;
  $("#undo").disabled = !isDirty && !S.project.can_undo;
  $("#undo").title = isDirty ? "Drop the unsaved edits (Ctrl+Z)" : "Back to the previous saved version (Ctrl+Z)";
  $("#redo").disabled = !(S.discarded && !isDirty) && !S.project.can_redo;
  const stale = S.project.stale_scenes.length;
  $("#render").textContent = stale ? `Render (${stale} changed)` : "Render";
  const select = $("#renderer");
  if (select.options.length !== S.project.renderers.length) {
    select.replaceChildren(...S.project.renderers.map((name) => el("option", { value: name }, name)));
    select.value = S.project.renderer;
  }
  document.title = `${isDirty ? "● " : ""}${S.draft.title} · director`;
}

function renderStrip() {
  const strip = $("#strip");
  const savedScenes = new Map(S.saved.scenes.map((s) => [s.id, JSON.stringify(s)]));
  const errorsByScene = new Map();
  for (const e of S.errors) {
    const m = /^scenes\.(\d+)/.exec(e.path);
    if (m) errorsByScene.set(Number(m[1]), (errorsByScene.get(Number(m[1])) || 0) + 1);
  }
  const cards = S.draft.scenes.map((sc, i) => {
    const thumb = S.thumbs.get(sc.id);
    const unsaved = savedScenes.get(sc.id) !== JSON.stringify(sc);
    const stale = S.project.stale_scenes.includes(sc.id);
    const errors = errorsByScene.get(i) || 0;
    return el(
      "button",
      { class: `card${i === S.scene ? " selected" : ""}`, dataset: { scene: sc.id }, onclick: () => selectScene(i), title: sc.description },
      el("img", { class: "thumb", alt: "", src: thumb ? thumb.url : null }),
      el("div", { class: "name" }, `${i + 1} · ${sc.heading || sc.id}`),
      el(
        "div",
        { class: "meta" },
        `${Number(sc.duration) || 0} s`,
        ...sc.entities.slice(0, 8).map((id) => el("span", { class: "dot", style: `background:${colorOf(id)}`, title: nameOf(id) })),
        unsaved ? el("span", { class: "badge unsaved" }, "unsaved") : null,
        stale && !unsaved ? el("span", { class: "badge stale", title: "changed since the last render" }, "to render") : null,
        errors ? el("span", { class: "badge errors" }, `${errors} error${errors > 1 ? "s" : ""}`) : null,
      ),
    );
  });
  cards.push(el("button", { class: "card add", title: "Add a scene after the selected one", onclick: addScene }, "+"));
  strip.replaceChildren(...cards);
}

// -- the stage: keyframe chips, canvas, timeline ------------------------------------------------------------

function renderStage() {
  const sc = scene();
  $("#scene-title").textContent = `${S.scene + 1}. ${sc.heading || sc.id}`;
  renderKeyChips();
  renderCanvas();
  renderTimeline();
}

function renderKeyChips() {
  const sc = scene();
  $("#keyframes").replaceChildren(
    ...sc.layouts.map((f, i) =>
      el("button", {
        class: `chip${i === S.key ? " selected" : ""}${hasErrorUnder(`scenes.${S.scene}.layouts.${i}`) ? " invalid" : ""}`,
        dataset: { path: `scenes.${S.scene}.layouts.${i}`, markOnly: "1" },
        onclick: () => selectKey(i),
        title: `${Object.keys(f.boxes).length} boxes`,
      }, fmt(f.t)),
    ),
  );
  const onKey = S.key >= 0;
  const missing = onKey ? sc.entities.filter((id) => !(id in sc.layouts[S.key].boxes)) : [];
  const add = $("#add-box");
  add.replaceChildren(
    el("option", { value: "" }, missing.length ? "+ Add a box for…" : "+ Add a box"),
    ...missing.map((id) => el("option", { value: id }, nameOf(id))),
  );
  add.disabled = !onKey || !missing.length;
  $("#delete-box").disabled = !onKey || !S.box || !(S.box in sc.layouts[S.key].boxes);
  $("#delete-key").disabled = !onKey;
  const slot = $("#key-t-slot");
  slot.replaceChildren();
  if (onKey) slot.append(bindInput(el("input", { type: "number", step: "0.1", id: "key-t" }), `scenes.${S.scene}.layouts.${S.key}.t`, { kind: "number" }));
  $("#key-t-label").hidden = !onKey;
}

function canvasHeight() {
  return Math.round((W * S.draft.height) / S.draft.width) || Math.round(W * 9 / 16);
}

function renderCanvas() {
  const canvas = $("#canvas");
  const H = canvasHeight();
  const sc = scene();
  canvas.setAttribute("viewBox", `0 0 ${W} ${H}`);
  if (S.cameraView && !S.drag) return renderCameraCanvas(canvas, sc, H);
  const layers = [];
  if (S.backdrop.url) layers.push(svg("image", { href: S.backdrop.url, x: 0, y: 0, width: W, height: H, preserveAspectRatio: "none", opacity: 0.9 }));
  for (const f of [1 / 3, 2 / 3]) {
    layers.push(svg("line", { class: "grid", x1: W * f, x2: W * f, y1: 0, y2: H }));
    layers.push(svg("line", { class: "grid", x1: 0, x2: W, y1: H * f, y2: H * f }));
  }
  // Motion paths: each entity's box centre through the keyframes.
  for (const id of sc.entities) {
    const points = sc.layouts.filter((f) => f.boxes[id]).map((f) => {
      const b = f.boxes[id];
      return [((b.x0 + b.x1) / 2) * W, ((b.y0 + b.y1) / 2) * H];
    });
    if (points.length > 1) {
      layers.push(svg("polyline", { class: "path", stroke: colorOf(id), points: points.map((p) => p.join(",")).join(" ") }));
      for (const [x, y] of points) layers.push(svg("circle", { class: "path-dot", cx: x, cy: y, r: 4, fill: colorOf(id) }));
    }
  }
  const onKey = S.key >= 0;
  const boxes = onKey ? sc.layouts[S.key].boxes : layoutAt(sc, S.t);
  const order = Object.entries(boxes).sort(([, a], [, b]) => (b.x1 - b.x0) * (b.y1 - b.y0) - (a.x1 - a.x0) * (a.y1 - a.y0));
  for (const [id, box] of order) layers.push(boxGroup(id, box, onKey, H));
  layers.push(...cameraFrame(H));
  canvas.replaceChildren(...layers);
  const note = $("#canvas-note");
  note.hidden = onKey;
  note.textContent = sc.layouts.length
    ? `${fmt(S.t)} is between keyframes: add a keyframe here to edit the boxes`
    : "This scene has no keyframes yet: add one to place its cast";
}

function boxGroup(id, box, editable, H) {
  const valid = [box.x0, box.y0, box.x1, box.y1].every((v) => typeof v === "number" && Number.isFinite(v));
  if (!valid) return null;
  const x = box.x0 * W, y = box.y0 * H, w = (box.x1 - box.x0) * W, h = (box.y1 - box.y0) * H;
  const color = colorOf(id);
  const selected = editable && S.box === id;
  const path = `scenes.${S.scene}.layouts.${S.key}.boxes.${id}`;
  const group = svg("g", {
    class: `box${editable ? "" : " ghost"}${selected ? " selected" : ""}${editable && hasErrorUnder(path) ? " invalid" : ""}`,
    dataset: editable ? { entity: id, path, markOnly: "1" } : { entity: id },
  });
  group.append(svg("rect", { class: "body", x, y, width: Math.max(w, 1), height: Math.max(h, 1), fill: color, "fill-opacity": 0.28, stroke: color, rx: 3, dataset: { handle: "move" } }));
  const label = nameOf(id);
  const tabW = 14 + label.length * 12;
  const tabY = y >= 30 ? y - 30 : y;
  group.append(svg("rect", { x, y: tabY, width: tabW, height: 30, fill: color, rx: 3, "pointer-events": "none" }));
  group.append(svg("text", { class: "tab-label", x: x + 7, y: tabY + 22, fill: "#fff" }, label));
  if (selected) {
    const hx = { w: x, e: x + w, c: x + w / 2 };
    const hy = { n: y, s: y + h, c: y + h / 2 };
    for (const name of ["nw", "n", "ne", "e", "se", "s", "sw", "w"]) {
      const cx = name.includes("w") ? hx.w : name.includes("e") ? hx.e : hx.c;
      const cy = name.includes("n") ? hy.n : name.includes("s") ? hy.s : hy.c;
      group.append(svg("rect", { class: "handle", x: cx - 8, y: cy - 8, width: 16, height: 16, rx: 3, dataset: { handle: name } }));
    }
  }
  return group;
}

function canvasPoint(event) {
  const canvas = $("#canvas");
  const point = canvas.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  const p = point.matrixTransform(canvas.getScreenCTM().inverse());
  return { x: p.x / W, y: p.y / canvasHeight() };
}

function onCanvasDown(event) {
  const target = event.target;
  const group = target.closest("g.box");
  const fromCamera = !!group && group.classList.contains("camera") && S.key >= 0 && !!scene().layouts[S.key].boxes[group.dataset.entity];
  if (!group || (group.classList.contains("ghost") && !fromCamera) || S.key < 0) {
    if (S.box) {
      S.box = null;
      renderCanvas();
      renderKeyChips();
      renderSceneTab();
    }
    return;
  }
  const id = group.dataset.entity;
  const box = scene().layouts[S.key].boxes[id];
  S.box = id;
  // From the camera view the drag goes on in the scene view (see renderCameraCanvas), moving the whole box.
  S.drag = { id, mode: fromCamera ? "move" : target.dataset.handle || "move", start: canvasPoint(event), box0: { ...box }, moved: false };
  $("#canvas").setPointerCapture(event.pointerId);
  event.preventDefault();
  renderCanvas();
  renderKeyChips();
  renderSceneTab();
}

function onCanvasMove(event) {
  if (!S.drag) return;
  const p = canvasPoint(event);
  const { box0, mode, start } = S.drag;
  const dx = p.x - start.x, dy = p.y - start.y;
  const box = scene().layouts[S.key].boxes[S.drag.id];
  if (mode === "move") {
    const w = box0.x1 - box0.x0, h = box0.y1 - box0.y0;
    const x0 = clamp(box0.x0 + dx, 0, 1 - w), y0 = clamp(box0.y0 + dy, 0, 1 - h);
    Object.assign(box, { x0: round4(x0), y0: round4(y0), x1: round4(x0 + w), y1: round4(y0 + h) });
  } else {
    if (mode.includes("w")) box.x0 = round4(clamp(box0.x0 + dx, 0, box0.x1 - MIN_SIZE));
    if (mode.includes("e")) box.x1 = round4(clamp(box0.x1 + dx, box0.x0 + MIN_SIZE, 1));
    if (mode.includes("n")) box.y0 = round4(clamp(box0.y0 + dy, 0, box0.y1 - MIN_SIZE));
    if (mode.includes("s")) box.y1 = round4(clamp(box0.y1 + dy, box0.y0 + MIN_SIZE, 1));
  }
  S.drag.moved = true;
  renderCanvas();
  updateBoxFields();
  requestPreview();
}

function onCanvasUp() {
  if (!S.drag) return;
  const moved = S.drag.moved;
  S.drag = null;
  if (moved) edited();
  else if (S.cameraView) renderCanvas();
}

function updateBoxFields() {
  for (const input of document.querySelectorAll("#tab-scene .boxfields input")) {
    if (document.activeElement !== input) input.value = getPath(S.draft, input.dataset.path);
  }
}

function renderTimeline() {
  const timeline = $("#timeline");
  const sc = scene();
  const width = Math.max(200, timeline.clientWidth || 600);
  const o = SHOT_TRACK; // the shots' strip is on top; everything else below it
  const height = 58 + o;
  const pad = 10;
  const duration = Number(sc.duration) > 0 ? Number(sc.duration) : 1;
  const x = (t) => pad + (clamp(t, 0, duration) / duration) * (width - 2 * pad);
  timeline.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const parts = [svg("rect", { class: "track", x: 0, y: o, width, height: height - o, rx: 6 }), ...shotSegments(sc, x)];
  const step = duration > 30 ? 5 : duration > 12 ? 2 : 1;
  for (let t = 0; t <= duration + 1e-9; t += step) {
    parts.push(svg("line", { class: "tick", x1: x(t), x2: x(t), y1: 40 + o, y2: 46 + o }));
    parts.push(svg("text", { class: "tick-label", x: x(t), y: 56 + o, "text-anchor": "middle" }, `${t}s`));
  }
  for (const line of sc.dialogue) {
    const x0 = x(Number(line.start) || 0), x1 = x(Number(line.end) || 0);
    if (!(x1 > x0)) continue;
    parts.push(svg("rect", { class: "line-bar", x: x0, y: 24 + o, width: x1 - x0, height: 13, rx: 3 }));
    const text = `${line.speaker ? nameOf(line.speaker) + ": " : ""}${line.text}`;
    parts.push(svg("text", { class: "line-text", x: x0 + 3, y: 34 + o }, text.length * 5.5 > x1 - x0 ? text.slice(0, Math.max(0, Math.floor((x1 - x0) / 5.5) - 1)) + "…" : text));
  }
  sc.layouts.forEach((f, i) => {
    const cx = x(Number(f.t) || 0);
    parts.push(svg("path", { class: `key${i === S.key ? " selected" : ""}`, d: `M ${cx} ${5 + o} l 7 8 l -7 8 l -7 -8 z`, dataset: { key: i } }));
  });
  const px = x(S.t);
  parts.push(svg("line", { class: "playhead", x1: px, x2: px, y1: 0, y2: 48 + o }));
  parts.push(svg("circle", { class: "playhead-knob", cx: px, cy: 48 + o, r: 5 }));
  timeline.replaceChildren(...parts);
  timeline.dataset.duration = duration;
  $("#time").textContent = fmt(S.t);
  renderShotControls();
}

function timelineTime(event) {
  const timeline = $("#timeline");
  const rect = timeline.getBoundingClientRect();
  const width = Math.max(200, timeline.clientWidth || 600);
  const pad = (10 * rect.width) / width;
  const duration = Number(timeline.dataset.duration) || 1;
  const t = ((event.clientX - rect.left - pad) / (rect.width - 2 * pad)) * duration;
  const snap = (8 / rect.width) * duration;
  return { t: Math.round(clamp(t, 0, duration) * 100) / 100, snap };
}

// -- preview, backdrop and thumbnails ------------------------------------------------------------------

function previewBody(sc, t, maxWidth, layers = "all") {
  const d = S.draft;
  return { scene: sc, entities: d.entities, fps: d.fps, width: d.width, height: d.height, style: d.style, t, max_width: maxWidth, layers };
}

let previewBusy = false;
let previewAgain = false;

// One preview request in flight at a time; edits made meanwhile ask again when it returns, so the
// picture always catches up with the latest draft without piling up requests.
async function requestPreview() {
  if (previewBusy) {
    previewAgain = true;
    return;
  }
  previewBusy = true;
  previewAgain = false;
  const img = $("#preview");
  const started = performance.now();
  try {
    const blob = await api("POST", "/api/preview", previewBody(scene(), S.t, PREVIEW_WIDTH));
    const [cx, cy, size] = (blob.headers.get("x-director-view") || "0.5 0.5 1").split(" ").map(Number);
    const before = JSON.stringify(S.view);
    S.view = { shot: blob.headers.get("x-director-shot") || "", cx, cy, size };
    const viewMoved = JSON.stringify(S.view) !== before;
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let sum = 0;
    for (let i = 0; i < bytes.length; i += 7) sum = (sum * 31 + bytes[i]) >>> 0;
    const url = URL.createObjectURL(blob);
    const old = img.src;
    img.src = url;
    await img.decode().catch(() => {}); // on screen from here: that is the latency a person sees
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
    const ms = performance.now() - started;
    img.dataset.ms = ms.toFixed(1);
    img.dataset.checksum = String(sum);
    img.dataset.count = String(Number(img.dataset.count || 0) + 1);
    img.classList.remove("stale");
    $("#preview-error").textContent = "";
    const shots = cutOf(scene());
    const k = shots.findIndex((shot) => shot.id === S.view.shot);
    const shotNote = k >= 0 ? ` · shot ${k + 1}/${shots.length} ${SIZE_LABELS[shots[k].size] || shots[k].size}` : "";
    $("#preview-meta").textContent = `animatic · ${fmt(S.t)}${shotNote} · ${Math.round(ms)} ms`;
    $("#preview").dataset.shot = S.view.shot;
    if (S.cameraView || (viewMoved && !S.drag)) renderCanvas(); // the camera's frame on the canvas follows
  } catch (error) {
    img.classList.add("stale");
    const first = error.data && error.data.errors && error.data.errors[0];
    $("#preview-error").textContent = first ? `${first.path}: ${first.message}` : error.message;
  } finally {
    previewBusy = false;
    if (previewAgain) requestPreview();
  }
}

async function previewURL(sc, t, maxWidth, layers = "all") {
  const blob = await api("POST", "/api/preview", previewBody(sc, t, maxWidth, layers));
  return URL.createObjectURL(blob);
}

async function loadBackdrop() {
  const sc = scene();
  const key = JSON.stringify([sc.background, sc.heading, S.draft.width, S.draft.height]);
  if (S.backdrop.key === key) return;
  S.backdrop.key = key;
  try {
    const url = await previewURL({ ...sc, entities: [], relations: [], motions: [], visibility: [], layouts: [], dialogue: [], shots: [] }, 0, PREVIEW_WIDTH, "backdrop");
    if (S.backdrop.url) URL.revokeObjectURL(S.backdrop.url);
    S.backdrop.url = url;
    renderCanvas();
  } catch {
    S.backdrop.key = "";
  }
}

async function refreshThumbs(onlyCurrent = false) {
  const scenes = onlyCurrent ? [scene()] : S.draft.scenes;
  for (const sc of scenes) {
    const key = JSON.stringify([sc, S.draft.entities, S.draft.width, S.draft.height]);
    const known = S.thumbs.get(sc.id);
    if (known && known.key === key) continue;
    try {
      const first = sc.layouts.length ? Number(sc.layouts[Math.floor((sc.layouts.length - 1) / 2)].t) : 0;
      const url = await previewURL(sc, first, THUMB_WIDTH);
      if (known) URL.revokeObjectURL(known.url);
      S.thumbs.set(sc.id, { key, url });
      const img = document.querySelector(`#strip .card[data-scene="${sc.id}"] img`);
      if (img) img.src = url;
    } catch {
      /* an invalid scene keeps its last thumbnail */
    }
  }
}

const refreshThumbSoon = debounce(() => {
  refreshThumbs(true);
  loadBackdrop();
}, 700);

// -- validation errors next to their fields ------------------------------------------------------------

function hasErrorUnder(path) {
  return S.errors.some((e) => e.path === path || e.path.startsWith(path + "."));
}

function placeErrors() {
  document.querySelectorAll(".field-error.placed").forEach((node) => node.remove());
  document.querySelectorAll(".invalid").forEach((node) => node.classList.remove("invalid"));
  document.querySelectorAll(".tabs button.has-errors").forEach((node) => node.classList.remove("has-errors"));
  const all = [...document.querySelectorAll("[data-path]")];
  for (const node of all.filter((n) => n.dataset.markOnly)) node.classList.toggle("invalid", hasErrorUnder(node.dataset.path));
  const targets = all.filter((n) => !n.dataset.markOnly); // canvas boxes and keyframe chips only turn red
  for (const error of S.errors) {
    const match = /^scenes\.(\d+)/.exec(error.path);
    if (match && Number(match[1]) !== S.scene) continue; // shown as a badge on that scene's card
    const within = (p) => p === "" || error.path === p || error.path.startsWith(p + ".");
    const candidates = targets.filter((node) => within(node.dataset.path)).sort((a, b) => b.dataset.path.length - a.dataset.path.length);
    let placed = false;
    for (const node of candidates) {
      node.classList.add("invalid");
      const rest = error.path.slice(node.dataset.path.length).replace(/^\./, "");
      const message = el("div", { class: "field-error placed" }, rest ? `${rest}: ${error.message}` : error.message);
      if (["INPUT", "SELECT", "TEXTAREA"].includes(node.tagName)) node.after(message);
      else node.prepend(message);
      const tab = node.closest(".tab");
      if (tab) document.querySelector(`.tabs button[data-tab="${tab.id.slice(4)}"]`)?.classList.add("has-errors");
      placed = true;
      break;
    }
    if (!placed) $("#global-errors").append(el("div", { class: "field-error placed" }, `${error.path}: ${error.message}`));
  }
}

// -- shots: the strip on the timeline, the controls under it, the camera on the canvas ----------------------
//
// A scene's shots cover it (director.storyboard.Scene.shots; none listed = one wide shot). The shot at
// the playhead is the one the controls edit; every change of the cut goes through the server
// (/api/shots/*), which returns a validated draft, still covering the scene, to review and Save.
//
// The canvas edits the *scene* layout. A framed shot's camera is drawn over it (its view, with the rest
// dimmed), so a person sees what the shot will show while moving boxes where they are in the scene. The
// camera view shows the frame as the shot sees it instead; dragging a box there switches the canvas to
// the scene view for the drag. Why not drag in the framed picture and map back through the view: a
// framed shot is aimed at its subjects' boxes, so the camera moves with the box being dragged (the
// subject of a close-up would stay in the middle of the frame however far it is dragged), and a box
// the frame clips cannot be mapped back whole.

const SHOT_TRACK = 24; // SVG units of the timeline the shots' strip takes
const SIZE_LABELS = { extreme_wide: "EWS", wide: "WS", full: "FS", medium: "MS", close_up: "CU", extreme_close_up: "ECU", insert: "INS" };

function cutOf(sc) {
  const duration = Number(sc.duration) || 0;
  return sc.shots && sc.shots.length ? sc.shots : [{ id: "shot_1", start: 0, end: duration, size: "wide", angle: "eye_level", pov: null, move: { kind: "static", direction: null, amount: null, target: null }, subjects: [], description: "" }];
}

// The index of the shot showing the frame at `t`, as Scene.shot_frames / shot_at count frames.
function shotIndexAt(sc, t) {
  const fps = S.draft.fps;
  const shots = cutOf(sc);
  const n = Math.max(2, Math.round((Number(sc.duration) || 0) * fps));
  const frame = Math.min(Math.max(0, Math.round(t * fps)), n - 1);
  for (let k = shots.length - 1; k > 0; k--) if (frame >= Math.min(n, Math.round(shots[k].start * fps))) return k;
  return 0;
}

function shotSegments(sc, x) {
  const shots = cutOf(sc);
  const current = shotIndexAt(sc, S.t);
  const parts = [];
  shots.forEach((shot, k) => {
    const x0 = x(Number(shot.start) || 0), x1 = x(Number(shot.end) || 0);
    if (!(x1 > x0)) return;
    const here = k === current;
    parts.push(svg("rect", { class: `shot${here ? " current" : ""}`, x: x0, y: 1, width: x1 - x0, height: SHOT_TRACK - 4, rx: 4, dataset: { shot: shot.id, index: k } }, svg("title", {}, `${shot.id}: ${shot.size.replace(/_/g, " ")}, ${fmt(shot.start)}–${fmt(shot.end)}`)));
    const label = `${k + 1} ${SIZE_LABELS[shot.size] || shot.size}`;
    if (x1 - x0 > label.length * 6.5) parts.push(svg("text", { class: `shot-label${here ? " current" : ""}`, x: x0 + 5, y: 15 }, label));
  });
  return parts;
}

function cameraFrame(H) {
  const v = S.view;
  if (!v || v.size === 1) return [];
  const x0 = (v.cx - v.size / 2) * W, y0 = (v.cy - v.size / 2) * H, w = v.size * W, h = v.size * H;
  const shots = cutOf(scene());
  const k = shots.findIndex((shot) => shot.id === v.shot);
  return [
    svg("path", { class: "camera-dim", d: `M 0 0 H ${W} V ${H} H 0 Z M ${x0} ${y0} v ${h} h ${w} v ${-h} Z` }),
    svg("rect", { class: "camera-frame", x: x0, y: y0, width: w, height: h }),
    svg("text", { class: "camera-label", x: Math.max(4, x0 + 6), y: Math.max(22, y0 - 8) }, k >= 0 ? `camera · shot ${k + 1} ${SIZE_LABELS[shots[k].size]}` : "camera"),
  ];
}

// The frame as the shot's camera sees it: the framed animatic as the background, and each box of the
// layout through the view (frame = (scene - view corner) / view size), drawn where the frame shows it.
function renderCameraCanvas(canvas, sc, H) {
  const v = S.view || { cx: 0.5, cy: 0.5, size: 1 };
  const layers = [];
  const src = $("#preview").src;
  if (src) layers.push(svg("image", { href: src, x: 0, y: 0, width: W, height: H, preserveAspectRatio: "none" }));
  const left = v.cx - v.size / 2, top = v.cy - v.size / 2;
  const onKey = S.key >= 0;
  const boxes = onKey ? sc.layouts[S.key].boxes : layoutAt(sc, S.t);
  for (const [id, box] of Object.entries(boxes)) {
    const f = { x0: clamp((box.x0 - left) / v.size, 0, 1), y0: clamp((box.y0 - top) / v.size, 0, 1), x1: clamp((box.x1 - left) / v.size, 0, 1), y1: clamp((box.y1 - top) / v.size, 0, 1) };
    if (f.x1 - f.x0 < 0.002 || f.y1 - f.y0 < 0.002) continue; // out of shot
    const group = boxGroup(id, f, false, H);
    if (!group) continue;
    group.classList.add("camera");
    group.dataset.entity = id;
    layers.push(group);
  }
  canvas.replaceChildren(...layers);
  const note = $("#canvas-note");
  note.hidden = false;
  note.textContent = onKey ? "camera view: drag a box to move it in the scene (the canvas shows the scene while you drag)" : `camera view at ${fmt(S.t)}: add a keyframe here to edit the boxes`;
}

let shotControlsKey = "";

function renderShotControls() {
  const box = $("#shot-actions");
  const sc = scene();
  const shots = cutOf(sc);
  const k = shotIndexAt(sc, S.t);
  const shot = shots[k];
  const key = JSON.stringify([S.scene, k, shot, sc.entities, S.cameraView, S.draft.entities.length]);
  if (key === shotControlsKey && box.childElementCount) return;
  shotControlsKey = key;
  const options = S.project.shot_options;
  const select = (id, values, value, label, onchange, names = (v) => v.replace(/_/g, " ")) => {
    const node = el("select", { id, "aria-label": label }, ...values.map((v) => el("option", { value: v }, names(v))));
    node.value = value ?? "";
    node.addEventListener("change", () => onchange(node.value));
    return node;
  };
  const change = (changes) => shotEdit("/api/shots/update", { shot_id: shot.id, changes }, null);
  const kind = shot.move.kind;
  const directions = options.moves[kind] || [];
  const cast = sc.entities;
  const parts = [
    el("span", { class: "shot-name", title: shot.description || shot.id }, `Shot ${k + 1}/${shots.length}`),
    el("span", { class: "note" }, `${fmt(shot.start)}–${fmt(shot.end)}`),
    select("shot-size", options.sizes, shot.size, "Shot size", (size) => change({ size })),
    select("shot-angle", options.angles, shot.angle, "Camera angle", (angle) => change({ angle, pov: angle === "pov" ? shot.pov || cast[0] || null : null })),
    shot.angle === "pov" ? select("shot-pov", cast, shot.pov, "Whose eyes", (pov) => change({ pov }), nameOf) : null,
    select("shot-move", Object.keys(options.moves), kind, "Camera move", (next) => change({ move: { kind: next, direction: (options.moves[next] || [])[0] ?? null, amount: null, target: next === "follow" ? shot.subjects[0] || cast[0] || null : null } })),
    directions.length ? select("shot-direction", directions, shot.move.direction, "Move direction", (direction) => change({ move: { ...shot.move, direction } })) : null,
    directions.length ? (() => {
      const amount = el("input", { id: "shot-amount", type: "number", step: "0.25", min: "0.25", max: "4", placeholder: "0.5", title: "How far: view widths for a pan, truck or tilt; 1 + this times closer or farther for a zoom or dolly", "aria-label": "Move amount" });
      amount.value = shot.move.amount ?? "";
      amount.addEventListener("change", () => change({ move: { ...shot.move, amount: amount.value === "" ? null : Number(amount.value) } }));
      return amount;
    })() : null,
    kind === "follow" ? select("shot-target", cast, shot.move.target, "Follow whom", (target) => change({ move: { ...shot.move, target } }), nameOf) : null,
    el("span", { class: "subjects", id: "shot-subjects", title: "Who the shot frames" },
      ...cast.map((id) => el("button", {
        class: "small", "aria-pressed": shot.subjects.includes(id) ? "true" : "false", dataset: { entity: id },
        style: `border-color:${colorOf(id)}`,
        onclick: () => change({ subjects: shot.subjects.includes(id) ? shot.subjects.filter((s) => s !== id) : [...shot.subjects, id] }),
      }, nameOf(id)))),
    (() => {
      const text = el("input", { id: "shot-description", placeholder: "as the script says it: CLOSE ON the key", "aria-label": "Shot description", value: shot.description || "" });
      text.addEventListener("change", () => change({ description: text.value }));
      return text;
    })(),
    el("span", { class: "spacer" }),
    el("button", { id: "add-shot", class: "small", title: "A new shot after this one, in the second half of its time", onclick: () => shotEdit("/api/shots/add", { at: S.t }, "Added a shot.") }, "+ Shot"),
    el("button", { id: "split-shot", class: "small", title: "Cut this shot in two at the playhead", onclick: () => shotEdit("/api/shots/split", { at: S.t }, "Split the shot.") }, "Split at playhead"),
    el("button", { id: "delete-shot", class: "small danger", disabled: !(sc.shots && sc.shots.length), title: "Delete this shot: its neighbour takes its time", onclick: () => shotEdit("/api/shots/delete", { shot_id: shot.id }, "Deleted the shot.") }, "Delete shot"),
    el("button", { id: "canvas-view", class: "small", "aria-pressed": S.cameraView ? "true" : "false", title: "Show the canvas as the shot's camera sees it, or the whole scene", onclick: () => { S.cameraView = !S.cameraView; renderCanvas(); renderShotControls(); } }, "Camera view"),
  ];
  box.replaceChildren(...parts.filter((part) => part != null));
}

// One shot edit at a time, each sent with the draft the one before it left: two quick changes (a size,
// then a move) must not both start from the same draft, or the second would undo the first.
let shotEdits = Promise.resolve();

function shotEdit(url, body, message) {
  $("#shot-actions").dataset.busy = "1";
  const done = shotEdits.then(() => sendShotEdit(url, body, message));
  shotEdits = done;
  done.then(() => {
    if (shotEdits === done) delete $("#shot-actions").dataset.busy;
  });
  return done;
}

async function sendShotEdit(url, body, message) {
  try {
    const answer = await api("POST", url, { storyboard: S.draft, scene_id: scene().id, ...body });
    S.draft = answer.storyboard;
    Object.assign(S.colors, answer.colors);
    edited({ structure: true });
    if (message) toast(`${message} Review it, then Save.`);
  } catch (error) {
    toast(error.message, "error");
    shotControlsKey = "";
    renderShotControls();
  }
}

// A new duration scales the shots with it (cuts on frames), from the shots as they were when the edit
// began, so typing 1 then 12 does not squash them on the way. Past the end, the server's check says so.
function scaleShots(duration) {
  const sc = scene();
  if (!sc.shots || !sc.shots.length || !(typeof duration === "number" && duration > 0)) return;
  if (!S.retime || S.retime.scene !== sc.id) S.retime = { scene: sc.id, shots: clone(sc.shots), duration: sc.shots[sc.shots.length - 1].end };
  const fps = S.draft.fps;
  const f = duration / S.retime.duration;
  const onFrame = (t) => Math.round(t * f * fps) / fps;
  sc.shots = S.retime.shots.map((shot, k, all) => ({ ...clone(shot), start: k === 0 ? 0 : onFrame(shot.start), end: k === all.length - 1 ? duration : onFrame(shot.end) }));
}

function retimeField(label) {
  label.querySelector("input").addEventListener("change", () => (S.retime = null)); // the edit is over
  return label;
}

// -- the scene tab ---------------------------------------------------------------------------------------

function renderSceneTab() {
  const tab = $("#tab-scene");
  const i = S.scene;
  const sc = scene();
  const base = `scenes.${i}`;
  const cast = S.draft.entities.map((e) => e.id);
  const notPresent = cast.filter((id) => !sc.entities.includes(id));
  const planners = S.project.planners;
  const plannerSelect = el("select", { id: "planner", "aria-label": "Planner" }, ...planners.map((p) => el("option", { value: p }, p)));
  plannerSelect.value = planners.includes(S.project.planner) ? S.project.planner : planners[0];

  const actions = el(
    "div",
    { class: "scene-actions" },
    el("button", { id: "replan", onclick: () => replan(plannerSelect.value), title: "Plan this scene again from its text, keeping the other scenes and the cast" }, "↻ Re-plan scene"),
    plannerSelect,
    el("span", { class: "spacer" }),
    el("button", { class: "small", disabled: i === 0, onclick: () => moveScene(-1), title: "Move the scene earlier" }, "◀"),
    el("button", { class: "small", disabled: i === S.draft.scenes.length - 1, onclick: () => moveScene(1), title: "Move the scene later" }, "▶"),
    el("button", { class: "small danger", disabled: S.draft.scenes.length === 1, onclick: deleteScene }, "Delete scene"),
  );

  const transitionKind = el("select", {}, ...["cut", "crossfade", "fade_to_black"].map((k) => el("option", { value: k }, k.replace(/_/g, " "))));
  bindInput(transitionKind, `${base}.transition.kind`, {
    onchange: (kind) => {
      const tr = scene().transition;
      if (kind === "cut") tr.duration = 0;
      else if (!(tr.duration > 0)) tr.duration = 0.5;
      renderSceneTab();
      placeErrors();
    },
  });

  const text = el(
    "div",
    { class: "section" },
    el("h3", {}, "Scene ", el("span", { class: "note" }, sc.id)),
    field("Heading", `${base}.heading`, { placeholder: "EXT. PARK - DAY" }),
    field("Description (the scene's prompt; Re-plan reads it)", `${base}.description`, { rows: 3 }),
    field("Background", `${base}.background`, { placeholder: "a park on a sunny day" }),
    el(
      "div",
      { class: "row" },
      retimeField(field("Duration (s)", `${base}.duration`, { kind: "number", step: "0.5", onchange: scaleShots })),
      el("label", { class: "field" }, el("span", {}, "Transition"), transitionKind),
      sc.transition.kind !== "cut" ? field("for (s)", `${base}.transition.duration`, { kind: "number", step: "0.1" }) : null,
    ),
  );

  const addPerson = el("select", { "aria-label": "Add a cast member to the scene" }, el("option", { value: "" }, "+ add…"), ...notPresent.map((id) => el("option", { value: id }, nameOf(id))));
  addPerson.addEventListener("change", () => {
    if (!addPerson.value) return;
    scene().entities.push(addPerson.value);
    edited({ structure: true });
  });
  const present = el(
    "div",
    { class: "section", dataset: { path: `${base}.entities` } },
    el("h3", {}, "In the scene"),
    el(
      "div",
      { class: "chips" },
      ...sc.entities.map((id) =>
        el("span", { class: "person" }, el("span", { class: "dot", style: `background:${colorOf(id)}` }), nameOf(id),
          el("button", { title: `Take ${nameOf(id)} out of this scene (its boxes and relations go too)`, onclick: () => removeFromScene(id) }, "×")),
      ),
      notPresent.length ? addPerson : null,
    ),
  );

  let boxSection = null;
  if (S.key >= 0 && S.box && sc.layouts[S.key].boxes[S.box]) {
    const bp = `${base}.layouts.${S.key}.boxes.${S.box}`;
    boxSection = el(
      "div",
      { class: "section", dataset: { path: bp } },
      el("h3", {}, `Box of ${nameOf(S.box)} at ${fmt(sc.layouts[S.key].t)}`),
      el("div", { class: "boxfields" }, ...["x0", "y0", "x1", "y1"].map((k) => field(k, `${bp}.${k}`, { kind: "number", step: "0.01" }))),
      el("div", { class: "note" }, "0–1 across and down the frame; x0 < x1, y0 < y1"),
    );
  }

  const relations = el(
    "div",
    { class: "section", dataset: { path: `${base}.relations` } },
    el("h3", {}, "Relations", el("span", { class: "spacer" }), el("button", { class: "small", onclick: addRelation, disabled: !sc.entities.length }, "+ relation")),
    sc.relations.length ? el("div", { class: "cols relation" }, el("span", {}, "subject"), el("span", {}, "predicate"), el("span", {}, "object"), el("span", {}, "from s"), el("span", {}, "to s"), el("span")) : el("div", { class: "note" }, "None: the scene graph is empty."),
    el(
      "div",
      { class: "items" },
      ...sc.relations.map((r, k) => {
        const p = `${base}.relations.${k}`;
        const predicate = bindInput(el("input", { list: "predicates" }), `${p}.predicate`);
        return el(
          "div",
          { class: "item relation", dataset: { path: p } },
          entitySelect(`${p}.subject`, sc.entities),
          predicate,
          entitySelect(`${p}.object`, sc.entities, { nullable: true }),
          bindInput(el("input", { type: "number", step: "0.1", placeholder: "start" }), `${p}.start`, { kind: "number", nullable: true }),
          bindInput(el("input", { type: "number", step: "0.1", placeholder: "end" }), `${p}.end`, { kind: "number", nullable: true }),
          el("button", { class: "icon", title: "Delete the relation", onclick: () => { scene().relations.splice(k, 1); edited({ structure: true }); } }, "×"),
        );
      }),
    ),
  );

  const dialogue = el(
    "div",
    { class: "section", dataset: { path: `${base}.dialogue` } },
    el("h3", {}, "Dialogue", el("span", { class: "spacer" }), el("button", { class: "small", onclick: addLine }, "+ line")),
    sc.dialogue.length ? el("div", { class: "cols line" }, el("span", {}, "speaker"), el("span", {}, "line"), el("span", {}, "from s"), el("span", {}, "to s"), el("span")) : el("div", { class: "note" }, "Nobody speaks."),
    el(
      "div",
      { class: "items" },
      ...sc.dialogue.map((line, k) => {
        const p = `${base}.dialogue.${k}`;
        return el(
          "div",
          { class: "item line", dataset: { path: p } },
          entitySelect(`${p}.speaker`, cast, { nullable: true, noneLabel: "narrator" }),
          bindInput(el("input", {}), `${p}.text`),
          bindInput(el("input", { type: "number", step: "0.1" }), `${p}.start`, { kind: "number" }),
          bindInput(el("input", { type: "number", step: "0.1" }), `${p}.end`, { kind: "number" }),
          el("button", { class: "icon", title: "Delete the line", onclick: () => { scene().dialogue.splice(k, 1); edited({ structure: true }); } }, "×"),
        );
      }),
    ),
  );

  const planned = sc.motions.length + sc.visibility.length;
  const motionNote = planned
    ? el("div", { class: "note" }, `The plan also holds ${sc.motions.length} motion(s) and ${sc.visibility.length} visibility span(s); the keyframes above are drawn from them. Re-plan to redo them from the text.`)
    : null;

  const container = el("div", { dataset: { path: base } }, actions, text, present, boxSection, relations, dialogue, motionNote);
  const focused = document.activeElement && tab.contains(document.activeElement) ? document.activeElement.dataset.path : null;
  tab.replaceChildren(container);
  if (focused) tab.querySelector(`[data-path="${CSS.escape(focused)}"]`)?.focus();
}

function addRelation() {
  const sc = scene();
  sc.relations.push({ subject: sc.entities[0], predicate: "near", object: sc.entities[1] ?? null, start: null, end: null });
  edited({ structure: true });
}

function addLine() {
  const sc = scene();
  const start = Math.min(Math.round(S.t * 10) / 10, Math.max(0, sc.duration - 1));
  sc.dialogue.push({ speaker: sc.entities[0] ?? null, text: "New line", start, end: Math.min(sc.duration, start + 2) });
  edited({ structure: true });
}

function removeFromScene(id) {
  const sc = scene();
  sc.entities = sc.entities.filter((e) => e !== id);
  sc.relations = sc.relations.filter((r) => r.subject !== id && r.object !== id);
  sc.motions = sc.motions.filter((m) => m.entity !== id);
  sc.visibility = sc.visibility.filter((v) => v.entity !== id);
  for (const f of sc.layouts) delete f.boxes[id];
  for (const shot of sc.shots || []) { // a shot frames only who is present
    shot.subjects = shot.subjects.filter((e) => e !== id);
    if (shot.pov === id) Object.assign(shot, { angle: "eye_level", pov: null });
    if (shot.move.target === id) shot.move = { kind: "static", direction: null, amount: null, target: null };
  }
  if (S.box === id) S.box = null;
  edited({ structure: true });
}

function freeId(base, taken) {
  let id = base;
  for (let k = 2; taken.has(id); k++) id = `${base}_${k}`;
  return id;
}

function addScene() {
  const d = S.draft;
  const id = freeId(`scene_${d.scenes.length + 1}`, new Set(d.scenes.map((s) => s.id)));
  const previous = scene();
  d.scenes.splice(S.scene + 1, 0, {
    id, heading: "New scene", description: "", background: previous.background, duration: 4, entities: [],
    relations: [], motions: [], visibility: [], layouts: [{ t: 0, boxes: {} }], dialogue: [], transition: { kind: "cut", duration: 0 },
  });
  S.scene += 1;
  S.key = 0;
  S.t = 0;
  edited({ structure: true });
}

function deleteScene() {
  const sc = scene();
  if (!confirm(`Delete scene ${S.scene + 1} (${sc.heading || sc.id})? Undo brings it back after you save.`)) return;
  S.draft.scenes.splice(S.scene, 1);
  S.scene = Math.min(S.scene, S.draft.scenes.length - 1);
  selectScene(S.scene);
  edited({ structure: true });
}

function moveScene(step) {
  const scenes = S.draft.scenes;
  const [sc] = scenes.splice(S.scene, 1);
  S.scene += step;
  scenes.splice(S.scene, 0, sc);
  edited({ structure: true });
}

// -- keyframes and boxes ----------------------------------------------------------------------------------

function addKeyframe() {
  const sc = scene();
  const t = Math.round(S.t * 100) / 100;
  const existing = keyIndexAt(sc, t);
  if (existing >= 0) return selectKey(existing);
  const boxes = {};
  for (const [id, b] of Object.entries(layoutAt(sc, t))) boxes[id] = { x0: round4(b.x0), y0: round4(b.y0), x1: round4(b.x1), y1: round4(b.y1) };
  sc.layouts.push({ t, boxes });
  sc.layouts.sort((a, b) => a.t - b.t);
  S.t = t;
  S.key = keyIndexAt(sc, t);
  edited({ structure: true });
}

function deleteKeyframe() {
  if (S.key < 0) return;
  const sc = scene();
  sc.layouts.splice(S.key, 1);
  S.key = sc.layouts.length ? Math.min(S.key, sc.layouts.length - 1) : -1;
  if (S.key >= 0) S.t = sc.layouts[S.key].t;
  edited({ structure: true });
}

function addBox(id) {
  if (S.key < 0 || !id) return;
  scene().layouts[S.key].boxes[id] = { x0: 0.4, y0: 0.35, x1: 0.6, y1: 0.75 };
  S.box = id;
  edited({ structure: true });
}

function deleteBox() {
  if (S.key < 0 || !S.box) return;
  delete scene().layouts[S.key].boxes[S.box];
  S.box = null;
  edited({ structure: true });
}

function nudge(dx, dy) {
  if (S.key < 0 || !S.box) return;
  const box = scene().layouts[S.key].boxes[S.box];
  if (!box) return;
  const w = box.x1 - box.x0, h = box.y1 - box.y0;
  const x0 = clamp(box.x0 + dx, 0, 1 - w), y0 = clamp(box.y0 + dy, 0, 1 - h);
  Object.assign(box, { x0: round4(x0), y0: round4(y0), x1: round4(x0 + w), y1: round4(y0 + h) });
  updateBoxFields();
  edited();
}

// -- the cast tab -------------------------------------------------------------------------------------------

function renderCastTab() {
  const tab = $("#tab-cast");
  const d = S.draft;
  const scenesOf = (id) => d.scenes.filter((s) => s.entities.includes(id) || s.dialogue.some((l) => l.speaker === id)).map((s) => s.id);
  const cards = d.entities.map((e, i) => {
    const p = `entities.${i}`;
    const merge = el("select", { "aria-label": `Merge ${e.name} into…` }, el("option", { value: "" }, "Merge into…"), ...d.entities.filter((o) => o.id !== e.id).map((o) => el("option", { value: o.id }, o.name)));
    merge.addEventListener("change", () => merge.value && mergeEntity(merge.value, e.id));
    const inScenes = scenesOf(e.id);
    return el(
      "div",
      { class: "entity", dataset: { path: p, entity: e.id } },
      el("header", {}, el("span", { class: "dot", style: `background:${colorOf(e.id)}` }), el("strong", {}, e.name), el("span", { class: "id" }, e.id), el("span", { class: "in" }, inScenes.length ? `in ${inScenes.length} scene${inScenes.length > 1 ? "s" : ""}` : "in no scene")),
      el("div", { class: "row" }, field("Name (shown everywhere)", `${p}.name`, { onchange: () => { renderStrip(); renderCanvas(); } }), field("Category", `${p}.category`)),
      field("Description (its look, for renderers)", `${p}.description`),
      el(
        "div",
        { class: "actions" },
        el("button", { class: "small", onclick: () => changeId(e.id) }, "Change id…"),
        merge,
        el("button", { class: "small", disabled: inScenes.length < 2, onclick: () => splitEntity(e.id, inScenes), title: "Make it two identities: the chosen scenes get a new one" }, "Split…"),
      ),
    );
  });
  tab.replaceChildren(
    el("div", { class: "section" }, el("h3", {}, `Cast (${d.entities.length})`, el("span", { class: "spacer" }), el("button", { class: "small", onclick: addEntity }, "+ cast member")),
      el("div", { class: "note", style: "margin-bottom:8px" }, "One identity, one look, in every scene. A name change shows everywhere at once; merge two entries that are the same character, split one that is two.")),
    ...cards,
  );
}

async function castEdit(url, body, message) {
  try {
    const answer = await api("POST", url, { storyboard: S.draft, ...body });
    S.draft = answer.storyboard;
    Object.assign(S.colors, answer.colors);
    edited({ structure: true });
    toast(`${message} Review it, then Save.`);
  } catch (error) {
    toast(error.message, "error");
  }
}

function changeId(id) {
  const newId = prompt(`New id for '${id}' (lower-case letters, digits, _). Every scene follows.`, id);
  if (newId && newId !== id) castEdit("/api/cast/rename", { entity_id: id, new_id: newId }, `'${id}' is now '${newId}'.`);
}

function mergeEntity(keep, absorb) {
  if (!confirm(`Merge ${nameOf(absorb)} into ${nameOf(keep)}? Every scene's ${nameOf(absorb)} becomes ${nameOf(keep)}.`)) return renderCastTab();
  castEdit("/api/cast/merge", { keep, absorb }, `Merged ${nameOf(absorb)} into ${nameOf(keep)}.`);
}

function splitEntity(id, inScenes) {
  const dialog = $("#dialog");
  const name = el("input", { value: `${nameOf(id)} 2`, "aria-label": "Name of the new identity" });
  const boxes = inScenes.map((sid, k) => el("input", { type: "checkbox", value: sid, checked: k >= Math.ceil(inScenes.length / 2) }));
  dialog.replaceChildren(
    el("h3", {}, `Split ${nameOf(id)} in two`),
    el("div", { class: "note" }, "The ticked scenes get a new identity (a copy of this one's look, to edit)."),
    ...inScenes.map((sid, k) => el("label", { class: "check" }, boxes[k], `${S.draft.scenes.findIndex((s) => s.id === sid) + 1}. ${S.draft.scenes.find((s) => s.id === sid).heading || sid}`)),
    el("label", { class: "field" }, el("span", {}, "Name of the new identity"), name),
    el("div", { class: "buttons" },
      el("button", { onclick: () => dialog.close() }, "Cancel"),
      el("button", { class: "primary", onclick: () => {
        dialog.close();
        castEdit("/api/cast/split", { entity_id: id, scene_ids: boxes.filter((b) => b.checked).map((b) => b.value), name: name.value }, `Split ${nameOf(id)}.`);
      } }, "Split")),
  );
  dialog.showModal();
}

function addEntity() {
  const name = prompt("Name of the new cast member:", "");
  if (!name) return;
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "entity";
  const id = freeId(/^[a-z]/.test(base) ? base : `e_${base}`, new Set(S.draft.entities.map((e) => e.id)));
  S.draft.entities.push({ id, name, category: "person", description: "", attributes: {} });
  S.tab = "cast";
  edited({ structure: true });
}

// -- the film tab: settings every scene shares ---------------------------------------------------------------

function renderFilmTab() {
  const d = S.draft;
  const p = S.project.storyboard.provenance || d.provenance;
  const resized = () => { renderCanvas(); loadBackdrop(); };
  $("#tab-film").replaceChildren(
    el("div", { class: "section" }, el("h3", {}, "Film"),
      field("Title", "title", { onchange: () => { if (document.activeElement !== $("#title")) $("#title").value = S.draft.title; } }),
      field("Style (for every scene's renderer prompt)", "style", { placeholder: "storybook watercolour" }),
      el("div", { class: "row" },
        field("Frames per second", "fps", { kind: "number", step: "1" }),
        field("Width (px)", "width", { kind: "number", step: "2", onchange: resized }),
        field("Height (px)", "height", { kind: "number", step: "2", onchange: resized }))),
    el("div", { class: "section" }, el("h3", {}, "Planned by"),
      el("div", { class: "note" }, `${p.planner}${p.model ? " · " + p.model : ""}${p.prompt_version ? " · " + p.prompt_version : ""} · seed ${p.seed}`),
      el("div", { class: "note" }, `Project folder: ${S.project.root}${S.project.script ? " · script: " + S.project.script : ""}`)),
  );
}

// -- history and movie tabs ---------------------------------------------------------------------------------

function renderHistory() {
  const tab = $("#tab-history");
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  tab.replaceChildren(
    el("div", { class: "section" }, el("h3", {}, `${S.project.history.length} versions`),
      el("div", { class: "note" }, "Every save is a version. Undo and redo walk the line that led here; versions left behind (greyed) can still be restored.")),
    el("ul", { class: "history" },
      ...S.project.history.map((v) =>
        el("li", { class: `${v.current ? "current" : ""}${v.on_line ? "" : " off-line"}`, dataset: { version: v.id } },
          el("span", { class: "v" }, `v${v.id}`), el("span", { class: "when", title: v.time }, time(v.time)), el("span", { class: "what", title: v.message }, v.message),
          v.current ? el("span", { class: "note" }, "current") : el("button", { class: "small", onclick: () => restore(v.id) }, "Restore")),
      )),
  );
}

function renderMovie() {
  const tab = $("#tab-movie");
  const p = S.project;
  const r = p.render;
  const parts = [];
  if (p.movie) {
    parts.push(el("video", { id: "movie", controls: true, src: p.movie, preload: "metadata" }));
    const base = p.movie.split("?")[0].replace(/\.mp4$/, "");
    parts.push(el("div", { class: "files" },
      el("a", { href: p.movie, download: "" }, "movie.mp4"), el("a", { href: `${base}.srt`, download: "" }, "subtitles .srt"),
      el("a", { href: `${base}.contact.png`, target: "_blank" }, "contact sheet"), el("a", { href: `${base}.storyboard.json`, download: "" }, "storyboard as rendered")));
  } else parts.push(el("div", { class: "note" }, "Nothing rendered yet: press Render."));
  if (r.state === "done") {
    const scenes = Object.keys(r.rendered_by_scene);
    parts.push(el("p", { class: "note", id: "render-summary" }, `v${r.version} rendered with ${r.renderer} in ${r.seconds.toFixed(1)} s: ${r.jobs_rendered} jobs rendered, ${r.jobs_cached} from the cache` + (scenes.length ? ` (scenes redone: ${scenes.join(", ")})` : " (nothing changed)") + "."));
  } else if (r.state === "failed") parts.push(el("p", { class: "field-error" }, `The last render failed: ${r.error}`));
  const stale = p.stale_scenes;
  parts.push(el("p", { class: "note" }, stale.length ? `Changed since the last render: ${stale.join(", ")}. Rendering redoes only these; the cache has the rest.` : "The movie is up to date with the saved version."));
  parts.push(el("div", { class: "section" }, el("h3", {}, "Export"), el("div", { class: "note" }, "A zip of storyboard.json, the script and everything in renders/."), el("div", { id: "export-link", class: "files" })));
  tab.replaceChildren(...parts);
}

// -- saving, history, conflicts -------------------------------------------------------------------------------

let saving = null; // the save in flight: a second Save (or Render) waits for it instead of racing it

async function save(options = {}) {
  while (saving) await saving;
  saving = saveDraft(options);
  try {
    return await saving;
  } finally {
    saving = null;
  }
}

async function saveDraft({ base = S.version } = {}) {
  if (!dirty()) return true;
  const button = $("#save");
  button.disabled = true;
  try {
    const answer = await api("POST", "/api/storyboard", { storyboard: S.draft, base_version: base });
    hideBanner();
    adopt(answer);
    toast(`Saved version ${answer.version}.`);
    return true;
  } catch (error) {
    if (error.status === 422) {
      S.errors = error.data.errors;
      placeErrors();
      renderHeader();
      renderStrip();
      toast("Not saved: fix the fields marked in red.", "error");
    } else if (error.status === 409) showConflict(error.data.current_version);
    else toast(error.message, "error");
    renderHeader();
    return false;
  }
}

async function move(kind, url) {
  try {
    adopt(await api("POST", url, { base_version: S.version }));
    toast(kind);
  } catch (error) {
    if (error.status === 409) {
      await reload();
      toast("The project changed in another tab; showing its latest version.", "error");
    } else toast(error.message, "error");
  }
}

async function undo() {
  if (dirty()) {
    S.discarded = clone(S.draft);
    S.draft = clone(S.saved);
    S.errors = [];
    selectScene(S.scene, { keepTime: true });
    toast("Dropped the unsaved edits (Redo brings them back).");
    return;
  }
  await move("Undone.", "/api/undo");
}

async function redo() {
  if (S.discarded && !dirty()) {
    S.draft = S.discarded;
    S.discarded = null;
    selectScene(S.scene, { keepTime: true });
    validateSoon();
    return;
  }
  await move("Redone.", "/api/redo");
}

async function restore(id) {
  if (dirty() && !confirm("Restoring drops your unsaved edits. Go on?")) return;
  await move(`Restored version ${id} as a new version.`, `/api/history/${id}/restore`);
}

function showConflict(current) {
  const banner = $("#banner");
  banner.replaceChildren(
    el("strong", {}, `Version ${current} was saved from another tab or window while you edited.`),
    el("span", {}, "Keep yours on top (theirs stays in the history) or load theirs."),
    el("span", { class: "spacer" }),
    el("button", { onclick: () => { hideBanner(); reload(); } }, `Load v${current} (drop my edits)`),
    el("button", { class: "primary", onclick: () => save({ base: current }) }, "Save mine on top"),
  );
  banner.hidden = false;
}

function hideBanner() {
  $("#banner").hidden = true;
}

// -- re-plan, render, export -----------------------------------------------------------------------------------

async function replan(planner) {
  const sc = scene();
  const button = $("#replan");
  button.disabled = true;
  button.textContent = "Re-planning…";
  try {
    const answer = await api("POST", "/api/replan", { storyboard: S.draft, scene_id: sc.id, planner });
    S.draft = answer.storyboard;
    Object.assign(S.colors, answer.colors);
    const k = keyIndexAt(scene(), S.t);
    S.key = k >= 0 ? k : scene().layouts.length ? 0 : -1;
    if (S.key >= 0) S.t = scene().layouts[S.key].t;
    edited({ structure: true });
    const notes = [...(answer.added.length ? [`new in the cast: ${answer.added.join(", ")}`] : []), ...answer.notes];
    toast(`Re-planned ${sc.id} with ${planner}${notes.length ? ": " + notes.join("; ") : ""}. Review it, then Save.`);
  } catch (error) {
    toast(error.message, "error");
    renderSceneTab();
  }
}

async function render() {
  if (dirty() && !(await save())) return;
  try {
    await api("POST", "/api/render", { renderer: $("#renderer").value, base_version: S.version });
    pollRender();
  } catch (error) {
    toast(error.message, "error");
  }
}

async function pollRender() {
  const status = await api("GET", "/api/render");
  const bar = $("#progress");
  if (status.state === "running") {
    bar.hidden = false;
    $("#render").disabled = true;
    const fraction = status.total ? status.done / status.total : 0;
    $(".fill", bar).style.width = `${Math.round(fraction * 100)}%`;
    $(".label", bar).textContent = `Rendering v${status.version} with ${status.renderer}: ${status.stage || "starting"} · ${status.done}/${status.total}`;
    setTimeout(pollRender, 300);
    return;
  }
  bar.hidden = true;
  $("#render").disabled = false;
  refreshMeta(await api("GET", "/api/project"));
  if (status.state === "done") {
    toast(`Rendered: ${status.jobs_rendered} jobs, ${status.jobs_cached} from the cache, ${status.seconds.toFixed(1)} s.`);
    showTab("movie");
  } else if (status.state === "failed") toast(`Render failed: ${status.error}`, "error");
}

async function exportZip() {
  try {
    const answer = await api("POST", "/api/export");
    showTab("movie");
    const name = answer.url.split("/").pop();
    $("#export-link").replaceChildren(el("a", { href: answer.url, download: name }, `Download ${name}`), el("span", { class: "note" }, `${answer.files.length} files`));
    const link = el("a", { href: answer.url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    toast(error.message, "error");
  }
}

async function exportPdf() {
  if (dirty() && !(await save())) return; // print what the page shows
  const button = $("#export-pdf");
  button.disabled = true;
  try {
    const answer = await api("POST", "/api/export/pdf", { paper: $("#paper").value });
    const name = answer.url.split("/").pop();
    const link = el("a", { href: answer.url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    toast(`${name}: ${answer.pages} pages, ${answer.panels} panels` + (answer.notes.length ? ` (${answer.notes.join("; ")})` : "") + ".");
  } catch (error) {
    toast(error.message, "error");
  } finally {
    button.disabled = false;
  }
}

// -- play ---------------------------------------------------------------------------------------------------------

function togglePlay() {
  S.playing = !S.playing;
  $("#play").textContent = S.playing ? "❚❚" : "▶";
  if (!S.playing) return;
  const sc = scene();
  if (S.t >= sc.duration - 1e-6) S.t = 0;
  let last = performance.now();
  const step = (now) => {
    if (!S.playing) return;
    const t = S.t + (now - last) / 1000;
    last = now;
    if (t >= scene().duration) {
      setTime(scene().duration);
      togglePlay();
      return;
    }
    setTime(t);
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

// -- tabs and the whole page ----------------------------------------------------------------------------------------

function showTab(name) {
  S.tab = name;
  for (const button of document.querySelectorAll(".tabs button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== `tab-${name}`;
}

function renderAll() {
  renderHeader();
  renderStrip();
  renderStage();
  renderSceneTab();
  renderCastTab();
  renderFilmTab();
  renderHistory();
  renderMovie();
  showTab(S.tab);
  $("#global-errors").replaceChildren();
  placeErrors();
  requestPreview();
  loadBackdrop();
  refreshThumbs();
}

function isTyping(event) {
  const t = event.target;
  return t && (["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) || t.isContentEditable);
}

function wire() {
  $("#save").addEventListener("click", () => save());
  $("#undo").addEventListener("click", undo);
  $("#redo").addEventListener("click", redo);
  $("#render").addEventListener("click", render);
  $("#export").addEventListener("click", exportZip);
  $("#export-pdf").addEventListener("click", exportPdf);
  $("#play").addEventListener("click", togglePlay);
  $("#add-key").addEventListener("click", addKeyframe);
  $("#delete-key").addEventListener("click", deleteKeyframe);
  $("#delete-box").addEventListener("click", deleteBox);
  $("#add-box").addEventListener("change", (e) => addBox(e.target.value));
  $("#title").addEventListener("input", (e) => { S.draft.title = e.target.value; edited(); });
  for (const button of document.querySelectorAll(".tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));

  const canvas = $("#canvas");
  canvas.addEventListener("pointerdown", onCanvasDown);
  canvas.addEventListener("pointermove", onCanvasMove);
  canvas.addEventListener("pointerup", onCanvasUp);
  canvas.addEventListener("pointercancel", onCanvasUp);

  const timeline = $("#timeline");
  let scrubbing = false;
  timeline.addEventListener("pointerdown", (e) => {
    scrubbing = true;
    timeline.setPointerCapture(e.pointerId);
    const key = e.target.dataset && e.target.dataset.key;
    if (key !== undefined) return selectKey(Number(key));
    const { t, snap } = timelineTime(e);
    setTime(t, { snap });
  });
  timeline.addEventListener("pointermove", (e) => scrubbing && setTime(timelineTime(e).t, { snap: timelineTime(e).snap }));
  timeline.addEventListener("pointerup", () => (scrubbing = false));
  window.addEventListener("resize", debounce(renderTimeline, 100));

  document.addEventListener("keydown", (e) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "s") {
      e.preventDefault();
      save();
      return;
    }
    if (isTyping(e)) return;
    if (mod && e.key.toLowerCase() === "z") {
      e.preventDefault();
      e.shiftKey ? redo() : undo();
    } else if (mod && e.key.toLowerCase() === "y") {
      e.preventDefault();
      redo();
    } else if (e.key === "Delete" || e.key === "Backspace") {
      if (S.box) { e.preventDefault(); deleteBox(); }
    } else if (e.key.startsWith("Arrow") && S.box) {
      e.preventDefault();
      const d = e.shiftKey ? 0.05 : 0.01;
      nudge(e.key === "ArrowLeft" ? -d : e.key === "ArrowRight" ? d : 0, e.key === "ArrowUp" ? -d : e.key === "ArrowDown" ? d : 0);
    } else if (e.key === " ") {
      e.preventDefault();
      togglePlay();
    }
  });

  window.addEventListener("beforeunload", (e) => {
    if (S.draft && dirty()) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
  window.addEventListener("focus", async () => {
    try {
      refreshMeta(await api("GET", "/api/project"));
    } catch {
      /* the server may be gone; the next action will say so */
    }
  });
}

async function start() {
  wire();
  try {
    adopt(await api("GET", "/api/project"), { keepSelection: false });
    if (S.project.render.state === "running") pollRender();
    document.body.dataset.ready = "1";
  } catch (error) {
    document.body.replaceChildren(el("p", { style: "padding:24px" }, `The editor could not load the project: ${error.message}`));
  }
}

start();
