// The operator console (issue 17) against real interviewd processes: numbers that
// survive a restart, honest definitions, the admin list and its CSV, score and question
// analytics, retiring a template, the read-only token, the missing-key warning and the
// alert webhook (a loopback receiver in this test).
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import {
  api, expectStatus, goodAnswer, logged, mockProvider, registerCandidate, runInterview, sleep, startMock,
  startServer, waitForReport
} from './lib.mjs';
import { holdLock } from './storeload.mjs';

const T = { timeout: 180000 };
const ADMIN = 'admin-console-FULL-5a1c';
const READER = 'admin-console-READ-9e3b';
const MOCK_KEY = 'sk-console-SECRET-1357';
const env = { INTERVIEWD_ADMIN_TOKEN: ADMIN, INTERVIEWD_ADMIN_READONLY_TOKEN: READER, MOCK_KEY };

const stats = async (srv, token = ADMIN) =>
  expectStatus(await api(srv.url, 'GET', '/api/optimization_stats', undefined, token), 200, 'stats');

test(
  'after a restart /api/optimization_stats, /metrics and the history show the same numbers as before',
  T,
  logged(async (t) => {
    const config = { stats: { flush_interval_ms: 200 }, budget: { mode: 'offline' } };
    const srv1 = await startServer({ config, env, name: 'interviewd#1' });
    const c = await registerCandidate(srv1.url);
    const id = await runInterview(srv1.url, c.token, 'technical', goodAnswer);
    await waitForReport(srv1.url, id, c.token);
    await sleep(500); // a flush
    const before = await stats(srv1);
    const metricsBefore = (await api(srv1.url, 'GET', '/metrics', undefined, ADMIN)).text;
    await srv1.stop();

    const srv2 = await startServer({ config, dir: srv1.dir, env, name: 'interviewd#2' });
    const after = await stats(srv2);
    t.diagnostic(`before ${before.total_requests} requests, after restart ${after.total_requests}`);
    assert.ok(before.total_requests > 0, JSON.stringify(before));
    assert.equal(after.source, 'store');
    for (const k of ['total_requests', 'api_calls', 'api_calls_saved', 'fallbacks', 'prechecked', 'pool_hits', 'cache_hits'])
      assert.equal(after[k], before[k], `${k} survives the restart`);
    assert.deepEqual(after.by_task, before.by_task);
    const metricsAfter = (await api(srv2.url, 'GET', '/metrics', undefined, ADMIN)).text;
    const line = (m, name) => m.split('\n').filter((l) => l.startsWith(name)).join('\n');
    assert.equal(line(metricsAfter, 'interviewd_llm_requests_total'), line(metricsBefore, 'interviewd_llm_requests_total'));
    assert.match(metricsAfter, /^interviewd_interviews_finished_total 1$/m, 'the interview finished before the restart counts');
    const h = expectStatus(await api(srv2.url, 'GET', '/api/stats/history', undefined, ADMIN), 200, 'history');
    assert.ok(h.stored >= 2, `the snapshots of the first run are loaded: stored=${h.stored}`);
    assert.equal(h.stats.total_requests.at(-1), before.total_requests);
    assert.equal(h.interviews.finished.at(-1), 1);
  }),
);

test(
  'a server that never calls a model: fallbacks are not savings, optimization_rate is what was reused',
  T,
  logged(async (t) => {
    const srv = await startServer({ config: { budget: { mode: 'offline' } }, env });
    const c = await registerCandidate(srv.url);
    const id = await runInterview(srv.url, c.token, 'technical', goodAnswer);
    await waitForReport(srv.url, id, c.token);
    const s = await stats(srv);
    const d = JSON.stringify(s);
    t.diagnostic(`MEASURED offline interview: total_requests=${s.total_requests} saved=${s.api_calls_saved} fallbacks=${s.fallbacks} prechecked=${s.prechecked} optimization_rate=${s.optimization_rate}`);
    assert.equal(s.api_calls, 0, d);
    assert.ok(s.fallbacks > 0, `heuristic scoring shows as fallbacks: ${d}`);
    assert.equal(s.total_requests, s.served_by_provider + s.api_calls_saved + s.prechecked + s.fallbacks, d);
    assert.ok(s.optimization_rate < 1, `never 100% from fallbacks: ${d}`);
    assert.equal(s.optimization_rate, s.api_calls_saved / s.total_requests, d);
    assert.equal(s.fallback_rate, s.fallbacks / s.total_requests, d);
    assert.ok(!('fallback' in s.by_saving), `a fallback is not a kind of saving: ${JSON.stringify(s.by_saving)}`);
  }),
);

