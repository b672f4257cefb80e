// Every bad input of docs/api-details.md gets its status and stable error code, in the
// JSON error shape, and none of them disturbs stored data.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test as nodeTest } from 'node:test';
import { api, checkHandles, expectStatus, FIRST_INDEX, goodAnswer, pickRole, registerCandidate, runInterviewFull, startServer } from './lib.mjs';

const MAX_RESUME_BYTES = 65536;
const MAX_BODY_BYTES = 1024 * 1024;

// One server for the whole file: the last test checks that the bad requests of all the
// others left the first candidate's data as it was.
let srv;
let alice; // candidate with an active interview (3 answers given)
let aliceIv; // {id, next question}
let aliceBefore; // GET /api/interviews/{id} before any bad request
let bob; // another candidate with a finished interview
let bobIv;

before(async () => {
  srv = await startServer({ name: 'interviewd(api_errors)' });
  alice = await registerCandidate(srv.url);
  const r = await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, alice.token);
  const start = expectStatus(r, 201, 'alice interview');
  let q = start.question;
  for (let i = 0; i < 3; i++) {
    const a = await api(srv.url, 'POST', `/api/interviews/${start.interview_id}/answers`, { question_id: q.id, answer: goodAnswer(q, i) }, alice.token);
    q = expectStatus(a, 200, `alice answer ${i}`).next_question;
  }
  aliceIv = { id: start.interview_id, question: q };
  aliceBefore = expectStatus(await api(srv.url, 'GET', `/api/interviews/${aliceIv.id}`, undefined, alice.token), 200, 'GET alice');
  bob = await registerCandidate(srv.url);
  bobIv = await runInterviewFull(srv.url, bob.token, 'behavioral', goodAnswer);
});

// After all that hostile input the server must still stop cleanly: exit 0 on SIGTERM
// within the grace time, no sanitizer report (ASan build) anywhere in its output.
after(async () => {
  if (!srv) return;
  const problems = await checkHandles([srv]);
  assert.deepEqual(problems, [], `the server of api_errors did not end cleanly:\n${problems.join('\n')}`);
  if (!dumped && !process.env.INTERVIEWD_KEEP_TMP) fs.rmSync(srv.dir, { recursive: true, force: true });
});

// test() that runs every case of the test even when one fails (expectError records
// rather than throws), fails listing all of them, and prints the server's log tail
// (once per file) on the first failure.
let dumped = false;
let mismatches = null; // expectError failures of the running test
function test(name, fn) {
  return nodeTest(name, { timeout: 60000 }, async (t) => {
    mismatches = [];
    try {
      await fn(t);
      if (mismatches.length) throw new assert.AssertionError({ message: `${mismatches.length} case(s) failed:\n- ${mismatches.join('\n- ')}` });
    } catch (err) {
      if (!dumped && srv) {
        dumped = true;
        console.error(`--- server log tail (${srv.dir}) ---\n${srv.logs().slice(-6000)}\n--- end ---`);
      }
      throw err;
    } finally {
      mismatches = null;
    }
  });
}

// Asserts status, JSON error shape and code (recorded, so a test checks all its cases).
function expectError(r, status, code, what) {
  try {
    assert.equal(r.status, status, `${what}: status ${r.status}, body ${r.text.slice(0, 300)}`);
    assert.ok(r.json && typeof r.json === 'object', `${what}: body is not JSON: ${r.text.slice(0, 300)}`);
    assert.equal(typeof r.json.error, 'object', `${what}: no error object: ${r.text.slice(0, 300)}`);
    assert.equal(r.json.error.code, code, `${what}: code ${r.json.error.code}, want ${code}: ${r.text.slice(0, 300)}`);
    assert.ok(typeof r.json.error.message === 'string' && r.json.error.message.length > 0, `${what}: no message`);
    assert.match(r.headers.get('content-type') || '', /application\/json/, `${what}: content-type`);
  } catch (err) {
    if (!mismatches) throw err;
    mismatches.push(err.message.split('\n')[0]);
  }
}

