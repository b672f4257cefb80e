/*
 * interviewd admin dashboard.
 *
 * Signs in with the admin token (kept in sessionStorage, so only this tab has it and it
 * is gone when the tab closes), then every REFRESH_MS reads three admin routes:
 *   /api/optimization_stats  -> one tile per top-level numeric field, exactly as given
 *   /api/providers           -> a card per deployment: state, left today, reset time
 *   /api/stats/history       -> the charts (uPlot): savings, use today against the
 *                               daily limits with a forecast, latency p50/p95,
 *                               interviews and modes
 * Server text reaches the DOM through textContent only. Tiles carry data-metric="<field>"
 * with the API's number as their text (String(value): integers stay integers, rates keep
 * every digit), so what a person sees can be checked against the API.
 */
'use strict';

(function () {
  const TOKEN_KEY = 'interviewd.adminToken';
  const REFRESH_MS = 5000;
  const DAY_S = 86400;
  const PALETTE = ['#3b5bdb', '#2b8a3e', '#e8590c', '#ae3ec9', '#0c8599', '#c92a2a', '#f08c00', '#5c940d', '#1c7ed6', '#d6336c'];

  const LABELS = {
    total_requests: 'Logical requests',
    cache_hits: 'Cache hits',
    pool_hits: 'Bank and template hits',
    api_calls: 'Provider calls',
    dedup_saves: 'De-duplicated',
    cache_hit_rate: 'Cache hit rate',
    pool_hit_rate: 'Pool hit rate',
    api_call_rate: 'API call rate',
    optimization_rate: 'Optimization rate',
    api_calls_saved: 'Calls saved',
    estimated_cost_saved: 'Estimated cost saved',
    provider_tokens: 'Provider tokens',
    price_per_mtok_usd: 'Price per million tokens'
  };
  const SAVING_LABELS = {
    cache: 'cache', pool: 'bank / template', precheck: 'pre-check', merged: 'merged into another call',
    batched: 'batched', coalesced: 'coalesced', near_duplicate: 'near-duplicate', fallback: 'fallback (no model)'
  };
  const MODE_ORDER = ['full', 'balanced', 'economy', 'offline'];

  /* ------------------------------------------------------------------ helpers */

  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      if (props.class) node.className = props.class;
      if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
      if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) node.setAttribute(k, String(v));
      if (props.data) for (const [k, v] of Object.entries(props.data)) node.dataset[k] = String(v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
    }
    return node;
  }

  function setText(node, text) {
    const s = String(text);
    if (node.textContent !== s) node.textContent = s;
  }

  function announce(text) {
    const a = $('announcer');
    a.textContent = '';
    setTimeout(() => { a.textContent = text; }, 50);
  }

  function labelFor(key) {
    return LABELS[key] || key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  }

  const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  function fmtInt(v) { return Number.isFinite(v) ? intFmt.format(v) : '–'; }
  function fmtPct(x, digits = 1) { return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '–'; }
  function fmtMs(v) { return Number.isFinite(v) ? (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`) : '–'; }

  function fmtClock(ms) {
    return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function fmtWhen(ms) {
    const d = new Date(ms);
    const left = ms - Date.now();
    let rel = '';
    if (left > 0) {
      const h = Math.floor(left / 3600000);
      const m = Math.round((left % 3600000) / 60000);
      rel = h > 0 ? ` (in ${h} h ${m} min)` : ` (in ${m} min)`;
    }
    return d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' }) + rel;
  }

  function cssVar(name, fallback) {
    const v = getComputedStyle(document.body).getPropertyValue(name).trim();
    return v || fallback;
  }

  /* ------------------------------------------------------------------ token and API */

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function tokenGet() { try { return sessionStorage.getItem(TOKEN_KEY); } catch (_) { return null; } }
  function tokenSet(t) {
    try {
      if (t === null) sessionStorage.removeItem(TOKEN_KEY);
      else sessionStorage.setItem(TOKEN_KEY, t);
    } catch (_) { /* storage off: the session lasts until reload */ }
  }

  let token = null;

  async function get(path, tok) {
    let res;
    try {
      res = await fetch(path, {
        headers: { Accept: 'application/json', Authorization: `Bearer ${tok}` },
        cache: 'no-store'
      });
    } catch (_) {
      throw new ApiError(0, 'The server cannot be reached. Check that interviewd is running.');
    }
    let body = null;
    try { body = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) {
      const msg = body && body.error && body.error.message ? body.error.message : `HTTP ${res.status}`;
      throw new ApiError(res.status, msg);
    }
    return body;
  }

  /* ------------------------------------------------------------------ views */

  function showSignin(message) {
    stopRefresh();
    token = null;
    $('who').hidden = true;
    $('dashboard-view').hidden = true;
    $('signin-view').hidden = false;
    const err = $('signin-error');
    err.hidden = !message;
    err.textContent = message || '';
    $('f-token').setAttribute('aria-invalid', message ? 'true' : 'false');
    $('f-token').focus();
  }

  function showDashboard() {
    $('signin-view').hidden = true;
    $('dashboard-view').hidden = false;
    $('who').hidden = false;
  }

  async function onSignin(ev) {
    ev.preventDefault();
    const input = $('f-token');
    const t = input.value.trim();
    if (!t) {
      showSignin('Enter the admin token.');
      return;
    }
    const button = $('signin-button');
    button.disabled = true;
    try {
      await get('/api/optimization_stats', t);
    } catch (e) {
      button.disabled = false;
      tokenSet(null);
      showSignin(e.status === 401 ? `Sign-in refused: ${e.message}` : e.message);
      return;
    }
    button.disabled = false;
    input.value = '';
    tokenSet(t);
    token = t;
    showDashboard();
    announce('Signed in. The dashboard refreshes every few seconds.');
    startRefresh();
  }

  function signOut() {
    tokenSet(null);
    for (const c of charts.values()) c.u.destroy();
    charts.clear();
    showSignin('');
    $('signin-error').hidden = true;
  }

  /* ------------------------------------------------------------------ refresh */

  let timer = null;
  let paused = false;
  let refreshes = 0;
  let running = false;

  function stopRefresh() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function startRefresh() {
    stopRefresh();
    refresh();
  }

  function schedule() {
    stopRefresh();
    if (!paused && token) timer = setTimeout(refresh, REFRESH_MS);
  }

  async function refresh() {
    if (!token || running) return;
    running = true;
    const tok = token;
    try {
      const [stats, providers, history] = await Promise.all([
        get('/api/optimization_stats', tok), get('/api/providers', tok), get('/api/stats/history', tok)
      ]);
      if (tok !== token) return; /* signed out meanwhile */
      render(stats, providers, history);
      $('dash-error').hidden = true;
      refreshes++;
      $('dashboard-view').dataset.refreshes = String(refreshes);
      setText($('status-line'), paused ? `Paused · updated ${fmtClock(Date.now())}` : `Updated ${fmtClock(Date.now())} · every ${REFRESH_MS / 1000} s`);
    } catch (e) {
      if (e.status === 401) {
        tokenSet(null);
        showSignin(`The server no longer accepts this token: ${e.message}`);
        return;
      }
      const box = $('dash-error');
      box.textContent = `Could not refresh: ${e.message} Retrying.`;
      box.hidden = false;
    } finally {
      running = false;
      schedule();
    }
  }

  function togglePause() {
    paused = !paused;
    const b = $('pause-button');
    b.textContent = paused ? 'Resume' : 'Pause';
    b.setAttribute('aria-pressed', paused ? 'true' : 'false');
    if (paused) {
      stopRefresh();
      setText($('status-line'), 'Paused');
    } else {
      refresh();
    }
  }

  /* ------------------------------------------------------------------ rendering */

  function render(stats, providers, history) {
    renderTiles(stats);
    renderTaskTable(stats);
    const h = normaliseHistory(history);
    renderInterviewTiles(h);
    renderProviders(providers, h);
    renderSpend(providers && providers.spend);
    renderCharts(h, providers);
    const mode = history && history.mode_now;
    const badge = $('mode-now');
    badge.hidden = !mode;
    setText(badge, mode ? `new interviews: ${mode}` : '');
    badge.dataset.mode = mode || '';
  }

  /* Issue 16: money spent today on priced deployments, its forecast and the cap. */
  function renderSpend(sp) {
    const line = $('spend-line');
    line.hidden = !sp;
    if (!sp) return;
    const usd = (v) => (Number.isFinite(v) ? `$${v.toFixed(2)}` : '–');
    setText(line, sp.max_usd_per_day > 0
      ? `Spend today ${usd(sp.today_usd)} of ${usd(sp.max_usd_per_day)} a day (forecast ${usd(sp.forecast_usd)}); priced deployments take only what free quota cannot serve in time.`
      : `Spend today ${usd(sp.today_usd)}: no spend allowed ([budget] max_usd_per_day = 0), priced deployments are never used.`);
    line.dataset.value = String(sp.today_usd);
  }

  const tileNodes = new Map(); // field -> {tile, value, raw}

  function isRateKey(k) { return /_rate$/.test(k); }
  function isMoneyKey(k) { return /cost|usd|price/.test(k); }

  /* One tile per top-level numeric field, in the API's order; new fields get a tile. */
  function renderTiles(stats) {
    const box = $('tiles');
    for (const [key, v] of Object.entries(stats || {})) {
      if (typeof v !== 'number') continue;
      let n = tileNodes.get(key);
      if (!n) {
        const value = el('p', { class: 'tile-value' });
        const raw = el('p', { class: 'tile-raw' });
        const tile = el('div', { class: 'tile', data: { tile: key } }, el('p', { class: 'tile-label', text: labelFor(key) }), value, raw);
        if (key === 'optimization_rate' || key === 'api_calls_saved') tile.classList.add('accent');
        box.append(tile);
        n = { tile, value, raw };
        tileNodes.set(key, n);
      }
      const exact = String(v);
      if (Number.isInteger(v) && !isRateKey(key) && !isMoneyKey(key)) {
        // The number itself is the big value.
        n.value.dataset.metric = key;
        delete n.raw.dataset.metric;
        setText(n.value, exact);
        n.value.title = fmtInt(v);
        n.raw.hidden = true;
      } else {
        // A readable big value, and the exact number underneath.
        delete n.value.dataset.metric;
        n.raw.dataset.metric = key;
        n.raw.hidden = false;
        setText(n.raw, exact);
        setText(n.value, isRateKey(key) ? fmtPct(v, 1) : isMoneyKey(key) ? `$${v.toFixed(v >= 100 ? 2 : 4)}` : String(Number(v.toPrecision(6))));
      }
    }
  }

  function renderTaskTable(stats) {
    const byTask = stats && stats.by_task;
    const table = $('task-table');
    const thead = table.tHead;
    const tbody = table.tBodies[0];
    thead.textContent = '';
    tbody.textContent = '';
    if (!byTask || typeof byTask !== 'object') return;
    const tasks = Object.keys(byTask);
    const cols = [];
    for (const t of tasks) for (const k of Object.keys(byTask[t] || {})) if (!cols.includes(k)) cols.push(k);
    // "total" last
    cols.sort((a, b) => (a === 'total') - (b === 'total'));
    thead.append(el('tr', null, el('th', { text: 'task', attrs: { scope: 'col' } }), cols.map((c) => el('th', { text: c.replace(/_/g, ' '), attrs: { scope: 'col' } }))));
    for (const t of tasks) {
      const row = el('tr', { data: { task: t } }, el('th', { text: t.replace(/_/g, ' '), attrs: { scope: 'row' } }));
      for (const c of cols) {
        const v = byTask[t][c];
        row.append(el('td', { text: typeof v === 'number' ? String(v) : '', class: v === 0 ? 'zero' : '', data: { col: c } }));
      }
      tbody.append(row);
    }
  }

  /* History with a strictly increasing time axis and helpers to read series. */
  function normaliseHistory(history) {
    const h = history || {};
    const t = Array.isArray(h.t) ? h.t.slice() : [];
    for (let i = 1; i < t.length; i++) if (t[i] <= t[i - 1]) t[i] = t[i - 1] + 0.001;
    const n = t.length;
    const col = (arr) => (Array.isArray(arr) && arr.length === n ? arr : new Array(n).fill(null));
    const last = (arr) => {
      if (!Array.isArray(arr)) return null;
      for (let i = arr.length - 1; i >= 0; i--) if (arr[i] !== null && arr[i] !== undefined) return arr[i];
      return null;
    };
    return { raw: h, t, n, col, last, stats: h.stats || {}, savings: h.savings || {}, interviews: h.interviews || {}, modes: h.modes || {}, providers: h.providers || {} };
  }

  function tile(box, key, label, value, title) {
    let node = box.querySelector(`[data-metric="${key}"]`);
    if (!node) {
      node = el('p', { class: 'tile-value', data: { metric: key } });
      box.append(el('div', { class: 'tile' }, el('p', { class: 'tile-label', text: label }), node));
    }
    setText(node, value === null || value === undefined ? '0' : String(value));
    if (title) node.title = title;
  }

  function renderInterviewTiles(h) {
    const iv = h.interviews;
    const box = $('interview-tiles');
    tile(box, 'interviews_in_progress', 'In progress', h.last(iv.in_progress));
    tile(box, 'interviews_finished', 'Completed', h.last(iv.finished));
    tile(box, 'interviews_started', 'Started', h.last(iv.started));
    tile(box, 'interviews_reports', 'Reports written', h.last(iv.reports));
    const mbox = $('mode-tiles');
    for (const m of modeNames(h)) {
      tile(mbox, `mode_${m}_in_progress`, `${m}: in progress`, h.last((h.modes[m] || {}).in_progress),
        `${h.last((h.modes[m] || {}).started) || 0} started in this mode`);
    }
  }

  function modeNames(h) {
    const names = Object.keys(h.modes);
    return names.sort((a, b) => {
      const ia = MODE_ORDER.indexOf(a), ib = MODE_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    });
  }

  /* ------------------------------------------------------------------ providers */

  const providerNodes = new Map(); // name -> {card, fields..., chart}

  function usageModel(p, h) {
    // The deployment's day: it ends at resets_at and is 24 hours long.
    const end = Date.parse(p.resets_at) / 1000;
    const start = end - DAY_S;
    const now = Date.now() / 1000;
    const elapsed = Math.max(60, now - start); // a day just begun would forecast wildly
    const pace = (used) => used * (end - start) / elapsed;
    const lim = p.limits || {};
    const used = p.used_today || {};
    return {
      start, end, now,
      requests: { used: used.requests || 0, limit: lim.rpd || 0, remaining: (p.remaining || {}).requests, forecast: pace(used.requests || 0) },
      tokens: { used: used.tokens || 0, limit: lim.tpd || 0, remaining: (p.remaining || {}).tokens, forecast: pace(used.tokens || 0) },
      series: h.providers[p.name] || {}
    };
  }

  function leftText(r, unit) {
    if (!r.limit) return `${fmtInt(r.used)} ${unit} used · no daily limit`;
    return `${fmtInt(Math.max(0, r.remaining ?? r.limit - r.used))} of ${fmtInt(r.limit)} left (${fmtPct(r.used / r.limit)} used)`;
  }

  function fact(dl, key, label) {
    const dd = el('dd', { data: { field: key } });
    dl.append(el('div', null, el('dt', { text: label }), dd));
    return dd;
  }

  function renderProviders(doc, h) {
    const list = (doc && Array.isArray(doc.providers)) ? doc.providers : [];
    $('providers-empty').hidden = list.length > 0;
    const box = $('providers');
    const seen = new Set();
    list.forEach((p, i) => {
      seen.add(p.name);
      let n = providerNodes.get(p.name);
      if (!n) {
        const state = el('span', { class: 'badge state', data: { field: 'state' } });
        const dl = el('dl', { class: 'facts' });
        n = {
          state,
          model: el('span', { class: 'provider-model' }),
          reason: el('p', { class: 'provider-reason', data: { field: 'reason' } }),
          requests: fact(dl, 'requests_left', 'Requests today'),
          tokens: fact(dl, 'tokens_left', 'Tokens today'),
          resets: fact(dl, 'resets_at', 'Resets'),
          latency: fact(dl, 'latency', 'Latency (moving average)'),
          calls: fact(dl, 'calls', 'Calls ok / failed / 429'),
          inflight: fact(dl, 'in_flight', 'In flight'),
          forecast: el('p', { class: 'forecast', data: { field: 'forecast' } }),
          chart: el('div', { class: 'chart', attrs: { id: `chart-usage-${i}-${String(p.name).replace(/[^A-Za-z0-9_-]/g, '_')}`, role: 'img', 'aria-label': `Use today against the daily limits of ${p.name}` } })
        };
        n.card = el('article', { class: 'card provider-card', data: { provider: p.name } },
          el('div', { class: 'provider-head' }, el('h3', { text: p.name }), n.state, n.model),
          n.reason, dl, n.forecast, n.chart);
        box.append(n.card);
        providerNodes.set(p.name, n);
      }
      n.card.dataset.state = p.state;
      n.state.className = `badge state state-${p.state}`;
      setText(n.state, p.state);
      setText(n.model, p.model || '');
      n.reason.hidden = !p.reason;
      setText(n.reason, p.reason || '');
      const u = usageModel(p, h);
      setText(n.requests, leftText(u.requests, 'requests'));
      n.requests.dataset.remaining = String(u.requests.remaining ?? '');
      setText(n.tokens, leftText(u.tokens, 'tokens'));
      n.tokens.dataset.remaining = String(u.tokens.remaining ?? '');
      setText(n.resets, fmtWhen(u.end * 1000));
      n.resets.dataset.resetsAt = p.resets_at;
      setText(n.latency, p.calls ? fmtMs(p.latency_ms) : 'no calls yet');
      setText(n.calls, `${fmtInt(p.ok)} / ${fmtInt(p.failed)} / ${fmtInt(p.rate_limited)}`);
      setText(n.inflight, fmtInt((p.used_today || {}).in_flight || 0));
      const parts = [];
      let over = false;
      for (const [r, unit] of [[u.requests, 'requests'], [u.tokens, 'tokens']]) {
        if (!r.used) continue;
        const f = Math.round(r.forecast);
        if (r.limit) {
          parts.push(`${fmtInt(f)} ${unit} (${fmtPct(f / r.limit, 0)} of the limit)`);
          if (f > r.limit) over = true;
        } else {
          parts.push(`${fmtInt(f)} ${unit}`);
        }
      }
      if (p.state === 'disabled') parts.length = 0;
      setText(n.forecast, p.state === 'disabled' ? 'Takes no calls until the reason above is fixed.' : parts.length ? `At today's pace, by the reset: ${parts.join(', ')}.${over ? ' That is over the limit: the router will slow this deployment down.' : ''}` : 'Not used yet today.');
      n.forecast.classList.toggle('over', over);
      // A disabled deployment has no day to draw.
      n.chart.hidden = p.state === 'disabled';
      if (n.chart.hidden) destroyChart(n.chart.id);
      else drawUsageChart(n.chart, p, u, h);
    });
    for (const [name, n] of providerNodes) {
      if (seen.has(name)) continue;
      destroyChart(n.chart.id);
      n.card.remove();
      providerNodes.delete(name);
    }
  }

  /* ------------------------------------------------------------------ charts */

  const charts = new Map(); // container id -> {u, key, state}
  let uplotMissing = false;

  function chartHeight() { return window.matchMedia('(max-width: 640px)').matches ? 190 : 230; }

  function axis(label, values) {
    const muted = cssVar('--muted', '#5a6275');
    const grid = cssVar('--border', '#d9dde8');
    const a = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    if (label) a.label = label;
    if (values) a.values = values;
    return a;
  }

  function line(label, color, opts) {
    return Object.assign({ label, stroke: color, width: 2, spanGaps: false, points: { show: (u) => u.data[0].length <= 60, size: 5, fill: color } }, opts || {});
  }

  function destroyChart(id) {
    const c = charts.get(id);
    if (c) { c.u.destroy(); charts.delete(id); }
  }

  /* Draws or updates a chart in container. key names the series set: a new key rebuilds
   * the chart (new provider, new kind of saving), the same key only swaps the data. */
  function drawChart(container, key, makeOpts, data, state) {
    if (!window.uPlot) {
      if (!uplotMissing) { uplotMissing = true; $('charts-missing').hidden = false; }
      return;
    }
    let c = charts.get(container.id);
    if (c && c.key === key) {
      c.state = state;
      c.u.setData(data);
      return;
    }
    destroyChart(container.id);
    container.textContent = '';
    c = { key, state };
    charts.set(container.id, c);
    const width = Math.max(260, container.clientWidth || 600);
    const opts = Object.assign({ width, height: chartHeight(), legend: { show: true }, cursor: { drag: { x: false, y: false } } }, makeOpts(c));
    c.u = new window.uPlot(opts, data, container);
  }

  const resizer = typeof ResizeObserver === 'function' ? new ResizeObserver((entries) => {
    for (const e of entries) {
      const c = charts.get(e.target.id);
      if (!c) continue;
      const w = Math.max(260, Math.floor(e.contentRect.width));
      if (Math.abs(c.u.width - w) > 2) c.u.setSize({ width: w, height: chartHeight() });
    }
  }) : null;

  function observe(container) { if (resizer && !container.dataset.observed) { resizer.observe(container); container.dataset.observed = '1'; } }

  function renderCharts(h) {
    const t = h.t;
    // Calls saved, by kind (cumulative since the process started).
    {
      const kinds = Object.keys(h.savings).filter((k) => (h.savings[k] || []).some((v) => v > 0));
      const series = [{}];
      const data = [t];
      series.push(line('all savings', cssVar('--text', '#1b1f2a'), { width: 2.5 }));
      data.push(h.col(h.stats.api_calls_saved));
      kinds.forEach((k, i) => { series.push(line(SAVING_LABELS[k] || k, PALETTE[i % PALETTE.length])); data.push(h.col(h.savings[k])); });
      const c = $('chart-savings');
      observe(c);
      drawChart(c, `s:${kinds.join(',')}`, () => ({ series, axes: [axis(), axis('calls saved')], scales: { y: { range: (u, mn, mx) => [0, Math.max(1, mx * 1.1)] } } }), data);
    }
    // Latency p50 (solid) and p95 (dashed) per deployment.
    {
      // Deployments that have answered at least once in the window drawn.
      const names = Object.keys(h.providers).filter((n) => (h.providers[n].latency_p50_ms || []).some((v) => v !== null));
      const series = [{}];
      const data = [t];
      names.forEach((name, i) => {
        const s = h.providers[name];
        const color = PALETTE[i % PALETTE.length];
        series.push(line(`${name} p50`, color, { value: (u, v) => fmtMs(v) }));
        data.push(h.col(s.latency_p50_ms));
        series.push(line(`${name} p95`, color, { dash: [6, 4], value: (u, v) => fmtMs(v) }));
        data.push(h.col(s.latency_p95_ms));
      });
      const c = $('chart-latency');
      observe(c);
      drawChart(c, `l:${names.join(',')}`, () => ({ series, axes: [axis(), axis('ms')], scales: { y: { range: (u, mn, mx) => [0, Math.max(10, (mx || 0) * 1.15)] } } }), data);
    }
    // Interviews in progress and completed.
    {
      const iv = h.interviews;
      const series = [{}, line('in progress', PALETTE[0]), line('completed', PALETTE[1]), line('started', PALETTE[2], { dash: [6, 4] })];
      const data = [t, h.col(iv.in_progress), h.col(iv.finished), h.col(iv.started)];
      const c = $('chart-interviews');
      observe(c);
      drawChart(c, 'i', () => ({ series, axes: [axis(), axis('interviews')], scales: { y: { range: (u, mn, mx) => [0, Math.max(1, mx * 1.15)] } } }), data);
    }
    // Modes in use: interviews started per mode.
    {
      const modes = modeNames(h);
      const series = [{}];
      const data = [t];
      modes.forEach((m, i) => { series.push(line(m, PALETTE[i % PALETTE.length])); data.push(h.col((h.modes[m] || {}).started)); });
      const c = $('chart-modes');
      observe(c);
      drawChart(c, `m:${modes.join(',')}`, () => ({ series, axes: [axis(), axis('started')], scales: { y: { range: (u, mn, mx) => [0, Math.max(1, mx * 1.15)] } } }), data);
    }
  }

  /* One deployment's day: use so far as a share of each daily limit, a dashed straight
   * line from now to the reset at today's pace, and the limit itself. Without any daily
   * limit the chart shows requests as counts. */
  function drawUsageChart(container, p, u, h) {
    observe(container);
    const idx = [];
    for (let i = 0; i < h.n; i++) if (h.t[i] >= u.start - 1 && h.t[i] <= u.end) idx.push(i);
    const xs = idx.map((i) => h.t[i]);
    const reqs = h.col(u.series.requests_today);
    const toks = h.col(u.series.tokens_today);
    const pct = u.requests.limit > 0 || u.tokens.limit > 0;
    const series = [{}];
    const data = [];
    const withEnd = (arr, endValue) => arr.concat([endValue]);
    const nowIdx = xs.length - 1;
    const forecastLine = (values, forecast) => values.map((v, i) => (i === nowIdx ? v : null)).concat([forecast]);
    const add = (label, color, values, forecast) => {
      series.push(line(label, color));
      data.push(withEnd(values, null));
      series.push(line(`${label} forecast`, color, { dash: [6, 6], width: 1.5, points: { show: false } }));
      data.push(forecastLine(values, forecast));
    };
    if (pct) {
      if (u.requests.limit > 0) add('requests', PALETTE[0], idx.map((i) => (reqs[i] === null ? null : 100 * reqs[i] / u.requests.limit)), 100 * u.requests.forecast / u.requests.limit);
      if (u.tokens.limit > 0) add('tokens', PALETTE[2], idx.map((i) => (toks[i] === null ? null : 100 * toks[i] / u.tokens.limit)), 100 * u.tokens.forecast / u.tokens.limit);
      series.push(line('daily limit', cssVar('--weak', '#c92a2a'), { width: 1, dash: [2, 4], points: { show: false } }));
      data.push(new Array(xs.length + 1).fill(100));
    } else {
      add('requests', PALETTE[0], idx.map((i) => reqs[i]), u.requests.forecast);
    }
    data.unshift(xs.concat([Math.max(u.end, (xs[nowIdx] || u.now) + 1)]));
    const key = `u:${pct}:${u.requests.limit > 0}:${u.tokens.limit > 0}`;
    // The highest use or forecast drawn (the limit line itself does not count).
    let peak = 0;
    data.forEach((arr, i) => { // data[0] is the time axis, data[i] draws series[i]
      if (i === 0 || series[i].label === 'daily limit') return;
      for (const v of arr) if (v !== null && v > peak) peak = v;
    });
    const state = { start: u.start, end: u.end, peak };
    drawChart(container, key, (c) => ({
      series,
      axes: [axis(), axis(pct ? '% of daily limit' : 'requests', pct ? (self, splits) => splits.map((v) => `${v}%`) : undefined)],
      scales: {
        x: { time: true, range: () => [c.state.start, c.state.end] },
        // Far from the limit the scale zooms in on the use (the limit line is then off
        // the top, the axis still reads in % of it); near or over it, 100 % is shown.
        y: { range: () => { const pk = c.state.peak; return [0, !pct ? Math.max(1, pk * 1.1) : pk >= 40 ? Math.max(100, pk) * 1.08 : Math.max(5, pk * 1.4)]; } }
      }
    }), data, state);
  }

  /* ------------------------------------------------------------------ start */

  function init() {
    $('signin-form').addEventListener('submit', onSignin);
    document.querySelector('[data-action=signout]').addEventListener('click', signOut);
    $('pause-button').addEventListener('click', togglePause);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && token && !paused) refresh();
    });
    const saved = tokenGet();
    if (saved) {
      token = saved;
      showDashboard();
      startRefresh();
    } else {
      showSignin('');
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
