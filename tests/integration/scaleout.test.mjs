// Scale-out (issue 8), quota part: two interviewd processes on one Redis act as one
// fleet for a provider key's limits.
//
//  - two instances, each with its own SQLite file and its own candidates, one mockllm
//    with rpd 30 and [provider] rpd = 30 on both: interviews run concurrently on both;
//    the mock never receives more than 30 requests and never answers 429, and the two
//    instances' used_today together stay within 30;
//  - Redis killed and restarted mid-run: both instances keep serving (fallback share of
//    15 each while it is away, then they reconcile), and the mock still sees at most 30.
//
// The provider's `headers = none`: the instances must not learn the fleet's usage from
// the mock's rate-limit headers, only from Redis, so a pass means the share held.
// redis-server is started here on a free port; if it is not installed the tests FAIL
// (CI installs it). The whole file stays well under 60 s: interviews of 4 questions and
// short deadlines, so turns that find the day spent fall back quickly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  answerOfWords,
  api,
  expectStatus,
  logged,
  makeTmpDir,
  registerCandidate,
  runInterviewFull,
  sleep,
  startMock,
  startServer,
  waitForReport,
} from './lib.mjs';

const ADMIN_TOKEN = 'admin-scaleout-TOKEN-8d1e2f3a4b5c6d7e';
const MOCK_KEY = 'sk-scaleout-KEY-0123456789abcdef';
const RPD = 30;
const QUESTIONS = 4;
const REPORT_TIMEOUT_MS = 30000;
const FAST = { questions: QUESTIONS, turn_deadline_ms: 1000, llm_timeout_ms: 5000, eval_deadline_ms: 2000 };

// ---------------------------------------------------------------------------------
// redis-server, ours to start, kill and restart.

