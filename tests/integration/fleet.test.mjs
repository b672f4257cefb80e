// The provider fleet (issue 3) end to end: several mockllm processes with tight limits
// behind one interviewd, driven through the public API, checked against what each mock
// really received (GET /mock/stats) and what the server says (GET /api/providers).
//
//  - many deployments with tight limits: every interview completes, no mock ever
//    answers 429 (the router never sends a call a known limit forbids), calls are spread
//    and counted exactly;
//  - the sliding minute at its boundary, with a provider whose new connections arrive
//    late (a slow proxy): the router must not send before the provider's minute has room;
//  - a deployment that dies mid-run: the others take over, its breaker opens;
//  - a key mostly used elsewhere today (Groq headers): what is left is believed;
//  - a restart keeps today's counts (the ledger in the store);
//  - the day's quota runs out: interviews still complete, the heuristic scores the rest;
//  - limits not configured: learned from each header style's 429s, with back-off;
//  - a refused key (401) marks the deployment dead and another serves.
//
// Every test starts its own processes; logged() stops them (and fails on an unclean
// exit or a sanitizer report). The whole file must stay well under CTest's 300 s (it
// takes ~150 s, a minute of it the boundary test), so interviews are short
// (`[interview] questions`) and deadlines small. Tests marked `todo` name a confirmed
// server bug; they run and report, and keep the suite green until it is fixed.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import {
  answerOfWords,
  api,
  expectStatus,
  logged,
  registerCandidate,
  runInterviewFull,
  sleep,
  startMock,
  startServer,
  waitForReport,
} from './lib.mjs';

const ADMIN_TOKEN = 'admin-fleet-TOKEN-5f3a9c1e7b2d4a60';
const FLEET_KEY = 'sk-fleet-KEY-0123456789abcdef';
const REPORT_TIMEOUT_MS = 40000;
const SETTLE_TIMEOUT_MS = 20000;

// Short deadlines so a call that cannot be placed falls back quickly (the defaults wait
// 8 s for a turn and 10 min for a background evaluation).
const FAST = { turn_deadline_ms: 1500, llm_timeout_ms: 5000, eval_deadline_ms: 3000 };

// ---------------------------------------------------------------------------------
// Helpers.

// A [provider.NAME] section for a running mock.
function providerSection(mock, extra = {}) {
  return {
    base_url: `${mock.url}/v1`,
    api_key_env: 'FLEET_KEY',
    model: 'mock-small',
    headers: 'openai',
    ...extra,
  };
}