test(
  'admin list: filters, stable pages, transcript and report by id, CSV export safe for spreadsheets',
  T,
  logged(async () => {
    const srv = await startServer({ config: { budget: { mode: 'offline' } }, env });
    const alice = await registerCandidate(srv.url, { name: '=HYPERLINK("http://evil")', email: 'alice@example.org' });
    const bob = await registerCandidate(srv.url, { name: 'Bob, "the builder"', email: 'bob@example.org' });
    const ids = [];
    ids.push(await runInterview(srv.url, alice.token, 'technical', goodAnswer));
    ids.push(await runInterview(srv.url, bob.token, 'behavioral', goodAnswer));
    const r = await api(srv.url, 'POST', '/api/interviews', { kind: 'mixed' }, bob.token);
    ids.push(expectStatus(r, 201, 'start').interview_id);
    await waitForReport(srv.url, ids[0], alice.token);
    await waitForReport(srv.url, ids[1], bob.token);

    const list = async (q, token = ADMIN) => expectStatus(await api(srv.url, 'GET', `/api/admin/interviews${q}`, undefined, token), 200, q);
    const all = await list('');
    assert.equal(all.total, 3);
    assert.deepEqual(all.interviews.map((x) => x.id), [...ids].reverse(), 'newest first');
    const first = all.interviews.at(-1);
    assert.equal(first.candidate.email, 'alice@example.org');
    assert.equal(first.kind, 'technical');
    assert.equal(first.state, 'finished');
    assert.equal(typeof first.overall_score, 'number');
    assert.equal(all.interviews[0].overall_score, null, 'no report yet');
    assert.equal((await list('?state=active')).total, 1);
    assert.equal((await list('?candidate=BOB@')).total, 2);
    assert.equal((await list(`?candidate=${alice.candidate_id}`)).total, 1);
    assert.equal((await list(`?role=${alice.role}&kind=behavioral`)).interviews[0]?.kind ?? 'behavioral', 'behavioral');
    const p1 = await list('?per_page=2&page=1');
    const p2 = await list('?per_page=2&page=2');
    assert.equal(p1.pages, 2);
    assert.deepEqual([...p1.interviews, ...p2.interviews].map((x) => x.id), all.interviews.map((x) => x.id));
    assert.equal((await list('?from=2999-01-01')).total, 0);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal((await list(`?from=${today}&to=${today}`)).total, 3, 'to is inclusive of its day');
    for (const bad of ['?per_page=1000', '?page=0', '?from=yesterday', '?kind=oral', '?from=2026-12-02&to=2026-12-01']) {
      const b = await api(srv.url, 'GET', `/api/admin/interviews${bad}`, undefined, ADMIN);
      assert.equal(b.status, 422, bad);
      assert.equal(b.json.error.code, 'invalid_value');
      assert.match(b.json.error.message, /(page|per_page|from|to|kind)\b.*\./, 'the message names the parameter');
    }
    // Any interview's transcript and report, with the read-only token too.
    for (const token of [ADMIN, READER]) {
      expectStatus(await api(srv.url, 'GET', `/api/interviews/${ids[1]}`, undefined, token), 200, 'transcript');
      const rep = expectStatus(await api(srv.url, 'GET', `/api/interviews/${ids[1]}/report`, undefined, token), 200, 'report');
      assert.equal(rep.status, 'ready');
    }
    // CSV
    const csv = await api(srv.url, 'GET', `/api/admin/export?from=${today}&to=${today}`, undefined, READER);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    assert.match(csv.headers.get('content-disposition'), /attachment/);
    const lines = csv.text.trimEnd().split('\r\n');
    assert.equal(lines.length, 4, csv.text);
    assert.match(lines[0], /^interview_id,started_utc,/);
    assert.ok(csv.text.includes(`"'=HYPERLINK(""http://evil"")"`), `formula cell neutralised and quoted:\n${csv.text}`);
    assert.ok(csv.text.includes('"Bob, ""the builder"""'), `comma and quotes quoted:\n${csv.text}`);
    assert.ok(!/(^|,)=/m.test(csv.text), 'no cell starts with =');
  }),
);