const validCandidate = async (extra = {}) => ({
  name: 'Err Test',
  email: 'err.test@example.com',
  role: await pickRole(srv.url),
  resume_text: 'Engineer with 4 years of Go.',
  ...extra,
});

test('GET /healthz answers 200 {"status":"ok"}', async () => {
  const r = await api(srv.url, 'GET', '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

test('a body that is not JSON is 400 malformed_json', async () => {
  expectError(await api(srv.url, 'POST', '/api/candidates', '{"name": "x", '), 400, 'malformed_json', 'truncated JSON');
  expectError(await api(srv.url, 'POST', '/api/candidates', 'hello'), 400, 'malformed_json', 'plain text');
  expectError(await api(srv.url, 'POST', '/api/candidates', ''), 400, 'malformed_json', 'empty body');
});

test('a JSON body that is not an object is 400 malformed_json', async () => {
  expectError(await api(srv.url, 'POST', '/api/candidates', '[1,2,3]'), 400, 'malformed_json', 'array');
  expectError(await api(srv.url, 'POST', '/api/candidates', '"text"'), 400, 'malformed_json', 'string');
});

test('malformed JSON on an answer post is 400 malformed_json', async () => {
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, '{"question_id":', alice.token),
    400,
    'malformed_json',
    'answer',
  );
});

test('a missing or non-string required field is 400 missing_field', async () => {
  for (const field of ['name', 'email', 'role', 'resume_text']) {
    const body = await validCandidate();
    delete body[field];
    expectError(await api(srv.url, 'POST', '/api/candidates', body), 400, 'missing_field', `no ${field}`);
  }
  expectError(await api(srv.url, 'POST', '/api/candidates', await validCandidate({ name: 42 })), 400, 'missing_field', 'name: 42');
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { question_id: aliceIv.question.id }, alice.token),
    400,
    'missing_field',
    'answer without answer',
  );
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { answer: 'some text here' }, alice.token),
    400,
    'missing_field',
    'answer without question_id',
  );
});

test('an interview request without kind is 400 missing_field', async () => {
  expectError(await api(srv.url, 'POST', '/api/interviews', {}, bob.token), 400, 'missing_field', 'interview without kind');
  expectError(await api(srv.url, 'POST', '/api/interviews', { kind: 7 }, bob.token), 400, 'missing_field', 'kind: 7');
});

test('an unknown role is 422 invalid_value', async () => {
  expectError(await api(srv.url, 'POST', '/api/candidates', await validCandidate({ role: 'astronaut_chef' })), 422, 'invalid_value', 'role');
});

test('an unknown interview kind is 422 invalid_value', async () => {
  expectError(await api(srv.url, 'POST', '/api/interviews', { kind: 'karaoke' }, alice.token), 422, 'invalid_value', 'kind');
});

test('a bad email is 422 invalid_value', async () => {
  expectError(await api(srv.url, 'POST', '/api/candidates', await validCandidate({ email: 'not-an-email' })), 422, 'invalid_value', 'email');
});

test(`a resume of ${MAX_RESUME_BYTES + 1} bytes is 422 invalid_value; one of ${MAX_RESUME_BYTES} bytes is accepted`, async () => {
  const over = 'a'.repeat(MAX_RESUME_BYTES + 1);
  expectError(await api(srv.url, 'POST', '/api/candidates', await validCandidate({ resume_text: over })), 422, 'invalid_value', 'resume');
  // Multi-byte: 32769 two-byte characters are 65538 bytes, though only 32769 characters.
  const overUtf8 = '\u00e9'.repeat(MAX_RESUME_BYTES / 2 + 1);
  expectError(await api(srv.url, 'POST', '/api/candidates', await validCandidate({ resume_text: overUtf8 })), 422, 'invalid_value', 'resume in bytes');
  const atLimit = `${'Go engineer. '.repeat(5041)}abc`; // 13*5041+3 = 65536 bytes
  assert.equal(Buffer.byteLength(atLimit), MAX_RESUME_BYTES);
  const r = await api(srv.url, 'POST', '/api/candidates', await validCandidate({ resume_text: atLimit }));
  assert.equal(r.status, 201, `resume of exactly ${MAX_RESUME_BYTES} bytes: ${r.text.slice(0, 300)}`);
});

