// The candidate's account and control over it (issue 15): one profile per email, resumes
// sent as PDF files (read by pdftotext in a limited child process), a new role, leaving an
// interview, where the data goes, and erasure that leaves nothing in the database file or
// the cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { api, DEFAULT_RESUME, expectStatus, logged, mockProvider, registerCandidate, sleep, startMock, startServer, waitForReport } from './lib.mjs';
import { pdfWithText } from './pdf.mjs';

const T = { timeout: 90000 };
const MOCK_KEY = 'sk-test-account-0001';
const ADMIN = 'admin-token-account-test';

const putPdf = (srv, token, bytes) =>
  api(srv.url, 'PUT', '/api/candidates/me/resume', bytes, token, { headers: { 'Content-Type': 'application/pdf' } });

async function answerAll(srv, token, start, answerFor) {
  let q = start.question;
  for (let i = 0; q; i++) {
    const r = await api(srv.url, 'POST', `/api/interviews/${start.interview_id}/answers`, { question_id: q.id, answer: answerFor(i) }, token);
    q = expectStatus(r, 200, 'answer').next_question;
  }
}

test('one profile per email: the same address, in any case or with spaces, answers 409 email_taken', T,
  logged(async () => {
    const srv = await startServer();
    const stamp = Date.now();
    const first = await registerCandidate(srv.url, { email: `Ada.${stamp}@Example.org` });
    for (const email of [`ada.${stamp}@example.org`, `  ADA.${stamp}@EXAMPLE.ORG `]) {
      const r = await api(srv.url, 'POST', '/api/candidates', { name: 'Again', email, role: first.role, resume_text: DEFAULT_RESUME });
      assert.equal(r.status, 409, r.text);
      assert.equal(r.json.error.code, 'email_taken');
      assert.match(r.json.error.message, /access link/);
    }
    const me = expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, first.token), 200, 'me');
    assert.equal(me.email, `ada.${stamp}@example.org`, 'the address is kept normalised');
    // another address is another profile
    await registerCandidate(srv.url, { email: `grace.${stamp}@example.org` });
  }));

test('a PDF resume is read out of process; scans, non-PDFs, damaged and oversized files get clear errors', T,
  logged(async () => {
    const srv = await startServer({ config: { limits: { max_resume_pdf_bytes: 4096, max_resume_bytes: 2000 } } });
    const c = await registerCandidate(srv.url);
    const lines = ['Jordan Lee, backend engineer', 'Built a ledger on PostgreSQL and Kafka at Acme Corp',
      'Skills: Go, Redis, Kubernetes, gRPC'];
    const t0 = Date.now();
    const ok = await putPdf(srv, c.token, pdfWithText(lines));
    const ms = Date.now() - t0;
    assert.equal(ok.status, 200, ok.text);
    console.log(`PDF resume (${pdfWithText(lines).length} bytes) read in ${ms} ms, round trip`);
    const me = expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, c.token), 200, 'me');
    const words = lines.join(' ').split(/\s+/).length;
    assert.equal(me.resume_words, words, 'the stored resume is the PDF\'s text');

    const cases = [
      ['a page without text (a scan)', pdfWithText([]), 422, 'pdf_no_text', /[Pp]aste/],
      ['a damaged PDF', Buffer.from('%PDF-1.4\n1 0 obj garbage\n%%EOF\n'), 422, 'pdf_unreadable', /[Pp]aste/],
      ['a text file sent as a PDF', Buffer.from('Just my resume as text\n'), 422, 'not_a_pdf', /not a PDF/],
      ['a PDF over max_resume_pdf_bytes', pdfWithText(Array.from({ length: 300 }, (_, i) => `Line ${i} of a long resume`)), 413, 'pdf_too_large', /smaller/],
      ['a PDF whose text is over max_resume_bytes', pdfWithText(Array.from({ length: 48 }, () => 'PostgreSQL Kafka Redis gRPC Kubernetes Terraform Go')), 413, 'resume_too_long', /limit/],
    ];
    for (const [what, bytes, status, code, message] of cases) {
      const r = await putPdf(srv, c.token, bytes);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.json.error.code, code, what);
      assert.match(r.json.error.message, message, what);
    }
    // binary bodies are for PDFs only: JSON routes refuse them
    const wrong = await api(srv.url, 'POST', '/api/interviews', Buffer.from([0xff, 0xfe, 0x00]), c.token, { headers: { 'Content-Type': 'application/pdf' } });
    assert.equal(wrong.status, 415, wrong.text);

    // registration takes the file too, in base64
    const reg = await api(srv.url, 'POST', '/api/candidates', {
      name: 'Pdf Person', email: `pdf.${Date.now()}@example.org`, role: c.role,
      resume_pdf: pdfWithText(lines).toString('base64'),
    });
    assert.equal(reg.status, 201, reg.text);
    const me2 = expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, reg.json.token), 200, 'me');
    assert.equal(me2.resume_words, words);
    const bad = await api(srv.url, 'POST', '/api/candidates', { name: 'B', email: `b.${Date.now()}@example.org`, role: c.role, resume_pdf: 'not base64 !!' });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error.code, 'invalid_base64');
    // no child is left behind
    const ps = spawnSync('pgrep', ['-f', 'pdftotext'], { encoding: 'utf8' });
    assert.equal(ps.stdout.trim(), '', 'no pdftotext process outlives its request');
  }));