test(
  'scores by role and kind, question use, and retiring a template: read-only may look, not retire',
  T,
  logged(async () => {
    const srv = await startServer({ config: { budget: { mode: 'offline' } }, env });
    const c = await registerCandidate(srv.url);
    const id = await runInterview(srv.url, c.token, 'technical', goodAnswer);
    const rep = await waitForReport(srv.url, id, c.token);
    const sc = expectStatus(await api(srv.url, 'GET', '/api/admin/scores', undefined, READER), 200, 'scores');
    assert.equal(sc.groups.length, 1, JSON.stringify(sc));
    assert.equal(sc.groups[0].role, c.role);
    assert.equal(sc.groups[0].kind, 'technical');
    assert.equal(sc.groups[0].interviews, 1);
    assert.equal(sc.groups[0].average, rep.overall_score);
    assert.equal(sc.groups[0].buckets[Math.min(9, Math.floor(rep.overall_score / 10))], 1);

    const qs = expectStatus(await api(srv.url, 'GET', '/api/admin/questions', undefined, READER), 200, 'questions');
    const asked = qs.questions.filter((q) => q.asked > 0);
    assert.ok(asked.length > 0, 'the interview asked bank templates');
    const target = asked[0];
    assert.ok(target.scored >= 1 && target.average_score >= 1 && target.average_score <= 5, JSON.stringify(target));

    const ro = await api(srv.url, 'POST', `/api/admin/questions/${encodeURIComponent(target.id)}/retire`, undefined, READER);
    assert.equal(ro.status, 403);
    assert.equal(ro.json.error.code, 'read_only_token');
    const unknown = await api(srv.url, 'POST', '/api/admin/questions/no.such.template/retire', undefined, ADMIN);
    assert.equal(unknown.status, 404);
    const ok = await api(srv.url, 'POST', `/api/admin/questions/${encodeURIComponent(target.id)}/retire`, undefined, ADMIN);
    expectStatus(ok, 200, 'retire');
    const after = expectStatus(await api(srv.url, 'GET', '/api/admin/questions', undefined, ADMIN), 200, 'questions');
    assert.equal(after.questions.find((q) => q.id === target.id).retired, true);
    // never asked again: a new candidate of the same role takes interviews of the same kind
    const d = await registerCandidate(srv.url, { role: c.role });
    for (let k = 0; k < 2; k++) {
      const r = await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, d.token);
      let q = expectStatus(r, 201, 'start').question;
      const iv = r.json.interview_id;
      while (q) {
        assert.notEqual(q.id, target.id, 'a retired template was asked');
        const a = await api(srv.url, 'POST', `/api/interviews/${iv}/answers`, { question_id: q.id, answer: goodAnswer(q, 0) }, d.token);
        q = expectStatus(a, 200, 'answer').next_question;
      }
    }
    // erasing a candidate is for the full token only (the route itself is the account's)
    const del = await api(srv.url, 'DELETE', '/api/admin/candidates/00000000000000000000000000000000', undefined, READER);
    assert.equal(del.status, 403);
    assert.equal(del.json.error.code, 'read_only_token');
    assert.match(del.json.error.message, /full admin token/);
    const delFull = await api(srv.url, 'DELETE', '/api/admin/candidates/00000000000000000000000000000000', undefined, ADMIN);
    assert.equal(delFull.status, 404, 'the full token gets past the check (an unknown candidate is 404)');
    // the read-only token sees every view, the candidate's token none
    for (const route of ['/api/admin/interviews', '/api/admin/scores', '/api/admin/questions', '/api/admin/status', '/api/optimization_stats', '/api/providers', '/api/stats/history', '/metrics']) {
      assert.equal((await api(srv.url, 'GET', route, undefined, READER)).status, 200, route);
      assert.equal((await api(srv.url, 'GET', route, undefined, c.token)).status, 401, route);
    }
  }),
);

test(
  'retired templates stay retired after a restart',
  T,
  logged(async () => {
    const srv1 = await startServer({ config: { budget: { mode: 'offline' } }, env, name: 'interviewd#1' });
    const q1 = expectStatus(await api(srv1.url, 'GET', '/api/admin/questions', undefined, ADMIN), 200, 'questions');
    const id = q1.questions[0].id;
    expectStatus(await api(srv1.url, 'POST', `/api/admin/questions/${encodeURIComponent(id)}/retire`, undefined, ADMIN), 200, 'retire');
    await srv1.stop();
    const srv2 = await startServer({ config: { budget: { mode: 'offline' } }, dir: srv1.dir, env, name: 'interviewd#2' });
    const q2 = expectStatus(await api(srv2.url, 'GET', '/api/admin/questions', undefined, ADMIN), 200, 'questions');
    const it = q2.questions.find((q) => q.id === id);
    assert.equal(it.retired, true);
    assert.match(it.retired_at, /^\d{4}-\d\d-\d\dT/);
  }),
);

