// The day simulator and capacity planner (issue 5; CONTRACT.md "simulate --json"):
// `interviewd simulate --json` and `interviewd plan --json` run as child processes, their
// stdout parsed as one JSON object. No server, no sockets: the simulator drives the real
// engine, router and quota windows against in-process simulated providers on a virtual
// clock.
//
// Sizes are small so the file stays well under a minute on 2 cores, also in the ASan
// build (CTest runs it in both). Scenario files of their own live in
// tests/data/scenarios/: tight.ini (two deployments, rpm 5 / rpd 60 / tpm 20000 /
// tpd 200000), tight-x2.ini (the same with every limit doubled), tiny.ini (one deployment,
// rpd 10) and bad-workload.ini (an invalid [workload] value).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { INTERVIEWD_BIN, SOURCE_DIR } from './lib.mjs';

const ASAN = INTERVIEWD_BIN.includes('build-asan');
// candidates x interviews for runs of the shipped scenarios (their own [workload] asks
// for 1,000 x 10, far too much for a test)
const C = ASAN ? 24 : 40;
const K = ASAN ? 2 : 3;
const RUN_TIMEOUT_MS = ASAN ? 120000 : 60000;

const SCENARIOS = path.join(SOURCE_DIR, 'data', 'scenarios');
const TEST_SCENARIOS = path.join(SOURCE_DIR, 'tests', 'data', 'scenarios');
const SEED_INI = path.join(SCENARIOS, 'seed.ini');
const FREE_INI = path.join(SCENARIOS, 'free-2026.ini');
const TIGHT_INI = path.join(TEST_SCENARIOS, 'tight.ini');
const TIGHT_X2_INI = path.join(TEST_SCENARIOS, 'tight-x2.ini');
const TINY_INI = path.join(TEST_SCENARIOS, 'tiny.ini');
const BAD_WORKLOAD_INI = path.join(TEST_SCENARIOS, 'bad-workload.ini');
const PRICED_INI = path.join(TEST_SCENARIOS, 'priced.ini');
const AGREE_INI = path.join(TEST_SCENARIOS, 'agree.ini');
const OVERFLOW_INI = path.join(TEST_SCENARIOS, 'overflow.ini');

// CONTRACT.md's list, with the JSON type each field must have
const CONTRACT_FIELDS = {
  interviews_requested: 'integer',
  interviews_completed: 'integer',
  interviews_llm_evaluated: 'integer',
  completion_rate: 'number',
  llm_calls: 'integer',
  llm_calls_per_interview: 'number',
  calls_by_task: 'object',
  calls_by_provider: 'object',
  tokens_used: 'integer',
  quota_violations: 'integer',
  provider_429s: 'integer',
  cache_hit_rate: 'number',
  pool_hit_rate: 'number',
  optimization_rate: 'number',
  mode_mix: 'object',
  p95_turn_latency_ms: 'number',
  max_sustainable_interviews_per_day: 'number',
  wall_seconds: 'number',
  tokens_per_interview: 'number',
  spend_usd: 'number',
  days: 'array',
  steady_state: 'object',
};
// the fields every element of `days` (and steady_state) carries
const DAY_FIELDS = ['interviews_requested', 'interviews_completed', 'interviews_llm_evaluated',
  'completion_rate', 'llm_calls', 'llm_calls_per_interview', 'calls_by_provider', 'tokens_used',
  'tokens_per_interview', 'quota_violations', 'provider_429s', 'mode_mix', 'spend_usd'];

const BINDING_LIMITS = ['rpd', 'tpd', 'rpm_at_peak_hour', 'tpm_at_peak_hour'];

// Runs interviewd with args; resolves {code, stdout, stderr}. Kills it after the timeout.
function run(args, timeoutMs = RUN_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const proc = spawn(INTERVIEWD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`interviewd ${args.join(' ')}: no exit within ${timeoutMs} ms`));
    }, timeoutMs);
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function noSanitizerReport(r, what) {
  assert.doesNotMatch(r.stderr, /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/,
    `${what}: sanitizer report on stderr:\n${r.stderr}`);
}

