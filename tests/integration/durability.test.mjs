// An acknowledged answer survives kill -9: the server commits before it answers 200
// (src/store/store.h), and a new process on the same database carries on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, expectStatus, FIRST_INDEX, goodAnswer, logged, registerCandidate, startServer, waitForReport } from './lib.mjs';

const QUESTIONS_PER_INTERVIEW = 12;

async function getInterview(url, id, token) {
  return expectStatus(await api(url, 'GET', `/api/interviews/${id}`, undefined, token), 200, `GET /api/interviews/${id}`);
}

test(
  'after kill -9 following 5 acknowledged answers, a new server on the same database shows 5 answers, awaits the 6th question, and finishes the interview',
  { timeout: 120000 },
  logged(async () => {
    const srv1 = await startServer({ name: 'interviewd#1' });
    const c = await registerCandidate(srv1.url);
    const start = expectStatus(await api(srv1.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token), 201, 'start');
    const id = start.interview_id;
    let q = start.question;
    const asked = [];
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const answer = `${goodAnswer(q, i)} Durable answer ${i}.`;
      const r = await api(srv1.url, 'POST', `/api/interviews/${id}/answers`, { question_id: q.id, answer }, c.token);
      const body = expectStatus(r, 200, `answer ${i}`);
      asked.push(q);
      answers.push(answer);
      q = body.next_question;
    }
    const awaited = q;
    const { signal } = await srv1.kill9();
    assert.equal(signal, 'SIGKILL');

    const srv2 = await startServer({ dir: srv1.dir, name: 'interviewd#2' });
    const st = await getInterview(srv2.url, id, c.token); // the token survives the restart too
    assert.equal(st.state, 'active');
    assert.equal(st.answered, 5);
    assert.equal(st.total_questions, QUESTIONS_PER_INTERVIEW);
    assert.ok(st.current_question, 'no current question after restart');
    assert.equal(st.current_question.index, FIRST_INDEX + 5, 'the 6th question is awaited');
    assert.equal(st.current_question.id, awaited.id, 'the awaited question changed across the restart');
    assert.equal(st.current_question.text, awaited.text);
    for (let i = 0; i < 5; i++) {
      assert.equal(st.transcript[i].question_id, asked[i].id, `turn ${i} question`);
      assert.equal(st.transcript[i].answer, answers[i], `turn ${i} answer`);
    }

    // Carry on to the end on the new process.
    q = st.current_question;
    let n = 5;
    for (; q; n++) {
      assert.ok(n < 100, 'interview does not end');
      const r = await api(srv2.url, 'POST', `/api/interviews/${id}/answers`, { question_id: q.id, answer: goodAnswer(q, n) }, c.token);
      const body = expectStatus(r, 200, `answer ${n} after restart`);
      q = body.done ? null : body.next_question;
    }
    assert.equal(n, QUESTIONS_PER_INTERVIEW);
    const rep = await waitForReport(srv2.url, id, c.token, 30000);
    assert.equal(rep.scores.length, QUESTIONS_PER_INTERVIEW);
    assert.deepEqual(
      rep.scores.slice(0, 5).map((s) => s.question_id),
      asked.map((x) => x.id),
    );
  }),
);

test(
  'kill -9 during a burst of concurrent answers from 20 candidates loses no acknowledged answer',
  { timeout: 180000 },
  logged(async () => {
    const CANDIDATES = 20;
    const KILL_AFTER_ACKS = 20; // about one round of answers in, with ~20 posts in flight
    const srv1 = await startServer({ name: 'interviewd#1' });
    const people = [];
    for (let k = 0; k < CANDIDATES; k++) {
      const c = await registerCandidate(srv1.url);
      const start = expectStatus(await api(srv1.url, 'POST', '/api/interviews', { kind: 'mixed' }, c.token), 201, `start ${k}`);
      people.push({ c, id: start.interview_id, q: start.question, acked: [], inflight: null });
    }

    let acks = 0;
    let killing = null;
    // Each candidate answers in a loop, all 20 at once, until a post fails (the kill).
    const loops = people.map(async (p, k) => {
      for (let i = 0; i < QUESTIONS_PER_INTERVIEW && !killing; i++) {
        const answer = `Candidate ${k} answer ${i}: ${goodAnswer(p.q, i)}`;
        p.inflight = { idx: i, question_id: p.q.id, answer };
        let r;
        try {
          r = await api(srv1.url, 'POST', `/api/interviews/${p.id}/answers`, { question_id: p.q.id, answer }, p.c.token, { timeoutMs: 10000 });
        } catch {
          return; // connection reset by the kill
        }
        if (r.status !== 200) {
          if (killing) return;
          throw new Error(`candidate ${k} answer ${i} before the kill: ${r.status} ${r.text}`);
        }
        p.acked.push(p.inflight);
        p.inflight = null;
        if (++acks === KILL_AFTER_ACKS) killing = srv1.kill9();
        if (r.json.done) return;
        p.q = r.json.next_question;
      }
    });
    await Promise.all(loops);
    if (!killing) killing = srv1.kill9(); // everything finished before the 20th ack (cannot happen with 12x20 answers)
    const { signal } = await killing;
    assert.equal(signal, 'SIGKILL');
    assert.ok(acks >= KILL_AFTER_ACKS, `only ${acks} answers acknowledged`);
    const inflight = people.filter((p) => p.inflight).length;
    console.log(`# ${acks} answers acknowledged before kill -9, ${inflight} in flight`);

    const srv2 = await startServer({ dir: srv1.dir, name: 'interviewd#2' });
    for (const [k, p] of people.entries()) {
      const st = await getInterview(srv2.url, p.id, p.c.token);
      const answered = st.transcript.filter((t) => t.answer !== null);
      assert.ok(
        answered.length >= p.acked.length,
        `candidate ${k}: ${p.acked.length} answers acknowledged, ${answered.length} stored`,
      );
      for (const a of p.acked) {
        const t = st.transcript[a.idx];
        assert.ok(t, `candidate ${k}: turn ${a.idx} missing`);
        assert.equal(t.question_id, a.question_id, `candidate ${k} turn ${a.idx} question`);
        assert.equal(t.answer, a.answer, `candidate ${k} turn ${a.idx} answer lost or changed`);
      }
      // At most the one in-flight answer may have landed as well, and then exactly as sent.
      assert.ok(answered.length <= p.acked.length + (p.inflight ? 1 : 0), `candidate ${k}: answers appeared from nowhere`);
      if (answered.length > p.acked.length) assert.equal(st.transcript[p.inflight.idx].answer, p.inflight.answer);
      assert.equal(st.answered, answered.length, `candidate ${k}: answered count`);
      if (st.state === 'active') {
        assert.equal(st.current_question.index, FIRST_INDEX + answered.length, `candidate ${k}: current index`);
        // And the interview goes on.
        const r = await api(srv2.url, 'POST', `/api/interviews/${p.id}/answers`, { question_id: st.current_question.id, answer: goodAnswer(null, 0) }, p.c.token);
        expectStatus(r, 200, `candidate ${k} answers after restart`);
      }
    }
  }),
);
