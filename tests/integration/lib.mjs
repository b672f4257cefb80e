// Helpers for the integration tests: start real interviewd and mockllm processes on
// loopback port 0, talk to them over HTTP, and make sure every process dies with the
// test file (also when a test fails or an await hangs past its bound).
//
// Environment (set by CTest; the fallbacks, relative to this checkout, suit a developer
// running `node --test`):
//   INTERVIEWD_BIN         the server binary        (build/interviewd)
//   MOCKLLM_BIN            the fake provider        (build/mockllm)
//   INTERVIEWD_SOURCE_DIR  the repository root      (two levels above this file)
//   INTERVIEWD_TEST_TMP    where temp dirs go       (os.tmpdir())
//   INTERVIEWD_KEEP_TMP=1  keep temp dirs (server logs, database) even of passing tests
//
// bench/interview_load.mjs imports the process helpers too; outside the test runner no
// node:test hook is registered (a hook makes any script print a TAP summary).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const INTERVIEWD_BIN = process.env.INTERVIEWD_BIN || path.join(CHECKOUT, 'build', 'interviewd');
export const MOCKLLM_BIN = process.env.MOCKLLM_BIN || path.join(CHECKOUT, 'build', 'mockllm');
export const SOURCE_DIR = process.env.INTERVIEWD_SOURCE_DIR || CHECKOUT;
export const TEST_TMP = process.env.INTERVIEWD_TEST_TMP || os.tmpdir();

const START_TIMEOUT_MS = 15000; // a process must print its listening line within this
const STOP_TIMEOUT_MS = 5000; // SIGTERM grace before SIGKILL
const REQUEST_TIMEOUT_MS = 20000; // one HTTP request
const MAX_TURNS = 100; // runInterview gives up after this many questions

// `index` of question objects counts from 1: the first question of 12 is {index: 1,
// total: 12}, the one awaited after 5 answers has index 6 (engine.c; docs/api-details.md
// does not say). Internally turns are 0-based (store.h `idx`).
export const FIRST_INDEX = 1;

// ---------------------------------------------------------------------------------
// Process bookkeeping: every process spawned here is tracked until it exits, and every
// interviewd, mockllm or CLI run gets a handle that the hygiene check below reads.

const live = new Set(); // ChildProcess objects not yet exited

