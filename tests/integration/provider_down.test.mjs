// Issue 14 item 5: with the provider down (every call answered 500, so the circuit
// breaker opens after a few), a turn that would wait for a model-written question uses
// the bank question at once instead of waiting [interview] turn_deadline_ms (8 s). The
// same interview against an offline server is the baseline: the difference is the
// latency the dead provider adds (target <= 50 ms; printed, and asserted loosely here
// because two runs on a loaded test machine differ by more than that on their own).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, expectStatus, goodAnswer, logged, mockProvider, registerCandidate, startMock, startServer } from './lib.mjs';

const T = { timeout: 180000 };
const MOCK_KEY = 'sk-test-down-0001';
const TURN_DEADLINE_MS = 8000;

// Answers every question of one interview; returns each answer's latency in ms.
async function timedInterview(url) {
  const c = await registerCandidate(url);
  const r = await api(url, 'POST', '/api/interviews', { kind: 'technical' }, c.token);
  let q = expectStatus(r, 201, 'POST /api/interviews').question;
  const id = r.json.interview_id;
  const ms = [];
  for (let i = 0; q && i < 40; i++) {
    const t0 = performance.now();
    const a = await api(url, 'POST', `/api/interviews/${id}/answers`, { question_id: q.id, answer: goodAnswer(q, i) }, c.token);
    ms.push(performance.now() - t0);
    const body = expectStatus(a, 200, `answer ${i}`);
    q = body.done ? null : body.next_question;
  }
  return ms;
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

test('provider down, breaker open: every turn falls back to the bank question within milliseconds', T,
  logged(async () => {
    const mock = await startMock(['--fail-rate', '1']);
    const down = await startServer({
      config: {
        ...mockProvider(mock),
        budget: { mode: 'full' },
        interview: { turn_deadline_ms: TURN_DEADLINE_MS },
      },
      env: { MOCK_KEY },
    });
    const offline = await startServer({ config: { budget: { mode: 'offline' } } });
    const base = await timedInterview(offline.url);
    const ms = await timedInterview(down.url);
    const st = await mock.stats();
    const added50 = pct(ms, 50) - pct(base, 50);
    const added95 = pct(ms, 95) - pct(base, 95);
    console.log(
      `provider down: ${ms.length} turns, p50 ${pct(ms, 50).toFixed(1)} ms, p95 ${pct(ms, 95).toFixed(1)} ms, ` +
        `max ${Math.max(...ms).toFixed(1)} ms; offline baseline p50 ${pct(base, 50).toFixed(1)} ms, ` +
        `p95 ${pct(base, 95).toFixed(1)} ms; added p50 ${added50.toFixed(1)} ms, p95 ${added95.toFixed(1)} ms; ` +
        `provider requests ${st.requests}`,
    );
    assert.ok(st.requests >= 1, `the provider was asked (${st.requests} requests) and failed`);
    assert.ok(down.logs().includes('event=turn_no_wait'), 'turns stopped waiting once no provider could answer in time');
    // before the fix every turn after the breaker opened took the full 8 s
    assert.ok(Math.max(...ms) < 1000, `a turn took ${Math.max(...ms).toFixed(0)} ms`);
    assert.ok(added50 <= 250, `the dead provider added ${added50.toFixed(0)} ms at the median`);
  }));