// The JSON object of a successful `interviewd <args> --json`; the same args run once per
// file (tests share results).
const memo = new Map();
function runJson(args) {
  const key = args.join('\0');
  if (!memo.has(key)) {
    memo.set(key, (async () => {
      const r = await run([...args, '--json']);
      const what = `interviewd ${args.join(' ')} --json`;
      assert.equal(r.code, 0, `${what} exited ${r.code} (${r.signal || 'no signal'}):\n${r.stderr}`);
      noSanitizerReport(r, what);
      let out;
      try {
        out = JSON.parse(r.stdout);
      } catch (e) {
        assert.fail(`${what}: stdout is not one JSON object (${e.message}):\n${r.stdout.slice(0, 2000)}`);
      }
      return out;
    })());
  }
  return memo.get(key);
}

const simulate = (scenario, extra = []) => runJson(['simulate', '--scenario', scenario, ...extra]);
const simulateSized = (scenario, extra = []) =>
  simulate(scenario, ['--candidates', String(C), '--interviews-per-candidate', String(K), ...extra]);
const plan = (scenario, extra = []) => runJson(['plan', '--scenario', scenario, ...extra]);

const sum = (obj) => Object.values(obj).reduce((a, b) => a + b, 0);
const withoutWall = (o) => {
  const { wall_seconds: _wall, ...rest } = o;
  return rest;
};

for (const f of [SEED_INI, FREE_INI, TIGHT_INI, TIGHT_X2_INI, TINY_INI, BAD_WORKLOAD_INI])
  assert.ok(fs.existsSync(f), `missing scenario file ${f}`);

test('same seed, same output: two runs with --seed 7 give identical JSON except wall_seconds', async () => {
  const [a, b] = await Promise.all([
    simulateSized(FREE_INI, ['--seed', '7']),
    // a distinct argument order so the second run is not the memoised first one
    runJson(['simulate', '--seed', '7', '--scenario', FREE_INI, '--candidates', String(C),
      '--interviews-per-candidate', String(K)]),
  ]);
  assert.deepEqual(withoutWall(b), withoutWall(a));
});

test('different seeds give different days: --seed 7 and --seed 8 differ', async () => {
  const [a, b] = await Promise.all([
    simulateSized(FREE_INI, ['--seed', '7']),
    simulateSized(FREE_INI, ['--seed', '8']),
  ]);
  assert.equal(a.interviews_requested, C * K);
  assert.equal(b.interviews_requested, C * K);
  assert.notDeepEqual(withoutWall(a), withoutWall(b));
});

test('no quota violation in any scenario: seed.ini, free-2026.ini and tight.ini report quota_violations 0', async () => {
  const [seed, free, tight] = await Promise.all([
    simulateSized(SEED_INI),
    simulateSized(FREE_INI),
    simulate(TIGHT_INI), // its own workload: 40 candidates x 3 interviews
  ]);
  for (const [name, r] of [['seed.ini', seed], ['free-2026.ini', free], ['tight.ini', tight]]) {
    assert.equal(r.quota_violations, 0, `${name}: ${r.quota_violations} calls beyond a known limit`);
    assert.ok(r.llm_calls > 0, `${name}: no provider call at all`);
  }
  // tight.ini is tight: its 2 x 60 requests a day cannot score 120 interviews with a model
  assert.equal(tight.interviews_requested, 120);
  assert.ok(tight.interviews_llm_evaluated < tight.interviews_requested,
    `tight.ini: expected its limits to bind, yet all ${tight.interviews_llm_evaluated} interviews were model-scored`);
  // each deployment stays within its requests per day (Pacific deployments may see two
  // Pacific days inside one simulated UTC day plus the drain after midnight, so allow 3x)
  for (const [dep, calls] of Object.entries(tight.calls_by_provider))
    assert.ok(calls <= 3 * 60, `tight.ini: ${dep} received ${calls} calls`);
});