function track(proc) {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

// SIGKILLs every live child at once (for exit and signal handlers, which cannot wait).
export function killAllNow() {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

// Stops every process this file started that is still running (SIGTERM, then SIGKILL)
// and checks all of them (see exitProblems); throws listing every unclean one. Runs as a
// root `after` hook of the importing test file, so a server a test leaves running, or
// one started in a `before` hook, is checked as strictly as one inside logged().
export async function killAll() {
  const problems = await checkHandles(handles);
  const rest = [...live];
  killAllNow();
  await Promise.all(rest.map((p) => waitExit(p, STOP_TIMEOUT_MS).catch(() => {})));
  if (problems.length) throw new Error(`unclean process exit:\n${problems.join('\n')}`);
}

// Under the test runner (`node --test`, or a *.test.mjs run directly), check everything
// when the file's tests end; any other importer only gets the exit handler.
if (process.env.NODE_TEST_CONTEXT || /\.test\.mjs$/.test(process.argv[1] || '')) {
  const { after } = await import('node:test');
  after(killAll);
}
process.on('exit', killAllNow);

// Resolves {code, signal} when proc exits; rejects after timeoutMs.
export function waitExit(proc, timeoutMs = STOP_TIMEOUT_MS) {
  if (proc.exitCode !== null || proc.signalCode !== null)
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.off('exit', onExit);
      reject(new Error(`pid ${proc.pid} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    function onExit(code, signal) {
      clearTimeout(timer);
      resolve({ code, signal });
    }
    proc.once('exit', onExit);
  });
}

// Sends signal and waits; SIGKILL if it has not exited after STOP_TIMEOUT_MS. Resolves
// {code, signal}, plus already: true (it had exited before) or sigkilled: true (it
// ignored the signal).
export async function stopProc(proc, signal = 'SIGTERM') {
  if (proc.exitCode !== null || proc.signalCode !== null)
    return { code: proc.exitCode, signal: proc.signalCode, already: true };
  try {
    proc.kill(signal);
  } catch {
    /* already gone */
  }
  try {
    return await waitExit(proc, STOP_TIMEOUT_MS);
  } catch {
    proc.kill('SIGKILL');
    return { ...(await waitExit(proc, STOP_TIMEOUT_MS)), sigkilled: true };
  }
}

// ---------------------------------------------------------------------------------
// Temp dirs: one per test (or per server), under INTERVIEWD_TEST_TMP.

const tmpDirs = [];

export function makeTmpDir(prefix = 'it') {
  fs.mkdirSync(TEST_TMP, { recursive: true });
  const dir = fs.mkdtempSync(path.join(TEST_TMP, `interviewd-${prefix}-`));
  tmpDirs.push(dir);
  return dir;
}

// Wraps a test body: on failure prints the tail of every server log started during the
// test (so CTest's --output-on-failure shows why) and keeps its temp dirs; on success
// stops every process the test started and fails it unless all of them exited cleanly
// (exitProblems), then removes the temp dirs unless INTERVIEWD_KEEP_TMP is set.
export function logged(fn) {
  return async (t) => {
    const firstHandle = handles.length;
    const firstDir = tmpDirs.length;
    try {
      await fn(t);
    } catch (err) {
      for (const s of handles.slice(firstHandle)) {
        if (s.mode === 'cli') continue;
        const tail = s.logs().slice(-6000);
        console.error(`--- ${s.name} (${s.dir}) log tail ---\n${tail}\n--- end ---`);
      }
      for (const d of tmpDirs.slice(firstDir)) console.error(`kept temp dir ${d}`);
      throw err;
    }
    const problems = await checkHandles(handles.slice(firstHandle));
    if (problems.length) {
      for (const d of tmpDirs.slice(firstDir)) console.error(`kept temp dir ${d}`);
      throw new Error(`unclean process exit:\n${problems.join('\n')}`);
    }
    if (!process.env.INTERVIEWD_KEEP_TMP)
      for (const d of tmpDirs.slice(firstDir)) fs.rmSync(d, { recursive: true, force: true });
  };
}

// ---------------------------------------------------------------------------------
// Process hygiene. A handle is {name, dir, proc, mode, logs(), stop()}; mode says what a
// clean end is:
//   'server'  interviewd or mockllm: exits by itself with status 0 within
//             STOP_TIMEOUT_MS of SIGTERM (a hang that needs SIGKILL, death by a signal
//             or any other status is unclean);
//   'cli'     a command run to completion: its status is the test's business, but death
//             by a signal is unclean;
//   'killed'  a server the test SIGKILLed on purpose (kill9): no status to check.
// In every mode a sanitizer report anywhere in its output is unclean: the ASan+UBSan
// build runs these same tests, and UBSan reports without stopping the process.

const handles = []; // every handle made by this file, in start order

// The first line of an AddressSanitizer, LeakSanitizer, ThreadSanitizer or UBSan report.
export const SANITIZER_REPORT =
  /(?:==\d+==)?ERROR: (?:Address|Leak|Thread|Memory)Sanitizer[^\n]*|SUMMARY: \w*Sanitizer[^\n]*|\S*:\d+:\d+: runtime error: [^\n]*/;

// What is unclean about handle h that ended with r ({code, signal, sigkilled, error}
// as stopProc resolves it); [] when nothing is. Exported for hygiene.test.mjs.
export function exitProblems(h, r = {}) {
  const out = [];
  const log = h.logs();
  const m = SANITIZER_REPORT.exec(log);
  if (m) out.push(`${h.name}: sanitizer report: ${m[0]}\n${log.slice(m.index, m.index + 3000)}`);
  if (r.error) out.push(`${h.name}: ${r.error.message || r.error}`);
  else if (h.mode === 'server') {
    if (r.sigkilled) out.push(`${h.name}: still running ${STOP_TIMEOUT_MS} ms after SIGTERM (a hang?), SIGKILLed`);
    else if (r.signal) out.push(`${h.name}: killed by ${r.signal}${r.already ? ' before the test stopped it' : ''}`);
    else if (r.code !== 0) out.push(`${h.name}: exited with status ${r.code}${r.already ? ' before the test stopped it' : ' after SIGTERM'}`);
  } else if (h.mode === 'cli' && r.signal && !r.timedOut) out.push(`${h.name}: killed by ${r.signal}`);
  if (out.length && h.mode !== 'cli') out.push(`${h.name}: last output:\n${log.slice(-2000)}`);
  return out;
}

// Ends (stop()) and checks each handle not checked before; resolves the problems.
export async function checkHandles(list) {
  const todo = list.filter((h) => !h.checked);
  for (const h of todo) h.checked = true;
  const results = await Promise.all(todo.map((h) => h.stop().catch((error) => ({ error }))));
  return todo.flatMap((h, i) => exitProblems(h, results[i]));
}

// A handle for proc (its output collected in out) started by this file.
function addHandle(proc, out, { name, dir, mode = 'server' }) {
  let stopped = null; // the first stop's promise: stopping twice answers the same
  const h = {
    name,
    dir,
    proc,
    mode,
    checked: false,
    logs: () => out.stdout + out.stderr,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    stop: () => (stopped ??= stopProc(proc, 'SIGTERM')),
    kill9: () => {
      h.mode = 'killed';
      return (stopped ??= stopProc(proc, 'SIGKILL'));
    },
  };
  handles.push(h);
  return h;
}

// Spawns any command as a checked process (hygiene.test.mjs starts misbehaving ones).
// Returns its handle; `exited` resolves {code, signal} when it ends.
export function spawnChecked(cmd, args, { name = cmd, mode = 'server', env, cwd } = {}) {
  const proc = track(spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (d) => (out.stdout += d));
  proc.stderr.on('data', (d) => (out.stderr += d));
  const h = addHandle(proc, out, { name, mode });
  h.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return h;
}

// ---------------------------------------------------------------------------------
// Spawning.

// Spawns cmd with args, collects output, resolves once stdout has a line
// `listening 127.0.0.1:PORT`. Rejects (and kills the process) if it exits first or the
// line does not come within START_TIMEOUT_MS. Returns {proc, out: {stdout, stderr}, ready}.
export function spawnListening(cmd, args, { env, cwd, logFile, name }) {
  const proc = track(spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  const out = { stdout: '', stderr: '' };
  const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
  // The file is a convenience copy of what `out` holds; a test that removed its temp dir
  // before the stream opened must not turn that into an uncaught error.
  log?.on('error', () => {});
  proc.stdout.on('data', (d) => {
    out.stdout += d;
    log?.write(d);
  });
  proc.stderr.on('data', (d) => {
    out.stderr += d;
    log?.write(d);
  });
  proc.once('exit', () => log?.end());
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      proc.kill('SIGKILL');
      reject(
        new Error(
          `${name} printed no "listening" line within ${START_TIMEOUT_MS} ms\n` +
            `stdout:\n${out.stdout}\nstderr:\n${out.stderr.slice(-4000)}`,
        ),
      );
    }, START_TIMEOUT_MS);
    const onData = () => {
      const m = /^listening 127\.0\.0\.1:(\d+)\s*$/m.exec(out.stdout);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(
        new Error(
          `${name} exited (code ${code}, signal ${signal}) before listening\n` +
            `stdout:\n${out.stdout}\nstderr:\n${out.stderr.slice(-4000)}`,
        ),
      );
    };
    const onError = (err) => {
      cleanup();
      reject(new Error(`${name}: cannot spawn ${cmd}: ${err.message}`));
    };
    function cleanup() {
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      proc.off('exit', onExit);
      proc.off('error', onError);
    }
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
    proc.once('error', onError);
  });
  return { proc, out, ready };
}

// Environment for a child: ours, minus every real provider key and MOCK_KEY (so "no
// provider configured" means none, whatever the developer's shell holds), plus `extra`.
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/_API_KEY$/.test(k) || k === 'MOCK_KEY') delete env[k];
  env.INTERVIEWD_SOURCE_DIR = SOURCE_DIR;
  return { ...env, ...extra };
}

// Starts mockllm on a free port. Returns {url, port, proc, stats(), stop(), logs()};
// url is the server root (http://127.0.0.1:PORT), the provider base is url + '/v1'.
export async function startMock(args = [], { dir } = {}) {
  dir ??= makeTmpDir('mock');
  const { proc, out, ready } = spawnListening(
    MOCKLLM_BIN,
    ['--listen', '127.0.0.1:0', ...args],
    { env: childEnv(), cwd: dir, logFile: path.join(dir, 'mockllm.log'), name: 'mockllm' },
  );
  const mock = addHandle(proc, out, { name: 'mockllm', dir });
  const port = await ready;
  const url = `http://127.0.0.1:${port}`;
  return Object.assign(mock, {
    url,
    port,
    async stats() {
      const r = await api(url, 'GET', '/mock/stats');
      if (r.status !== 200) throw new Error(`GET /mock/stats: ${r.status} ${r.text}`);
      return r.json;
    },
  });
}

// The [provider.mock] section for a running mockllm.
export function mockProvider(mock, extra = {}) {
  return {
    'provider.mock': {
      base_url: `${mock.url}/v1`,
      api_key_env: 'MOCK_KEY',
      model: 'mock-small',
      headers: 'openai',
      ...extra,
    },
  };
}

// Renders {section: {key: value}} as INI text.
export function iniText(config) {
  let s = '';
  for (const [section, keys] of Object.entries(config)) {
    s += `[${section}]\n`;
    for (const [k, v] of Object.entries(keys)) s += `${k} = ${v}\n`;
    s += '\n';
  }
  return s;
}


// Starts `interviewd serve --config FILE --listen 127.0.0.1:0`.
//   config: {section: {key: value}} merged over the defaults ([store] path in dir)
//   env:    added to the inherited environment (provider keys removed)
//   dir:    reuse a temp dir (and so its database) from an earlier server
// Returns {url, port, dir, dbPath, configPath, proc, logs(), stdout(), stderr(),
//          stop(), kill9()}.
export async function startServer({ config = {}, env = {}, dir, name = 'interviewd' } = {}) {
  dir ??= makeTmpDir('srv');
  const dbPath = path.join(dir, 't.db');
  // Every test signs up from 127.0.0.1: the per-address limits are off unless a test
  // sets them (signup_limits.test.mjs).
  const merged = {
    store: { backend: 'sqlite', path: dbPath },
    limits: {
      signup_per_address_per_hour: 0,
      signup_per_subnet_per_hour: 0,
      resume_update_per_address_per_hour: 0,
      resume_update_per_subnet_per_hour: 0,
    },
  };
  for (const [section, keys] of Object.entries(config))
    merged[section] = { ...(merged[section] || {}), ...keys };
  const configPath = path.join(dir, 'interviewd.ini');
  fs.writeFileSync(configPath, iniText(merged));
  const logFile = path.join(dir, 'interviewd.log');
  fs.appendFileSync(logFile, `=== start ${new Date().toISOString()} ===\n`);
  const { proc, out, ready } = spawnListening(
    INTERVIEWD_BIN,
    ['serve', '--config', configPath, '--listen', '127.0.0.1:0'],
    { env: childEnv(env), cwd: dir, logFile, name },
  );
  const srv = Object.assign(addHandle(proc, out, { name, dir }), { dbPath, configPath });
  srv.port = await ready;
  srv.url = `http://127.0.0.1:${srv.port}`;
  return srv;
}

// Runs the binary to completion (for `version`, bad configs, simulate...). Resolves
// {code, signal, stdout, stderr}; kills it and rejects after timeoutMs. The hygiene
// check fails the test if it dies by a signal or prints a sanitizer report.
export function runCli(args, { env = {}, cwd, timeoutMs = 10000 } = {}) {
  cwd ??= makeTmpDir('cli');
  const proc = track(spawn(INTERVIEWD_BIN, args, { env: childEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (d) => (out.stdout += d));
  proc.stderr.on('data', (d) => (out.stderr += d));
  const h = addHandle(proc, out, { name: `interviewd ${args.join(' ')}`.slice(0, 120), dir: cwd, mode: 'cli' });
  let timedOut = false;
  const closed = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
      reject(
        new Error(
          `interviewd ${args.join(' ')} still running after ${timeoutMs} ms\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`,
        ),
      );
    }, timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr });
    });
  });
  h.stop = () => closed.catch(() => ({ code: proc.exitCode, signal: proc.signalCode, timedOut }));
  return closed;
}

