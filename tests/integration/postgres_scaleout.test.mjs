// Scale-out (issue 8), store part: two interviewd processes on one PostgreSQL database
// act as one service.
//
//  a. an interview moves between instances: registered and started on A, odd answers on
//     A and even ones on B with the same token, the report read from both is the same
//     JSON; over 3 interviews that alternate instances the candidate never hears a
//     question twice;
//  b. 10 candidates answer through both instances at once and all complete;
//  c. PostgreSQL stopped mid-run (pg_ctl stop -m fast): writes get 503 "unavailable"
//     with a sentence within a few seconds; PostgreSQL started again: the same
//     processes serve again, and every answer acknowledged with 200 before the outage
//     is in the database.
//
// The server is a private PostgreSQL cluster made here (initdb into a temp dir, a Unix
// socket in that dir only, listen_addresses=''), one database per test so the tests do
// not see each other's rows. As root the server binaries run as the `postgres` user
// (initdb refuses root), as in tests/unit/test_store_postgres.c. Missing binaries FAIL
// the file: CI installs the `postgresql` package (scripts/deps.sh), a skip would hide a
// broken machine. The binaries are found in $INTERVIEWD_PG_BINDIR, else the newest
// /usr/lib/postgresql/<version>/bin.
//
// Instances run offline (no provider): questions come from the bank and answers are
// scored by the heuristic, so every turn is decided by the store alone and the test is
// fast and deterministic.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  api,
  expectStatus,
  goodAnswer,
  logged,
  mockProvider,
  registerCandidate,
  sleep,
  startMock,
  startServer,
  waitForReport,
} from './lib.mjs';

const QUESTIONS = 12; // the default; 3 interviews x 12 distinct questions must fit the bank
const REPORT_TIMEOUT_MS = 15000;
const PG_CTL_TIMEOUT_S = '30';

// ---------------------------------------------------------------------------------
// The private PostgreSQL server.

function findBindir() {
  const env = process.env.INTERVIEWD_PG_BINDIR;
  let dir = env || '';
  if (!dir) {
    let best = -1;
    let names = [];
    try {
      names = fs.readdirSync('/usr/lib/postgresql');
    } catch {
      /* none installed */
    }
    for (const v of names) {
      const n = Number.parseInt(v, 10);
      const cand = `/usr/lib/postgresql/${v}/bin`;
      if (Number.isFinite(n) && n > best && fs.existsSync(`${cand}/pg_ctl`)) {
        best = n;
        dir = cand;
      }
    }
  }
  for (const b of ['initdb', 'pg_ctl', 'psql']) {
    try {
      fs.accessSync(path.join(dir, b), fs.constants.X_OK);
    } catch {
      throw new Error(
        `PostgreSQL server binaries (initdb, pg_ctl, psql) not found in ${env ? '$INTERVIEWD_PG_BINDIR ' : ''}` +
          `${dir || '/usr/lib/postgresql/*/bin'}: install the \`postgresql\` package (scripts/deps.sh test ` +
          'does) or set INTERVIEWD_PG_BINDIR. These tests need a real server and do not skip.',
      );
    }
  }
  return dir;
}

// uid/gid of the `postgres` user when we are root (initdb and postgres refuse root).
function serverUser() {
  if (process.getuid?.() !== 0) return {};
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line)
    throw new Error(
      'running as root and there is no `postgres` user to run the server as (initdb refuses root): install the `postgresql` package, which creates it',
    );
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

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

const pg = {
  bindir: '',
  user: {},
  dir: '', // socket, logs, data/
  data: '',
  port: 0,
  running: false,
  reaper: null,
};

// Runs a server binary (as `postgres` when root) to completion; throws with its output.
function pgRun(bin, args, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(pg.bindir, bin), args, {
      cwd: pg.dir,
      ...pg.user,
      env: { ...process.env, PGHOST: pg.dir, PGPORT: String(pg.port), PGUSER: 'postgres' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${bin}: ${e.message}`));
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${bin} ${args.join(' ')}: exit ${code} signal ${signal}\n${out}\n${serverLogTail()}`));
    });
  });
}