const redisProcs = new Set();
after(() => {
  for (const p of redisProcs) p.kill('SIGKILL');
});
process.on('exit', () => {
  for (const p of redisProcs) p.kill('SIGKILL');
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function redisInstalled() {
  return (process.env.PATH || '/usr/bin:/bin')
    .split(':')
    .some((d) => {
      try {
        fs.accessSync(path.join(d, 'redis-server'), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

// Starts redis-server on port (no persistence: a restart forgets everything). Returns
// {port, proc, kill()}.
async function startRedis(port) {
  if (!redisInstalled())
    throw new Error('redis-server is not installed (or not in PATH); scaleout tests need a real Redis: apt-get install redis-server');
  const dir = makeTmpDir('redis');
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  redisProcs.add(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  proc.once('exit', () => redisProcs.delete(proc));
  for (let i = 0; i < 500; i++) {
    if (await accepts(port)) break;
    if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}): ${stderr}`);
    await sleep(10);
  }
  if (!(await accepts(port))) throw new Error(`redis-server not accepting on ${port} within 5 s`);
  return {
    port,
    proc,
    kill: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}

// ---------------------------------------------------------------------------------
// The fleet.

async function startInstance(mock, redisPort, name) {
  return startServer({
    name,
    config: {
      server: { admin_token_env: 'INTERVIEWD_ADMIN_TOKEN' },
      budget: { mode: 'full' },
      interview: FAST,
      redis: { url: `redis://127.0.0.1:${redisPort}`, expected_instances: 2 },
      'provider.mock': {
        base_url: `${mock.url}/v1`,
        api_key_env: 'MOCK_KEY',
        model: 'mock-small',
        headers: 'none',
        rpd: RPD,
      },
    },
    env: { MOCK_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN },
  });
}

async function providers(srv) {
  const body = expectStatus(await api(srv.url, 'GET', '/api/providers', undefined, ADMIN_TOKEN), 200, 'GET /api/providers');
  return body.providers.find((p) => p.name === 'mock');
}

// Waits until nothing is queued or in flight on srv.
async function settle(srv, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let st;
  while (Date.now() < deadline) {
    st = expectStatus(await api(srv.url, 'GET', '/api/providers', undefined, ADMIN_TOKEN), 200, 'GET /api/providers');
    if (st.queued === 0 && st.providers.every((p) => p.used_today.in_flight === 0)) return st;
    await sleep(100);
  }
  throw new Error(`${srv.name} not idle within ${timeoutMs} ms: ${JSON.stringify(st)}`);
}

// One candidate of srv, one complete interview and its report.
async function interview(srv, seed) {
  const c = await registerCandidate(srv.url);
  const iv = await runInterviewFull(srv.url, c.token, 'technical', (q, i) => answerOfWords(45, { seed: seed + i }));
  const rep = await waitForReport(srv.url, iv.id, c.token, REPORT_TIMEOUT_MS);
  assert.equal(rep.status, 'ready');
  assert.equal(rep.scores.length, iv.questions.length, `scores: ${JSON.stringify(rep.scores)}`);
  return { iv, rep };
}

// ---------------------------------------------------------------------------------

test(
  `two instances on one Redis share rpd ${RPD}: concurrent interviews on both, the mock sees <= ${RPD} requests and no 429, used_today together <= ${RPD}`,
  { timeout: 60000 },
  logged(async (t) => {
    const redis = await startRedis(await freePort());
    const mock = await startMock(['--rpd', String(RPD), '--latency-ms', '20']);
    const [a, b] = await Promise.all([startInstance(mock, redis.port, 'interviewd-a'), startInstance(mock, redis.port, 'interviewd-b')]);
    assert.notEqual(a.dbPath, b.dbPath); // SQLite is per process

    // 4 interviews on each at once: ~6 calls each wanted (resume, 4 evaluations,
    // summary), 48 in all; either instance alone would spend all 30.
    const runs = await Promise.all([0, 1, 2, 3].flatMap((i) => [interview(a, 10 * i), interview(b, 100 + 10 * i)]));
    await Promise.all([settle(a), settle(b)]);
    const s = await mock.stats();
    const [pa, pb] = await Promise.all([providers(a), providers(b)]);
    const detail = JSON.stringify({ mock: s, a: pa, b: pb });
    t.diagnostic(`mock requests ${s.requests}; instance a used ${pa.used_today.requests}, b ${pb.used_today.requests}`);
    t.diagnostic(`scorers: ${JSON.stringify(runs.map((r) => r.rep.scorers))}`);

    assert.ok(s.requests <= RPD, `the mock received ${s.requests} requests, rpd is ${RPD}: ${detail}`);
    assert.equal(s.rate_limited, 0, `the mock answered 429: ${detail}`);
    assert.ok(pa.used_today.requests + pb.used_today.requests <= RPD, `used_today a + b > ${RPD}: ${detail}`);
    assert.equal(pa.used_today.requests + pb.used_today.requests, s.requests, `instances' counts disagree with the mock: ${detail}`);
    assert.ok(pa.used_today.requests >= 1 && pb.used_today.requests >= 1, `an instance never got a lease: ${detail}`);
    assert.ok(s.requests >= RPD - 6, `the fleet left much of the day unused (${s.requests} of ${RPD}): ${detail}`);
    await redis.kill();
  }),
);

test(
  `Redis killed and restarted mid-run: both instances keep serving, the mock still sees <= ${RPD} requests and no 429`,
  { timeout: 60000 },
  logged(async (t) => {
    const port = await freePort();
    let redis = await startRedis(port);
    const mock = await startMock(['--rpd', String(RPD), '--latency-ms', '20']);
    const [a, b] = await Promise.all([startInstance(mock, port, 'interviewd-a'), startInstance(mock, port, 'interviewd-b')]);

    const running = Promise.all([0, 1].flatMap((i) => [interview(a, 10 * i), interview(b, 100 + 10 * i)]));
    await sleep(150); // the first calls are out; most of the day is spent with Redis away or after
    const before = await mock.stats();
    await redis.kill();
    await sleep(1500); // both on their fallback share
    redis = await startRedis(port); // empty: the instances must reconcile into it
    const runs = await running;
    // more interviews after Redis is back
    runs.push(...(await Promise.all([interview(a, 50), interview(b, 150)])));
    await Promise.all([settle(a), settle(b)]);
    const s = await mock.stats();
    const [pa, pb] = await Promise.all([providers(a), providers(b)]);
    const detail = JSON.stringify({ before_kill: before.requests, mock: s, a: pa, b: pb });
    t.diagnostic(`mock requests ${before.requests} before the kill, ${s.requests} in all; a ${pa.used_today.requests}, b ${pb.used_today.requests}`);

    assert.ok(s.requests <= RPD, `the mock received ${s.requests} requests, rpd is ${RPD}: ${detail}`);
    assert.equal(s.rate_limited, 0, `the mock answered 429: ${detail}`);
    assert.ok(pa.used_today.requests + pb.used_today.requests <= RPD, detail);
    for (const srv of [a, b]) {
      assert.match(srv.logs(), /event=quota_share_fallback /, `${srv.name} never used its fallback share`);
      assert.match(srv.logs(), /event=quota_share_connected [^\n]*reconciled=1/, `${srv.name} never reconciled`);
    }
    // Redis, restarted empty, now holds both instances' whole day again.
    const { execFileSync } = await import('node:child_process');
    const key = execFileSync('redis-cli', ['-p', String(port), '--scan', '--pattern', 'interviewd:quota:{mock}:d:*']).toString().trim();
    assert.ok(key, 'no day key in the restarted Redis');
    const fields = execFileSync('redis-cli', ['-p', String(port), 'HGETALL', key]).toString().trim().split('\n');
    let fleet = 0;
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i].endsWith(':r')) fleet += Number(fields[i + 1]);
    t.diagnostic(`fleet day requests in Redis after the restart: ${fleet}`);
    assert.ok(fleet >= pa.used_today.requests + pb.used_today.requests, `Redis counts ${fleet} < what the instances used: ${detail}`);
    assert.ok(fleet <= RPD, detail);
    await redis.kill();
  }),
);