test(
  'a provider whose key variable is unset: a warning in the log and on /api/admin/status',
  T,
  logged(async () => {
    const mock = await startMock();
    const srv = await startServer({ config: { ...mockProvider(mock, { api_key_env: 'CONSOLE_UNSET_KEY' }) }, env });
    await sleep(200);
    assert.match(srv.logs(), /level=warn event=provider_disabled provider=mock reason="environment variable CONSOLE_UNSET_KEY is not set"/);
    const st = expectStatus(await api(srv.url, 'GET', '/api/admin/status', undefined, READER), 200, 'status');
    assert.equal(st.role, 'read_only');
    const codes = st.warnings.map((w) => w.code);
    assert.ok(codes.includes('provider_disabled') && codes.includes('offline'), JSON.stringify(st));
    assert.match(st.warnings.find((w) => w.code === 'provider_disabled').message, /CONSOLE_UNSET_KEY/);
  }),
);

/* A loopback webhook receiver: resolves the JSON bodies it got. */
async function receiver() {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${server.address().port}/hook`, close: () => new Promise((r) => server.close(r)) };
}

test(
  'alerts: a deployment whose day runs low and an exhausted fleet each POST once per interval',
  T,
  logged(async (t) => {
    const hook = await receiver();
    try {
      const mock = await startMock();
      const srv = await startServer({
        config: {
          ...mockProvider(mock, { rpd: 4 }),
          budget: { mode: 'full' },
          alerts: { webhook_url_env: 'CONSOLE_HOOK', check_interval_ms: 200, min_interval_s: 3600, remaining_day_percent: 60 },
        },
        env: { ...env, CONSOLE_HOOK: hook.url },
      });
      const c = await registerCandidate(srv.url);
      await runInterview(srv.url, c.token, 'technical', goodAnswer);
      for (let i = 0; i < 100 && !hook.got.some((g) => g.body.alert === 'fleet_exhausted'); i++) await sleep(100);
      await sleep(1000); // five more checks: nothing fires twice
      t.diagnostic(JSON.stringify(hook.got.map((g) => g.body.alert)));
      const alerts = hook.got.map((g) => `${g.body.alert}:${g.body.subject}`);
      assert.deepEqual(alerts.filter((a) => a === 'deployment_day_low:mock').length, 1, alerts.join(' '));
      assert.deepEqual(alerts.filter((a) => a === 'fleet_exhausted:').length, 1, alerts.join(' '));
      for (const g of hook.got) {
        assert.equal(g.method, 'POST');
        assert.equal(g.type, 'application/json');
        assert.match(g.body.at, /^\d{4}-\d\d-\d\dT/);
        assert.equal(typeof g.body.message, 'string');
      }
      assert.ok(!srv.logs().includes(hook.url), 'the webhook URL (a secret) is not logged');
      const st = expectStatus(await api(srv.url, 'GET', '/api/admin/status', undefined, ADMIN), 200, 'status');
      assert.equal(st.alerts.webhook, true);
      assert.ok(st.alerts.fired.some((f) => f.alert === 'fleet_exhausted'), JSON.stringify(st.alerts));
    } finally {
      await hook.close();
    }
  }),
);

test(
  'alerts: an unreachable Redis ([redis] url) is an alert and a banner line',
  T,
  logged(async () => {
    const hook = await receiver();
    try {
      const closed = await new Promise((resolve) => {
        const s = http.createServer();
        s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
      });
      const srv = await startServer({
        config: {
          redis: { url: `redis://127.0.0.1:${closed}/0` },
          budget: { mode: 'offline' },
          alerts: { webhook_url_env: 'CONSOLE_HOOK', check_interval_ms: 200, min_interval_s: 3600 },
        },
        env: { ...env, CONSOLE_HOOK: hook.url },
      });
      for (let i = 0; i < 100 && !hook.got.some((g) => g.body.alert === 'redis_unreachable'); i++) await sleep(100);
      await sleep(600);
      assert.equal(hook.got.filter((g) => g.body.alert === 'redis_unreachable').length, 1, JSON.stringify(hook.got.map((g) => g.body)));
      const st = expectStatus(await api(srv.url, 'GET', '/api/admin/status', undefined, READER), 200, 'status');
      assert.ok(st.warnings.some((w) => w.code === 'redis_unreachable'), JSON.stringify(st));
      assert.match(srv.logs(), /level=warn event=alert alert=redis_unreachable/);
    } finally {
      await hook.close();
    }
  }),
);