function serverLogTail() {
  try {
    return `--- server.log ---\n${fs.readFileSync(path.join(pg.dir, 'server.log'), 'utf8').slice(-3000)}`;
  } catch {
    return '';
  }
}

async function pgStart() {
  const opts =
    `-k ${pg.dir} -p ${pg.port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off ` +
    '-c full_page_writes=off -c max_connections=60';
  await pgRun('pg_ctl', ['-D', pg.data, '-l', path.join(pg.dir, 'server.log'), '-w', '-t', PG_CTL_TIMEOUT_S, '-o', opts, 'start']);
  pg.running = true;
}

async function pgStop(mode = 'fast') {
  await pgRun('pg_ctl', ['-D', pg.data, '-m', mode, '-w', '-t', PG_CTL_TIMEOUT_S, 'stop']);
  pg.running = false;
}

// psql -At against db; returns stdout.
function psql(db, sql) {
  return pgRun('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql]);
}

function conninfo(db) {
  return `host=${pg.dir} port=${pg.port} dbname=${db} user=postgres`;
}

let dbSeq = 0;
async function createDb() {
  const name = `interviewd_${++dbSeq}`;
  await psql('postgres', `CREATE DATABASE ${name}`);
  return name;
}

// Should this process die without running the after hook (SIGKILL from a runner's
// timeout), a detached shell that waits for EOF on a pipe only we hold stops the
// server (SIGQUIT to the postmaster: immediate shutdown) and removes the directory.
function forkReaper() {
  const script =
    'cat >/dev/null; f="$1/data/postmaster.pid"; ' +
    'if [ -f "$f" ]; then kill -QUIT "$(head -n 1 "$f")" 2>/dev/null; sleep 2; fi; rm -rf "$1"';
  const proc = spawn('sh', ['-c', script, 'reaper', pg.dir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  proc.unref();
  proc.stdin.on('error', () => {});
  return proc;
}

before(async () => {
  pg.bindir = findBindir();
  pg.user = serverUser();
  // Directly under /tmp, not INTERVIEWD_TEST_TMP: the socket path must stay short
  // (108 bytes) and every directory on it must be searchable by the `postgres` user.
  pg.dir = fs.mkdtempSync('/tmp/interviewd-pgso-');
  if (pg.user.uid !== undefined) fs.chownSync(pg.dir, pg.user.uid, pg.user.gid);
  pg.data = path.join(pg.dir, 'data');
  pg.port = await freePort();
  pg.reaper = forkReaper();
  await pgRun('initdb', ['-D', pg.data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  await pgStart();
});

after(async () => {
  if (!pg.dir) return;
  if (fs.existsSync(path.join(pg.data, 'postmaster.pid'))) {
    try {
      await pgStop('fast');
    } catch {
      try {
        await pgStop('immediate');
      } catch {
        /* the reaper will SIGQUIT it */
      }
    }
  }
  if (process.env.INTERVIEWD_KEEP_TMP) console.error(`kept PostgreSQL dir ${pg.dir}`);
  else fs.rmSync(pg.dir, { recursive: true, force: true });
  pg.reaper?.stdin.end(); // nothing left to do for it; it exits on the EOF
});

// ---------------------------------------------------------------------------------
// The service.

async function startInstance(db, name, config = {}) {
  return startServer({
    name,
    config: {
      store: { backend: 'postgres', url: conninfo(db) },
      interview: { questions: QUESTIONS },
      ...config,
    },
  });
}

async function startPair(db) {
  return Promise.all([startInstance(db, 'interviewd-a'), startInstance(db, 'interviewd-b')]);
}

// Starts an interview on `startOn`, answers turn i on instances[i % n] (so with [A, B]
// the 1st, 3rd, ... answer goes to A and the 2nd, 4th, ... to B). Returns what
// lib.runInterviewFull returns.
async function crossInterview(startOn, instances, token, answerFn = goodAnswer) {
  const r = await api(startOn.url, 'POST', '/api/interviews', { kind: 'technical' }, token);
  const start = expectStatus(r, 201, `POST /api/interviews on ${startOn.name}`);
  const id = start.interview_id;
  const questions = [];
  const responses = [];
  let q = start.question;
  for (let i = 0; q; i++) {
    if (i > QUESTIONS) throw new Error(`interview ${id} still asking after ${QUESTIONS} questions`);
    questions.push(q);
    const srv = instances[i % instances.length];
    const a = await api(srv.url, 'POST', `/api/interviews/${id}/answers`, { question_id: q.id, answer: answerFn(q, i) }, token);
    const body = expectStatus(a, 200, `answer ${i} of interview ${id} on ${srv.name}`);
    responses.push(body);
    if (body.done) break;
    if (!body.next_question) throw new Error(`done:false without next_question on ${srv.name}: ${a.text}`);
    q = body.next_question;
  }
  return { id, start, questions, responses };
}

// ---------------------------------------------------------------------------------

test(
  'an interview moves between instances: started on A, odd answers on A and even on B, the report from B and from A is the same JSON; 3 interviews alternating instances never repeat a question',
  { timeout: 60000 },
  logged(async (t) => {
    const db = await createDb();
    const [a, b] = await startPair(db);

    const c = await registerCandidate(a.url);
    // the token issued by A is good on B
    const me = expectStatus(await api(b.url, 'GET', '/api/candidates/me', undefined, c.token), 200, 'GET /api/candidates/me on B');
    assert.equal(me.candidate_id, c.candidate_id);

    const first = await crossInterview(a, [a, b], c.token);
    assert.equal(first.questions.length, QUESTIONS);
    first.questions.forEach((q, i) => assert.equal(q.index, i + 1, `question ${i} index: ${JSON.stringify(q)}`));
    assert.equal(first.responses.at(-1).done, true);

    // both see the whole transcript
    for (const srv of [a, b]) {
      const st = expectStatus(await api(srv.url, 'GET', `/api/interviews/${first.id}`, undefined, c.token), 200, `GET interview on ${srv.name}`);
      assert.equal(st.state, 'finished', `${srv.name}: ${JSON.stringify(st)}`);
      assert.equal(st.answered, QUESTIONS, `${srv.name}: ${JSON.stringify(st)}`);
      assert.deepEqual(st.transcript.map((x) => x.question_id), first.questions.map((q) => q.id), `${srv.name} transcript`);
    }

    const repB = await waitForReport(b.url, first.id, c.token, REPORT_TIMEOUT_MS);
    const rawA = await api(a.url, 'GET', `/api/interviews/${first.id}/report`, undefined, c.token);
    const rawB = await api(b.url, 'GET', `/api/interviews/${first.id}/report`, undefined, c.token);
    expectStatus(rawA, 200, 'report on A');
    expectStatus(rawB, 200, 'report on B');
    assert.equal(rawA.json.status, 'ready', rawA.text);
    assert.deepEqual(rawA.json, repB, 'report from A differs from the one B served');
    assert.equal(rawA.text, rawB.text, 'report bodies differ byte for byte');
    assert.equal(repB.scores.length, QUESTIONS);
    assert.deepEqual(repB.scores.map((s) => s.question_id), first.questions.map((q) => q.id), 'scores in the asked order');

    // two more interviews: the 2nd started on B (answers B, A, B, ...), the 3rd on A
    const second = await crossInterview(b, [b, a], c.token);
    const third = await crossInterview(a, [a, b], c.token);
    const all = [first, second, third].flatMap((iv) => iv.questions.map((q) => q.id));
    t.diagnostic(`${all.length} questions over 3 interviews, ${new Set(all).size} distinct`);
    assert.equal(all.length, 3 * QUESTIONS);
    assert.equal(new Set(all).size, all.length, `a question was repeated across instances: ${JSON.stringify(all)}`);

    // the candidate's list agrees on both
    const lists = await Promise.all(
      [a, b].map(async (srv) => expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, c.token), 200, `me on ${srv.name}`)),
    );
    for (const l of lists) assert.deepEqual(l.interviews.map((x) => x.interview_id).sort(), [first.id, second.id, third.id].sort());
  }),
);

test(
  '10 candidates answering through both instances at once all complete, and every report is ready on both',
  { timeout: 60000 },
  logged(async (t) => {
    const db = await createDb();
    const [a, b] = await startPair(db);
    const t0 = Date.now();
    const runs = await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        const home = k % 2 ? b : a;
        const other = k % 2 ? a : b;
        const c = await registerCandidate(home.url);
        // each candidate alternates; half of them start on B so both instances write at once
        const iv = await crossInterview(home, [other, home], c.token, (q, i) => goodAnswer(q, i + k));
        return { c, iv };
      }),
    );
    t.diagnostic(`10 interviews x ${QUESTIONS} answers in ${Date.now() - t0} ms`);
    for (const { iv } of runs) {
      assert.equal(iv.questions.length, QUESTIONS);
      assert.equal(iv.responses.at(-1).done, true);
    }
    for (const { c, iv } of runs) {
      const rb = await waitForReport(b.url, iv.id, c.token, REPORT_TIMEOUT_MS);
      const ra = await waitForReport(a.url, iv.id, c.token, REPORT_TIMEOUT_MS);
      assert.deepEqual(ra, rb, `report of ${iv.id} differs between instances`);
      assert.equal(ra.scores.length, QUESTIONS);
    }
    const n = Number((await psql(db, "SELECT count(*) FROM turns WHERE answer IS NOT NULL")).trim());
    assert.equal(n, 10 * QUESTIONS, 'answers in the database');
  }),
);