test('the PDF reader\'s limits hold: its memory limit applies to the child, readers beyond pdf_max_concurrent get 503 busy at once, the server keeps answering', T,
  logged(async () => {
    // 16 MiB of address space is too little for pdftotext to even load its libraries:
    // the same file that reads fine elsewhere is refused, so the limit reaches the child
    const tight = await startServer({ config: { limits: { pdf_memory_bytes: 16777216 } } });
    const c = await registerCandidate(tight.url);
    const r = await putPdf(tight, c.token, pdfWithText(['Backend engineer, Go and PostgreSQL']));
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.error.code, 'pdf_unreadable');

    const one = await startServer({ config: { limits: { pdf_max_concurrent: 1 } } });
    const d = await registerCandidate(one.url);
    const pdf = pdfWithText(Array.from({ length: 40 }, (_, i) => `Project ${i}: PostgreSQL, Kafka and Go services`));
    const t0 = Date.now();
    const [results, health] = await Promise.all([
      Promise.all(Array.from({ length: 4 }, () => putPdf(one, d.token, pdf))),
      api(one.url, 'GET', '/healthz'),
    ]);
    const statuses = results.map((x) => x.status);
    console.log(`4 PDFs at once with pdf_max_concurrent = 1: statuses ${statuses.join(',')} in ${Date.now() - t0} ms`);
    assert.equal(health.status, 200, 'the loop answers while a PDF is read');
    assert.ok(statuses.includes(200), 'one is read');
    const busy = results.filter((x) => x.status === 503);
    assert.ok(busy.length >= 1, `readers beyond the limit are refused at once: ${statuses}`);
    for (const b of busy) {
      assert.equal(b.json.error.code, 'busy');
      assert.equal(b.headers.get('retry-after'), '2');
    }
  }));

test('a new role, and leaving an interview: it stops counting as active and has no report', T,
  logged(async () => {
    const srv = await startServer({ config: { limits: { max_active_interviews: 2 } } });
    const c = await registerCandidate(srv.url);
    const role = expectStatus(await api(srv.url, 'PUT', '/api/candidates/me/role', { role: 'data_scientist' }, c.token), 200, 'role');
    assert.equal(role.role, 'data_scientist');
    const unknown = await api(srv.url, 'PUT', '/api/candidates/me/role', { role: 'astronaut' }, c.token);
    assert.equal(unknown.status, 422, unknown.text);
    const me = expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, c.token), 200, 'me');
    assert.equal(me.role, 'data_scientist');

    const a = expectStatus(await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token), 201, 'start a');
    expectStatus(await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token), 201, 'start b');
    const third = await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token);
    assert.equal(third.status, 429, 'two in progress is the limit here');

    const left = await api(srv.url, 'POST', `/api/interviews/${a.interview_id}/abandon`, undefined, c.token);
    assert.equal(left.status, 200, left.text);
    assert.equal(left.json.state, 'abandoned');
    const again = await api(srv.url, 'POST', `/api/interviews/${a.interview_id}/abandon`, undefined, c.token);
    assert.equal(again.status, 200, 'leaving twice answers the same');
    expectStatus(await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token), 201, 'a left interview no longer counts as active');

    const rep = await api(srv.url, 'GET', `/api/interviews/${a.interview_id}/report`, undefined, c.token);
    assert.equal(rep.status, 409, rep.text);
    assert.equal(rep.json.error.code, 'interview_abandoned');
    const ans = await api(srv.url, 'POST', `/api/interviews/${a.interview_id}/answers`, { question_id: a.question.id, answer: 'late' }, c.token);
    assert.equal(ans.status, 409);
    assert.equal(ans.json.error.code, 'interview_abandoned');
    const st = expectStatus(await api(srv.url, 'GET', `/api/interviews/${a.interview_id}`, undefined, c.token), 200, 'state');
    assert.equal(st.state, 'abandoned');
    const me2 = expectStatus(await api(srv.url, 'GET', '/api/candidates/me', undefined, c.token), 200, 'me');
    assert.equal(me2.interviews.find((x) => x.interview_id === a.interview_id).state, 'abandoned');
    // someone else cannot leave it for them
    const other = await registerCandidate(srv.url);
    const foreign = await api(srv.url, 'POST', `/api/interviews/${a.interview_id}/abandon`, undefined, other.token);
    assert.equal(foreign.status, 404);
  }));

