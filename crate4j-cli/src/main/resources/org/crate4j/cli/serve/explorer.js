// The explorer page of `crate serve`. Everything shown is computed by the server with the CLI's
// library calls and arrives as the CLI's --json documents (arrays over the patch grid, row-major);
// this file only draws them. It loads nothing from elsewhere.
'use strict';

const TILE = 150;               // canvas side in CSS pixels; drawn at the screen's pixel ratio
const $ = id => document.getElementById(id);

const state = {
  files: null, weights: null, model: null,
  file: null, upload: null, picture: null,   // the chosen File, the server's id for it, the decoded <img>
  layers: null, layer: 0, pca: new Map(), segment: new Map(), busy: 0, generation: 0,
};

// ---------------------------------------------------------------- talking to the server

class ServerError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(endpoint, params, init) {
  const url = '/api/' + endpoint + (params ? '?' + new URLSearchParams(params) : '');
  const response = await fetch(url, init);
  let body;
  try { body = await response.json(); } catch (e) { body = { error: 'the server answered ' + response.status + ' without a message' }; }
  if (!response.ok) throw new ServerError(response.status, body.error || ('HTTP ' + response.status));
  return body;
}

/** Runs a request for the current image, sending the image again once if the server has let it go. */
async function withImage(endpoint, params) {
  try {
    return await api(endpoint, { ...params, image: state.upload.id });
  } catch (e) {
    if (!(e instanceof ServerError) || e.status !== 410 || !state.file) throw e;
    state.upload = await sendImage(state.file);
    return api(endpoint, { ...params, image: state.upload.id });
  }
}

function sendImage(file) {
  return api('images', null, {
    method: 'POST', body: file,
    headers: { 'Content-Type': 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name || 'upload') },
  });
}

function busy(delta, what) {
  state.busy += delta;
  $('status').textContent = state.busy > 0 ? (what || 'computing…') : '';
}

function showError(message) {
  const box = $('error');
  box.hidden = !message;
  box.textContent = message || '';
}

// ---------------------------------------------------------------- checkpoints and runs

async function start() {
  try {
    state.files = await api('files');
  } catch (e) {
    showError(e.message);
    return;
  }
  const select = $('checkpoint');
  for (const c of state.files.checkpoints) select.add(new Option(c.label, c.path));
  if (!state.files.checkpoints.length) select.add(new Option('no checkpoints found', ''));
  select.addEventListener('change', () => chooseCheckpoint(select.value));

  const runs = $('run');
  runs.add(new Option(state.files.runs.length ? 'choose a run' : 'no run folders found', ''));
  for (const r of state.files.runs) runs.add(new Option(r.label, r.path));
  runs.addEventListener('change', () => showRun(runs.value));
  $('curves-x').addEventListener('change', () => state.curves && drawCurves(state.curves));
  if (state.files.runs.length === 1) { runs.selectedIndex = 1; showRun(runs.value); }

  setUpImageInput();
  $('layer').addEventListener('input', () => chooseLayer(Number($('layer').value)));
  if (state.files.checkpoints.length) chooseCheckpoint(select.value);
}

async function chooseCheckpoint(path) {
  state.weights = path;
  state.model = null;
  resetResults();
  $('model-facts').textContent = '';
  busy(1, 'loading the model…');
  try {
    const m = await api('model', { weights: path });
    if (state.weights !== path) return;
    state.model = m;
    facts($('model-facts'), [
      ['kind', m.kind === 'classifier' ? 'classifier, ' + m.classes + ' classes' : 'CRATE-MAE encoder'],
      ['layers', m.layers], ['input', m.size + ' × ' + m.size + ', ' + m.channels + ' channel' + (m.channels > 1 ? 's' : '')],
      ['patch', m.patch + ' × ' + m.patch + ' (' + (m.size / m.patch) + ' × ' + (m.size / m.patch) + ' grid)'], ['runs on', m.device + ', ' + m.precision],
      ['file', megabytes(state.files.checkpoints.find(c => c.path === path).bytes)],
    ]);
    const slider = $('layer');
    slider.max = m.layers - 1;
    slider.disabled = false;
    slider.value = m.attentionLayer;
    state.layer = m.attentionLayer;
    $('layer-value').textContent = state.layer + ' of 0–' + (m.layers - 1);
    showError('');
    if (state.upload) analyse();
  } catch (e) {
    showError(e.message);
  } finally {
    busy(-1);
  }
}