// The same question answered on A and on B at the same moment, RACES times over a few
// interviews (a double submit through a load balancer, a client retrying elsewhere).
// Returns [{statuses: [a, b], texts, sent, stored, current}] per race; the next race uses
// the question the server then says is current.
const RACES = 30;
async function answerRaces(a, b) {
  const out = [];
  while (out.length < RACES) {
    const c = await registerCandidate(a.url);
    const start = expectStatus(await api(a.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token), 201, 'start');
    const id = start.interview_id;
    let q = start.question;
    for (let i = 0; i < QUESTIONS - 2 && q && out.length < RACES; i++) {
      const sent = [`Answer from A. ${goodAnswer(q, i)}`, `Answer from B. ${goodAnswer(q, i + 50)}`];
      const rs = await Promise.all(
        [a, b].map((srv, k) => api(srv.url, 'POST', `/api/interviews/${id}/answers`, { question_id: q.id, answer: sent[k] }, c.token)),
      );
      const st = expectStatus(await api(b.url, 'GET', `/api/interviews/${id}`, undefined, c.token), 200, 'GET interview');
      out.push({
        id,
        idx: i,
        statuses: rs.map((r) => r.status),
        codes: rs.map((r) => r.json?.error?.code ?? null),
        texts: rs.map((r) => r.text.slice(0, 300)),
        next: rs.map((r) => r.json?.next_question?.id ?? null),
        sent,
        stored: st.transcript[i]?.answer ?? null,
        current: st.current_question?.id ?? null,
      });
      q = st.current_question;
    }
  }
  return out;
}