// Starts interviewd with one [provider.NAME] per entry of deployments ({name, mock,
// cfg}), budget mode full, admin token set.
async function startFleetServer(deployments, { interview = {}, env = {}, dir, budget = {} } = {}) {
  const config = {
    server: { admin_token_env: 'INTERVIEWD_ADMIN_TOKEN' },
    budget: { mode: 'full', ...budget },
    interview: { ...FAST, ...interview },
  };
  for (const d of deployments) config[`provider.${d.name}`] = providerSection(d.mock, d.cfg);
  return startServer({
    config,
    dir,
    env: { FLEET_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
  });
}

// GET /api/providers as admin; returns the body, with byName for convenience.
async function providers(srv) {
  const body = expectStatus(await api(srv.url, 'GET', '/api/providers', undefined, ADMIN_TOKEN), 200, 'GET /api/providers');
  assert.ok(Array.isArray(body.providers), `providers is not an array: ${JSON.stringify(body)}`);
  body.byName = Object.fromEntries(body.providers.map((p) => [p.name, p]));
  return body;
}

// Waits until no call is queued or in flight anywhere in the fleet (background work
// included), so counts compared afterwards are final. Returns the last status.
async function settle(srv, timeoutMs = SETTLE_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let st;
  while (Date.now() < deadline) {
    st = await providers(srv);
    if (st.queued === 0 && st.providers.every((p) => p.used_today.in_flight === 0)) return st;
    await sleep(100);
  }
  throw new Error(`fleet not idle within ${timeoutMs} ms: ${JSON.stringify(st)}`);
}

// Polls /api/providers until pred(status) holds; throws with the last status after
// timeoutMs.
async function waitProviders(srv, pred, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let st;
  while (Date.now() < deadline) {
    st = await providers(srv);
    if (pred(st)) return st;
    await sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms; last /api/providers: ${JSON.stringify(st)}`);
}

// One candidate, one complete interview with substantive answers (45 words with a
// number: every one goes to the model, unless answerFn says otherwise), and its report.
// Returns {c, iv, rep}.
async function completeInterview(url, kind = 'technical', answerFn = (q, i) => answerOfWords(45, { seed: i })) {
  const c = await registerCandidate(url);
  const iv = await runInterviewFull(url, c.token, kind, answerFn);
  const rep = await waitForReport(url, iv.id, c.token, REPORT_TIMEOUT_MS);
  return { c, iv, rep };
}

// Every answer has exactly one score in the report (no answer lost).
function assertReportComplete(iv, rep) {
  assert.equal(rep.status, 'ready');
  assert.equal(rep.scores.length, iv.questions.length, `scores: ${JSON.stringify(rep.scores)}`);
  for (const q of iv.questions)
    assert.ok(
      rep.scores.some((s) => s.question_id === q.id && s.score >= 1 && s.score <= 5),
      `no score for question ${q.id}: ${JSON.stringify(rep.scores)}`,
    );
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

// A TCP proxy in front of a mock that holds the FIRST request bytes of every new
// connection for firstDelayMs, then passes everything through at once: a provider far
// away, where a new connection (TCP + TLS handshakes) delays the request that opens it
// and a reused keep-alive connection does not. Returns {port, close()}.
async function startSlowFirstRequestProxy(targetPort, firstDelayMs) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const up = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    let first = true;
    client.on('data', (d) => {
      if (!first) return void up.write(d);
      first = false;
      client.pause();
      setTimeout(() => {
        up.write(d);
        client.resume();
      }, firstDelayMs);
    });
    up.on('data', (d) => client.write(d));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------
// 1. Tight limits, four concurrent interviews.

test(
  'three deployments at rpm 6 / rpd 40, four concurrent full interviews of 12 questions: all complete, no mock ever answers 429, calls are spread and counted exactly',
  { timeout: 120000 },
  logged(async (t) => {
    const mocks = await Promise.all([0, 1, 2].map(() => startMock(['--rpm', '6', '--rpd', '40', '--latency-ms', '20'])));
    const deps = mocks.map((mock, i) => ({ name: `tight${i}`, mock, cfg: { rpm: 6, rpd: 40 } }));
    const srv = await startFleetServer(deps, { interview: { questions: 12 } });

    const runs = await Promise.all([0, 1, 2, 3].map(() => completeInterview(srv.url)));
    for (const { iv, rep } of runs) {
      assert.equal(iv.start.mode, 'full');
      assert.equal(iv.questions.length, 12);
      assertReportComplete(iv, rep);
    }
    const st = await settle(srv);
    const stats = await Promise.all(mocks.map((m) => m.stats()));
    const detail = JSON.stringify({ stats, providers: st.providers });
    t.diagnostic(`mock requests ${stats.map((s) => s.requests).join(', ')}; router calls ${deps.map((d) => st.byName[d.name].calls).join(', ')}`);
    t.diagnostic(`scorers: ${JSON.stringify(runs.map((r) => r.rep.scorers))}`);

    stats.forEach((s, i) => {
      assert.equal(s.rate_limited, 0, `mock ${i} answered 429: ${detail}`);
      assert.equal(s.failed, 0, `mock ${i} failed: ${detail}`);
      assert.ok(s.requests <= 40, `mock ${i} got ${s.requests} requests, rpd is 40`);
      assert.ok(s.requests >= 1, `mock ${i} was never used: ${detail}`);
    });
    for (const d of deps) assert.equal(st.byName[d.name].rate_limited, 0, detail);
    assert.equal(
      sum(stats.map((s) => s.requests)),
      sum(deps.map((d) => st.byName[d.name].calls)),
      `requests the mocks saw != calls /api/providers counts: ${detail}`,
    );
    // Each deployment's own view agrees with what its mock saw.
    deps.forEach((d, i) => assert.equal(st.byName[d.name].used_today.requests, stats[i].requests, detail));
  }),
);

// The sliding minute at its boundary. The router charges a call to its minute when it
// reserves it; the provider counts it when the request arrives, which for a new
// connection to a distant provider is a handshake later. When the router's minute frees
// up it must not send a call the provider's minute (still holding the old call) refuses.
test(
  'rpm 2, provider 300 ms away for new connections: the calls queued for the next minute are not sent before the provider\'s window has room (no 429)',
  { timeout: 120000 },
  logged(async (t) => {
    const mock = await startMock(['--rpm', '2', '--latency-ms', '20', '--log-level', 'debug']);
    const proxy = await startSlowFirstRequestProxy(mock.port, 300);
    try {
      const far = { ...mock, url: `http://127.0.0.1:${proxy.port}` };
      const srv = await startFleetServer([{ name: 'far', mock: far, cfg: { rpm: 2 } }], {
        // Calls wait in the queue up to 90 s, so some are waiting when the minute ends.
        interview: { questions: 4, turn_deadline_ms: 200, llm_timeout_ms: 90000, eval_deadline_ms: 90000 },
      });
      // The resume analysis (asked when the interview starts) and the first evaluation
      // fill the minute; the other evaluations wait for it to end.
      const c = await registerCandidate(srv.url);
      await runInterviewFull(srv.url, c.token, 'technical', (q, i) => answerOfWords(45, { seed: i }));
      const began = Date.now();
      let s = await mock.stats();
      while (s.requests < 2 && Date.now() - began < 5000) {
        await sleep(50);
        s = await mock.stats();
      }
      assert.equal(s.requests, 2, `the first minute should hold exactly 2 calls: ${JSON.stringify(s)}`);
      // Wait for the second minute's two calls to be answered (or refused).
      while (!(s.requests >= 4 && s.in_flight === 0) && Date.now() - began < 75000) {
        await sleep(200);
        s = await mock.stats();
      }
      const st = await providers(srv);
      const detail = JSON.stringify({ stats: s, provider: st.byName.far });
      t.diagnostic(detail);
      t.diagnostic(mock.logs().split('\n').filter((l) => /admitted|refused/.test(l)).join('\n'));
      assert.equal(s.rate_limited, 0, `the router sent into the provider's full minute: ${detail}`);
      assert.equal(s.completions, 4, `the second minute's 2 calls were not served: ${detail}`);
    } finally {
      await proxy.close();
    }
  }),
);