async function showRun(path) {
  state.curves = null;
  $('curves').innerHTML = '<p class="empty">choose a run</p>';
  $('run-facts').textContent = '';
  if (!path) return;
  try {
    const c = await api('curves', { run: path });
    state.curves = c;
    $('run-facts').textContent = c.rows.length + ' rows of ' + c.file;
    const xs = $('curves-x');
    xs.innerHTML = '';
    for (const name of ['epoch', 'step'].filter(n => c.columns.includes(n))) xs.add(new Option(name, name));
    if (!xs.options.length && c.columns.length) xs.add(new Option(c.columns[0], c.columns[0]));
    // epoch rows and step rows may both be there: prefer the axis every row has
    const complete = [...xs.options].find(o => c.rows.every(r => r[c.columns.indexOf(o.value)] !== null));
    if (complete) xs.value = complete.value;
    drawCurves(c);
  } catch (e) {
    $('curves').innerHTML = '';
    $('curves').append(paragraph(e.message, 'error'));
  }
}

// ---------------------------------------------------------------- the image

function setUpImageInput() {
  const input = $('file'), drop = $('drop');
  input.addEventListener('change', () => input.files.length && chooseImage(input.files[0]));
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) chooseImage(e.dataTransfer.files[0]);
  });
}

async function chooseImage(file) {
  showError('');
  const limit = state.files ? state.files.maxUploadBytes : Infinity;
  if (file.size > limit) {
    showError(`${file.name} is ${megabytes(file.size)}; this server takes images up to ${megabytes(limit)} (--max-upload-mb)`);
    return;
  }
  busy(1, 'sending the image…');
  try {
    const upload = await sendImage(file);
    const picture = await decodeInBrowser(file);
    state.file = file;
    state.upload = upload;
    state.picture = picture;
    $('preview').src = picture.src;
    $('preview').hidden = false;
    $('image-facts').textContent = `${upload.name}: ${upload.width} × ${upload.height} pixels`;
    if (state.model) analyse();
  } catch (e) {
    showError(e.message);
  } finally {
    busy(-1);
  }
}

function decodeInBrowser(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(file.name + ' decoded on the server but not in this browser'));
    img.src = URL.createObjectURL(file);
  });
}

// ---------------------------------------------------------------- the analyses

function resetResults() {
  state.generation++;
  state.layers = null;
  state.pca.clear();
  state.segment.clear();
  for (const id of ['attention', 'pca', 'segment', 'layerwise']) $(id).innerHTML = '';
  $('layerwise-table').innerHTML = '';
  $('prediction').innerHTML = '<li class="empty">' + (state.upload ? 'computing…' : 'drop in an image') + '</li>';
  for (const id of ['prediction-note', 'attention-note', 'pca-note', 'segment-note']) $(id).textContent = '';
}

async function analyse() {
  resetResults();
  const generation = state.generation, weights = state.weights;
  const current = () => generation === state.generation && weights === state.weights;
  busy(1, 'computing…');
  try {
    const prediction = await withImage('predict', { weights, top: 5 });
    if (!current()) return;
    drawPrediction(prediction);
    const layers = await withImage('layers', { weights });
    if (!current()) return;
    state.layers = layers;
    drawAttention();
    drawLayerwise(layers.layerwise);
    await drawLayerMaps();
  } catch (e) {
    if (current()) showError(e.message);
  } finally {
    busy(-1);
  }
}

let mapsTimer = 0;

function chooseLayer(layer) {
  state.layer = layer;
  $('layer-value').textContent = layer + ' of 0–' + (state.model ? state.model.layers - 1 : '?');
  if (!state.layers) return;
  drawAttention();
  clearTimeout(mapsTimer);
  mapsTimer = setTimeout(() => drawLayerMaps().catch(e => showError(e.message)), 200);
}

