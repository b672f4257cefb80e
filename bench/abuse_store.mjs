// abuse_store.mjs: the store and the event loop under load (issue 14 items 7 and 11),
// measured on a real interviewd (offline, SQLite) over loopback. Run by bench/abuse.sh;
// prints one line per figure, the last line of each section starting with its name.
//
//   answers   N candidates (default 1,000) each with an interview started, then every one
//             of them posts an answer at the same moment, ROUNDS times (each round the
//             next question): answer latency p50/p95/p99/max over all answers, errors
//   lock      another process (the sqlite3 shell) holds the database's write lock
//             (BEGIN EXCLUSIVE plus a write, as a writer holding RESERVED would) for
//             LOCK_S seconds (default 8) while /healthz is asked every 10 ms and 50
//             candidates keep answering: /healthz p50/p99/max during the lock, the
//             answers' statuses, and after the lock whether every acknowledged answer
//             is in its interview's transcript
//
//   node bench/abuse_store.mjs [answers] [lock]     (both when none is named)
//
// Environment: INTERVIEWD_BIN (default build/interviewd), STORE_N (1000), STORE_ROUNDS
// (3), STORE_LOCK_S (8), STORE_SQLITE3 (sqlite3). Exit status 1 when a section fails its
// own sanity checks (a 5xx other than store_busy, a lost acknowledged answer).
import os from 'node:os';
import { performance } from 'node:perf_hooks';

import { killAll, sleep, startServer } from '../tests/integration/lib.mjs';
import { procStat } from '../tests/integration/rawhttp.mjs';
import {
  agent,
  answerAll,
  countLost,
  holdLock,
  pct,
  probeHealthz,
  setupInterviews,
  statusCounts,
} from '../tests/integration/storeload.mjs';

const N = Number(process.env.STORE_N || 1000);
const ROUNDS = Number(process.env.STORE_ROUNDS || 3);
const LOCK_S = Number(process.env.STORE_LOCK_S || 8);

const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

const serverConfig = () => ({ limits: { max_connections: 4000, max_connections_per_address: 0 } });

async function sectionAnswers() {
  const srv = await startServer({ config: serverConfig() });
  try {
    const cands = await setupInterviews(srv.url, N);
    const all = [];
    const lines = [];
    let cpu = 0; // server CPU seconds (all threads) while the answers were in flight
    for (let round = 0; round < ROUNDS; round++) {
      const c0 = procStat(srv.proc.pid).cpuSec;
      const t0 = performance.now();
      const rs = await answerAll(srv.url, cands, round);
      const wall = performance.now() - t0;
      cpu += procStat(srv.proc.pid).cpuSec - c0;
      all.push(...rs);
      const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
      lines.push(`  round ${round + 1}: ${rs.length} answers in ${f0(wall)} ms, p50 ${f0(pct(ms, 50))} ms, p95 ${f0(pct(ms, 95))} ms, statuses ${JSON.stringify(statusCounts(rs))}`);
    }
    const ms = all.map((r) => r.ms).sort((a, b) => a - b);
    const errors = all.filter((r) => r.status !== 200).length;
    for (const l of lines) console.log(l);
    const lost = await countLost(srv.url, cands);
    console.log(
      `answers: ${N} candidates answering at once, offline, ${ROUNDS} rounds: p50 ${f0(pct(ms, 50))} ms, ` +
        `p95 ${f0(pct(ms, 95))} ms, p99 ${f0(pct(ms, 99))} ms, max ${f0(ms[ms.length - 1])} ms, ` +
        `${errors} errors of ${all.length}, ${lost} acknowledged answers missing; ` +
        `server CPU ${f0((1e6 * cpu) / Math.max(1, all.length))} us per answer`,
    );
    return errors === 0 && lost === 0;
  } finally {
    await srv.stop();
  }
}

async function sectionLock() {
  const srv = await startServer({ config: serverConfig() });
  try {
    const cands = await setupInterviews(srv.url, 50);
    await answerAll(srv.url, cands, 0); // acknowledged before the lock
    const lock = await holdLock(srv.dbPath);
    const t0 = performance.now();
    const until = t0 + LOCK_S * 1000;
    const during = [];
    const load = (async () => {
      for (let round = 1; performance.now() < until; round++) {
        during.push(...(await answerAll(srv.url, cands, round)));
        await sleep(200);
      }
    })();
    const probe = await probeHealthz(srv.url, until);
    await load;
    const held = (performance.now() - t0) / 1000;
    await lock.release();
    const after = await answerAll(srv.url, cands, 99);
    const lost = await countLost(srv.url, cands);
    const busy = during.filter((r) => r.status === 503 && r.json?.error?.code === 'store_busy');
    const retry = busy.length ? busy[0].headers['retry-after'] : '-';
    const slowest = during.map((r) => r.ms).sort((a, b) => b - a)[0];
    console.log(`  answers during the lock: ${JSON.stringify(statusCounts(during))} (Retry-After ${retry}, slowest ${f0(slowest)} ms); after it: ${JSON.stringify(statusCounts(after))}`);
    console.log(
      `lock: SQLite write lock held by another process for ${f1(held)} s: /healthz p50 ${f1(pct(probe.ms, 50))} ms, ` +
        `p99 ${f1(pct(probe.ms, 99))} ms, max ${f1(probe.ms[probe.ms.length - 1])} ms over ${probe.ms.length} probes ` +
        `${JSON.stringify(probe.statuses)}; ${lost} acknowledged answers missing`,
    );
    const bad = during.concat(after).filter((r) => r.status !== 200 && !(r.status === 503 && r.json?.error?.code === 'store_busy'));
    return lost === 0 && bad.length === 0;
  } finally {
    await srv.stop();
  }
}

const wanted = process.argv.slice(2);
const run = (s) => wanted.length === 0 || wanted.includes(s);
let ok = true;
try {
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (run('answers')) ok = (await sectionAnswers()) && ok;
  if (run('lock')) ok = (await sectionLock()) && ok;
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  agent.destroy();
  await killAll();
}
process.exit(ok ? 0 : 1);