// ---------------------------------------------------------------------------------
// 2. A deployment dies mid-run.

test(
  'one of three deployments dies after 5 answers (--die-after 5): three interviews complete, its calls fail over, its breaker opens',
  { timeout: 120000 },
  logged(async (t) => {
    const dying = await startMock(['--die-after', '5', '--latency-ms', '20']);
    const healthy = await Promise.all([0, 1].map(() => startMock(['--latency-ms', '20'])));
    const deps = [
      { name: 'dying', mock: dying, cfg: { rpd: 100 } },
      { name: 'ok0', mock: healthy[0], cfg: { rpd: 100 } },
      { name: 'ok1', mock: healthy[1], cfg: { rpd: 100 } },
    ];
    const srv = await startFleetServer(deps, { interview: { questions: 8 } });

    const runs = await Promise.all([0, 1, 2].map(() => completeInterview(srv.url)));
    for (const { iv, rep } of runs) assertReportComplete(iv, rep);
    const st = await settle(srv);
    const exited = await Promise.race([
      new Promise((r) => (dying.proc.exitCode !== null ? r(true) : dying.proc.once('exit', () => r(true)))),
      sleep(5000).then(() => false),
    ]);
    assert.ok(exited, 'the --die-after 5 mock is still running: it was not used 5 times');
    const stats = await Promise.all(healthy.map((m) => m.stats()));
    const detail = JSON.stringify({ stats, providers: st.providers });
    t.diagnostic(`dying: ${JSON.stringify(st.byName.dying)}`);
    t.diagnostic(`scorers: ${JSON.stringify(runs.map((r) => r.rep.scorers))}`);

    const d = st.byName.dying;
    assert.ok(d.failed >= 1, `no failed call on the dead deployment: ${detail}`);
    assert.ok(['open', 'half_open'].includes(d.state), `dead deployment's state is ${d.state}, want open: ${detail}`);
    assert.ok(d.ok <= 5, `more than 5 successes on a mock that died after 5: ${detail}`);
    // The healthy two took over: together they served everything after the 5, and
    // since they had room, every answer was still scored by a model.
    for (const s of stats) assert.ok(s.completions >= 1, detail);
    for (const s of stats) assert.equal(s.rate_limited, 0, detail);
    for (const { rep } of runs)
      assert.equal(rep.scorers.heuristic, 0, `an answer fell back to the heuristic: ${JSON.stringify(rep.scorers)}`);
  }),
);

