// A candidate's re-uploaded resume: a lightly edited version reuses that candidate's own
// analysis (no model call); a different resume is analysed afresh; nobody else's
// analysis is ever involved (the reuse decision compares a candidate with themselves).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, DEFAULT_RESUME, logged, mockProvider, registerCandidate, sleep, startMock, startServer } from './lib.mjs';

const T = { timeout: 60000 };
const MOCK_KEY = 'sk-test-resume-0001';

const LONG_RESUME =
  'Senior backend engineer with 8 years of experience building payment and ledger systems. ' +
  'At Acme Corp I led a team of five that rebuilt the settlement pipeline in Go and PostgreSQL, ' +
  'cutting nightly batch time from four hours to forty minutes. Built an event sourcing service ' +
  'on Kafka handling two million events a day. Introduced contract tests and canary releases, ' +
  'which halved production incidents over a year. Earlier at Initech I wrote Python services ' +
  'for fraud scoring and maintained Redis based rate limiting for the public API. ' +
  'Mentored four junior engineers and ran the on call rotation for the payments group.';

async function resumeCalls(mock) {
  const st = await mock.stats();
  return st.by_task?.resume_analysis ?? 0;
}

async function until(fn, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await sleep(50);
  }
}

test('a lightly edited resume reuses the candidate analysis without a model call; a new one is analysed', T,
  logged(async () => {
    const mock = await startMock();
    const srv = await startServer({ config: mockProvider(mock), env: { MOCK_KEY } });
    const c = await registerCandidate(srv.url, { resume_text: LONG_RESUME });
    assert.ok(await until(async () => (await resumeCalls(mock)) === 1), 'registration analyses the resume once');

    const edited = LONG_RESUME.replace('four junior engineers', 'five junior engineers').replace('Earlier at', 'Before that, at');
    let r = await api(srv.url, 'PUT', '/api/candidates/me/resume', { resume_text: edited }, c.token);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.analysis, 'reused');
    assert.ok(r.json.similarity >= 0.6 && r.json.similarity < 1, `similarity ${r.json.similarity}`);

    r = await api(srv.url, 'PUT', '/api/candidates/me/resume', { resume_text: edited }, c.token);
    assert.equal(r.json.analysis, 'unchanged');
    await sleep(300);
    assert.equal(await resumeCalls(mock), 1, 'no model call for a near-duplicate or identical resume');

    r = await api(srv.url, 'PUT', '/api/candidates/me/resume', { resume_text: DEFAULT_RESUME }, c.token);
    assert.equal(r.json.analysis, 'new');
    assert.ok(await until(async () => (await resumeCalls(mock)) === 2), 'a different resume is analysed');
  }));

test('resume update needs the candidate token and a valid resume_text', T,
  logged(async () => {
    const srv = await startServer();
    const c = await registerCandidate(srv.url);
    let r = await api(srv.url, 'PUT', '/api/candidates/me/resume', { resume_text: 'x' });
    assert.equal(r.status, 401);
    r = await api(srv.url, 'PUT', '/api/candidates/me/resume', {}, c.token);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'missing_field');
    r = await api(srv.url, 'PUT', '/api/candidates/me/resume', { resume_text: 'a'.repeat(70000) }, c.token);
    assert.equal(r.status, 422);
    r = await api(srv.url, 'GET', '/api/candidates/me/resume', undefined, c.token);
    assert.equal(r.status, 405);
  }));
