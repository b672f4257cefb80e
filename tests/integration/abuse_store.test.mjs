// Issue 14, the store and the event loop under load (items 7 and 11): a real interviewd
// (offline, SQLite) over loopback. The targets (1,000 answers at once: p95 <= 500 ms;
// /healthz p99 <= 50 ms while another process holds the lock) are measured by
// bench/abuse.sh; here the same cases run small, with bounds loose enough for a loaded
// 2-core machine, and with checks that do not depend on speed: every answer is
// acknowledged, commits share fsyncs, a locked database is a 503 store_busy at once,
// nothing acknowledged is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { api, logged, startServer } from './lib.mjs';
import { answerAll, countLost, holdLock, pct, probeHealthz, setupInterviews, statusCounts } from './storeload.mjs';

const ADMIN_TOKEN = 'admin-store-TOKEN-5c2e91';
const config = { limits: { max_connections: 2000, max_connections_per_address: 0 } };

async function storeCounters(srv) {
  const r = await api(srv.url, 'GET', '/metrics', undefined, ADMIN_TOKEN);
  assert.equal(r.status, 200);
  const get = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(r.text)?.[1]);
  return { commits: get('interviewd_store_commits_total'), syncs: get('interviewd_store_syncs_total') };
}

test(
  '200 candidates answering at once: every answer acknowledged, commits share fsyncs, none lost',
  logged(async () => {
    const srv = await startServer({ config, env: { INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN } });
    const cands = await setupInterviews(srv.url, 200);
    const before = await storeCounters(srv);
    const rs = await answerAll(srv.url, cands, 0);
    const after = await storeCounters(srv);
    const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
    const commits = after.commits - before.commits;
    const syncs = after.syncs - before.syncs;
    console.log(
      `200 answers at once: p50 ${pct(ms, 50).toFixed(0)} ms, p95 ${pct(ms, 95).toFixed(0)} ms; ` +
        `${commits} commits, ${syncs} fsyncs`,
    );
    assert.deepEqual(statusCounts(rs), { 200: 200 });
    // Each answer commits at least once (the answer, then its heuristic score); without
    // group commit each commit is its own fsync on the loop. How many share one fsync
    // depends on the machine's load, so only "fewer fsyncs than commits" is required.
    assert.ok(commits >= 200 && commits <= 600, `${commits} commits for 200 answers`);
    assert.ok(syncs >= 1 && syncs < commits, `${syncs} fsyncs for ${commits} commits: not grouped`);
    // Loose: the bench's target is 500 ms for 1,000 answers on a quiet machine.
    assert.ok(pct(ms, 95) < 10000, `p95 ${pct(ms, 95)} ms`);
    assert.equal(await countLost(srv.url, cands), 0);
    await srv.stop();
  }),
);

test(
  'another process holding the write lock: /healthz stays fast, writes get 503 store_busy at once, nothing is lost',
  logged(async () => {
    const srv = await startServer({ config });
    const cands = await setupInterviews(srv.url, 20);
    assert.deepEqual(statusCounts(await answerAll(srv.url, cands, 0)), { 200: 20 });
    const lock = await holdLock(srv.dbPath);
    let during = [];
    let probe;
    try {
      const until = performance.now() + 3000;
      const load = (async () => {
        for (let round = 1; performance.now() < until; round++) {
          during = during.concat(await answerAll(srv.url, cands, round));
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      probe = await probeHealthz(srv.url, until);
      await load;
    } finally {
      await lock.release();
    }
    const p99 = pct(probe.ms, 99);
    console.log(`lock held 3 s: /healthz p99 ${p99.toFixed(1)} ms over ${probe.ms.length} probes; answers ${JSON.stringify(statusCounts(during))}`);
    assert.deepEqual(probe.statuses, { 200: probe.ms.length });
    // Before issue 14 each write waited 5 s for the lock, stopping the loop: /healthz
    // took seconds. Loose bound here; the target (50 ms) is measured by the bench.
    assert.ok(p99 < 1000, `/healthz p99 ${p99} ms while the database was locked`);
    assert.ok(during.length >= 20);
    for (const r of during) {
      assert.equal(r.status, 503, JSON.stringify(r.json));
      assert.equal(r.json.error.code, 'store_busy');
      assert.equal(r.headers['retry-after'], '1');
      assert.ok(r.ms < 2000, `a refused answer took ${r.ms} ms`);
    }
    // After the lock: the same answers go through, and nothing acknowledged was lost.
    assert.deepEqual(statusCounts(await answerAll(srv.url, cands, 50)), { 200: 20 });
    assert.equal(await countLost(srv.url, cands), 0);
    await srv.stop();
  }),
);