// ---------------------------------------------------------------------------------
// 3. A key mostly used elsewhere today.

test(
  'groq headers say 15 of 20 requests were used elsewhere today: after the first answer at most 4 are left, and the mock never sees more than 20 in all (no 429)',
  { timeout: 90000 },
  logged(async (t) => {
    const mock = await startMock(['--headers', 'groq', '--rpd', '20', '--used-elsewhere-requests', '15', '--latency-ms', '20']);
    const srv = await startFleetServer([{ name: 'groq', mock, cfg: { headers: 'groq', rpd: 20 } }], {
      interview: { questions: 8 },
    });

    // Starting the interview starts the resume analysis: the deployment's first call.
    // The interview started in full before the headers told of the 15 used elsewhere,
    // so the 4 left (the day's reserve for running interviews) are its to use.
    const c = await registerCandidate(srv.url);
    let first;
    const iv = await runInterviewFull(srv.url, c.token, 'technical', async (q, i) => {
      if (i === 0) first = await waitProviders(srv, (s) => s.byName.groq.ok + s.byName.groq.failed >= 1, 'first call answered');
      return answerOfWords(45, { seed: i });
    });
    const g = first.byName.groq;
    t.diagnostic(`after the first answer: ${JSON.stringify(g)}`);
    assert.equal(g.ok, 1, JSON.stringify(g));
    assert.ok(g.remaining.requests >= 0 && g.remaining.requests <= 4, `remaining ${g.remaining.requests}, want <= 4: ${JSON.stringify(g)}`);
    assert.ok(g.used_today.requests >= 16, `used_today ${g.used_today.requests}, want >= 16: ${JSON.stringify(g)}`);
    // The interview wants ~10 more calls; only 4 fit.
    const rep = await waitForReport(srv.url, iv.id, c.token, REPORT_TIMEOUT_MS);
    assertReportComplete(iv, rep);
    const st = await settle(srv);
    const s = await mock.stats();
    const detail = JSON.stringify({ stats: s, provider: st.byName.groq });
    t.diagnostic(detail);
    assert.equal(s.rate_limited, 0, `the mock answered 429: ${detail}`);
    assert.ok(15 + s.requests <= 20, `${s.requests} requests on top of 15 used elsewhere, rpd 20: ${detail}`);
    assert.equal(s.requests, 5, `the 5 requests left today should all be used: ${detail}`);
    assert.equal(st.byName.groq.remaining.requests, 0, detail);
    assert.ok(rep.scorers.heuristic >= 1, `heuristic count ${JSON.stringify(rep.scorers)}`);
  }),
);

// ---------------------------------------------------------------------------------
// 4. A restart keeps today's counts.

test(
  'restart mid-day: a new server on the same database shows the same used_today requests and tokens (rpd 30)',
  { timeout: 90000 },
  logged(async (t) => {
    const mock = await startMock(['--rpd', '30', '--latency-ms', '20']);
    const deps = [{ name: 'daily', mock, cfg: { rpd: 30 } }];
    const srv1 = await startFleetServer(deps, { interview: { questions: 6 } });
    const { iv, rep } = await completeInterview(srv1.url);
    assertReportComplete(iv, rep);
    const before = (await settle(srv1)).byName.daily;
    const sent = (await mock.stats()).requests;
    t.diagnostic(`before restart: ${JSON.stringify(before)}; mock saw ${sent}`);
    assert.ok(before.used_today.requests >= 2, JSON.stringify(before));
    assert.equal(before.used_today.requests, sent);
    assert.equal(before.remaining.requests, 30 - sent);

    const r = await srv1.stop();
    assert.equal(r.code, 0, `SIGTERM exit: ${JSON.stringify(r)}`);
    const srv2 = await startFleetServer(deps, { interview: { questions: 6 }, dir: srv1.dir });
    const after = (await providers(srv2)).byName.daily;
    t.diagnostic(`after restart: ${JSON.stringify(after)}`);
    assert.equal(after.used_today.requests, before.used_today.requests, `requests: ${JSON.stringify({ before, after })}`);
    assert.equal(after.remaining.requests, before.remaining.requests);
    assert.equal(after.used_today.tokens, before.used_today.tokens, `tokens: ${JSON.stringify({ before, after })}`);
    assert.equal(after.calls, 0, 'the new process made no call yet');
  }),
);