test('an answer of 100000 bytes or a name of 10000 bytes is 422 invalid_value', async () => {
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { question_id: aliceIv.question.id, answer: 'word '.repeat(20000) }, alice.token),
    422,
    'invalid_value',
    'answer of 100000 bytes',
  );
  expectError(await api(srv.url, 'POST', '/api/candidates', await validCandidate({ name: 'n'.repeat(10000) })), 422, 'invalid_value', 'name of 10000 bytes');
});

test('invalid UTF-8 in a string value is 422 invalid_value', async () => {
  const body = Buffer.concat([
    Buffer.from('{"name":"Bad '),
    Buffer.from([0xff, 0xfe, 0xc3]),
    Buffer.from(`","email":"bad@example.com","role":"${await pickRole(srv.url)}","resume_text":"Engineer."}`),
  ]);
  expectError(await api(srv.url, 'POST', '/api/candidates', body), 422, 'invalid_value', 'invalid UTF-8 name');
  const overlong = Buffer.concat([
    Buffer.from(`{"question_id":"${aliceIv.question.id}","answer":"over`),
    Buffer.from([0xc0, 0xaf]), // overlong encoding of '/'
    Buffer.from(' long"}'),
  ]);
  expectError(await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, overlong, alice.token), 422, 'invalid_value', 'overlong UTF-8 answer');
});

test(`a body over ${MAX_BODY_BYTES} bytes (2 MiB) is 413 body_too_large with a JSON error`, async () => {
  const big = JSON.stringify({ ...(await validCandidate()), resume_text: 'x'.repeat(2 * MAX_BODY_BYTES) });
  expectError(await api(srv.url, 'POST', '/api/candidates', big), 413, 'body_too_large', '2 MiB body');
  const justOver = JSON.stringify({ ...(await validCandidate()), resume_text: 'x'.repeat(MAX_BODY_BYTES) });
  expectError(await api(srv.url, 'POST', '/api/candidates', justOver), 413, 'body_too_large', '1 MiB + 100 bytes body');
  // The server still answers afterwards.
  assert.equal((await api(srv.url, 'GET', '/healthz')).status, 200);
});

test('no Authorization header is 401 unauthorized', async () => {
  expectError(await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }), 401, 'unauthorized', 'start without token');
  expectError(await api(srv.url, 'GET', `/api/interviews/${aliceIv.id}`), 401, 'unauthorized', 'GET without token');
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { question_id: aliceIv.question.id, answer: 'x y z' }),
    401,
    'unauthorized',
    'answer without token',
  );
  expectError(await api(srv.url, 'GET', '/api/candidates/me'), 401, 'unauthorized', 'me without token');
  expectError(
    await api(srv.url, 'GET', '/api/candidates/me', undefined, undefined, { headers: { Authorization: `Basic ${alice.token}` } }),
    401,
    'unauthorized',
    'Basic instead of Bearer',
  );
});

test('a wrong token is 401 unauthorized', async () => {
  expectError(await api(srv.url, 'GET', '/api/candidates/me', undefined, 'not-a-real-token'), 401, 'unauthorized', 'garbage token');
  expectError(await api(srv.url, 'GET', '/api/candidates/me', undefined, `${alice.token}0`), 401, 'unauthorized', 'token + 1 char');
  expectError(await api(srv.url, 'GET', '/api/candidates/me', undefined, alice.token.slice(0, -1)), 401, 'unauthorized', 'token - 1 char');
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { question_id: aliceIv.question.id, answer: 'x y z' }, 'wrong'),
    401,
    'unauthorized',
    'answer with a wrong token',
  );
});