/** PCA and segmentation at the slider's layer, each fetched once per layer. */
async function drawLayerMaps() {
  const layer = state.layer, generation = state.generation, weights = state.weights;
  busy(1, 'computing layer ' + layer + '…');
  try {
    if (!state.pca.has(layer)) state.pca.set(layer, await withImage('pca', { weights, layer }));
    if (!state.segment.has(layer)) state.segment.set(layer, await withImage('segment', { weights, layer }));
    if (generation !== state.generation || layer !== state.layer) return;
    drawPca(state.pca.get(layer));
    drawSegment(state.segment.get(layer));
  } finally {
    busy(-1);
  }
}

// ---------------------------------------------------------------- drawing: prediction

function drawPrediction(p) {
  const list = $('prediction');
  list.innerHTML = '';
  if (!p.top) {
    list.innerHTML = '<li class="empty"></li>';
    list.firstChild.textContent = 'no prediction: ' + p.reason;
    return;
  }
  for (const g of p.top) {
    const li = document.createElement('li');
    li.dataset.label = g.label;
    li.dataset.probability = g.probability;
    li.dataset.index = g.index;
    const label = span('label', g.label === String(g.index) ? 'class ' + g.index : g.label), track = span('track', ''), prob = span('prob', percent(g.probability));
    const fill = span('fill', '');
    fill.style.width = (100 * g.probability).toFixed(2) + '%';
    track.append(fill);
    li.append(label, track, prob);
    list.append(li);
  }
  $('prediction-note').textContent = 'top ' + p.top.length + ' of ' + state.model.classes + ' classes';
}

// ---------------------------------------------------------------- drawing: maps on the image

const ANCHORS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]];
const LABELS = [0xE6194B, 0x3CB44B, 0x4363D8, 0xF58231, 0x911EB4, 0x42D4F4, 0xF032E6, 0xBFEF45];
const GREEN = [0x00, 0xC8, 0x53];

/** The CLI's colour scale (viz.Colormap): t in [0, 1] to [r, g, b]. */
function colour(t) {
  const v = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (ANCHORS.length - 1);
  const i = Math.min(Math.floor(v), ANCHORS.length - 2), f = v - i;
  return ANCHORS[i].map((a, c) => a + f * (ANCHORS[i + 1][c] - a));
}

function labelColour(label) {
  const c = LABELS[(label - 1) % LABELS.length];
  return [c >> 16 & 255, c >> 8 & 255, c & 255];
}