test(
  'restart after groq headers revealed 15 of 20 requests used elsewhere and we used the other 5: the new server still has 0 left and sends nothing (no 429)',
  { timeout: 90000 },
  logged(async (t) => {
    const mock = await startMock(['--headers', 'groq', '--rpd', '20', '--used-elsewhere-requests', '15', '--latency-ms', '20']);
    const deps = [{ name: 'groq', mock, cfg: { headers: 'groq', rpd: 20 } }];
    const srv1 = await startFleetServer(deps, { interview: { questions: 6 } });
    // An interview wants ~8 calls; the 5 left today are used.
    const first = await completeInterview(srv1.url);
    assertReportComplete(first.iv, first.rep);
    const before = (await settle(srv1)).byName.groq;
    const sent1 = (await mock.stats()).requests;
    t.diagnostic(`before restart: ${JSON.stringify(before)}; mock saw ${sent1}`);
    assert.equal(sent1, 5);
    assert.equal(before.used_today.requests, 20, JSON.stringify(before));
    assert.equal(before.remaining.requests, 0, JSON.stringify(before));
    assert.equal((await srv1.stop()).code, 0);

    const srv2 = await startFleetServer(deps, { interview: { questions: 6 }, dir: srv1.dir });
    const after = (await providers(srv2)).byName.groq;
    t.diagnostic(`after restart: ${JSON.stringify(after)}`);
    const second = await completeInterview(srv2.url);
    assertReportComplete(second.iv, second.rep);
    const st = await settle(srv2);
    const s = await mock.stats();
    const detail = JSON.stringify({ stats: s, before, after, now: st.byName.groq });
    t.diagnostic(detail);
    assert.equal(after.used_today.requests, before.used_today.requests, `the restart forgot what the headers said: ${detail}`);
    assert.equal(after.remaining.requests, 0, detail);
    assert.equal(s.rate_limited, 0, `the mock answered 429 after the restart: ${detail}`);
    assert.equal(s.requests, 5, `requests after the day was spent: ${detail}`);
  }),
);

// ---------------------------------------------------------------------------------
// 5. The day's quota runs out.

test(
  'rpd 3 for an interview that wants ~8 calls: it still completes, the mock sees at most 3 requests and no 429, the rest is scored by the heuristic with model_unavailable',
  { timeout: 90000 },
  logged(async (t) => {
    const mock = await startMock(['--rpd', '3', '--latency-ms', '20']);
    const srv = await startFleetServer([{ name: 'tiny', mock, cfg: { rpd: 3 } }], {
      interview: { questions: 6, eval_deadline_ms: 2000 },
    });
    const { iv, rep } = await completeInterview(srv.url);
    assertReportComplete(iv, rep);
    const st = await settle(srv);
    const s = await mock.stats();
    const detail = JSON.stringify({ stats: s, provider: st.byName.tiny, scorers: rep.scorers });
    t.diagnostic(detail);
    assert.ok(s.requests <= 3, `${s.requests} requests, rpd 3: ${detail}`);
    assert.equal(s.rate_limited, 0, detail);
    assert.equal(st.byName.tiny.remaining.requests, 0, detail);
    const heur = rep.scores.filter((x) => x.scorer === 'heuristic');
    assert.ok(heur.length >= 1, `no heuristic score: ${JSON.stringify(rep.scores)}`);
    for (const x of heur) assert.ok((x.flags || []).includes('model_unavailable'), `heuristic score without model_unavailable: ${JSON.stringify(x)}`);
    assert.equal(rep.scorers.heuristic, heur.length);
  }),
);

// ---------------------------------------------------------------------------------
// 6. Limits not configured: learned from each header style.

// Confirmed server bugs (see the report in the test's diagnostics).
const TODO_BY_STYLE = {};

// Spends n of the provider's requests from outside interviewd, as another user of the
// same key would: the router cannot know, so its first call meets a 429.
async function spendElsewhere(mock, n) {
  for (let i = 0; i < n; i++) {
    const r = await api(mock.url, 'POST', '/v1/chat/completions', {
      model: 'mock-small',
      messages: [{ role: 'user', content: `another client of the same key, request ${i}` }],
    });
    assert.equal(r.status, 200, `spending request ${i} elsewhere: ${r.status} ${r.text}`);
  }
}