// ---------------------------------------------------------------------------------
// HTTP.

// Every response body text seen by api(), so tests can scan them for secrets.
export const responseBodies = [];

// Every response seen by api() or recordingFetch, headers and body, for the secret scans:
// {url, status, headers: 'name: value' lines, body: text, done: a promise that resolves
// once body holds the whole text (a streamed body is read as the test reads it)}.
export const responses = [];

function record(url, res) {
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  const entry = { url: String(url), status: res.status, headers, body: '' };
  responses.push(entry);
  return entry;
}

// fetch() that records every response (status, headers, whole body) in `responses`;
// give it to a client library (the OpenAI SDK's `fetch` option) so its traffic is
// scanned like api()'s. The body is read from a clone: the caller reads its own copy.
export async function recordingFetch(input, init) {
  const res = await fetch(input, init);
  const entry = record(input?.url ?? input, res);
  entry.done = (async () => {
    if (!res.body) return;
    const reader = res.clone().body.getReader();
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        entry.body += dec.decode(value, { stream: true });
      }
      entry.body += dec.decode();
    } catch {
      /* the caller gave up on it (abort, timeout): what arrived is scanned */
    }
  })();
  return res;
}

// One request. body: undefined (none), a string or Buffer (sent as is), or a value
// (sent as JSON). Resolves {status, json, text, headers}; json is null when the body is
// not JSON.
export async function api(url, method, p, body, token, { headers = {}, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const h = { ...headers };
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) payload = body;
    else payload = JSON.stringify(body);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  }
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(url + p, { method, headers: h, body: payload, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  responseBodies.push(text);
  const entry = record(url + p, res);
  entry.body = text;
  entry.done = Promise.resolve(text);
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, headers: res.headers };
}

