/** The dashboard page's script: plain browser JavaScript, no build step (no backticks or template placeholders inside). */
export const PAGE_SCRIPT = String.raw`
'use strict';
const $ = (selector, root) => (root || document).querySelector(selector);
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick') node.addEventListener('click', v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, String(v));
  }
  for (const child of children) node.append(child);
  return node;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const pct = (r) => (r * 100).toFixed(1) + '%';
const bytes = (b) => (b === null ? 'n/a' : b < 1024 ? b + ' B' : b < 1048576 ? (b / 1024).toFixed(1) + ' kB' : (b / 1048576).toFixed(1) + ' MB');
const day = (d) => new Date(d).toISOString().slice(0, 10);
async function api(name, params, method) {
  const res = await fetch('/api/' + name + '?' + new URLSearchParams(params || {}), { method: method || 'GET', headers: method === 'POST' ? { 'x-kickass-write': '1' } : {} });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}
const table = (header, rows, attrs) => el('table', attrs || {}, el('thead', {}, el('tr', {}, ...header.map((h) => el('th', { text: h })))), el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => (c instanceof Node ? el('td', {}, c) : el('td', { text: c })))))));
const failed = (box, error) => box.replaceChildren(el('p', { class: 'error', text: error.message }));

function renderKeys(stats) {
  const s = stats.server;
  $('#server').textContent = 'redis ' + s.version + ', ' + s.masters + ' master(s), ' + bytes(s.usedMemory) + ' used, maxmemory-policy ' + s.maxmemoryPolicy + ' - prefix ' + stats.prefix + ': ' + fmt(stats.keys) + ' keys';
  $('#keys').replaceChildren(table(['component', 'name', 'keys', 'memory'], stats.groups.map((g) => [g.component, g.name, fmt(g.keys), (g.estimated ? '~' : '') + bytes(g.bytes)])));
  const caches = stats.groups.filter((g) => g.component === 'cache');
  $('#caches').replaceChildren(caches.length === 0 ? el('p', { text: 'no cache entries' }) : table(['namespace', 'keys', 'memory'], caches.map((g) => [g.name, fmt(g.keys), bytes(g.bytes)])));
}

function renderModel(box, info, allowWrites) {
  const result = el('div', { class: 'result' });
  const where = el('textarea', { rows: 2, placeholder: '{"country": "france"}', 'data-testid': 'where-' + info.name });
  const search = el('input', { placeholder: 'text search', 'data-testid': 'search-' + info.name });
  const run = async () => {
    try {
      const answer = await api('query', { model: info.name, where: where.value, search: search.value, limit: 20 });
      const columns = [...new Set(answer.rows.flatMap((r) => Object.keys(r)))];
      result.replaceChildren(el('p', { text: fmt(answer.count) + ' match' }), table(columns, answer.rows.map((r) => columns.map((c) => (r[c] === undefined ? '' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c]))))));
    } catch (e) { failed(result, e); }
  };
  const verify = async () => {
    result.replaceChildren(el('p', { text: 'verifying...' }));
    try {
      const report = await api('verify', { model: info.name });
      const kinds = Object.entries(report.counts).filter(([, n]) => n > 0);
      result.replaceChildren(el('p', { 'data-testid': 'verify-' + info.name, text: fmt(report.objects) + ' objects checked: ' + (kinds.length === 0 ? 'no problems' : kinds.map(([k, n]) => k + ' ' + n).join(', ')) }));
    } catch (e) { failed(result, e); }
  };
  const buttons = [el('button', { onclick: run, text: 'query' }), el('button', { onclick: verify, text: 'verify' })];
  if (allowWrites) buttons.push(el('button', { text: 'reindex', onclick: async () => {
    try { const r = await api('reindex', { model: info.name }, 'POST'); result.replaceChildren(el('p', { text: 'reindexed ' + fmt(r.objects) + ' objects' })); } catch (e) { failed(result, e); }
  } }));
  box.append(el('div', { class: 'card', id: 'model-' + info.name },
    el('h3', { text: info.name + ': ' + fmt(info.objects) + ' objects in ' + info.partitions + ' partition(s)' }),
    table(['field', 'kind', 'indexes'], info.fields.map((f) => [f.name, f.kind, f.indexes.join(', ') || '-'])),
    el('div', { class: 'query' }, where, search, ...buttons), result));
}

function barChart(points, label) {
  const width = 720, height = 160, max = Math.max(1, ...points.map((p) => p.count));
  const w = width / Math.max(1, points.length);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + (height + 20));
  svg.setAttribute('id', 'series');
  points.forEach((p, i) => {
    const h = (p.count / max) * height;
    const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    for (const [k, v] of Object.entries({ x: i * w + 1, y: height - h, width: Math.max(1, w - 2), height: h, 'data-start': day(p.start), 'data-count': p.count })) rect.setAttribute(k, v);
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = day(p.start) + ': ' + fmt(p.count) + ' ' + label;
    rect.append(title);
    svg.append(rect);
  });
  return svg;
}

async function renderCounters(overview) {
  const box = $('#counters');
  const counters = overview.uniqueCounters.filter((c) => !c.approximate);
  if (overview.uniqueCounters.length === 0) { box.replaceChildren(el('p', { text: 'no unique counters in the config' })); return; }
  const pickCounter = el('select', { 'data-testid': 'counter' }, ...overview.uniqueCounters.map((c) => el('option', { value: c.name, text: c.name })));
  const pickActivity = el('select', { 'data-testid': 'activity' }, el('option', { value: '', text: '(same counter)' }), ...counters.map((c) => el('option', { value: c.name, text: c.name })));
  if (counters.length > 1) pickActivity.value = counters[1].name;
  const series = el('div'), heat = el('div'), steps = el('div', { id: 'funnel' });
  const draw = async () => {
    const name = pickCounter.value;
    try {
      const s = await api('series', { counter: name, slots: 42 });
      series.replaceChildren(el('h3', { text: name + ' per ' + s.unit }), barChart(s.counts, name));
    } catch (e) { failed(series, e); }
    try {
      const c = await api('cohort', { counter: name, activity: pickActivity.value, cohorts: 8, periods: 8 });
      const header = el('tr', {}, el('th', { text: 'cohort' }), el('th', { text: 'size' }), ...c.rows[0].counts.map((_, i) => el('th', { text: c.unit + ' ' + i })));
      const rows = c.rows.map((r) => el('tr', {}, el('th', { text: day(r.start) }), el('td', { text: fmt(r.size), 'data-size': r.size }), ...r.counts.map((n, i) => {
        if (i >= r.begun) return el('td', { class: 'future', 'data-cohort': day(r.start), 'data-period': i });
        const cell = el('td', { 'data-cohort': day(r.start), 'data-period': i, 'data-count': n, 'data-rate': r.rates[i], title: fmt(n) + ' of ' + fmt(r.size), text: pct(r.rates[i]) });
        cell.style.background = 'rgba(37, 99, 235, ' + (0.08 + 0.85 * r.rates[i]).toFixed(3) + ')';
        if (r.rates[i] > 0.5) cell.style.color = '#fff';
        return cell;
      })));
      heat.replaceChildren(el('h3', { text: 'retention: ' + c.cohort + ' cohorts found in ' + c.activity }), el('table', { id: 'cohort-heatmap', class: 'heatmap' }, el('thead', {}, header), el('tbody', {}, ...rows)));
    } catch (e) { failed(heat, e); }
  };
  pickCounter.addEventListener('change', draw);
  pickActivity.addEventListener('change', draw);
  box.replaceChildren(el('div', { class: 'controls' }, 'counter ', pickCounter, ' activity ', pickActivity), series, heat, steps);
  await draw();
  if (counters.length >= 2) {
    try {
      const f = await api('funnel', { steps: counters.map((c) => c.name).join(','), window: 7 });
      steps.replaceChildren(el('h3', { text: 'funnel over ' + f.window + ' ' + f.unit + 's from ' + day(f.from) }), ...f.steps.map((s) => {
        const fill = el('div', { class: 'fill' });
        fill.style.width = (s.overall * 100).toFixed(1) + '%';
        return el('div', { class: 'step', 'data-counter': s.counter, 'data-count': s.count }, el('span', { class: 'label', text: s.counter + ' ' + fmt(s.count) + ' (' + pct(s.conversion) + ' of previous)' }), el('div', { class: 'track' }, fill));
      }));
    } catch (e) { failed(steps, e); }
  }
}

function renderHierarchy(box, counter) {
  const path = [];
  const card = el('div', { class: 'card', id: 'hierarchy-' + counter.name });
  box.append(card);
  const draw = async () => {
    try {
      const h = await api('hierarchy', { counter: counter.name, path: JSON.stringify(path), resolution: counter.resolutions[0], limit: 12 });
      const crumbs = el('div', { class: 'crumbs', 'data-testid': 'crumbs' }, el('button', { class: 'crumb', text: counter.name, onclick: () => { path.length = 0; draw(); } }), ...path.map((segment, i) => el('button', { class: 'crumb', text: segment, onclick: () => { path.length = i + 1; draw(); } })));
      const max = Math.max(1, ...h.children.map((c) => c.sum));
      const nodes = h.children.map((c) => {
        const fill = el('div', { class: 'fill' });
        fill.style.width = ((c.sum / max) * 100).toFixed(1) + '%';
        return el('button', { class: 'node', 'data-segment': c.segment, 'data-sum': c.sum, onclick: () => { path.push(c.segment); draw(); } }, el('span', { class: 'label', text: c.segment + ' ' + fmt(c.sum) }), el('div', { class: 'track' }, fill));
      });
      card.replaceChildren(el('h3', { text: [counter.name, ...path].join(' / ') + ' in the ' + h.resolution + ' of ' + day(h.slot) + ': ' + fmt(h.node.sum) }), crumbs, ...(nodes.length === 0 ? [el('p', { text: 'no children' })] : nodes));
    } catch (e) { failed(card, e); }
  };
  return draw();
}

async function renderSync(overview) {
  const box = $('#sync');
  if (overview.sync === null) { box.replaceChildren(el('p', { text: 'no sync in the config' })); return; }
  try {
    const s = await api('sync');
    box.replaceChildren(table(['sync', 'phase', 'epoch', 'position', 'behind', 'lag'], [[s.name, s.phase, String(s.epoch), s.position ? s.position.gtid : '-', s.caughtUp ? 'caught up' : s.behindBytes === null ? 'yes' : fmt(s.behindBytes) + ' bytes', fmt(s.lagMs) + ' ms']]));
  } catch (e) { failed(box, e); }
}

async function main() {
  try {
    const overview = await api('overview');
    $('#mode').textContent = overview.allowWrites ? 'writes allowed' : 'read-only';
    renderKeys(overview.stats);
    const models = $('#models');
    models.replaceChildren();
    if (overview.models.length === 0) models.append(el('p', { text: 'no models in the config' }));
    for (const name of overview.models) renderModel(models, await api('model', { name }), overview.allowWrites);
    const hierarchies = $('#hierarchies');
    hierarchies.replaceChildren();
    if (overview.hierarchicalCounters.length === 0) hierarchies.append(el('p', { text: 'no hierarchical counters in the config' }));
    await Promise.all([renderCounters(overview), renderSync(overview), ...overview.hierarchicalCounters.map((c) => renderHierarchy(hierarchies, c))]);
    document.body.setAttribute('data-ready', 'true');
  } catch (e) {
    failed($('#server'), e);
  }
}
main();
`;
