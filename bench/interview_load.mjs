#!/usr/bin/env node
// Load benchmark for interviewd: starts a real server on 127.0.0.1:0 with a fresh SQLite
// database and drives C concurrent candidates through complete interviews, first with no
// provider (offline), then with one mockllm provider (--latency-ms 200 by default).
// Prints the machine, one table (a column per configuration) and, last, one JSON line.
// See bench/README.md for what each figure means.
//
// Node 20, no packages. Self-contained on purpose: tests/integration/lib.mjs registers a
// node:test `after` hook on import, which makes any script importing it print a TAP
// summary ("TAP version 13 ... # tests 0").
//
//   node bench/interview_load.mjs [--concurrency 20] [--interviews 200] [--max-seconds 120]
//        [--configs offline,mock] [--latency-ms 200] [--kind technical] [--keep]
//
// Environment: INTERVIEWD_BIN (build/interviewd), MOCKLLM_BIN (build/mockllm),
// INTERVIEWD_BENCH_TMP (where the temp dirs and databases
// go; os.tmpdir()), INTERVIEWD_BENCH_POLL_MS (report poll interval; default a schedule).
// Exit status: 0 when every configuration ran and saw no HTTP error, 1 otherwise, 2 on
// bad usage.
import { spawnSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  INTERVIEWD_BIN,
  MOCKLLM_BIN,
  childEnv,
  iniText,
  killAllNow,
  spawnListening,
  stopProc,
} from '../tests/integration/lib.mjs';

const TMP_ROOT = process.env.INTERVIEWD_BENCH_TMP || os.tmpdir();

const MOCK_KEY = 'sk-bench-not-a-real-key-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const REQUEST_TIMEOUT_MS = 30000; // one HTTP request
const REPORT_TIMEOUT_MS = 60000; // last answer -> report ready
const MAX_TURNS = 100;
// Report polling: immediately after the last answer, then after these waits (ms), the
// last one repeating. INTERVIEWD_BENCH_POLL_MS=N polls every N ms instead.
const POLL_WAITS = process.env.INTERVIEWD_BENCH_POLL_MS ? [Number(process.env.INTERVIEWD_BENCH_POLL_MS)] : [0, 10, 10, 20, 20, 40, 40, 50];
const DEFAULT_PER_DAY_LIMIT = 20; // [limits] max_interviews_per_day default (config.c)

// ---------------------------------------------------------------------------------
// Arguments.