test("another candidate's interview is 404 not_found, exactly like an unknown id", async () => {
  const unknown = '0'.repeat(32);
  const paths = (id) => [
    ['GET', `/api/interviews/${id}`, undefined],
    ['GET', `/api/interviews/${id}/report`, undefined],
    ['POST', `/api/interviews/${id}/answers`, { question_id: aliceIv.question.id, answer: 'an answer of several words' }],
  ];
  const own = paths(aliceIv.id);
  const unk = paths(unknown);
  for (let i = 0; i < own.length; i++) {
    const [method, p, body] = own[i];
    const theirs = await api(srv.url, method, p, body, bob.token);
    expectError(theirs, 404, 'not_found', `bob ${method} ${p}`);
    const none = await api(srv.url, unk[i][0], unk[i][1], unk[i][2], bob.token);
    expectError(none, 404, 'not_found', `bob ${method} unknown id`);
    assert.deepEqual(theirs.json, none.json, 'not-yours and unknown must be indistinguishable');
  }
});

test('answering with a question_id other than the awaited one is 409 wrong_question', async () => {
  const prev = aliceBefore.transcript.find((t) => t.answer !== null).question_id;
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { question_id: prev, answer: 'answering an old question again' }, alice.token),
    409,
    'wrong_question',
    'already answered question',
  );
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { question_id: 'tech.nope.999', answer: 'answering a made up question' }, alice.token),
    409,
    'wrong_question',
    'made-up question id',
  );
});

test('answering a finished interview is 409 interview_finished', async () => {
  const last = bobIv.questions.at(-1).id;
  expectError(
    await api(srv.url, 'POST', `/api/interviews/${bobIv.id}/answers`, { question_id: last, answer: 'one more answer after the end' }, bob.token),
    409,
    'interview_finished',
    'finished interview',
  );
});

test('an unknown route is 404 not_found', async () => {
  expectError(await api(srv.url, 'GET', '/api/nothing-here'), 404, 'not_found', 'GET /api/nothing-here');
  expectError(await api(srv.url, 'POST', '/api/nothing-here', {}), 404, 'not_found', 'POST /api/nothing-here');
  expectError(await api(srv.url, 'GET', `/api/interviews/${aliceIv.id}/nothing`, undefined, alice.token), 404, 'not_found', 'unknown sub-route');
});

test('a wrong method on a known route is 405 method_not_allowed', async () => {
  expectError(await api(srv.url, 'DELETE', '/api/candidates'), 405, 'method_not_allowed', 'DELETE /api/candidates');
  expectError(await api(srv.url, 'POST', '/healthz', {}), 405, 'method_not_allowed', 'POST /healthz');
});

test(
  "after every bad request the first candidate's interview is unchanged and still answerable",
  async () => {
    const now = expectStatus(await api(srv.url, 'GET', `/api/interviews/${aliceIv.id}`, undefined, alice.token), 200, 'GET alice');
    assert.deepEqual(now, aliceBefore);
    const me = expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, alice.token), 200, 'alice me');
    assert.equal(me.candidate_id, alice.candidate_id);
    const mine = me.interviews.find((i) => i.interview_id === aliceIv.id);
    assert.ok(mine, `alice's interview missing from /api/candidates/me: ${JSON.stringify(me)}`);
    assert.equal(mine.state, 'active');
    const a = await api(srv.url, 'POST', `/api/interviews/${aliceIv.id}/answers`, { question_id: aliceIv.question.id, answer: goodAnswer(null, 3) }, alice.token);
    const body = expectStatus(a, 200, 'alice answer 4');
    assert.equal(body.done, false);
    assert.equal(body.next_question.index, FIRST_INDEX + 4, 'the 5th question follows');
  },
);