test(
  `the same question answered on A and on B at the same moment (${RACES} times): never two acknowledgements, the stored answer is the acknowledged one, the interview always goes on`,
  { timeout: 30000 },
  logged(async (t) => {
    const db = await createDb();
    const [a, b] = await startPair(db);
    const races = await answerRaces(a, b);
    const hist = {};
    for (const r of races) hist[r.statuses.join('/')] = (hist[r.statuses.join('/')] || 0) + 1;
    t.diagnostic(`A/B statuses over ${races.length} races: ${JSON.stringify(hist)}`);
    for (const r of races) {
      const what = JSON.stringify(r);
      assert.ok(r.statuses.filter((x) => x === 200).length <= 1, `both acknowledged: ${what}`);
      assert.ok(r.statuses.every((x) => [200, 409, 503].includes(x)), what);
      assert.ok(r.stored === r.sent[0] || r.stored === r.sent[1], `neither answer stored: ${what}`);
      const k = r.statuses.indexOf(200);
      if (k >= 0) {
        assert.equal(r.stored, r.sent[k], `the acknowledged answer is not the stored one: ${what}`);
        assert.equal(r.next[k], r.current, `the acknowledged next question is not the current one: ${what}`);
      }
      assert.ok(r.current, `no current question after the race: ${what}`);
    }
  }),
);

