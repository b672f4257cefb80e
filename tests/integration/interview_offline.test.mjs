// With no provider configured, interviewd runs whole interviews offline: bank
// questions, heuristic scoring, a report that says so. CONTRACT.md, docs/api-details.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  api,
  expectStatus,
  FIRST_INDEX,
  goodAnswer,
  logged,
  overallFrom,
  registerCandidate,
  runInterviewFull,
  startServer,
  waitForReport,
} from './lib.mjs';

const QUESTIONS_PER_INTERVIEW = 12;
const T = { timeout: 120000 };

// index: 0-based turn number; the API shows it as FIRST_INDEX + index.
function assertQuestion(q, index, what) {
  assert.equal(typeof q, 'object', `${what}: question object`);
  assert.ok(typeof q.id === 'string' && q.id.length > 0, `${what}: id ${JSON.stringify(q)}`);
  assert.ok(typeof q.text === 'string' && q.text.trim().length > 0, `${what}: text ${JSON.stringify(q)}`);
  assert.ok(typeof q.category === 'string' && q.category.length > 0, `${what}: category ${JSON.stringify(q)}`);
  assert.equal(q.index, FIRST_INDEX + index, `${what}: index`);
  assert.equal(q.total, QUESTIONS_PER_INTERVIEW, `${what}: total`);
}

test(
  'with no provider configured a new interview is in mode "offline" with a greeting and question 1 of 12',
  T,
  logged(async () => {
    const srv = await startServer();
    const c = await registerCandidate(srv.url);
    const r = await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token);
    const body = expectStatus(r, 201, 'POST /api/interviews');
    assert.equal(body.mode, 'offline');
    assert.ok(typeof body.greeting === 'string' && body.greeting.trim().length > 0, `greeting: ${r.text}`);
    assertQuestion(body.question, 0, 'first question');
  }),
);

test(
  'an offline technical interview asks exactly 12 questions numbered 1..12 of total 12, then done',
  T,
  logged(async () => {
    const srv = await startServer();
    const c = await registerCandidate(srv.url);
    const iv = await runInterviewFull(srv.url, c.token, 'technical', goodAnswer);
    assert.equal(iv.questions.length, QUESTIONS_PER_INTERVIEW);
    iv.questions.forEach((q, i) => assertQuestion(q, i, `question ${i}`));
    for (let i = 0; i < QUESTIONS_PER_INTERVIEW - 1; i++) assert.equal(iv.responses[i].done, false, `answer ${i} done`);
    assert.equal(iv.responses.at(-1).done, true);
    assert.equal(iv.responses.at(-1).next_question, null);
    assert.equal(new Set(iv.questions.map((q) => q.id)).size, QUESTIONS_PER_INTERVIEW, 'question ids repeat');
  }),
);

test(
  'the offline report is ready, scored by heuristic/precheck only, says offline, overall_score = round(100*(mean-1)/4)',
  T,
  logged(async () => {
    const srv = await startServer();
    const c = await registerCandidate(srv.url);
    const iv = await runInterviewFull(srv.url, c.token, 'technical', goodAnswer);
    const rep = await waitForReport(srv.url, iv.id, c.token, 30000);
    assert.equal(rep.interview_id, iv.id);
    assert.equal(rep.mode, 'offline');
    assert.equal(rep.offline, true, 'report.offline');
    assert.equal(rep.scores.length, QUESTIONS_PER_INTERVIEW);
    assert.deepEqual(
      rep.scores.map((s) => s.question_id),
      iv.questions.map((q) => q.id),
      'scores are per asked question, in order',
    );
    for (const s of rep.scores) {
      assert.ok(Number.isInteger(s.score) && s.score >= 1 && s.score <= 5, `score ${JSON.stringify(s)}`);
      assert.ok(['heuristic', 'precheck'].includes(s.scorer), `scorer ${JSON.stringify(s)}`);
      assert.ok(typeof s.feedback === 'string' && s.feedback.length > 0, `feedback ${JSON.stringify(s)}`);
      assert.ok(Array.isArray(s.flags), `flags ${JSON.stringify(s)}`);
    }
    assert.ok(Number.isInteger(rep.overall_score), `overall_score ${rep.overall_score}`);
    assert.ok(rep.overall_score >= 0 && rep.overall_score <= 100);
    assert.equal(rep.overall_score, overallFrom(rep.scores.map((s) => s.score)));
    assert.equal(rep.scorers.model, 0);
    assert.equal(
      rep.scorers.heuristic + rep.scorers.precheck,
      QUESTIONS_PER_INTERVIEW,
      `scorers ${JSON.stringify(rep.scorers)}`,
    );
    assert.equal(rep.scorers.heuristic, rep.scores.filter((s) => s.scorer === 'heuristic').length);
    assert.ok(typeof rep.summary === 'string' && rep.summary.length > 0, 'summary');
    assert.ok(Array.isArray(rep.strengths) && Array.isArray(rep.improvements));
  }),
);