/** Bilinear upsampling of a rows × cols grid to n × n, pixel centres aligned (torch's align_corners=False, as the CLI draws). */
function bilinear(grid, rows, cols, n) {
  const out = new Float32Array(n * n);
  for (let y = 0; y < n; y++) {
    const gy = Math.min(Math.max((y + 0.5) * rows / n - 0.5, 0), rows - 1), y0 = Math.floor(gy), y1 = Math.min(y0 + 1, rows - 1), fy = gy - y0;
    for (let x = 0; x < n; x++) {
      const gx = Math.min(Math.max((x + 0.5) * cols / n - 0.5, 0), cols - 1), x0 = Math.floor(gx), x1 = Math.min(x0 + 1, cols - 1), fx = gx - x0;
      const top = grid[y0 * cols + x0] * (1 - fx) + grid[y0 * cols + x1] * fx;
      const bottom = grid[y1 * cols + x0] * (1 - fx) + grid[y1 * cols + x1] * fx;
      out[y * n + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** The patch under pixel (x, y) of an n × n picture. */
function patchAt(x, y, n, rows, cols) {
  return Math.floor(y * rows / n) * cols + Math.floor(x * cols / n);
}

/** A tile: the image stretched square (as the model saw it), with paint(r, g, b, x, y) deciding each pixel. */
function tile(container, caption, paint) {
  const figure = document.createElement('figure');
  figure.className = 'tile';
  const canvas = document.createElement('canvas');
  const n = Math.round(TILE * Math.min(2, window.devicePixelRatio || 1));
  canvas.width = canvas.height = n;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (paint !== null) {
    ctx.drawImage(state.picture, 0, 0, n, n);
  }
  if (paint) {
    const img = ctx.getImageData(0, 0, n, n), d = img.data;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const o = (y * n + x) * 4, c = paint(d[o], d[o + 1], d[o + 2], x, y, n);
        d[o] = c[0]; d[o + 1] = c[1]; d[o + 2] = c[2];
      }
    }
    ctx.putImageData(img, 0, 0);
  }
  const cap = document.createElement('figcaption');
  cap.innerHTML = caption;
  figure.append(canvas, cap);
  container.append(figure);
  return { figure, canvas, ctx, n };
}

function blend(r, g, b, c, alpha) {
  return [r * (1 - alpha) + c[0] * alpha, g * (1 - alpha) + c[1] * alpha, b * (1 - alpha) + c[2] * alpha];
}

function heatTile(container, caption, values, rows, cols) {
  let max = 0;
  for (const v of values) max = Math.max(max, v);
  let up = null;
  return tile(container, caption, (r, g, b, x, y, n) => {
    if (!up) up = bilinear(values.map(v => max > 0 ? v / max : 0), rows, cols, n);
    return blend(r, g, b, colour(up[y * n + x]), 0.6);
  });
}

function maskTile(container, caption, mask, rows, cols) {
  return tile(container, caption, (r, g, b, x, y, n) =>
    mask[patchAt(x, y, n, rows, cols)] ? blend(r, g, b, GREEN, 0.45) : blend(r, g, b, [0, 0, 0], 0.55));
}

function drawAttention() {
  const doc = state.layers.attention[state.layer], box = $('attention');
  box.innerHTML = '';
  const { rows, cols } = doc.grid;
  tile(box, 'image');
  const mean = new Array(rows * cols).fill(0);
  doc.attention.forEach((head, j) => {
    const t = heatTile(box, `<b>head ${j}</b><br>to itself ${doc.classToken[j].toFixed(3)}`, head, rows, cols);
    t.figure.dataset.head = j;
    t.figure.dataset.classToken = doc.classToken[j];
    t.figure.dataset.max = Math.max(...head);
    head.forEach((v, p) => { mean[p] += v / doc.heads; });
  });
  heatTile(box, '<b>mean of heads</b>', mean, rows, cols).figure.dataset.head = 'mean';
  box.dataset.layer = doc.layer;
  $('attention-note').textContent = `layer ${doc.layer}, ${doc.heads} heads, ${rows} × ${cols} patches`;
}

function minMax(v) {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  return v.map(x => hi > lo ? (x - lo) / (hi - lo) : 0);
}

function drawPca(doc) {
  const box = $('pca');
  box.innerHTML = '';
  const { rows, cols } = doc.grid;
  const pc1 = minMax(doc.components[0]);
  const rgb = [1, 2, 3].map(c => doc.components[c] ? minMax(doc.components[c]) : new Array(rows * cols).fill(0));
  const colourAt = p => [255 * rgb[0][p], 255 * rgb[1][p], 255 * rgb[2][p]];
  tile(box, 'image');
  tile(box, '<b>PC1</b>, scaled over the image', (r, g, b, x, y, n) => blend(r, g, b, colour(pc1[patchAt(x, y, n, rows, cols)]), 0.7));
  maskTile(box, `<b>foreground</b>: PC1 &gt; ½<br>${doc.foregroundPatches} of ${rows * cols} patches`, doc.foreground, rows, cols);
  tile(box, '<b>PC2–4 as RGB</b>', (r, g, b, x, y, n) => colourAt(patchAt(x, y, n, rows, cols)));
  tile(box, '<b>PC2–4 on the foreground</b>', (r, g, b, x, y, n) => {
    const p = patchAt(x, y, n, rows, cols);
    return doc.foreground[p] ? colourAt(p) : [0, 0, 0];
  });
  box.dataset.layer = doc.layer;
  const ratios = doc.explainedVarianceRatio.map(v => (100 * v).toFixed(1) + '%').join(', ');
  $('pca-note').textContent = `layer ${doc.layer}; variance explained by components 1–${doc.explainedVarianceRatio.length}: ${ratios}`;
}

function drawSegment(doc) {
  const box = $('segment');
  box.innerHTML = '';
  const { rows, cols } = doc.grid;
  tile(box, 'image');
  const t = tile(box, `<b>MaskCut</b>: ${doc.objects.length} object${doc.objects.length === 1 ? '' : 's'}`, (r, g, b, x, y, n) => {
    const l = doc.labels[patchAt(x, y, n, rows, cols)];
    return l === 0 ? blend(r, g, b, [0, 0, 0], 0.55) : blend(r, g, b, labelColour(l), 0.5);
  });
  drawBoxes(t, doc);
  t.figure.dataset.objects = doc.objects.length;
  doc.coarseMasks.forEach((m, j) => {
    const kept = m.reduce((a, b) => a + b, 0);
    maskTile(box, `<b>head ${j}</b> coarse mask<br>${kept} of ${rows * cols} patches`, m, rows, cols);
  });
  box.dataset.layer = doc.layer;
  $('segment-note').textContent = `layer ${doc.layer}; attention mass ${doc.mass}, MaskCut τ = ${doc.tau}`;
}

/** Each object's box, scaled from the original image's pixels to the tile. */
function drawBoxes(t, doc) {
  t.ctx.lineWidth = Math.max(2, t.n / 96);
  doc.objects.forEach(o => {
    if (!o.box) return;
    const [x0, y0, x1, y1] = o.box, sx = t.n / doc.width, sy = t.n / doc.height, c = labelColour(o.id);
    t.ctx.strokeStyle = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    t.ctx.strokeRect(x0 * sx + 1, y0 * sy + 1, (x1 - x0) * sx - 2, (y1 - y0) * sy - 2);
  });
}

// ---------------------------------------------------------------- drawing: charts (lineChart is in charts.js)

function drawLayerwise(r) {
  const box = $('layerwise');
  box.innerHTML = '';
  const layers = r.layers.map(s => s.layer);
  lineChart(box, 'coding rate Rᶜ(Z)', 'layer', [{ name: 'this image', points: r.layers.map(s => [s.layer, s.codingRate.mean]) }]);
  lineChart(box, 'non-zero fraction of ISTA output', 'layer', [{ name: 'this image', points: r.layers.map(s => [s.layer, s.nonZeroFraction.mean]) }]);
  const table = $('layerwise-table');
  table.innerHTML = '<tr><th>layer</th><th>coding rate</th><th>non-zero fraction</th><th>zero fraction</th></tr>';
  r.layers.forEach(s => {
    const row = table.insertRow();
    row.dataset.layer = s.layer;
    for (const v of [s.layer, s.codingRate.mean.toFixed(3), s.nonZeroFraction.mean.toFixed(4), s.zeroFraction.mean.toFixed(4)]) row.insertCell().textContent = v;
  });
  box.dataset.layers = layers.length;
}

/** One chart per quantity; train_X and val_X share a chart. */
function drawCurves(c) {
  const box = $('curves');
  box.innerHTML = '';
  const x = $('curves-x').value, xi = c.columns.indexOf(x);
  const groups = new Map();
  c.columns.forEach((name, i) => {
    if (i === xi || name === 'epoch' || name === 'step') return;
    const key = name.replace(/^(train|val|test)_/, '');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ name: name === key ? key : name.slice(0, name.length - key.length - 1), column: i });
  });
  for (const [key, members] of groups) {
    const series = members.map(s => ({ name: s.name, points: c.rows.filter(r => r[xi] !== null && r[s.column] !== null).map(r => [r[xi], r[s.column]]) }));
    if (series.some(s => s.points.length)) lineChart(box, key, x, series);
  }
  if (!box.childNodes.length) box.append(paragraph('no numeric columns against ' + x, 'empty'));
  $('curves-note').textContent = c.name;
}

// ---------------------------------------------------------------- small helpers

function span(cls, text) { const s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }
function paragraph(text, cls) { const p = document.createElement('p'); p.className = cls; p.textContent = text; return p; }
function percent(p) { return (100 * p).toFixed(2) + '%'; }
function megabytes(bytes) { return (bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 1) + ' MB'; }
function facts(dl, pairs) {
  dl.innerHTML = '';
  for (const [k, v] of pairs) {
    const dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = k; dd.textContent = v;
    dl.append(dt, dd);
  }
}

document.addEventListener('DOMContentLoaded', start);