test('more quota never completes fewer interviews: tight-x2.ini (every limit doubled) >= tight.ini', async () => {
  const [tight, doubled] = await Promise.all([simulate(TIGHT_INI), simulate(TIGHT_X2_INI)]);
  assert.equal(doubled.interviews_requested, tight.interviews_requested);
  assert.ok(doubled.interviews_completed >= tight.interviews_completed,
    `completed: doubled ${doubled.interviews_completed} < tight ${tight.interviews_completed}`);
  assert.ok(doubled.interviews_llm_evaluated >= tight.interviews_llm_evaluated,
    `llm_evaluated: doubled ${doubled.interviews_llm_evaluated} < tight ${tight.interviews_llm_evaluated}`);
  assert.equal(doubled.quota_violations, 0);
});

test('a scenario far too small (one deployment, rpd 10): every interview completes, few by a model, and the output says how many', async () => {
  const [r, text] = await Promise.all([
    simulate(TINY_INI), // 30 candidates x 3 interviews
    run(['simulate', '--scenario', TINY_INI]),
  ]);
  assert.equal(r.interviews_requested, 90);
  assert.equal(r.interviews_completed, 90, 'an interview was lost');
  assert.equal(r.completion_rate, 1);
  if ('interviews_refused' in r) assert.equal(r.interviews_refused, 0);
  assert.ok(r.interviews_llm_evaluated < r.interviews_completed,
    `${r.interviews_llm_evaluated} of ${r.interviews_completed} model-scored on 10 requests a day`);
  assert.ok(Number.isInteger(r.interviews_llm_evaluated) && r.interviews_llm_evaluated >= 0);
  // a one-day run never borrows tomorrow: late interviews run past midnight on the heuristic
  assert.ok(r.llm_calls <= 10, `${r.llm_calls} calls on a 10-a-day deployment in one day`);
  assert.equal(r.quota_violations, 0);
  // the readable summary says it in words, with the same number
  assert.equal(text.code, 0, text.stderr);
  noSanitizerReport(text, 'simulate (text)');
  const m = text.stdout.match(/evaluated by a model\s+(\d+)/);
  assert.ok(m, `no "evaluated by a model" line in:\n${text.stdout}`);
  assert.equal(Number(m[1]), r.interviews_llm_evaluated);
});