test(
  'an "I don\'t know" answer is scored 1 by the precheck',
  T,
  logged(async () => {
    const srv = await startServer();
    const c = await registerCandidate(srv.url);
    const iv = await runInterviewFull(srv.url, c.token, 'technical', (q, i) =>
      i === 1 ? "I don't know" : goodAnswer(q, i),
    );
    const rep = await waitForReport(srv.url, iv.id, c.token, 30000);
    const s = rep.scores.find((x) => x.question_id === iv.questions[1].id);
    assert.ok(s, `no score for question ${iv.questions[1].id}`);
    assert.equal(s.scorer, 'precheck', JSON.stringify(s));
    assert.equal(s.score, 1, JSON.stringify(s));
    const other = rep.scores.find((x) => x.question_id === iv.questions[2].id);
    assert.equal(other.scorer, 'heuristic', `a 70-word answer is not prechecked: ${JSON.stringify(other)}`);
  }),
);

test(
  'GET /api/interviews/{id} shows progress and a transcript equal to the questions asked and answers given',
  T,
  logged(async () => {
    const srv = await startServer();
    const c = await registerCandidate(srv.url);
    const answers = [];
    let midState;
    const iv = await runInterviewFull(srv.url, c.token, 'behavioral', (q, i) => {
      const a = `${goodAnswer(q, i)} Marker ${i}.`;
      answers.push(a);
      return a;
    });
    // Progress part way: answer three questions of a second interview and look.
    {
      const r = await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token);
      const start = expectStatus(r, 201, 'second interview');
      let q = start.question;
      const asked = [];
      for (let i = 0; i < 3; i++) {
        asked.push(q);
        const a = expectStatus(
          await api(srv.url, 'POST', `/api/interviews/${start.interview_id}/answers`, { question_id: q.id, answer: `partial ${i} ${goodAnswer(q, i)}` }, c.token),
          200,
          `partial answer ${i}`,
        );
        q = a.next_question;
      }
      midState = expectStatus(
        await api(srv.url, 'GET', `/api/interviews/${start.interview_id}`, undefined, c.token),
        200,
        'GET partial interview',
      );
      assert.equal(midState.state, 'active');
      assert.equal(midState.answered, 3);
      assert.equal(midState.total_questions, QUESTIONS_PER_INTERVIEW);
      assert.equal(midState.current_question.id, q.id);
      assert.equal(midState.current_question.index, FIRST_INDEX + 3, 'the 4th question is awaited');
      const answeredTurns = midState.transcript.filter((t) => t.answer !== null);
      assert.equal(answeredTurns.length, 3);
      answeredTurns.forEach((t, i) => {
        assert.equal(t.question_id, asked[i].id);
        assert.equal(t.answer, `partial ${i} ${goodAnswer(asked[i], i)}`);
      });
    }
    const r = await api(srv.url, 'GET', `/api/interviews/${iv.id}`, undefined, c.token);
    const st = expectStatus(r, 200, 'GET interview');
    assert.equal(st.interview_id, iv.id);
    assert.equal(st.kind, 'behavioral');
    assert.equal(st.mode, 'offline');
    assert.equal(st.state, 'finished');
    assert.equal(st.total_questions, QUESTIONS_PER_INTERVIEW);
    assert.equal(st.answered, QUESTIONS_PER_INTERVIEW);
    assert.equal(st.greeting, iv.start.greeting);
    assert.equal(st.current_question, null);
    assert.equal(st.transcript.length, QUESTIONS_PER_INTERVIEW);
    st.transcript.forEach((t, i) => {
      assert.equal(t.question_id, iv.questions[i].id, `turn ${i} question_id`);
      assert.equal(t.text, iv.questions[i].text, `turn ${i} text`);
      assert.equal(t.category, iv.questions[i].category, `turn ${i} category`);
      assert.equal(t.answer, answers[i], `turn ${i} answer`);
    });
  }),
);

test(
  "10 interviews of one candidate (technical, behavioral, mixed in turn) never repeat a question id or text",
  { timeout: 240000 },
  logged(async () => {
    const srv = await startServer();
    const c = await registerCandidate(srv.url);
    const kinds = ['technical', 'behavioral', 'mixed'];
    const seenIds = new Map(); // question id -> "interview n, question i"
    const seenTexts = new Map();
    let total = 0;
    for (let n = 0; n < 10; n++) {
      const kind = kinds[n % 3];
      const iv = await runInterviewFull(srv.url, c.token, kind, (q, i) => `${goodAnswer(q, i)} Interview ${n}.`);
      assert.equal(iv.questions.length, QUESTIONS_PER_INTERVIEW, `interview ${n} (${kind}) length`);
      iv.questions.forEach((q, i) => {
        const where = `interview ${n} (${kind}) question ${i}`;
        assert.ok(!seenIds.has(q.id), `question id ${q.id} at ${where} was already asked at ${seenIds.get(q.id)}`);
        const text = q.text.trim().toLowerCase();
        assert.ok(!seenTexts.has(text), `question text "${q.text}" at ${where} was already asked at ${seenTexts.get(text)}`);
        seenIds.set(q.id, where);
        seenTexts.set(text, where);
        total++;
      });
    }
    assert.equal(total, 10 * QUESTIONS_PER_INTERVIEW);
    assert.equal(seenIds.size, 120);
    // The candidate's list shows all ten, finished.
    const me = expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, c.token), 200, 'GET /api/candidates/me');
    assert.equal(me.interviews.length, 10);
    assert.deepEqual(me.interviews.map((i) => i.kind), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => kinds[n % 3]));
    for (const i of me.interviews) assert.equal(i.state, 'finished');
  }),
);