test(
  `the same question answered on A and on B at the same moment (${RACES} times): exactly one 200, the other 409 wrong_question`,
  { timeout: 30000 },
  logged(async (t) => {
    const db = await createDb();
    const [a, b] = await startPair(db);
    const races = await answerRaces(a, b);
    const bad = races.filter((r) => r.statuses.slice().sort().join('/') !== '200/409');
    t.diagnostic(`${bad.length} of ${races.length} races not 200 + 409: ${JSON.stringify(bad.map((r) => ({ statuses: r.statuses, codes: r.codes, stored_from: r.stored?.slice(12, 13) })))}`);
    for (const srv of [a, b]) {
      const lines = srv.logs().split('\n').filter((l) => /event=store_error .*op=turn_insert/.test(l));
      if (lines.length) t.diagnostic(`${srv.name}: ${lines.length} x ${lines[0].replace(/^ts=\S+ /, '')}`);
    }
    assert.deepEqual(bad, [], 'races answered with something else than one 200 and one 409');
  }),
);

test(
  'PostgreSQL stopped mid-run: writes get 503 "unavailable" with a sentence within seconds; restarted: the same instances serve again and every acknowledged answer is kept',
  { timeout: 90000 },
  logged(async (t) => {
    const db = await createDb();
    const [a, b] = await startPair(db);
    const inst = [a, b];

    // 6 candidates, each answering (alternating instances) in a loop until told to stop;
    // every 200 is recorded as acknowledged.
    const acked = new Map(); // interview id -> [{idx, question_id, answer}]
    const candidates = [];
    for (let k = 0; k < 6; k++) {
      const home = inst[k % 2];
      const c = await registerCandidate(home.url);
      const r = await api(home.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token);
      const start = expectStatus(r, 201, 'POST /api/interviews');
      candidates.push({ k, c, id: start.interview_id, q: start.question, n: 0, done: false });
      acked.set(start.interview_id, []);
    }
    let phase = 'before'; // before | outage
    const outageReplies = []; // {status, json, ms, phase}
    const unexpected = [];
    async function answerLoop(cd) {
      while (!cd.done && phase === 'before') {
        const srv = inst[(cd.k + cd.n) % 2];
        const answer = goodAnswer(cd.q, cd.n + 100 * cd.k);
        const t1 = Date.now();
        let r;
        try {
          r = await api(srv.url, 'POST', `/api/interviews/${cd.id}/answers`, { question_id: cd.q.id, answer }, cd.c.token, { timeoutMs: 15000 });
        } catch (e) {
          unexpected.push(`${srv.name} ${cd.id}: ${e.message} after ${Date.now() - t1} ms`);
          return;
        }
        if (r.status === 200) {
          acked.get(cd.id).push({ idx: cd.q.index - 1, question_id: cd.q.id, answer });
          cd.n++;
          if (r.json.done) cd.done = true;
          else cd.q = r.json.next_question;
        } else {
          outageReplies.push({ status: r.status, json: r.json, ms: Date.now() - t1, phase, where: srv.name });
          return;
        }
        await sleep(60);
      }
    }
    const loops = candidates.map(answerLoop);
    // Some answers are in, most are still to come. Wait for the answers rather than a
    // fixed time: under load (ASan, a busy machine) 300 ms may hold only a few.
    const ackedCount = () => [...acked.values()].reduce((s, l) => s + l.length, 0);
    for (const until = Date.now() + 10000; ackedCount() < 6 && Date.now() < until; ) await sleep(20);
    const beforeStop = ackedCount();
    t.diagnostic(`${beforeStop} answers acknowledged before the stop`);
    assert.ok(beforeStop >= 6, `too few answers before the outage: ${beforeStop}`);
    await pgStop('fast');
    phase = 'outage';
    await Promise.all(loops); // each request is bounded by its 15 s timeout
    assert.deepEqual(unexpected, [], 'requests that hung or failed at the transport level');
    t.diagnostic(`replies caught by the stop: ${JSON.stringify(outageReplies.map((x) => [x.where, x.status, x.json?.error?.code, x.ms]))}`);
    for (const x of outageReplies) {
      assert.equal(x.status, 503, `an answer in flight at the stop: ${JSON.stringify(x)}`);
      assert.equal(x.json?.error?.code, 'unavailable', JSON.stringify(x));
    }

    // while it is down: every write on either instance is a prompt, clear 503
    const writes = [];
    for (const srv of inst) {
      for (const cd of candidates.filter((x) => !x.done).slice(0, 2)) {
        writes.push([`${srv.name} answer`, () =>
          api(srv.url, 'POST', `/api/interviews/${cd.id}/answers`, { question_id: cd.q.id, answer: goodAnswer(cd.q, 7) }, cd.c.token, { timeoutMs: 15000 })]);
      }
      writes.push([`${srv.name} register`, () =>
        api(srv.url, 'POST', '/api/candidates', { name: 'Outage Person', email: `outage-${srv.port}@example.com`, role: candidates[0].c.role, resume_text: 'Go and SQL, 5 years.' }, undefined, { timeoutMs: 15000 })]);
      writes.push([`${srv.name} start`, () =>
        api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, candidates[0].c.token, { timeoutMs: 15000 })]);
    }
    for (const [what, fn] of writes) {
      const t1 = Date.now();
      const r = await fn();
      const ms = Date.now() - t1;
      t.diagnostic(`${what} while PostgreSQL is down: ${r.status} in ${ms} ms: ${r.text.slice(0, 200)}`);
      assert.equal(r.status, 503, `${what}: ${r.text}`);
      assert.equal(r.json?.error?.code, 'unavailable', `${what}: ${r.text}`);
      assert.match(r.json.error.message, /^[A-Z].{10,}[.!?]$/, `${what}: error.message is not a sentence: ${r.text}`);
      assert.ok(ms < 6000, `${what} took ${ms} ms to fail`);
    }
    // the processes are still there
    for (const srv of inst) {
      assert.equal(srv.proc.exitCode, null, `${srv.name} exited during the outage`);
      expectStatus(await api(srv.url, 'GET', '/healthz'), 200, `healthz on ${srv.name}`);
    }

    await pgStart();
    // the same processes serve again (a new registration on each), within a few seconds
    for (const srv of inst) {
      const deadline = Date.now() + 15000;
      let r;
      for (;;) {
        r = await api(srv.url, 'POST', '/api/candidates', { name: 'After Person', email: `after-${srv.port}@example.com`, role: candidates[0].c.role, resume_text: 'Go and SQL, 5 years.' });
        if (r.status === 201 || Date.now() > deadline) break;
        await sleep(200);
      }
      assert.equal(r.status, 201, `${srv.name} does not serve after PostgreSQL came back: ${r.text}`);
      assert.equal(srv.proc.exitCode, null, `${srv.name} is not the process that served before`);
      assert.match(srv.logs(), /event=store_reconnected /, `${srv.name} never logged its reconnect`);
    }

    // every acknowledged answer is in the database, as sent, and visible on both instances
    for (const cd of candidates) {
      const list = acked.get(cd.id);
      const rows = (await psql(db, `SELECT idx, question_id, md5(answer) FROM turns WHERE interview_id = '${cd.id}' AND answer IS NOT NULL ORDER BY idx`))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('|'));
      const byIdx = new Map(rows.map(([idx, qid, h]) => [Number(idx), { qid, h }]));
      for (const x of list) {
        const row = byIdx.get(x.idx);
        assert.ok(row, `acknowledged answer ${x.idx} of ${cd.id} is missing from the database`);
        assert.equal(row.qid, x.question_id);
        assert.equal(row.h, (await import('node:crypto')).createHash('md5').update(x.answer).digest('hex'), `answer ${x.idx} of ${cd.id} differs`);
      }
      for (const srv of inst) {
        const st = expectStatus(await api(srv.url, 'GET', `/api/interviews/${cd.id}`, undefined, cd.c.token), 200, `GET interview on ${srv.name}`);
        for (const x of list) assert.equal(st.transcript[x.idx]?.answer, x.answer, `${srv.name}: answer ${x.idx} of ${cd.id}`);
      }
    }

    // and the interviews can be finished (continuing from what the server says is current)
    for (const cd of candidates) {
      for (let n = 0; n <= QUESTIONS; n++) {
        const srv = inst[n % 2];
        const st = expectStatus(await api(srv.url, 'GET', `/api/interviews/${cd.id}`, undefined, cd.c.token), 200, 'GET interview');
        if (st.state === 'finished') break;
        assert.ok(st.current_question, `active interview without a current question: ${JSON.stringify(st)}`);
        const r = await api(srv.url, 'POST', `/api/interviews/${cd.id}/answers`, { question_id: st.current_question.id, answer: goodAnswer(st.current_question, n) }, cd.c.token);
        expectStatus(r, 200, `answer after the restart on ${srv.name}`);
      }
      const rep = await waitForReport(inst[cd.k % 2].url, cd.id, cd.c.token, REPORT_TIMEOUT_MS);
      assert.equal(rep.scores.length, QUESTIONS);
    }
  }),
);