test(
  'alerts: spend that reaches [alerts] spend_percent of the day\'s cap POSTs spend_near_cap once',
  T,
  logged(async (t) => {
    const hook = await receiver();
    try {
      const mock = await startMock();
      // One priced deployment and nothing free: every call is paid. At $20 per million
      // tokens in and out, a call of about 1,000 tokens costs about $0.02; the cap is $1
      // and the alert is at 1% of it, so the first settled call or two cross it.
      const srv = await startServer({
        config: {
          ...mockProvider(mock, { price_in_per_mtok: 20, price_out_per_mtok: 20 }),
          budget: { mode: 'full', max_usd_per_day: 1 },
          alerts: { webhook_url_env: 'CONSOLE_HOOK', check_interval_ms: 200, min_interval_s: 3600, spend_percent: 1 },
        },
        env: { ...env, CONSOLE_HOOK: hook.url },
      });
      const quiet = hook.got.filter((g) => g.body.alert === 'spend_near_cap').length;
      assert.equal(quiet, 0, 'nothing is spent before the first interview, so nothing fires');
      const c = await registerCandidate(srv.url);
      await runInterview(srv.url, c.token, 'technical', goodAnswer);
      for (let i = 0; i < 100 && !hook.got.some((g) => g.body.alert === 'spend_near_cap'); i++) await sleep(100);
      await sleep(1000); // five more checks while spend keeps growing: nothing fires twice
      const fired = hook.got.filter((g) => g.body.alert === 'spend_near_cap');
      t.diagnostic(JSON.stringify(fired.map((g) => g.body)));
      assert.equal(fired.length, 1, JSON.stringify(hook.got.map((g) => g.body)));
      const d = fired[0].body.details;
      assert.equal(d.cap_usd, 1);
      assert.ok(d.spent_usd >= 0.01 && d.spent_usd <= 1, JSON.stringify(d));
      assert.match(fired[0].body.message, /^Spend today is \$\d+\.\d\d of the \$1\.00 cap\.$/);
      const st = expectStatus(await api(srv.url, 'GET', '/api/admin/status', undefined, READER), 200, 'status');
      assert.ok(st.alerts.fired.some((f) => f.alert === 'spend_near_cap'), JSON.stringify(st.alerts));
      assert.match(srv.logs(), /level=warn event=alert alert=spend_near_cap/);
    } finally {
      await hook.close();
    }
  }),
);

test(
  'alerts: a store that refuses the counters\' flush POSTs store_unreachable once, and recovers',
  T,
  logged(async () => {
    const hook = await receiver();
    try {
      const srv = await startServer({
        config: {
          budget: { mode: 'offline' },
          stats: { flush_interval_ms: 100 },
          alerts: { webhook_url_env: 'CONSOLE_HOOK', check_interval_ms: 100, min_interval_s: 3600 },
        },
        env: { ...env, CONSOLE_HOOK: hook.url },
      });
      await sleep(500);
      assert.equal(hook.got.filter((g) => g.body.alert === 'store_unreachable').length, 0, 'a healthy store fires nothing');
      // Another process takes the database's write lock: every flush is refused.
      const lock = await holdLock(srv.dbPath);
      try {
        for (let i = 0; i < 100 && !hook.got.some((g) => g.body.alert === 'store_unreachable'); i++) await sleep(100);
        await sleep(800); // several more refused flushes and checks: nothing fires twice
        const fired = hook.got.filter((g) => g.body.alert === 'store_unreachable');
        assert.equal(fired.length, 1, JSON.stringify(hook.got.map((g) => g.body)));
        const st = expectStatus(await api(srv.url, 'GET', '/api/admin/status', undefined, READER), 200, 'status');
        assert.ok(st.warnings.some((w) => w.code === 'store_unreachable'), JSON.stringify(st));
        assert.match(srv.logs(), /level=warn event=stats_flush_failed/);
      } finally {
        await lock.release();
      }
      for (let i = 0; i < 50 && !/event=store_reachable/.test(srv.logs()); i++) await sleep(100);
      assert.match(srv.logs(), /event=store_reachable/);
      const st = expectStatus(await api(srv.url, 'GET', '/api/admin/status', undefined, READER), 200, 'status');
      assert.ok(!st.warnings.some((w) => w.code === 'store_unreachable'), JSON.stringify(st));
    } finally {
      await hook.close();
    }
  }),
);
