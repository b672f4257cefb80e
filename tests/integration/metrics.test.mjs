// /metrics, /api/stats/history and the structured log, against a real interviewd with
// one mockllm deployment after a whole interview.
//
// /metrics must pass `promtool check metrics` (Debian package prometheus; scripts/deps.sh
// test installs it). A machine without promtool fails this test rather than skipping
// it: an unchecked exposition format is how scrapes break silently.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import {
  api, expectStatus, goodAnswer, logged, mockProvider, registerCandidate, runInterview, startMock, startServer,
  waitForReport
} from './lib.mjs';

const T = { timeout: 180000 };
const ADMIN_TOKEN = 'admin-metrics-TOKEN-7d1e2f';
const MOCK_KEY = 'sk-metrics-SECRET-246810';
const MOCK_LATENCY_MS = 25;

function promtool(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30000 });
  if (r.error && r.error.code === 'ENOENT')
    throw new Error('promtool is not installed: install the Debian package "prometheus" (scripts/deps.sh test does)');
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function serverAfterInterview(extraConfig = {}) {
  const mock = await startMock(['--latency-ms', String(MOCK_LATENCY_MS)]);
  const srv = await startServer({
    config: { ...mockProvider(mock, { rpd: 5000, tpd: 2000000 }), budget: { mode: 'full' }, ...extraConfig },
    env: { MOCK_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  const c = await registerCandidate(srv.url);
  const id = await runInterview(srv.url, c.token, 'technical', goodAnswer);
  await waitForReport(srv.url, id, c.token, 60000);
  return { mock, srv, candidate: c, interviewId: id };
}

/* Parses the text format into {types: {name: type}, help: {name}, samples: [{name, labels, value}]}. */
function parseExposition(text) {
  const types = {};
  const help = {};
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    let m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) { types[m[1]] = m[2]; continue; }
    m = /^# HELP (\S+) (.+)$/.exec(line);
    if (m) { help[m[1]] = m[2]; continue; }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels = {};
    for (const lm of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { types, help, samples };
}

function value(samples, name, labels = {}) {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(hits.length, 1, `exactly one sample ${name}${JSON.stringify(labels)}`);
  return hits[0].value;
}

test('promtool is installed (the metrics tests need it)', () => {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  assert.ok(!r.error, 'promtool is not installed: install the Debian package "prometheus" (scripts/deps.sh test does)');
});

test(
  '/metrics after an interview passes promtool, names its units and agrees with the JSON API',
  T,
  logged(async () => {
    const { srv } = await serverAfterInterview();
    const r = await api(srv.url, 'GET', '/metrics', undefined, ADMIN_TOKEN);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const check = promtool(r.text);
    assert.equal(check.code, 0, `promtool check metrics failed:\n${check.out}\n--- metrics ---\n${r.text}`);
    assert.equal(check.out.trim(), '', `promtool has remarks:\n${check.out}`);

    const { types, help, samples } = parseExposition(r.text);
    for (const [name, type] of Object.entries(types)) {
      assert.ok(name.startsWith('interviewd_'), `${name}: every metric is prefixed interviewd_`);
      assert.ok(help[name], `${name} has a HELP line`);
      if (type === 'counter') assert.match(name, /_total$/, `counter ${name} ends in _total`);
      assert.doesNotMatch(name, /_(ms|millis|milliseconds|minutes|hours|bytes_total_total)$/, `${name}: base units (seconds)`);
      if (/latency|duration|time/.test(name)) assert.match(name, /_seconds$/, `${name}: a time is in seconds and says so`);
    }
    for (const s of samples) assert.ok(Number.isFinite(s.value) || s.labels.le === '+Inf', `${s.name} has a number`);

    // The same numbers as the JSON routes.
    const stats = expectStatus(await api(srv.url, 'GET', '/api/optimization_stats', undefined, ADMIN_TOKEN), 200, 'stats');
    const prov = expectStatus(await api(srv.url, 'GET', '/api/providers', undefined, ADMIN_TOKEN), 200, 'providers');
    const mock = prov.providers.find((p) => p.name === 'mock');
    assert.equal(value(samples, 'interviewd_provider_calls_total'), stats.api_calls);
    assert.equal(value(samples, 'interviewd_provider_tokens_total'), stats.provider_tokens);
    const logical = samples.filter((s) => s.name === 'interviewd_llm_requests_total').reduce((a, s) => a + s.value, 0);
    assert.equal(logical, stats.total_requests, 'the logical requests add up to total_requests');
    assert.equal(value(samples, 'interviewd_provider_requests_today', { provider: 'mock' }), mock.used_today.requests);
    assert.equal(value(samples, 'interviewd_provider_up', { provider: 'mock' }), 1);
    assert.equal(value(samples, 'interviewd_interviews_started_total', { mode: 'full' }), 1);
    assert.equal(value(samples, 'interviewd_interviews_finished_total'), 1);
    assert.equal(value(samples, 'interviewd_interview_reports_total'), 1);
    assert.equal(value(samples, 'interviewd_interviews_in_progress', { mode: 'full' }), 0);
    // The latency histogram counts every successful call, each at least the mock's delay.
    assert.equal(types.interviewd_provider_call_duration_seconds, 'histogram');
    const count = value(samples, 'interviewd_provider_call_duration_seconds_count', { provider: 'mock' });
    assert.equal(count, mock.ok, 'one observation per successful call');
    assert.equal(value(samples, 'interviewd_provider_call_duration_seconds_bucket', { provider: 'mock', le: '+Inf' }), count);
    assert.ok(value(samples, 'interviewd_provider_call_duration_seconds_sum', { provider: 'mock' }) >= (count * MOCK_LATENCY_MS) / 1000 - 1e-9);
    const buckets = samples.filter((s) => s.name === 'interviewd_provider_call_duration_seconds_bucket');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'buckets are cumulative');
  }),
);

test(
  '/metrics, /api/stats/history and /admin\'s data routes refuse a missing or wrong token with 401',
  T,
  logged(async () => {
    const srv = await startServer({ env: { INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN } });
    for (const route of ['/metrics', '/api/stats/history', '/api/optimization_stats', '/api/providers']) {
      for (const token of [undefined, 'wrong', `${ADMIN_TOKEN}x`]) {
        const r = await api(srv.url, 'GET', route, undefined, token);
        assert.equal(r.status, 401, `GET ${route} with token ${token}`);
        assert.equal(r.json?.error?.code, 'unauthorized');
      }
    }
    // The page itself is public: it holds no data, only the sign-in form.
    assert.equal((await api(srv.url, 'GET', '/admin')).status, 200);
  }),
);

test(
  '/api/stats/history: columns of equal length, a live last point, latency percentiles from real samples',
  T,
  logged(async () => {
    const { srv } = await serverAfterInterview();
    const h = expectStatus(await api(srv.url, 'GET', '/api/stats/history', undefined, ADMIN_TOKEN), 200, 'history');
    assert.equal(h.interval_s, 60);
    assert.equal(h.capacity, 1440, '24 hours of minutes');
    assert.equal(h.live, true);
    assert.ok(h.stored >= 1, 'a snapshot is taken at start-up');
    assert.equal(h.t.length, h.stored + 1, 'stored snapshots and the live point');
    for (let i = 1; i < h.t.length; i++) assert.ok(h.t[i] >= h.t[i - 1], 'time goes forward');
    assert.ok(Math.abs(h.t.at(-1) - Date.now() / 1000) < 60, 'the live point is now (unix seconds)');
    const walk = (node, where) => {
      for (const [k, v] of Object.entries(node)) {
        if (Array.isArray(v)) assert.equal(v.length, h.t.length, `${where}.${k} has one value per time`);
        else if (v && typeof v === 'object') walk(v, `${where}.${k}`);
      }
    };
    for (const g of ['stats', 'savings', 'interviews', 'modes', 'providers']) {
      assert.ok(h[g] && typeof h[g] === 'object', `group ${g}`);
      walk(h[g], g);
    }
    const stats = expectStatus(await api(srv.url, 'GET', '/api/optimization_stats', undefined, ADMIN_TOKEN), 200, 'stats');
    for (const [k, v] of Object.entries(stats)) {
      // instances: how many processes the figures add up (1 here), not a time series
      if (typeof v !== 'number' || k === 'instances') continue;
      assert.ok(Array.isArray(h.stats[k]), `history has stats.${k}`);
      assert.equal(h.stats[k].at(-1), v, `live stats.${k} equals the API`);
    }
    for (const [k, v] of Object.entries(stats.by_saving)) assert.equal(h.savings[k].at(-1), v, `live savings.${k}`);
    assert.equal(h.interviews.started.at(-1), 1);
    assert.equal(h.interviews.finished.at(-1), 1);
    assert.equal(h.interviews.in_progress.at(-1), 0);
    assert.equal(h.modes.full.started.at(-1), 1);
    const m = h.providers.mock;
    assert.ok(m, 'the mock deployment has series');
    const prov = expectStatus(await api(srv.url, 'GET', '/api/providers', undefined, ADMIN_TOKEN), 200, 'providers');
    const mp = prov.providers.find((p) => p.name === 'mock');
    assert.equal(m.requests_today.at(-1), mp.used_today.requests);
    assert.equal(m.tokens_today.at(-1), mp.used_today.tokens);
    // Each point counts the samples of its own minute: together, every successful call.
    const sum = m.latency_samples.reduce((a, v) => a + (v ?? 0), 0);
    assert.equal(sum, mp.ok, 'every successful call is a latency sample');
    const lastOf = (arr) => arr.filter((v) => v !== null).at(-1);
    const p50 = lastOf(m.latency_p50_ms);
    const p95 = lastOf(m.latency_p95_ms);
    assert.ok(p50 >= MOCK_LATENCY_MS, `p50 ${p50} ms is at least mockllm's ${MOCK_LATENCY_MS} ms`);
    assert.ok(p95 >= p50, `p95 ${p95} >= p50 ${p50}`);
    assert.ok(p95 < 5000, `p95 ${p95} ms is plausible for a loopback mock`);
  }),
);

test(
  'logs: one key=value line per event; lines caused by a request carry its rid; the level comes from the config',
  T,
  logged(async () => {
    const { srv } = await serverAfterInterview({ server: { log_level: 'info' } });
    const lines = srv.stderr().split('\n').filter(Boolean);
    assert.ok(lines.length > 10, 'the server logged its work');
    for (const line of lines)
      assert.match(line, /^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) event=[a-z_]+( |$)/, `structured: ${line}`);
    assert.ok(!lines.some((l) => l.includes('level=debug')), 'no debug lines at level info');
    const saved = lines.filter((l) => l.includes('event=answer_saved'));
    assert.ok(saved.length >= 1);
    const rids = saved.map((l) => /\brid=([0-9a-f]{16})\b/.exec(l)?.[1]);
    assert.ok(rids.every(Boolean), `every answer_saved line names its request: ${saved[0]}`);
    assert.equal(new Set(rids).size, rids.length, 'one request id per answer');
    for (const l of lines) assert.ok(!l.includes(MOCK_KEY) && !l.includes(ADMIN_TOKEN), `no secret in the log: ${l}`);

    // [server] log_level = warn: the same work logs no info lines.
    const mock = await startMock();
    const quiet = await startServer({
      config: { ...mockProvider(mock), server: { log_level: 'warn' } },
      env: { MOCK_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN },
    });
    const c = await registerCandidate(quiet.url);
    await runInterview(quiet.url, c.token, 'behavioral', goodAnswer);
    const q = quiet.stderr().split('\n').filter(Boolean);
    assert.ok(!q.some((l) => /level=(info|debug)/.test(l)), `no info lines at level warn:\n${q.slice(0, 5).join('\n')}`);
  }),
);