// Throws with the response in the message unless the status is `want`.
export function expectStatus(r, want, what) {
  if (r.status !== want) throw new Error(`${what}: expected HTTP ${want}, got ${r.status}: ${r.text.slice(0, 2000)}`);
  return r.json;
}

let roleCache = new Map(); // url -> role id

// A valid role id: backend_engineer if the server lists it, else its first role.
export async function pickRole(url) {
  if (roleCache.has(url)) return roleCache.get(url);
  let role = 'backend_engineer';
  const r = await api(url, 'GET', '/api/roles');
  if (r.status === 200 && Array.isArray(r.json?.roles) && r.json.roles.length) {
    const ids = r.json.roles.map((x) => x.id);
    if (!ids.includes(role)) role = ids[0];
  }
  roleCache.set(url, role);
  return role;
}

let candidateSeq = 0;

export const DEFAULT_RESUME =
  'Backend engineer with 6 years of experience. Built a payment ledger in Go and PostgreSQL. ' +
  'Project lead for a Kafka event pipeline on Kubernetes. Worked at Acme Corp and Initech. ' +
  'Comfortable with Redis, Docker, Linux and SQL tuning.';

// Registers a candidate. Returns {candidate_id, token, name, email, role}.
export async function registerCandidate(url, fields = {}) {
  const n = ++candidateSeq;
  const body = {
    name: `Test Candidate ${process.pid}-${n}`,
    email: `cand${process.pid}x${n}@example.com`,
    role: fields.role ?? (await pickRole(url)),
    resume_text: DEFAULT_RESUME,
    ...fields,
  };
  const r = await api(url, 'POST', '/api/candidates', body);
  const json = expectStatus(r, 201, 'POST /api/candidates');
  assertString(json.candidate_id, 'candidate_id');
  assertString(json.token, 'token');
  return { ...json, name: body.name, email: body.email, role: body.role };
}

