// Line charts in plain SVG for the explorer page of `crate serve` (loaded before explorer.js).
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const SERIES = ['#2a6fdb', '#e8590c', '#2b8a3e', '#9c36b5', '#c2255c', '#0b7285'];

function svg(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

/** About five round ticks covering [lo, hi] (whole numbers only when integer), with the rounded domain they span. */
function ticks(lo, hi, integer) {
  if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
  const raw = (hi - lo) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw);
  if (integer) step = Math.max(1, Math.round(step));
  const from = Math.floor(lo / step + 1e-9) * step, to = Math.ceil(hi / step - 1e-9) * step, values = [];
  for (let v = from; v <= to + step * 1e-9; v += step) values.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { values, from, to };
}

function formatTick(v) {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** A line chart of series [{name, points: [[x, y], …]}] in plain SVG. */
function lineChart(container, title, xLabel, series, width = 330, height = 210) {
  const m = { left: 52, right: 12, top: 34, bottom: 36 };
  const all = series.flatMap(s => s.points).filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  const root = svg('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title }, container);
  svg('text', { x: 12, y: 18, class: 'title' }, root).textContent = title;
  if (!all.length) {
    svg('text', { x: m.left, y: height / 2 }, root).textContent = 'no values';
    return root;
  }
  const xs = all.map(p => p[0]), ys = all.map(p => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { const pad = Math.abs(y0) * 0.1 || 1; y0 -= pad; y1 += pad; }
  const yTicks = ticks(y0, y1, false), xTicks = ticks(x0, x1, xs.every(Number.isInteger)).values.filter(t => t >= x0 && t <= x1);
  [y0, y1] = [yTicks.from, yTicks.to];
  const px = x => m.left + (x - x0) / (x1 - x0) * (width - m.left - m.right);
  const py = y => height - m.bottom - (y - y0) / (y1 - y0) * (height - m.top - m.bottom);
  for (const t of yTicks.values) {
    svg('line', { x1: m.left, x2: width - m.right, y1: py(t), y2: py(t), class: 'grid' }, root);
    svg('text', { x: m.left - 6, y: py(t) + 4, 'text-anchor': 'end' }, root).textContent = formatTick(t);
  }
  for (const t of xTicks) {
    svg('text', { x: px(t), y: height - m.bottom + 15, 'text-anchor': 'middle' }, root).textContent = formatTick(t);
  }
  svg('line', { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom, class: 'axis' }, root);
  svg('text', { x: (m.left + width - m.right) / 2, y: height - 6, 'text-anchor': 'middle' }, root).textContent = xLabel;
  series.forEach((s, i) => {
    const pts = s.points.filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    const c = SERIES[i % SERIES.length];
    svg('polyline', { points: pts.map(p => px(p[0]) + ',' + py(p[1])).join(' '), fill: 'none', stroke: c, 'stroke-width': 2 }, root);
    if (pts.length <= 40) pts.forEach(p => svg('circle', { cx: px(p[0]), cy: py(p[1]), r: 2.6, fill: c }, root));
    if (series.length > 1) {
      const lx = width - m.right - 8 - 70 * (series.length - 1 - i);
      svg('rect', { x: lx - 14, y: 12, width: 10, height: 3, fill: c }, root);
      svg('text', { x: lx, y: 17 }, root).textContent = s.name;
    }
  });
  return root;
}