test('simulate --json has every CONTRACT.md field with its type, and the totals add up', async () => {
  const r = await simulateSized(FREE_INI);
  for (const [field, type] of Object.entries(CONTRACT_FIELDS)) {
    assert.ok(field in r, `missing field ${field}`);
    const v = r[field];
    if (type === 'integer') assert.ok(Number.isInteger(v), `${field} = ${JSON.stringify(v)} is not an integer`);
    else if (type === 'number') assert.ok(typeof v === 'number' && Number.isFinite(v), `${field} = ${JSON.stringify(v)} is not a number`);
    else if (type === 'array') assert.ok(Array.isArray(v), `${field} is not an array`);
    else assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${field} is not an object`);
  }
  assert.equal(r.days.length, 1);
  for (const f of DAY_FIELDS) {
    assert.ok(f in r.days[0], `days[0] has no ${f}`);
    assert.ok(f in r.steady_state, `steady_state has no ${f}`);
  }
  // one day: the day is the whole run
  assert.equal(r.days[0].llm_calls, r.llm_calls);
  assert.equal(r.days[0].interviews_llm_evaluated, r.interviews_llm_evaluated);
  assert.ok(Math.abs(r.tokens_per_interview - r.tokens_used / r.interviews_llm_evaluated) < 1e-6);
  assert.equal(r.spend_usd, 0); // free-2026.ini has no priced deployment
  for (const field of ['calls_by_task', 'calls_by_provider', 'mode_mix'])
    for (const [k, v] of Object.entries(r[field]))
      assert.ok(Number.isInteger(v) && v >= 0, `${field}.${k} = ${v}`);

  assert.equal(r.interviews_requested, C * K);
  assert.equal(sum(r.calls_by_provider), r.llm_calls, 'sum(calls_by_provider) != llm_calls');
  assert.equal(sum(r.calls_by_task), r.llm_calls, 'sum(calls_by_task) != llm_calls');
  assert.equal(r.completion_rate, r.interviews_completed / r.interviews_requested);
  assert.equal(sum(r.mode_mix), r.interviews_completed, 'mode_mix does not sum to completed');
  assert.ok(Math.abs(r.llm_calls_per_interview - r.llm_calls / r.interviews_completed) < 1e-9);
  assert.ok(r.interviews_llm_evaluated <= r.interviews_completed);
  assert.ok(r.interviews_completed <= r.interviews_requested);
  assert.ok(r.quota_violations <= r.provider_429s);
  for (const f of ['cache_hit_rate', 'pool_hit_rate', 'optimization_rate', 'completion_rate'])
    assert.ok(r[f] >= 0 && r[f] <= 1, `${f} = ${r[f]} outside 0..1`);
  // every configured deployment is listed (free-2026.ini has 12, one of them priced)
  assert.equal(Object.keys(r.calls_by_provider).length, 12);
});

test('plan --json: full < balanced < economy, a binding limit per deployment, advice below --target, seed.ini > free-2026.ini', async () => {
  const [free, freeTarget, seed, seedTarget] = await Promise.all([
    plan(FREE_INI),
    plan(FREE_INI, ['--target', '100000']),
    plan(SEED_INI),
    plan(SEED_INI, ['--target', '10000']),
  ]);
  const max = free.max_interviews_per_day;
  for (const m of ['full', 'balanced', 'economy'])
    assert.ok(typeof max[m] === 'number' && max[m] > 0, `free-2026.ini: max_interviews_per_day.${m} = ${max[m]}`);
  assert.ok(max.full < max.balanced, `full ${max.full} >= balanced ${max.balanced}`);
  assert.ok(max.balanced < max.economy, `balanced ${max.balanced} >= economy ${max.economy}`);

  for (const [name, p] of [['free-2026.ini', free], ['seed.ini', seed]])
    for (const [mode, mj] of Object.entries(p.modes)) {
      assert.equal(mj.max_interviews_per_day, p.max_interviews_per_day[mode]);
      assert.ok(Array.isArray(mj.deployments) && mj.deployments.length > 0);
      for (const d of mj.deployments)
        assert.ok(BINDING_LIMITS.includes(d.binding), `${name} ${mode} ${d.name}: binding '${d.binding}'`);
    }
  assert.equal(free.modes.economy.deployments.length, 12);

  // --target 100000: free-2026.ini reaches it in no mode, so every mode says what to add
  for (const [mode, mj] of Object.entries(freeTarget.modes)) {
    assert.ok(mj.max_interviews_per_day < 100000);
    assert.equal(typeof mj.to_reach_target, 'string', `${mode}: no to_reach_target`);
    // free-2026.ini carries one priced deployment: the advice is the top-up on it, in
    // money where its own limits can carry the missing calls (economy), else says not
    assert.match(mj.to_reach_target, /groq-gpt-oss-20b-paid/);
    if (mode === 'economy') assert.equal(typeof mj.usd_per_day, 'number');
  }
  // a mode already above the target gets no advice (seed.ini balanced/economy vs 10,000)
  for (const [mode, mj] of Object.entries(seedTarget.modes))
    if (mj.max_interviews_per_day >= 10000) assert.ok(!('to_reach_target' in mj), `${mode}: advice above target`);
    else assert.equal(typeof mj.to_reach_target, 'string', `${mode}: no to_reach_target`);

  // the brief's table promises more than today's documented limits
  assert.ok(seed.max_interviews_per_day.economy > free.max_interviews_per_day.economy,
    `seed ${seed.max_interviews_per_day.economy} <= free ${free.max_interviews_per_day.economy}`);
});

test('bad usage exits 2 with a message: unknown option, missing or invalid scenario file', async () => {
  const missing = path.join(TEST_SCENARIOS, 'no-such-scenario.ini');
  const cases = [
    { args: ['simulate', '--bogus', '1', '--json'], re: /--bogus/ },
    { args: ['simulate', '--json', '--bogus'], re: /--bogus/ },
    { args: ['plan', '--candidates', '5', '--json'], re: /--candidates/ }, // a simulate-only option
    { args: ['simulate', '--candidates', '0', '--json'], re: /--candidates/ },
    { args: ['simulate', '--scenario', missing, '--json'], re: /no-such-scenario\.ini/ },
    { args: ['plan', '--scenario', missing, '--json'], re: /no-such-scenario\.ini/ },
    { args: ['simulate', '--scenario', BAD_WORKLOAD_INI, '--json'], re: /bad-workload\.ini:\d+: .*interviews_per_candidate/ },
  ];
  const results = await Promise.all(cases.map((c) => run(c.args)));
  cases.forEach((c, i) => {
    const r = results[i];
    const what = `interviewd ${c.args.join(' ')}`;
    assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, c.re, `${what}: stderr does not name it:\n${r.stderr}`);
    assert.equal(r.stdout, '', `${what}: printed on stdout`);
    noSanitizerReport(r, what);
  });
});

test('days do not borrow: --days 3 (2 in ASan) on rpd 10 makes at most 10 calls a day, each day and the steady state reported', async () => {
  const D = ASAN ? 2 : 3;
  const N = ASAN ? 12 : 30; // candidates x 3 interviews a day
  const r = await simulate(TINY_INI, ['--days', String(D), '--candidates', String(N)]);
  assert.equal(r.days.length, D);
  assert.equal(r.interviews_requested, 3 * N * D);
  assert.equal(r.interviews_completed, 3 * N * D, 'an interview was lost');
  for (const [i, d] of r.days.entries()) {
    assert.equal(d.day, i + 1);
    assert.equal(d.interviews_requested, 3 * N);
    // every interview that arrives ends with a report, on the last day too
    assert.equal(d.interviews_completed, 3 * N, `day ${i + 1}: ${d.interviews_completed} of ${3 * N} completed`);
    assert.ok(d.llm_calls <= 10, `day ${i + 1}: ${d.llm_calls} calls on a 10-a-day deployment`);
    assert.equal(d.quota_violations, 0);
  }
  // the days add up to the run
  assert.equal(r.days.reduce((a, d) => a + d.llm_calls, 0), r.llm_calls);
  // what the last day's stragglers used after its midnight is the next day's, shown apart
  assert.ok(r.after_last_day && Number.isInteger(r.after_last_day.llm_calls));
  assert.ok(r.after_last_day.llm_calls <= 10, `${r.after_last_day.llm_calls} calls after the last day`);
  assert.equal(r.after_last_day.quota_violations, 0);
  assert.equal(r.days.reduce((a, d) => a + d.interviews_llm_evaluated, 0), r.interviews_llm_evaluated);
  assert.equal(r.days.reduce((a, d) => a + d.interviews_completed, 0), r.interviews_completed);
  // steady state: the mean of days 2..D
  assert.equal(r.steady_state.first_day, 2);
  assert.equal(r.steady_state.last_day, D);
  const mean = (f) => r.days.slice(1).reduce((a, d) => a + d[f], 0) / (D - 1);
  for (const f of ['interviews_llm_evaluated', 'llm_calls', 'tokens_used'])
    assert.ok(Math.abs(r.steady_state[f] - mean(f)) < 1e-6, `steady_state.${f} ${r.steady_state[f]} != ${mean(f)}`);
});

test('--confirmed-only keeps only deployments with confirmed = yes and says which were left out', async () => {
  const [all, conf, text] = await Promise.all([
    plan(FREE_INI),
    plan(FREE_INI, ['--confirmed-only']),
    run(['plan', '--scenario', FREE_INI, '--confirmed-only']),
  ]);
  assert.equal(all.confirmed_only, false);
  assert.equal(conf.confirmed_only, true);
  assert.ok(conf.deployments_left_out.length > 0, 'free-2026.ini has unconfirmed deployments');
  const kept = conf.modes.economy.deployments.map((d) => d.name);
  for (const d of conf.modes.economy.deployments) assert.equal(d.confirmed, true, d.name);
  for (const name of conf.deployments_left_out) assert.ok(!kept.includes(name), name);
  assert.equal(kept.length + conf.deployments_left_out.length, all.modes.economy.deployments.length);
  assert.ok(conf.max_interviews_per_day.economy <= all.max_interviews_per_day.economy);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /confirmed deployments only; left out: /);
});

test('plan --target names the cheapest top-up on a priced deployment, in USD a day', async () => {
  const r = await plan(PRICED_INI, ['--target', '2000']);
  // the free deployment carries 20 calls a day; economy needs 1.1 per interview
  assert.equal(typeof r.usd_per_day, 'number');
  assert.ok(r.usd_per_day > 0);
  assert.match(r.to_reach_target, /^\$\d+\.\d\d a day on deployment cheap gives every interview a model score/);
  assert.equal(r.modes.economy.top_up_deployment, 'cheap'); // not the dearer one
  // the price is the configured one: economy calls cost (1-cs)*in + cs*out per token, cs
  // the completion tokens' share of a call
  const tpc = r.modes.economy.tokens_per_call;
  const cs = r.modes.economy.completion_share;
  assert.ok(cs > 0 && cs < 0.5, `completion_share ${cs}`);
  const missing = (2000 * r.modes.economy.calls_per_interview - 20) * 1.1;
  const usd = missing * tpc * ((1 - cs) * 0.10 + cs * 0.40) / 1e6;
  assert.ok(Math.abs(r.modes.economy.usd_per_day - Math.ceil(usd * 100) / 100) < 0.011,
    `usd_per_day ${r.modes.economy.usd_per_day} vs ${usd}`);
});

test('paid overflow: a priced deployment fills in under the cap, never above it in any day', async () => {
  const CAP = 0.01; // about 15 economy calls on "cheap"
  const size = ['--candidates', ASAN ? '14' : '20'];
  const [capped, free] = await Promise.all([
    simulate(PRICED_INI, ['--days', '2', '--max-usd-per-day', String(CAP), ...size]),
    simulate(PRICED_INI, ['--days', '2', '--max-usd-per-day', '0', ...size]),
  ]);
  assert.equal(free.spend_usd, 0);
  assert.equal(free.calls_by_provider.cheap, 0);
  assert.equal(free.calls_by_provider.dear, 0);
  assert.ok(capped.calls_by_provider.cheap > 0, 'the cheap priced deployment was never used');
  assert.ok(capped.max_day_spend_usd <= CAP + 1e-9, `most in a day ${capped.max_day_spend_usd}`);
  assert.ok(capped.after_last_day.spend_usd <= CAP + 1e-9,
    `after the last day: spent ${capped.after_last_day.spend_usd} over the cap ${CAP}`);
  for (const d of capped.days) {
    assert.ok(d.spend_usd <= CAP + 1e-9, `day ${d.day}: spent ${d.spend_usd} over the cap ${CAP}`);
    assert.ok(d.spend_usd > CAP / 2, `day ${d.day}: spent only ${d.spend_usd} of ${CAP} with interviews waiting`);
    assert.equal(d.quota_violations, 0);
  }
  assert.ok(capped.interviews_llm_evaluated > free.interviews_llm_evaluated,
    `paying scored ${capped.interviews_llm_evaluated}, free ${free.interviews_llm_evaluated}`);
  assert.equal(capped.interviews_completed, capped.interviews_requested);
});

// Arithmetic against a measurement, not memory safety: the normal build runs it; under
// ASan its three simulated days would push this file past CTest's time limit.
test('plan agrees with the steady state of simulate --days 3 within 5% (one deployment bound by rpd 150)',
  { skip: ASAN && 'run in the normal build only (time limit)' }, async () => {
  const [p, r] = await Promise.all([plan(AGREE_INI), simulate(AGREE_INI, ['--days', '3'])]);
  const planned = p.max_interviews_per_day.economy;
  const measured = r.steady_state.interviews_llm_evaluated;
  const off = Math.abs(measured - planned) / planned;
  console.log(`MEASURED plan ${planned} vs simulate steady state ${measured} model-scored a day (${(off * 100).toFixed(1)}% apart)`);
  assert.ok(planned > 0 && measured > 0);
  assert.ok(off <= 0.05, `plan ${planned} and simulate ${measured} are ${(off * 100).toFixed(1)}% apart`);
  // demand exceeds the deployment: the limit, not the workload, decides
  assert.ok(r.steady_state.interviews_requested > planned);
  assert.equal(r.quota_violations, 0);
  // plan's tokens per call (src/sim/plan.c, measured by simulate after the token diet)
  // are what the simulated providers count for today's prompts: a prompt change that
  // makes them stale fails here
  const st = r.steady_state;
  const perCall = st.tokens_used / st.llm_calls;
  const tpcOff = Math.abs(perCall - p.modes.economy.tokens_per_call) / p.modes.economy.tokens_per_call;
  console.log(`MEASURED economy tokens per call: plan ${p.modes.economy.tokens_per_call} vs simulate ${perCall.toFixed(0)} (${(tpcOff * 100).toFixed(1)}% apart)`);
  assert.ok(tpcOff <= 0.1, `plan's ${p.modes.economy.tokens_per_call} tokens per call vs simulate's ${perCall.toFixed(0)}`);
});

// Issue 16's done-when in small (tests/data/scenarios/overflow.ini: a free deployment
// whose 5,000 tokens a minute hold no 12-answer batch as the router reserves it, one with
// 30 requests a day, one priced): the cap `plan --target` names must really buy what it
// says.
// Arithmetic against a measurement, like the agreement test above: the normal build runs
// it (seconds); under ASan its four simulated runs would push this file past CTest's limit.
test('the cap plan --target names model-scores at least 99% of the steady state, never spends more than it, every interview completes',
  { skip: ASAN && 'run in the normal build only (time limit)' }, async () => {
  const D = 3;
  const p = await plan(OVERFLOW_INI, ['--target', '200']);
  assert.equal(typeof p.usd_per_day, 'number', `no top-up named: ${p.to_reach_target}`);
  assert.equal(p.top_up_mode, 'economy');
  // a 12-answer batch is reserved above 5,000 tokens: free-tpm carries none
  const tpm = p.modes.economy.deployments.find((d) => d.name === 'free-tpm');
  assert.equal(tpm.calls_per_day, 0);
  assert.equal(tpm.call_larger_than_tpm, true);
  const cap = p.usd_per_day;
  const r = await simulate(OVERFLOW_INI, ['--days', String(D), '--max-usd-per-day', String(cap)]);
  const ss = r.steady_state;
  console.log(`MEASURED overflow.ini: plan names $${cap} a day; simulate --days ${D}: ` +
    `model-scored ${r.days.map((d) => d.interviews_llm_evaluated).join(', ')} of 200 a day, ` +
    `spend ${r.days.map((d) => d.spend_usd.toFixed(4)).join(', ')}, ` +
    `${Math.round(ss.tokens_per_interview)} tokens per model-scored interview`);
  for (const d of r.days) {
    assert.equal(d.interviews_completed, d.interviews_requested, `day ${d.day}: not every interview completed`);
    assert.ok(d.spend_usd <= cap + 1e-9, `day ${d.day}: spent ${d.spend_usd} over the cap ${cap}`);
    assert.equal(d.quota_violations, 0);
  }
  assert.ok(r.after_last_day.spend_usd <= cap + 1e-9);
  assert.ok(ss.interviews_llm_evaluated >= 0.99 * ss.interviews_requested,
    `steady state: ${ss.interviews_llm_evaluated} of ${ss.interviews_requested} model-scored under the cap plan names ($${cap}); ` +
    `calls failed by cause ${JSON.stringify(ss.calls_failed_by_cause)}`);
  // the plan's economy call is the size the simulator measures (within 15%): a stale
  // figure would name a cap that does not suffice
  const measured = ss.tokens_used / ss.llm_calls;
  const planned = p.modes.economy.tokens_per_call;
  assert.ok(Math.abs(measured - planned) / planned <= 0.15,
    `plan counts ${planned} tokens per economy call, simulate measures ${measured.toFixed(0)}`);
  // and half the cap is not enough: the figure is what the paid deployment really needs
  const half = await simulate(OVERFLOW_INI, ['--days', String(D), '--max-usd-per-day', String(cap / 2)]);
  for (const d of half.days) assert.ok(d.spend_usd <= cap / 2 + 1e-9, `half cap, day ${d.day}: ${d.spend_usd}`);
  assert.ok(half.steady_state.interviews_llm_evaluated < 0.99 * half.steady_state.interviews_requested,
    `half the cap scored ${half.steady_state.interviews_llm_evaluated} of 200: the named cap is far above what is needed`);
  assert.ok(half.steady_state.calls_failed_by_cause.spend_cap > 0, 'half the cap: no call failed for the cap');
});