function assertString(v, what) {
  if (typeof v !== 'string' || v.length === 0) throw new Error(`${what} is not a non-empty string: ${JSON.stringify(v)}`);
}

// Starts an interview of `kind` and answers every question with answerFn(question, i)
// (may be async) until done. Returns {id, start, questions, answers, responses}:
// start is the POST /api/interviews body, questions[i] the question objects as asked,
// answers[i] the answers sent, responses[i] the answer-post bodies.
export async function runInterviewFull(url, token, kind, answerFn) {
  const r = await api(url, 'POST', '/api/interviews', { kind }, token);
  const start = expectStatus(r, 201, `POST /api/interviews kind=${kind}`);
  const id = start.interview_id;
  assertString(id, 'interview_id');
  const questions = [];
  const answers = [];
  const responses = [];
  let q = start.question;
  for (let i = 0; q; i++) {
    if (i >= MAX_TURNS) throw new Error(`interview ${id} still asking after ${MAX_TURNS} questions`);
    questions.push(q);
    const answer = await answerFn(q, i);
    answers.push(answer);
    const a = await api(url, 'POST', `/api/interviews/${id}/answers`, { question_id: q.id, answer }, token);
    const body = expectStatus(a, 200, `answer ${i} of interview ${id}`);
    responses.push(body);
    if (body.done) {
      if (body.next_question !== null)
        throw new Error(`done:true with a next_question: ${JSON.stringify(body.next_question)}`);
      break;
    }
    if (!body.next_question) throw new Error(`done:false without next_question: ${a.text}`);
    q = body.next_question;
  }
  return { id, start, questions, answers, responses };
}

