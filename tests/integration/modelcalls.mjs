// What the model (tools/mockllm) answered, from its GET /mock/log, next to what the
// product reports: so the interview tests assert that the product uses the model's
// scores when they are usable, falls back to the heuristic only when they were not
// (after one retry), and never lets an injection attempt score what a gullible model
// gave it. Shared by interview_mockllm, modes and misbehave tests; no assertion
// depends on mockllm's scoring formula.
import assert from 'node:assert/strict';
import { api } from './lib.mjs';

// bad_output kinds whose content still holds the whole object (the product must parse
// them); every other kind is unusable and must be retried.
export const USABLE_KINDS = new Set(['none', 'wrapped_in_prose', 'code_fence']);

// mockllm's misbehaviour for tests that run "as real providers are" (README, mockllm).
export const MISBEHAVE_ARGS = ['--bad-output-rate', '0.1', '--dup-followup-rate', '0.2', '--token-count', 'words'];

// Every task answer mockllm gave (oldest first).
export async function mockLog(mock) {
  const r = await api(mock.url, 'GET', '/mock/log');
  assert.equal(r.status, 200, `GET /mock/log: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json.calls;
}

// The last 30 characters (mockllm quotes 40 in answer_end), whitespace runs as one space.
const tail = (s) => s.replace(/\s+/g, ' ').trimEnd().slice(-30);

// The question's position in its interview (prompts name questions "1", "2", ... and
// never by bank id, issue 13) + the end of the answer, as mockllm records it
// (question_id, answer_end); the answers of these tests differ per interview, so the
// same position in two interviews stays apart.
const keyOf = (position, answerEnd) => `${position}\u0000${answerEnd}`;

// For each (question, answer) the model saw: [{score, usable}] in call order.
export function modelAnswers(log) {
  const by = new Map();
  for (const call of log)
    for (const s of call.scores || []) {
      const k = keyOf(s.question_id, tail(s.answer_end ?? ''));
      if (!by.has(k)) by.set(k, []);
      by.get(k).push({ score: s.score, usable: call.status === 200 && USABLE_KINDS.has(call.bad_output), call });
    }
  return by;
}

// Checks one interview's report against the model's answers and returns counts:
//  - every question has exactly one score in 1..5;
//  - "model": the score is one a usable model answer gave for that very answer (the
//    product took the model's word, whichever wrapping it came in);
//  - "heuristic" with model_unavailable: the model saw the answer at least twice (one
//    retry) and none of its answers was usable;
//  - "precheck": the model never saw the answer;
//  - an answer flagged injection_attempt does not carry the 5 a gullible model
//    (--injection-bump) gave it: the heuristic's lower score stands (injectedFooled
//    counts those).
export function checkReport(iv, rep, byAnswer, { injectionBump = false } = {}) {
  const out = { model: 0, heuristic: 0, precheck: 0, heuristicAfterRetry: 0, injected: 0, injectedFooled: 0 };
  assert.equal(rep.status, 'ready');
  assert.equal(rep.scores.length, iv.questions.length, `${iv.id}: ${rep.scores.length} scores for ${iv.questions.length} questions`);
  iv.questions.forEach((q, i) => {
    const s = rep.scores.find((x) => x.question_id === q.id);
    assert.ok(s, `${iv.id}: no score for question ${q.id}`);
    assert.ok(Number.isInteger(s.score) && s.score >= 1 && s.score <= 5, JSON.stringify(s));
    const seen = byAnswer.get(keyOf(String(i + 1), tail(iv.answers[i]))) || [];
    const what = `${iv.id} q${i} ${q.id} "${iv.answers[i].slice(0, 60)}": ${JSON.stringify(s)}; model said ${JSON.stringify(seen.map((x) => [x.score, x.call.bad_output, x.call.status]))}`;
    const flags = s.flags || [];
    if (flags.includes('injection_attempt')) {
      out.injected++;
      if (injectionBump && seen.some((x) => x.usable && x.score === 5)) {
        out.injectedFooled = (out.injectedFooled ?? 0) + 1;
        out[s.scorer] = (out[s.scorer] ?? 0) + 1;
        assert.ok(s.score < 5, `an injection attempt scored the gullible model's 5: ${what}`);
        assert.notEqual(s.scorer, 'model', what);
        return;
      }
    }
    out[s.scorer] = (out[s.scorer] ?? 0) + 1;
    if (s.scorer === 'model') {
      assert.ok(seen.some((x) => x.usable && x.score === s.score), `model score not among the model's usable answers: ${what}`);
    } else if (s.scorer === 'precheck') {
      assert.equal(seen.length, 0, `a pre-checked answer went to the model: ${what}`);
    } else {
      assert.equal(s.scorer, 'heuristic', what);
      if (seen.length > 0) {
        assert.ok(seen.every((x) => !x.usable), `heuristic score although the model answered usably: ${what}`);
        assert.ok(seen.length >= 2, `unusable model answer not retried: ${what}`);
        out.heuristicAfterRetry++;
      }
    }
  });
  return out;
}

// Sums checkReport counts.
export function addCounts(a, b) {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  return a;
}