for (const style of ['openai', 'groq', 'cerebras', 'openrouter']) {
  test(
    `${style} headers, real rpm 2 not configured and already spent elsewhere: the first call meets a 429, the router backs off (1-4 refusals in the minute) and an interview of 6 questions completes`,
    { timeout: 60000, todo: TODO_BY_STYLE[style] },
    logged(async (t) => {
      const mock = await startMock(['--headers', style, '--rpm', '2', '--latency-ms', '20']);
      const srv = await startFleetServer([{ name: style, mock, cfg: { headers: style } }], {
        interview: { questions: 6 },
      });
      await spendElsewhere(mock, 2);
      const { iv, rep } = await completeInterview(srv.url);
      assertReportComplete(iv, rep);
      const st = await settle(srv);
      const s = await mock.stats();
      const p = st.byName[style];
      const detail = JSON.stringify({ stats: s, provider: p, scorers: rep.scorers });
      t.diagnostic(detail);
      assert.ok(s.rate_limited >= 1, `no 429 happened, so no back-off was tested: ${detail}`);
      // A 429 naming no delay (cerebras) cools 5 s, doubling (quota.h): at 0, 5, 15 and 35 s
      // within the spent minute, so at most 4; styles that name the reset wait it out.
      assert.ok(s.rate_limited <= 4, `${s.rate_limited} refusals: the router did not back off: ${detail}`);
      // a refusal that arrives after the caller's deadline reads as a timeout there
      assert.ok(p.rate_limited >= 1 && p.rate_limited <= s.rate_limited, `router counted ${p.rate_limited} 429s, mock sent ${s.rate_limited}`);
      assert.equal(p.calls, s.requests - 2, `the router's calls are the mock's requests but the 2 spent elsewhere: ${detail}`);
    }),
  );
}

// ---------------------------------------------------------------------------------
// 7. A refused key.

test(
  'a deployment whose key is refused (401) is "dead" after one request and a healthy one serves every call',
  { timeout: 60000 },
  logged(async (t) => {
    const locked = await startMock(['--require-key', 'sk-the-RIGHT-key-42', '--latency-ms', '20']);
    const good = await startMock(['--latency-ms', '20']);
    // The locked one is listed first, so with equal scores it is tried first.
    const srv = await startFleetServer(
      [
        { name: 'locked', mock: locked, cfg: { api_key_env: 'WRONG_KEY' } },
        { name: 'good', mock: good, cfg: {} },
      ],
      { interview: { questions: 6 }, env: { WRONG_KEY: 'sk-a-WRONG-key-13' } },
    );
    const c = await registerCandidate(srv.url);
    // the resume analysis, asked when the interview starts, is the first call
    const iv = await runInterviewFull(srv.url, c.token, 'technical', async (q, i) => {
      if (i === 0) await waitProviders(srv, (s) => s.byName.locked.state === 'dead', 'locked deployment dead');
      return answerOfWords(45, { seed: i });
    });
    const rep = await waitForReport(srv.url, iv.id, c.token, REPORT_TIMEOUT_MS);
    assertReportComplete(iv, rep);
    const st = await settle(srv);
    const [ls, gs] = await Promise.all([locked.stats(), good.stats()]);
    const detail = JSON.stringify({ locked: ls, good: gs, providers: st.providers });
    t.diagnostic(detail);
    assert.equal(st.byName.locked.state, 'dead', detail);
    assert.equal(ls.requests, 1, `the dead deployment was sent more than the one refused call: ${detail}`);
    assert.equal(ls.completions, 0, detail);
    assert.equal(st.byName.good.state, 'ok', detail);
    assert.ok(gs.completions >= iv.questions.length, detail);
    assert.equal(gs.requests, st.byName.good.calls, detail);
    assert.equal(st.byName.good.ok, gs.completions, detail);
    assert.equal(rep.scorers.model, iv.questions.length, `every answer model-scored: ${JSON.stringify(rep.scorers)}`);
    assert.ok(!srv.logs().includes('sk-a-WRONG-key-13'), 'the refused key appears in the server log');
    assert.ok(!JSON.stringify(st).includes('WRONG-key'), 'the refused key appears in /api/providers');
  }),
);
