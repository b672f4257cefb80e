/*
 * interviewd admin dashboard.
 *
 * Signs in with an admin token, full or read-only (kept in sessionStorage, so only this
 * tab has it and it is gone when the tab closes), then every REFRESH_MS reads:
 *   /api/admin/status        -> the banner (disabled deployments, store or Redis down)
 *                               and the role (read-only hides what it cannot do)
 *   /api/optimization_stats  -> one tile per top-level numeric field, rounded for people;
 *                               the exact number is the tile's data-exact and title
 *   /api/providers           -> a card per deployment: state, left today, reset time
 *   /api/stats/history       -> the charts (uPlot): savings, use today against the
 *                               daily limits with a forecast, latency p50/p95,
 *                               interviews and modes
 * The other views load when opened (#interviews, #interview/<id>, #scores, #questions):
 * the admin list with filters, pages and a CSV export; one interview's transcript and
 * report; score distributions by role and kind; the question bank's use, with a button
 * to retire a template (full token only).
 * Server text reaches the DOM through textContent only. Tiles carry data-metric="<field>"
 * and data-exact="<String(value)>", so what a person sees can be checked against the API.
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
    price_per_mtok_usd: 'Price per million tokens',
    served_by_provider: 'Served by a provider',
    fallbacks: 'Fallbacks (heuristic, not a saving)',
    fallback_rate: 'Fallback rate',
    prechecked: 'Scored by pre-check'
  };
  const SAVING_LABELS = {
    cache: 'cache', pool: 'bank / template', merged: 'merged into another call',
    batched: 'batched', coalesced: 'coalesced', near_duplicate: 'near-duplicate'
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
  /* A tile's value for people: 3.5%, $0.42, 1,234; the API keeps every digit. */
  function fmtTile(key, v) {
    if (isRateKey(key)) return `${(v * 100).toFixed(1)}%`;
    if (isMoneyKey(key)) return v > 0 && v < 0.01 ? '< $0.01' : `$${v.toFixed(2)}`;
    if (Number.isInteger(v)) return fmtInt(v);
    return String(Number(v.toPrecision(3)));
  }
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
    route();
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
      const [stats, providers, history, status] = await Promise.all([
        get('/api/optimization_stats', tok), get('/api/providers', tok), get('/api/stats/history', tok),
        get('/api/admin/status', tok)
      ]);
      if (tok !== token) return; /* signed out meanwhile */
      renderStatus(status);
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
        const value = el('p', { class: 'tile-value', data: { metric: key } });
        const tile = el('div', { class: 'tile', data: { tile: key } }, el('p', { class: 'tile-label', text: labelFor(key) }), value);
        if (key === 'optimization_rate' || key === 'api_calls_saved') tile.classList.add('accent');
        if (key === 'fallbacks' || key === 'fallback_rate') tile.classList.add('caution');
        box.append(tile);
        n = { tile, value };
        tileNodes.set(key, n);
      }
      const exact = String(v);
      n.value.dataset.exact = exact;
      n.value.title = `exactly ${exact}`;
      setText(n.value, fmtTile(key, v));
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

  /* ------------------------------------------------------------------ trouble first */

  function renderStatus(st) {
    const warnings = (st && Array.isArray(st.warnings)) ? st.warnings : [];
    const list = $('banner-list');
    list.textContent = '';
    for (const w of warnings) list.append(el('li', { text: w.message, data: { code: w.code } }));
    $('banner').hidden = warnings.length === 0;
    const role = st && st.role === 'full' ? 'full' : 'read_only';
    const changed = document.body.dataset.role !== role;
    document.body.dataset.role = role;
    if (changed && !$('view-questions').hidden) renderQuestions();
    const badge = $('role-badge');
    badge.hidden = role === 'full';
    setText(badge, 'read-only');
  }

  /* ------------------------------------------------------------------ views */

  const VIEWS = ['overview', 'interviews', 'interview', 'scores', 'questions'];

  function route() {
    if (!token) return;
    const hash = location.hash.replace(/^#/, '');
    const [name, arg] = hash.split('/');
    const view = VIEWS.includes(name) ? name : 'overview';
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
    for (const a of document.querySelectorAll('.tabs a')) {
      const on = a.dataset.tab === view || (view === 'interview' && a.dataset.tab === 'interviews');
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    document.getElementById('dashboard-view').dataset.view = view;
    if (view === 'interviews') loadInterviews();
    else if (view === 'interview' && arg) loadInterview(decodeURIComponent(arg));
    else if (view === 'scores') loadScores();
    else if (view === 'questions') loadQuestions();
  }

  function showError(id, e) {
    const box = $(id);
    box.textContent = e ? e.message : '';
    box.hidden = !e;
  }

  /* Interviews: the filter form is the query string of GET /api/admin/interviews. */
  let ivPage = 1;
  let ivPages = 1;

  function filterQuery() {
    const q = new URLSearchParams();
    for (const name of ['candidate', 'role', 'kind', 'state', 'from', 'to']) {
      const v = $(`q-${name}`).value.trim();
      if (v) q.set(name, v);
    }
    return q;
  }

  let rolesLoaded = false;
  async function loadRoles() {
    if (rolesLoaded) return;
    const doc = await get('/api/roles', token);
    const sel = $('q-role');
    for (const r of (doc && doc.roles) || []) sel.append(el('option', { text: r.title || r.id, attrs: { value: r.id } }));
    rolesLoaded = true;
  }

  async function loadInterviews() {
    const view = $('view-interviews');
    try {
      await loadRoles();
      const q = filterQuery();
      q.set('page', String(ivPage));
      const doc = await get(`/api/admin/interviews?${q}`, token);
      showError('iv-error', null);
      const tbody = $('iv-table').tBodies[0];
      tbody.textContent = '';
      for (const iv of doc.interviews) {
        const who = iv.candidate.name || iv.candidate.email || iv.candidate.id;
        const open = el('a', { text: 'Open', attrs: { href: `#interview/${encodeURIComponent(iv.id)}` }, data: { action: 'open' } });
        tbody.append(el('tr', { data: { interview: iv.id, state: iv.state } },
          el('td', { text: iv.started ? new Date(iv.started).toLocaleString() : '' }),
          el('td', { class: 'left', text: who, attrs: { title: iv.candidate.email || '' } }),
          el('td', { class: 'left', text: iv.role || '' }),
          el('td', { class: 'left', text: iv.kind || '' }),
          el('td', { class: 'left', text: iv.state || '' }),
          el('td', { text: `${iv.answered} / ${iv.questions}` }),
          el('td', { text: iv.overall_score === null ? '–' : String(iv.overall_score), data: { col: 'overall' } }),
          el('td', null, open)));
      }
      if (!doc.interviews.length) tbody.append(el('tr', null, el('td', { class: 'left', text: 'No interview matches.', attrs: { colspan: 8 } })));
      ivPages = Math.max(1, doc.pages);
      setText($('iv-page'), `Page ${doc.page} of ${ivPages} · ${fmtInt(doc.total)} interviews`);
      view.querySelector('[data-action=prev]').disabled = ivPage <= 1;
      view.querySelector('[data-action=next]').disabled = ivPage >= ivPages;
      view.dataset.loaded = String(Number(view.dataset.loaded || 0) + 1);
    } catch (e) {
      showError('iv-error', e);
    }
  }

  /* The CSV export needs the bearer token, so it is fetched and handed over as a file. */
  async function exportCsv() {
    try {
      const res = await fetch(`/api/admin/export?${filterQuery()}`, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
      if (!res.ok) {
        let msg = `HTTP ${res.status}`;
        try { msg = (await res.json()).error.message; } catch (_) { /* not JSON */ }
        throw new ApiError(res.status, msg);
      }
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = el('a', { attrs: { href: url, download: 'interviews.csv' } });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      showError('iv-error', null);
    } catch (e) {
      showError('iv-error', e);
    }
  }

  function fillList(ul, items) {
    ul.textContent = '';
    for (const it of items || []) ul.append(el('li', { text: typeof it === 'string' ? it : JSON.stringify(it) }));
  }

  async function loadInterview(id) {
    const view = $('view-interview');
    const facts = $('ivd-facts');
    facts.textContent = '';
    $('ivd-transcript').textContent = '';
    try {
      const [st, rep] = await Promise.all([
        get(`/api/interviews/${encodeURIComponent(id)}`, token),
        get(`/api/interviews/${encodeURIComponent(id)}/report`, token)
      ]);
      setText($('ivd-title'), `Interview ${id}`);
      for (const [k, label] of [['kind', 'Kind'], ['mode', 'Mode'], ['state', 'State'], ['answered', 'Answered']]) {
        const dd = fact(facts, k, label);
        setText(dd, k === 'answered' ? `${st.answered} / ${st.total_questions}` : st[k]);
      }
      const scores = new Map();
      for (const s of (rep && rep.scores) || []) scores.set(s.question_id, s);
      for (const t of st.transcript || []) {
        const s = scores.get(t.question_id);
        $('ivd-transcript').append(el('li', { data: { question: t.question_id } },
          el('p', { class: 'q', text: t.text }),
          el('p', { class: 'a', text: t.answer === undefined || t.answer === null ? '(not answered)' : t.answer || '(empty answer)' }),
          s ? el('p', { class: 'score', text: `Score ${s.score} / 5${s.feedback ? ` · ${s.feedback}` : ''}`, data: { score: s.score } }) : null));
      }
      const ready = rep && rep.status === 'ready';
      $('ivd-report').hidden = !ready;
      $('ivd-pending').hidden = ready;
      if (ready) {
        setText($('ivd-overall'), `${rep.overall_score} / 100`);
        $('ivd-overall').dataset.exact = String(rep.overall_score);
        setText($('ivd-summary'), rep.summary || '');
        fillList($('ivd-strengths'), rep.strengths);
        fillList($('ivd-improvements'), rep.improvements);
      }
      view.dataset.loaded = id;
    } catch (e) {
      setText($('ivd-title'), `Interview ${id}: ${e.message}`);
    }
  }

  async function loadScores() {
    const view = $('view-scores');
    try {
      const doc = await get('/api/admin/scores', token);
      const tbody = $('sc-table').tBodies[0];
      tbody.textContent = '';
      for (const g of doc.groups) {
        const max = Math.max(1, ...g.buckets);
        const bars = el('div', { class: 'bars', attrs: { role: 'img', 'aria-label': `Interviews per band of ten: ${g.buckets.join(', ')}` } },
          g.buckets.map((n, i) => el('span', { class: 'bar', attrs: { style: `height:${Math.round(100 * n / max)}%`, title: `${i * 10}–${i === 9 ? 100 : i * 10 + 9}: ${n}` }, data: { bucket: i, count: n } })));
        tbody.append(el('tr', { data: { role: g.role, kind: g.kind } },
          el('td', { class: 'left', text: g.role }), el('td', { class: 'left', text: g.kind }),
          el('td', { text: fmtInt(g.interviews), data: { col: 'interviews' } }),
          el('td', { text: g.average.toFixed(1), data: { col: 'average', exact: String(g.average) } }),
          el('td', null, bars)));
      }
      $('sc-empty').hidden = doc.groups.length > 0;
      view.dataset.loaded = String(Number(view.dataset.loaded || 0) + 1);
    } catch (e) {
      showError('dash-error', e);
    }
  }

  const QB_MAX_ROWS = 100; /* rows drawn at once; Find narrows the rest */
  let bank = [];
  function renderQuestions() {
    const needle = $('qb-search').value.trim().toLowerCase();
    const tbody = $('qb-table').tBodies[0];
    tbody.textContent = '';
    const full = document.body.dataset.role === 'full';
    let shown = 0;
    let matching = 0;
    for (const q of bank) {
      if (needle && !q.id.toLowerCase().includes(needle) && !q.text.toLowerCase().includes(needle)) continue;
      if (++matching > QB_MAX_ROWS) continue; /* a search narrows it */
      shown++;
      let status;
      if (q.retired) status = el('span', { class: 'badge state-disabled', text: 'retired' });
      else if (full) status = el('button', { class: 'button secondary small', text: 'Retire', attrs: { type: 'button' }, data: { action: 'retire', id: q.id } });
      else status = el('span', { class: 'hint', text: 'in use' });
      tbody.append(el('tr', { data: { question: q.id, retired: q.retired ? '1' : '0' } },
        el('td', { class: 'left wrap-cell' }, el('code', { text: q.id }), el('span', { class: 'qtext', text: q.text })),
        el('td', { class: 'left', text: q.category }),
        el('td', { text: fmtInt(q.asked), data: { col: 'asked' } }),
        el('td', { text: q.average_score === null ? '–' : q.average_score.toFixed(2), data: { col: 'average' } }),
        el('td', null, status)));
    }
    setText($('qb-shown'), matching > shown ? `Showing the ${shown} most asked of ${fmtInt(matching)}; type in Find to narrow.` : `${fmtInt(matching)} templates.`);
  }

  async function loadQuestions() {
    const view = $('view-questions');
    try {
      const doc = await get('/api/admin/questions', token);
      bank = doc.questions.slice().sort((a, b) => b.asked - a.asked || a.id.localeCompare(b.id));
      setText($('qb-other'), `${fmtInt(doc.other_asked)} further questions were generated or follow-ups (not templates).`);
      renderQuestions();
      showError('qb-error', null);
      view.dataset.loaded = String(Number(view.dataset.loaded || 0) + 1);
    } catch (e) {
      showError('qb-error', e);
    }
  }

  async function retire(button) {
    const id = button.dataset.id;
    if (button.dataset.confirm !== '1') { /* two steps: a stray click retires nothing */
      button.dataset.confirm = '1';
      button.textContent = 'Confirm retire';
      return;
    }
    button.disabled = true;
    try {
      const res = await fetch(`/api/admin/questions/${encodeURIComponent(id)}/retire`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) {
        let msg = `HTTP ${res.status}`;
        try { msg = (await res.json()).error.message; } catch (_) { /* not JSON */ }
        throw new ApiError(res.status, msg);
      }
      announce(`Template ${id} retired.`);
      await loadQuestions();
    } catch (e) {
      button.disabled = false;
      showError('qb-error', e);
    }
  }

  /* ------------------------------------------------------------------ start */

  function init() {
    $('signin-form').addEventListener('submit', onSignin);
    window.addEventListener('hashchange', route);
    $('iv-filter').addEventListener('submit', (ev) => { ev.preventDefault(); ivPage = 1; loadInterviews(); });
    document.querySelector('[data-action=export]').addEventListener('click', exportCsv);
    document.querySelector('#view-interviews [data-action=prev]').addEventListener('click', () => { if (ivPage > 1) { ivPage--; loadInterviews(); } });
    document.querySelector('#view-interviews [data-action=next]').addEventListener('click', () => { if (ivPage < ivPages) { ivPage++; loadInterviews(); } });
    $('qb-search').addEventListener('input', renderQuestions);
    $('qb-table').addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-action=retire]');
      if (b) retire(b);
    });
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
      route();
    } else {
      showSignin('');
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