function usage(msg) {
  if (msg) console.error(`interview_load: ${msg}`);
  console.error(
    'usage: node bench/interview_load.mjs [--concurrency N] [--interviews N] [--max-seconds S]\n' +
      '       [--configs offline,mock] [--latency-ms N] [--kind technical|behavioral|mixed] [--keep]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = { concurrency: 20, interviews: 200, maxSeconds: 120, configs: ['offline', 'mock'], latencyMs: 200, kind: 'technical', keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const int = (lo) => {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) < lo) usage(`${a}: '${v}' is not an integer >= ${lo}`);
      return Number(v);
    };
    if (a === '--concurrency' || a === '-c') o.concurrency = int(1);
    else if (a === '--interviews' || a === '-n') o.interviews = int(1);
    else if (a === '--max-seconds') o.maxSeconds = int(1);
    else if (a === '--latency-ms') o.latencyMs = int(0);
    else if (a === '--kind') o.kind = val();
    else if (a === '--configs') {
      o.configs = val().split(',').filter(Boolean);
      for (const c of o.configs) if (c !== 'offline' && c !== 'mock') usage(`unknown configuration '${c}'`);
    } else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument '${a}'`);
  }
  if (o.concurrency > o.interviews) o.concurrency = o.interviews;
  return o;
}

const opts = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------------------------
// Processes: tests/integration/lib.mjs spawns and tracks them (and SIGKILLs them on
// exit); here they are also killed on a signal or an uncaught error.

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`interview_load: ${sig}, killing children`);
    killAllNow();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error('interview_load: uncaught', err);
  killAllNow();
  process.exit(1);
});

// Resolves {proc, port, tail(n), stdout()} once the process prints its listening line.
async function listening(name, cmd, args, opts) {
  const { proc, out, ready } = spawnListening(cmd, args, { ...opts, name });
  const port = await ready;
  return { proc, port, tail: (n = 4000) => out.stderr.slice(-n), stdout: () => out.stdout };
}

// /proc/PID/status fields in KiB, and CPU seconds from /proc/PID/stat.
function procStatus(pid) {
  const out = {};
  try {
    const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    for (const key of ['VmHWM', 'VmRSS', 'Threads']) {
      const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(st);
      if (m) out[key] = Number(m[1]);
    }
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const hz = 100; // USER_HZ on Linux
    out.cpu_user_s = Number(f[11]) / hz;
    out.cpu_sys_s = Number(f[12]) / hz;
  } catch {
    /* process gone */
  }
  return out;
}

// CPU and I/O pressure (PSI "some avg10", percent) when the kernel exposes it: other
// work on the machine shows up here and explains noisy figures.
function pressure() {
  const out = {};
  for (const k of ['cpu', 'io']) {
    try {
      const m = /^some avg10=([\d.]+) avg60=([\d.]+)/m.exec(fs.readFileSync(`/proc/pressure/${k}`, 'utf8'));
      if (m) out[k] = { avg10: Number(m[1]), avg60: Number(m[2]) };
    } catch {
      /* no PSI */
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// HTTP client: node:http with a keep-alive agent (cheaper than fetch on a 2-core box
// where the client competes with the server for CPU).

class HttpError extends Error {}

function makeClient(port, maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  function request(method, p, body, token, { signal, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers = {};
      if (payload) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = payload.length;
      }
      if (token) headers.Authorization = `Bearer ${token}`;
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent, signal }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode, text, json, ms: performance.now() - t0 });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      const timer = setTimeout(() => {
        req.destroy(new HttpError(`timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      if (payload) req.write(payload);
      req.end();
    });
  }
  return { request, agent };
}

// ---------------------------------------------------------------------------------
// Answers: 30-80 words from a vocabulary, seeded per answer so every answer differs
// (the server caches; identical answers would measure the cache, not the work).

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const VOCAB = (
  'I would start by clarifying the requirements and the expected load then design the data model ' +
  'add an index on the hot query put a cache in front of the database and measure with a load test ' +
  'in my last project we cut latency by half after profiling the service and moving work off the request path ' +
  'we used postgresql redis kafka docker kubernetes and wrote integration tests for every endpoint ' +
  'the team reviewed each change and kept a runbook so on call engineers could follow the reasoning ' +
  'trade offs included consistency versus availability cost of replicas and the complexity of retries with backoff ' +
  'I learned to communicate early with stakeholders write down decisions and measure before optimizing ' +
  'monitoring dashboards alerts on error rate and saturation helped us catch regressions before customers did'
).split(/\s+/);

function makeAnswer(seed) {
  const r = rng(seed * 2654435761);
  const n = 30 + Math.floor(r() * 51); // 30..80 words
  const words = [];
  for (let i = 0; i < n; i++) words.push(VOCAB[Math.floor(r() * VOCAB.length)]);
  if (r() < 0.6) words[Math.floor(r() * n)] = String(2 + Math.floor(r() * 998)); // often a number
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return words.join(' ') + '.';
}

const RESUME =
  'Backend engineer with 6 years of experience. Built a payment ledger in Go and PostgreSQL. ' +
  'Project lead for a Kafka event pipeline on Kubernetes. Worked at Acme Corp and Initech. ' +
  'Comfortable with Redis, Docker, Linux and SQL tuning.';

// ---------------------------------------------------------------------------------
// Statistics.