// With a model provider each answer's evaluation runs on the instance that took the
// answer; a report polled on the other instance while that evaluation is out must not
// start a second one (nor a second summary and a second report write).
const MOCK_QUESTIONS = 4;
test(
  'with a model provider, an interview moved between instances and its report polled on both is evaluated and summarised once',
  { timeout: 60000 },
  logged(async (t) => {
    const db = await createDb();
    const mock = await startMock(['--latency-ms', '300']);
    const config = { budget: { mode: 'full' }, interview: { questions: MOCK_QUESTIONS }, ...mockProvider(mock) };
    const env = { MOCK_KEY: 'sk-pgso-0123456789abcdef', INTERVIEWD_ADMIN_TOKEN: 'admin-pgso-0123456789' };
    const [a, b] = await Promise.all(
      ['interviewd-a', 'interviewd-b'].map((name) =>
        startServer({ name, config: { ...config, store: { backend: 'postgres', url: conninfo(db) } }, env }),
      ),
    );
    const c = await registerCandidate(a.url);
    const iv = await crossInterview(a, [a, b], c.token);
    assert.equal(iv.start.mode, 'full');
    assert.equal(iv.questions.length, MOCK_QUESTIONS);
    const [ra, rb] = await Promise.all([
      waitForReport(a.url, iv.id, c.token, REPORT_TIMEOUT_MS),
      waitForReport(b.url, iv.id, c.token, REPORT_TIMEOUT_MS),
    ]);
    await sleep(1000); // anything still out lands
    const s = await mock.stats();
    const final = expectStatus(await api(a.url, 'GET', `/api/interviews/${iv.id}/report`, undefined, c.token), 200, 'report');
    const writers = [a, b].filter((srv) => srv.logs().includes(`event=report_ready interview=${iv.id}`)).map((x) => x.name);
    t.diagnostic(`mock requests ${s.requests} (resume 1 + evaluations ${MOCK_QUESTIONS} + summary 1 = ${MOCK_QUESTIONS + 2}); report written by ${writers.join(', ')}`);
    assert.deepEqual(ra, rb, 'the report differs between instances');
    assert.deepEqual(final, ra, 'the report changed after it was served as ready');
    assert.equal(ra.scorers.model, MOCK_QUESTIONS, JSON.stringify(ra.scorers));
    assert.equal(writers.length, 1, `report_json written by ${writers.join(' and ')}`);
    assert.equal(s.requests, MOCK_QUESTIONS + 2, `the mock saw ${s.requests} requests: work was done twice`);
    // live stats are summed over the instances sharing the store: either one reports the
    // fleet's provider calls, which equal what the provider received
    // (instances publish their counters every second: allow a few seconds)
    for (const srv of [a, b]) {
      let st;
      for (let i = 0; i < 50; i++) {
        st = expectStatus(await api(srv.url, 'GET', '/api/optimization_stats', undefined, 'admin-pgso-0123456789'), 200, 'stats');
        if (st.instances === 2 && st.api_calls === s.requests) break;
        await sleep(100);
      }
      assert.equal(st.instances, 2, JSON.stringify(st));
      assert.equal(st.api_calls, s.requests, `${srv.name}: api_calls ${st.api_calls} vs provider ${s.requests}`);
    }
  }),
);
