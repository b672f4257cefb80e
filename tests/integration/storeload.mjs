// Store and event-loop load for issue 14 (items 7 and 11): many candidates answering at
// once, another process holding the SQLite lock, /healthz probed meanwhile. Shared by
// tests/integration/abuse_store.test.mjs (small sizes, loose bounds) and
// bench/abuse_store.mjs (the figures). Loopback only.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

import { goodAnswer, registerCandidate, sleep } from './lib.mjs';

const SQLITE3 = process.env.STORE_SQLITE3 || 'sqlite3';

// One request. The agent has no socket limit and keeps connections open, so N requests
// at once are N connections, each reused by its candidate's next request as a browser
// would. Resolves {status, json, headers, ms}; status 0 on a connection error.
export const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });
export function request(url, method, p, body, token, timeoutMs = 60000) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers = {};
    if (data) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = data.length;
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = http.request(url + p, { method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode, json, headers: res.headers, ms: performance.now() - t0 });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, json: null, headers: {}, ms: performance.now() - t0, error: e.message }));
    if (data) req.write(data);
    req.end();
  });
}

export function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}


// n candidates, each with a started interview: [{token, id, q}] (q: the question awaiting
// an answer). Set up 50 at a time, not measured.
export async function setupInterviews(url, n) {
  const out = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const c = await registerCandidate(url);
        const r = await request(url, 'POST', '/api/interviews', { kind: 'technical' }, c.token);
        if (r.status !== 201) throw new Error(`POST /api/interviews: ${r.status} ${JSON.stringify(r.json)}`);
        return { token: c.token, id: r.json.interview_id, q: r.json.question, acked: [] };
      }),
    );
    out.push(...batch);
  }
  return out;
}

// Every candidate posts the answer to its current question at once. Returns the
// responses; moves each candidate's q on after a 200 and records the acknowledged index.
export async function answerAll(url, cands, round) {
  const rs = await Promise.all(
    cands.map(async (c) => {
      if (!c.q) return null;
      const r = await request(url, 'POST', `/api/interviews/${c.id}/answers`, { question_id: c.q.id, answer: goodAnswer(c.q, round) }, c.token);
      if (r.status === 200) {
        c.acked.push(c.q.id);
        c.q = r.json.next_question;
      }
      return r;
    }),
  );
  return rs.filter(Boolean);
}

export function statusCounts(rs) {
  const counts = {};
  for (const r of rs) {
    const k = r.status === 200 ? '200' : `${r.status}${r.json?.error?.code ? ' ' + r.json.error.code : ''}`;
    counts[k] = (counts[k] || 0) + 1;
  }
  return counts;
}

// Every acknowledged answer is in the transcript. Returns the number missing.
export async function countLost(url, cands) {
  let lost = 0;
  for (const c of cands) {
    const r = await request(url, 'GET', `/api/interviews/${c.id}`, undefined, c.token);
    if (r.status !== 200) throw new Error(`GET interview: ${r.status}`);
    const answered = new Set(r.json.transcript.filter((t) => t.answer).map((t) => t.question_id));
    for (const q of c.acked) if (!answered.has(q)) lost++;
  }
  return lost;
}

// Starts the sqlite3 shell holding the write lock; resolves {release()} once it holds it.
export function holdLock(dbPath, kind = 'EXCLUSIVE') {
  return new Promise((resolve, reject) => {
    const p = spawn(SQLITE3, [dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('LOCKED'))
        resolve({
          release() {
            p.stdin.end('COMMIT;\n.quit\n');
            return new Promise((r) => p.once('exit', r));
          },
        });
    });
    p.stderr.on('data', (d) => (err += d));
    p.once('error', reject);
    p.once('exit', (code) => reject(new Error(`sqlite3 exited (${code}) before holding the lock: ${err}`)));
    p.stdin.write(`.bail on\n.timeout 10000\nBEGIN ${kind};\nINSERT OR REPLACE INTO kv (key, value) VALUES ('abuse_lock', '1');\nSELECT 'LOCKED';\n`);
  });
}

export async function probeHealthz(url, untilMs, everyMs = 10) {
  const ms = [];
  const statuses = {};
  while (performance.now() < untilMs) {
    const r = await request(url, 'GET', '/healthz', undefined, undefined, 20000);
    ms.push(r.ms);
    statuses[r.status] = (statuses[r.status] || 0) + 1;
    await sleep(everyMs);
  }
  return { ms: ms.sort((a, b) => a - b), statuses };
}