function pct(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  const r = (x) => (x === null ? null : Math.round(x * 10) / 10);
  return {
    n: s.length,
    p50: r(pct(s, 50)),
    p95: r(pct(s, 95)),
    p99: r(pct(s, 99)),
    max: r(s.length ? s[s.length - 1] : null),
    mean: r(s.length ? s.reduce((a, b) => a + b, 0) / s.length : null),
  };
}

// ---------------------------------------------------------------------------------
// One configuration.

async function runConfig(name) {
  const dir = fs.mkdtempSync(path.join(TMP_ROOT, `interviewd-bench-${name}-`));
  const result = { config: name, dir, problems: [] };
  let server;
  let mock;
  try {
    const config = {
      server: { admin_token_env: 'INTERVIEWD_ADMIN_TOKEN', log_level: 'info' },
      store: { backend: 'sqlite', path: path.join(dir, 'bench.db') },
      // every simulated candidate signs up from 127.0.0.1: no per-address limit here
      limits: { signup_per_address_per_hour: 0, signup_per_subnet_per_hour: 0 },
    };
    const perWorker = Math.ceil(opts.interviews / opts.concurrency);
    if (perWorker > DEFAULT_PER_DAY_LIMIT) {
      config.limits.max_interviews_per_day = perWorker;
      result.note = `[limits] max_interviews_per_day raised to ${perWorker} (each candidate takes up to ${perWorker} interviews)`;
    }
    const env = { INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN };
    if (name === 'mock') {
      mock = await listening(
        'mockllm',
        MOCKLLM_BIN,
        ['--listen', '127.0.0.1:0', '--latency-ms', String(opts.latencyMs), '--log-level', 'warn'],
        { env: childEnv(), cwd: dir, logFile: path.join(dir, 'mockllm.log') },
      );
      config['provider.mock'] = {
        base_url: `http://127.0.0.1:${mock.port}/v1`,
        api_key_env: 'MOCK_KEY',
        model: 'mock-small',
      };
      env.MOCK_KEY = MOCK_KEY;
    }
    const configPath = path.join(dir, 'interviewd.ini');
    fs.writeFileSync(configPath, iniText(config));
    result.config_text = fs.readFileSync(configPath, 'utf8');
    server = await listening('interviewd', INTERVIEWD_BIN, ['serve', '--config', configPath, '--listen', '127.0.0.1:0'], {
      env: childEnv(env),
      cwd: dir,
      logFile: path.join(dir, 'interviewd.log'),
    });
    let serverDied = null;
    const abort = new AbortController();
    let t0 = performance.now();
    server.proc.once('exit', (code, signal) => {
      serverDied = { code, signal, at_s: (performance.now() - t0) / 1000 };
      abort.abort(); // stop the workers at once instead of counting refused connections
    });

    const client = makeClient(server.port, opts.concurrency + 8);
    const { signal } = abort;
    setMaxListeners(0, signal); // one abort listener per in-flight request

    // Bookkeeping.
    const statusCounts = {}; // "POST /api/interviews/{id}/answers 200" -> n
    const errorSamples = []; // first few non-2xx / transport errors
    const errorCounts = {}; // "route: status code" or "route: transport message"
    const lat = { register: [], start: [], answer: [], answerMid: [], answerFinal: [], reportReady: [], reportPoll: [], interview: [] };
    const modes = {};
    const scorers = { model: 0, heuristic: 0, precheck: 0 };
    let offlineReports = 0;
    let completed = 0;
    let started = 0;
    let failed = 0;
    let cutByDeadline = 0;
    let cutByServerExit = 0;
    let answersPosted = 0;
    let pollsTotal = 0;
    let turnsPerInterview = [];

    function recordError(route, what, sample) {
      errorCounts[`${route}: ${what}`] = (errorCounts[`${route}: ${what}`] || 0) + 1;
      if (errorSamples.length < 15) errorSamples.push({ at_s: +((performance.now() - t0) / 1000).toFixed(2), route, what, ...sample });
    }

    class Stop extends Error {}

    // One request with bookkeeping; throws Stop at the deadline, Error on anything else.
    async function call(route, method, p, body, token, okStatus) {
      if (signal.aborted) throw new Stop();
      let r;
      try {
        r = await client.request(method, p, body, token, { signal });
      } catch (e) {
        if (signal.aborted) throw new Stop();
        const what = `transport error: ${e.code || ''} ${e.message}`.trim();
        recordError(route, what, {});
        throw new Error(`${route}: ${what}`);
      }
      const key = `${route} ${r.status}`;
      statusCounts[key] = (statusCounts[key] || 0) + 1;
      if (r.status !== okStatus) {
        const code = r.json?.error?.code ?? '';
        recordError(route, `HTTP ${r.status} ${code}`.trim(), { body: r.text.slice(0, 400) });
        throw new Error(`${route}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      }
      return r;
    }

    const deadlineMs = opts.maxSeconds * 1000;
    const deadlineTimer = setTimeout(() => abort.abort(), deadlineMs);

    // Fixed share per worker (stays under the per-candidate daily limit).
    const shares = Array.from({ length: opts.concurrency }, (_, w) =>
      Math.floor(opts.interviews / opts.concurrency) + (w < opts.interviews % opts.concurrency ? 1 : 0),
    );
    let answerSeq = 0;

    async function worker(w) {
      let token;
      try {
        const r = await call('POST /api/candidates', 'POST', '/api/candidates', {
          name: `Bench Candidate ${w}`,
          email: `bench${w}.${process.pid}@example.com`,
          role: 'backend_engineer',
          resume_text: RESUME,
        }, undefined, 201);
        lat.register.push(r.ms);
        token = r.json.token;
      } catch (e) {
        if (!(e instanceof Stop)) failed += shares[w];
        return;
      }
      for (let k = 0; k < shares[w]; k++) {
        if (signal.aborted) return;
        let phase = 'start';
        try {
          started++;
          const tStart = performance.now();
          const s = await call('POST /api/interviews', 'POST', '/api/interviews', { kind: opts.kind }, token, 201);
          lat.start.push(s.ms);
          modes[s.json.mode] = (modes[s.json.mode] || 0) + 1;
          const id = s.json.interview_id;
          let q = s.json.question;
          let turns = 0;
          phase = 'answers';
          while (q) {
            if (++turns > MAX_TURNS) throw new Error(`interview ${id}: still asking after ${MAX_TURNS} questions`);
            const a = await call('POST /api/interviews/{id}/answers', 'POST', `/api/interviews/${id}/answers`, { question_id: q.id, answer: makeAnswer(++answerSeq) }, token, 200);
            lat.answer.push(a.ms);
            (a.json?.done ? lat.answerFinal : lat.answerMid).push(a.ms);
            answersPosted++;
            if (a.json?.done) break;
            if (!a.json?.next_question) {
              recordError('POST /api/interviews/{id}/answers', 'done:false without next_question', { body: a.text.slice(0, 400) });
              throw new Error('done:false without next_question');
            }
            q = a.json.next_question;
          }
          turnsPerInterview.push(turns);
          phase = 'report';
          const tLast = performance.now();
          const waits = POLL_WAITS;
          for (let i = 0; ; i++) {
            const r = await call('GET /api/interviews/{id}/report', 'GET', `/api/interviews/${id}/report`, undefined, token, 200);
            pollsTotal++;
            lat.reportPoll.push(r.ms);
            if (r.json?.status === 'ready') {
              lat.reportReady.push(performance.now() - tLast);
              for (const key of Object.keys(scorers)) scorers[key] += r.json.scorers?.[key] ?? 0;
              if (r.json.offline) offlineReports++;
              break;
            }
            if (r.json?.status !== 'pending') {
              recordError('GET /api/interviews/{id}/report', `status neither ready nor pending`, { body: r.text.slice(0, 400) });
              throw new Error('bad report status');
            }
            if (performance.now() - tLast > REPORT_TIMEOUT_MS) {
              recordError('GET /api/interviews/{id}/report', `not ready ${REPORT_TIMEOUT_MS} ms after the last answer`, { body: r.text.slice(0, 400) });
              throw new Error('report timeout');
            }
            await new Promise((res) => setTimeout(res, waits[Math.min(i, waits.length - 1)] || 100));
          }
          lat.interview.push(performance.now() - tStart);
          completed++;
        } catch (e) {
          if (e instanceof Stop) {
            if (serverDied) cutByServerExit++;
            else cutByDeadline++;
            return;
          }
          failed++;
          result.problems.push(`worker ${w} interview ${k} (${phase}): ${e.message}`.slice(0, 300));
        }
      }
    }

    t0 = performance.now();
    const cpuBefore = procStatus(server.proc.pid);
    const clientCpuBefore = process.cpuUsage();
    await Promise.all(shares.map((_, w) => worker(w)));
    const wall = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    result.client_cpu_seconds = +((clientCpu.user + clientCpu.system) / 1e6).toFixed(2);
    clearTimeout(deadlineTimer);
    const hitDeadline = signal.aborted && !serverDied;

    // After the run: server state, optimisation stats, mock stats.
    const srvStatus = procStatus(server.proc.pid);
    let optStats = null;
    let providers = null;
    if (!serverDied) {
      try {
        const r = await client.request('GET', '/api/optimization_stats', undefined, ADMIN_TOKEN);
        optStats = r.status === 200 ? r.json : { status: r.status, body: r.text.slice(0, 400) };
        const p = await client.request('GET', '/api/providers', undefined, ADMIN_TOKEN);
        providers = p.status === 200 ? p.json : { status: p.status, body: p.text.slice(0, 400) };
      } catch (e) {
        optStats = { error: e.message };
      }
    }
    let mockStats = null;
    let mockStatus = null;
    if (mock) {
      try {
        const mc = makeClient(mock.port, 2);
        const r = await mc.request('GET', '/mock/stats');
        mockStats = r.json;
        mc.agent.destroy();
      } catch (e) {
        mockStats = { error: e.message };
      }
      mockStatus = procStatus(mock.proc.pid);
    }
    client.agent.destroy();

    result.loadavg_at_end = os.loadavg().map((x) => +x.toFixed(2));
    result.pressure_at_end = pressure();
    const fiveXX = Object.entries(statusCounts).filter(([k]) => / 5\d\d$/.test(k)).reduce((a, [, n]) => a + n, 0);
    Object.assign(result, {
      concurrency: opts.concurrency,
      interviews_requested: opts.interviews,
      interviews_started: started,
      interviews_completed: completed,
      interviews_failed: failed,
      interviews_cut_by_deadline: cutByDeadline,
      interviews_cut_by_server_exit: cutByServerExit,
      hit_deadline: hitDeadline,
      wall_seconds: +wall.toFixed(2),
      interviews_per_second: +(completed / wall).toFixed(2),
      answers_posted: answersPosted,
      answers_per_second: +(answersPosted / wall).toFixed(1),
      questions_per_interview: summary(turnsPerInterview),
      modes,
      report_scorers: scorers,
      offline_reports: offlineReports,
      latency_ms: {
        register: summary(lat.register),
        start_interview: summary(lat.start),
        answer_post: summary(lat.answer),
        answer_post_not_last: summary(lat.answerMid),
        answer_post_last: summary(lat.answerFinal),
        last_answer_to_report_ready: summary(lat.reportReady),
        report_poll_request: summary(lat.reportPoll),
        whole_interview: summary(lat.interview),
      },
      report_polls: pollsTotal,
      status_counts: statusCounts,
      http_5xx: fiveXX,
      error_counts: errorCounts,
      error_samples: errorSamples,
      server: {
        pid: server.proc.pid,
        peak_rss_kib: srvStatus.VmHWM ?? null,
        rss_end_kib: srvStatus.VmRSS ?? null,
        threads: srvStatus.Threads ?? null,
        cpu_seconds: srvStatus.cpu_user_s !== undefined ? +(srvStatus.cpu_user_s + srvStatus.cpu_sys_s - (cpuBefore.cpu_user_s + cpuBefore.cpu_sys_s)).toFixed(2) : null,
        died_during_run: serverDied,
      },
      optimization_stats: optStats,
      providers,
    });
    if (mock) {
      const byTask = mockStats?.by_task ?? {};
      result.mockllm = {
        latency_ms: opts.latencyMs,
        requests: mockStats?.requests ?? null,
        completions: mockStats?.completions ?? null,
        rate_limited: mockStats?.rate_limited ?? null,
        failed: mockStats?.failed ?? null,
        rejected: mockStats?.rejected ?? null,
        by_task: byTask,
        completed_by_task: mockStats?.completed_by_task ?? null,
        tokens: mockStats?.tokens ?? null,
        calls_per_interview: completed ? +((mockStats?.requests ?? 0) / completed).toFixed(2) : null,
        calls_per_interview_by_task: Object.fromEntries(
          Object.entries(byTask).map(([t, n]) => [t, completed ? +(n / completed).toFixed(2) : null]),
        ),
        peak_rss_kib: mockStatus?.VmHWM ?? null,
        cpu_seconds: mockStatus?.cpu_user_s !== undefined ? +(mockStatus.cpu_user_s + mockStatus.cpu_sys_s).toFixed(2) : null,
      };
    }
    if (serverDied) result.problems.unshift(`interviewd exited during the run: code ${serverDied.code}, signal ${serverDied.signal}, at ${serverDied.at_s.toFixed(1)} s`);
    if (fiveXX) result.problems.unshift(`${fiveXX} HTTP 5xx responses`);
    if (hitDeadline) result.problems.push(`--max-seconds ${opts.maxSeconds} reached: ${cutByDeadline} interviews cut short`);
  } catch (e) {
    result.problems.unshift(`run aborted: ${e.message}`);
  } finally {
    if (server) {
      result.server_stop = await stopProc(server.proc);
      if (result.server_stop.sigkilled) result.problems.push('interviewd did not exit within 5 s of SIGTERM (SIGKILLed)');
      else if (!result.server_stop.already && (result.server_stop.code !== 0 || result.server_stop.signal))
        result.problems.push(`interviewd exit after SIGTERM: code ${result.server_stop.code}, signal ${result.server_stop.signal}`);
      const interesting = server
        .tail(400000)
        .split('\n')
        .filter((l) => /level=(warn|error)|fatal|abort|assert|sanitizer|segv/i.test(l));
      result.server_warn_error_lines = interesting.length;
      result.server_warn_error_tail = interesting.slice(-12);
      if (result.problems.length) result.server_stderr_tail = server.tail(3000);
    }
    if (mock) result.mock_stop = await stopProc(mock.proc);
    if (!opts.keep && !result.problems.some((p) => !p.startsWith('--max-seconds'))) fs.rmSync(dir, { recursive: true, force: true });
    else result.kept_dir = dir;
  }
  return result;
}

// ---------------------------------------------------------------------------------
// Output.

function fmt(v) {
  return v === null || v === undefined ? '-' : String(v);
}

function printTable(results) {
  const rows = [
    ['interviews completed', (r) => `${r.interviews_completed}/${r.interviews_requested}`],
    ['interviews failed', (r) => r.interviews_failed],
    ['cut by --max-seconds', (r) => r.interviews_cut_by_deadline],
    ['cut by server exit', (r) => r.interviews_cut_by_server_exit],
    ['wall seconds', (r) => r.wall_seconds],
    ['interviews/s', (r) => r.interviews_per_second],
    ['answers/s', (r) => r.answers_per_second],
    ['mode(s)', (r) => Object.entries(r.modes || {}).map(([m, n]) => `${m}:${n}`).join(' ')],
    ['scored by model/heur./precheck', (r) => (r.report_scorers ? `${r.report_scorers.model}/${r.report_scorers.heuristic}/${r.report_scorers.precheck}` : '-')],
    ['answer POST p50 ms', (r) => r.latency_ms?.answer_post.p50],
    ['answer POST p95 ms', (r) => r.latency_ms?.answer_post.p95],
    ['answer POST p99 ms', (r) => r.latency_ms?.answer_post.p99],
    ['answer POST max ms', (r) => r.latency_ms?.answer_post.max],
    ['  not-last answers p50/p99 ms', (r) => (r.latency_ms ? `${fmt(r.latency_ms.answer_post_not_last.p50)}/${fmt(r.latency_ms.answer_post_not_last.p99)}` : '-')],
    ['  last answer p50/p99 ms', (r) => (r.latency_ms ? `${fmt(r.latency_ms.answer_post_last.p50)}/${fmt(r.latency_ms.answer_post_last.p99)}` : '-')],
    ['start interview p50 ms', (r) => r.latency_ms?.start_interview.p50],
    ['start interview p99 ms', (r) => r.latency_ms?.start_interview.p99],
    ['register p50/p99 ms', (r) => (r.latency_ms ? `${fmt(r.latency_ms.register.p50)}/${fmt(r.latency_ms.register.p99)}` : '-')],
    ['last answer -> report p50 ms', (r) => r.latency_ms?.last_answer_to_report_ready.p50],
    ['last answer -> report p99 ms', (r) => r.latency_ms?.last_answer_to_report_ready.p99],
    ['whole interview p50 s', (r) => (r.latency_ms?.whole_interview.p50 != null ? (r.latency_ms.whole_interview.p50 / 1000).toFixed(2) : '-')],
    ['server peak RSS (VmHWM) MiB', (r) => (r.server?.peak_rss_kib != null ? (r.server.peak_rss_kib / 1024).toFixed(1) : '-')],
    ['server CPU seconds', (r) => r.server?.cpu_seconds],
    ['server threads at end', (r) => r.server?.threads],
    ['load generator CPU seconds', (r) => r.client_cpu_seconds],
    ['HTTP 5xx', (r) => r.http_5xx],
    ['load avg (1 min) at end', (r) => r.loadavg_at_end?.[0]],
    ['CPU / IO pressure avg10 at end %', (r) => (r.pressure_at_end?.cpu ? `${r.pressure_at_end.cpu.avg10}/${r.pressure_at_end.io?.avg10}` : '-')],
    ['mockllm requests', (r) => r.mockllm?.requests],
    ['mockllm calls/interview', (r) => r.mockllm?.calls_per_interview],
    ['mockllm 429/failed/rejected', (r) => (r.mockllm ? `${r.mockllm.rate_limited}/${r.mockllm.failed}/${r.mockllm.rejected}` : '-')],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const cols = results.map((r) => rows.map(([, f]) => fmt(r.interviews_completed === undefined ? undefined : f(r))));
  const ws = results.map((r, i) => Math.max(r.config.length, ...cols[i].map((c) => c.length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w0) : c.padStart(ws[i - 1]))).join('  ');
  console.log(line(['', ...results.map((r) => r.config)]));
  console.log(line(['-'.repeat(w0), ...ws.map((w) => '-'.repeat(w))]));
  rows.forEach(([label], j) => console.log(line([label, ...cols.map((c) => c[j])])));
  for (const r of results) {
    if (r.mockllm) {
      console.log(`\n${r.config}: mockllm requests by task (calls per completed interview):`);
      for (const [t, n] of Object.entries(r.mockllm.by_task)) console.log(`  ${t.padEnd(18)} ${String(n).padStart(7)}  (${fmt(r.mockllm.calls_per_interview_by_task[t])})`);
    }
    if (r.note) console.log(`\n${r.config}: note: ${r.note}`);
    if (Object.keys(r.error_counts || {}).length) {
      console.log(`\n${r.config}: errors by route and status:`);
      for (const [k, n] of Object.entries(r.error_counts)) console.log(`  ${String(n).padStart(6)}  ${k}`);
    }
    if (r.problems.length) {
      console.log(`\n${r.config}: PROBLEMS:`);
      for (const p of r.problems.slice(0, 20)) console.log(`  - ${p}`);
      if (r.problems.length > 20) console.log(`  ... ${r.problems.length - 20} more`);
      for (const s of (r.error_samples || []).slice(0, 5)) console.log(`  sample: ${JSON.stringify(s)}`);
      if (r.server_stderr_tail) console.log(`\n${r.config}: interviewd stderr tail:\n${r.server_stderr_tail}`);
    }
    if (r.kept_dir) console.log(`${r.config}: logs and database kept in ${r.kept_dir}`);
    if (r.server_warn_error_lines) {
      console.log(`\n${r.config}: interviewd logged ${r.server_warn_error_lines} warn/error lines; last ones:`);
      for (const l of r.server_warn_error_tail) console.log(`  ${l.slice(0, 300)}`);
    }
  }
}

async function main() {
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavg_at_start: os.loadavg().map((x) => +x.toFixed(2)),
    pressure_at_start: pressure(),
  };
  let version = null;
  try {
    const v = spawnSync(INTERVIEWD_BIN, ['version'], { encoding: 'utf8', timeout: 5000 });
    version = (v.stdout || v.stderr || '').trim().split('\n')[0] || null;
    machine.interviewd_mtime = fs.statSync(INTERVIEWD_BIN).mtime.toISOString();
  } catch {
    /* reported as null */
  }
  machine.interviewd_version = version;
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB RAM, ${machine.os}, node ${machine.node}; load average at start ${machine.loadavg_at_start.join(' ')}${machine.pressure_at_start.cpu ? `, CPU pressure avg10 ${machine.pressure_at_start.cpu.avg10}%` : ''}`);
  console.log(`interviewd: ${INTERVIEWD_BIN} (${version ?? 'version unknown'}, built ${machine.interviewd_mtime ?? '?'})${opts.configs.includes('mock') ? `   mockllm: ${MOCKLLM_BIN} --latency-ms ${opts.latencyMs}` : ''}`);
  console.log(`concurrency ${opts.concurrency}, interviews ${opts.interviews}, kind ${opts.kind}, max ${opts.maxSeconds} s per configuration\n`);
  const results = [];
  for (const c of opts.configs) {
    process.stderr.write(`running ${c}...\n`);
    results.push(await runConfig(c));
  }
  printTable(results);
  const slim = results.map((r) => {
    const { dir, config_text, server_stderr_tail, error_samples, providers, optimization_stats, ...rest } = r;
    return {
      ...rest,
      error_samples: (error_samples || []).slice(0, 5),
      optimization_stats: optimization_stats && {
        total_requests: optimization_stats.total_requests,
        api_calls: optimization_stats.api_calls,
        cache_hits: optimization_stats.cache_hits,
        pool_hits: optimization_stats.pool_hits,
        dedup_saves: optimization_stats.dedup_saves,
        optimization_rate: optimization_stats.optimization_rate,
      },
    };
  });
  console.log('');
  console.log(JSON.stringify({ bench: 'interview_load', machine, options: opts, results: slim }));
  const bad = results.some((r) => r.problems.some((p) => !p.startsWith('--max-seconds')) || r.interviews_completed === undefined);
  process.exitCode = bad ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  killAllNow();
  process.exit(1);
});