// Same, returning only the interview id.
export async function runInterview(url, token, kind, answerFn) {
  return (await runInterviewFull(url, token, kind, answerFn)).id;
}

// Polls the report until status "ready" (every 100 ms) or throws after timeoutMs with
// the last answer.
export async function waitForReport(url, id, token, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await api(url, 'GET', `/api/interviews/${id}/report`, undefined, token);
    if (last.status !== 200) throw new Error(`GET report of ${id}: ${last.status} ${last.text}`);
    if (last.json?.status === 'ready') return last.json;
    if (last.json?.status !== 'pending') throw new Error(`report status neither ready nor pending: ${last.text}`);
    await sleep(100);
  }
  throw new Error(`report of ${id} not ready within ${timeoutMs} ms; last: ${last?.text}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------
// Answers.

const FILLER =
  ('In my previous team we approached this by measuring first and then changing one thing at a time, ' +
    'keeping a written log of each decision so that the people on call could follow the reasoning later, ' +
    'and we reviewed the results every week with product and operations to decide what to keep and what to roll back ' +
    'before the next release window closed for the quarter').split(/\s+/);

// Exactly n words; when withDigit, the third word is a number (so it "hits" in mockllm).
export function answerOfWords(n, { withDigit = true, seed = 0 } = {}) {
  const words = [];
  for (let i = 0; words.length < n; i++) words.push(FILLER[(i + seed) % FILLER.length]);
  if (withDigit && n >= 3) words[2] = String(3 + (seed % 7));
  return words.join(' ');
}

// A substantive answer (~60 words, with numbers and common technical words) that
// neither a pre-check nor a heuristic should treat as empty.
export function goodAnswer(q, i) {
  return (
    `For question ${i + 1}, I would start by clarifying the requirements and the expected load, ` +
    `for example 2000 requests per second with a p99 latency under 50 ms. Then I would design the data model, ` +
    `add an index on the hot query, put a cache in front of the database, and measure with a load test. ` +
    `In my last project this cut latency by 40 percent and made on-call much calmer.`
  );
}

// overall_score as docs/api-details.md defines it.
// round(100 * (mean - 1) / 4), computed exactly: (sum - n) * 25 / n, halves rounded up.
export function overallFrom(scores) {
  const n = scores.length;
  const sum = scores.reduce((a, s) => a + s, 0);
  return Math.round(((sum - n) * 25) / n);
}