test('GET /api/privacy names the providers in use, or says nothing leaves the server', T,
  logged(async () => {
    const offline = await startServer();
    const p0 = expectStatus(await api(offline.url, 'GET', '/api/privacy'), 200, 'privacy');
    assert.equal(p0.offline, true);
    assert.deepEqual(p0.providers, []);
    assert.match(p0.text, /stay on this server/);
    const mock = await startMock();
    const online = await startServer({ config: mockProvider(mock), env: { MOCK_KEY } });
    const p1 = expectStatus(await api(online.url, 'GET', '/api/privacy'), 200, 'privacy');
    assert.equal(p1.offline, false);
    assert.deepEqual(p1.providers.map((x) => x.name), ['mock']);
    assert.equal(p1.providers[0].host, '127.0.0.1');
    assert.match(p1.text, /mock \(127\.0\.0\.1\)/);
    // a provider without its key is not used, so it is not named
    const nokey = await startServer({ config: mockProvider(mock) });
    const p2 = expectStatus(await api(nokey.url, 'GET', '/api/privacy'), 200, 'privacy');
    assert.equal(p2.offline, true);
  }));

// Every byte of the database (file, WAL) as latin1, for a plain search.
function dbBytes(dbPath) {
  return ['', '-wal', '-journal'].map((s) => (fs.existsSync(dbPath + s) ? fs.readFileSync(dbPath + s).toString('latin1') : '')).join('\n');
}

// The engine's cache of model results is in the process (tests/unit/test_engine_reuse.c
// checks its entries are gone); here: the records of them, the database file and the log.
test('erasure: DELETE /api/candidates/me leaves nothing of the candidate in the database file; the token stops working', T,
  logged(async () => {
    {
      const mock = await startMock();
      const srv = await startServer({
        config: { ...mockProvider(mock), budget: { mode: 'full' } },
        env: { MOCK_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN },
      });
      const mark = `Zqx${Date.now().toString(36)}`;
      const c = await registerCandidate(srv.url, {
        name: `Erin ${mark}name`, email: `erin.${mark.toLowerCase()}@example.org`,
        resume_text: `${DEFAULT_RESUME} Led the ${mark}resume migration project.`,
      });
      const keep = await registerCandidate(srv.url, { name: 'Kept Person' });
      const start = expectStatus(await api(srv.url, 'POST', '/api/interviews', { kind: 'technical' }, c.token), 201, 'start');
      await answerAll(srv, c.token, start, (i) => `In project ${mark}answer${i} I measured p95 latency, added Redis caching and cut it by 40 percent with careful PostgreSQL indexes.`);
      await waitForReport(srv.url, start.interview_id, c.token, 60000);

      let bytes = dbBytes(srv.dbPath);
      assert.ok(bytes.includes(`${mark}answer0`) && bytes.includes(`${mark}resume`), 'the database held the candidate\'s text before');
      const owned = [...bytes.matchAll(new RegExp(`cacheown:${c.candidate_id}:(iv:[A-Za-z0-9._:-]*:[0-9a-f]{32})`, 'g'))].map((m) => m[1]);
      const uniqueOwned = [...new Set(owned)];
      assert.ok(uniqueOwned.length >= 2, `model results cached for the candidate were recorded (${uniqueOwned.length})`);

      const del = await api(srv.url, 'DELETE', '/api/candidates/me', undefined, c.token);
      assert.equal(del.status, 204, del.text);
      for (const p of ['/api/candidates/me', `/api/interviews/${start.interview_id}`]) {
        const r = await api(srv.url, 'GET', p, undefined, c.token);
        assert.equal(r.status, 401, `${p} after erasure: ${r.text}`);
      }
      const asAdmin = await api(srv.url, 'GET', `/api/interviews/${start.interview_id}`, undefined, ADMIN);
      assert.equal(asAdmin.status, 404, 'the interview is gone for the admin too');

      bytes = dbBytes(srv.dbPath);
      for (const needle of [mark, `${mark}answer0`, c.candidate_id, start.interview_id, `erin.${mark.toLowerCase()}`]) {
        assert.ok(!bytes.includes(needle), `the database file still holds "${needle}"`);
      }
      assert.ok(bytes.includes(keep.name), 'another candidate is untouched');
      for (const k of uniqueOwned) assert.ok(!bytes.includes(k), `the record of cache entry ${k} is left`);
      const erased = /event=candidate_erased .*?candidate=(\w+) cache_entries=(\d+)/.exec(srv.logs());
      assert.ok(erased && erased[1] === c.candidate_id, 'the erasure is logged');
      assert.equal(Number(erased[2]), uniqueOwned.length, 'every recorded cache entry was deleted');

      // the admin equivalent
      const del2 = await api(srv.url, 'DELETE', `/api/admin/candidates/${keep.candidate_id}`, undefined, ADMIN);
      assert.equal(del2.status, 204, del2.text);
      assert.equal((await api(srv.url, 'GET', '/api/candidates/me', undefined, keep.token)).status, 401);
      assert.equal((await api(srv.url, 'DELETE', `/api/admin/candidates/${keep.candidate_id}`, undefined, ADMIN)).status, 404);
      assert.equal((await api(srv.url, 'DELETE', `/api/admin/candidates/${keep.candidate_id}`, undefined, keep.token)).status, 401);
      assert.ok(!dbBytes(srv.dbPath).includes(keep.name), 'the admin erasure leaves nothing either');
    }
  }));
