// Browser tests of the candidate page (web/), against a real `interviewd serve`.
//
// The server runs in offline mode (no [provider.*] section), so questions come from the
// bank and answers are scored by the heuristic rubric: the whole interview takes
// seconds. Chromium is Debian's (/usr/bin/chromium) driven by playwright-core; no
// browser is ever downloaded. Screenshots go to tests/browser/artifacts/ (gitignored).
//
// Run: cd tests/browser && npm install && INTERVIEWD_BIN=../../build/interviewd node --test candidate.test.mjs

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { runClean, watchPage } from './watch.mjs';
import { pdfWithText } from '../integration/pdf.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const BIN = process.env.INTERVIEWD_BIN || '/work/main/build/interviewd';
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARTIFACTS = path.join(HERE, 'artifacts');

const SERVER_START_MS = 15_000;   // until "listening HOST:PORT"
const STEP_MS = 15_000;           // one UI step (a click and its answer)
const REPORT_MS = 200_000;        // the page itself gives up polling after 180 s
const MAX_QUESTIONS = 40;         // a loop bound, far above any interview's length

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const RESUME = `Jordan Rivera, backend engineer with 6 years of experience building web services.
Skills: Python, PostgreSQL, Redis, Docker, Linux, REST API design and observability.
At Acme Logistics I built a shipment tracking service in Python with FastAPI that handles
4,000 requests per second; I moved its hot paths from PostgreSQL to a Redis cache and cut
p95 latency from 180 ms to 35 ms. I designed the PostgreSQL schema, added partitioning for
the events table and wrote the migration tooling the team still uses.
Project: an open-source rate limiter for Python services backed by Redis, using sliding
windows and Lua scripts, adopted by three internal teams.
Before that, at Brightpay, I maintained payment reconciliation jobs, replaced a cron-based
batch with a queue of idempotent workers, and reduced failed reconciliations by 70 percent.
I mentor two junior engineers, run our on-call rotation reviews and write post-mortems that
focus on causes rather than blame. Education: BSc in Computer Science, 2017.`;

// Sentences for answers; each question gets a different mix of about 40 words.
const SENTENCES = [
  'I would start by clarifying the requirements and the expected load, then sketch the data model.',
  'In my last project I used PostgreSQL with careful indexes and measured every query with EXPLAIN ANALYZE.',
  'Redis worked well as a cache in front of the database, with short TTLs and explicit invalidation on writes.',
  'I keep services stateless so that they scale horizontally behind a load balancer.',
  'For reliability I add retries with exponential backoff and make every handler idempotent.',
  'We tracked p95 latency and error rates in dashboards and alerted on burn rate rather than raw spikes.',
  'When two teams disagreed, I wrote a short design document comparing the options and their costs.',
  'Testing matters to me: unit tests for logic, integration tests against real databases, and load tests before launch.',
  'One mistake I learned from was shipping a migration without a rollback plan; now I always rehearse it.',
  'I would partition large tables by time so that old data can be archived cheaply.',
  'Python made the prototype quick, and profiling showed where a compiled extension was worth it.',
  'I communicate progress early, especially when a deadline is at risk, and propose what to cut.'
];

function answerFor(i) {
  const out = [];
  let words = 0;
  for (let k = 0; words < 38; k++) {
    const s = SENTENCES[(i * 5 + k * 7) % SENTENCES.length];
    if (out.includes(s)) continue;
    out.push(s);
    words += s.split(/\s+/).length;
  }
  return out.join(' ');
}

/* ---------------------------------------------------------------- server */

let server = null;        // {proc, base, stderr}
let browser = null;
let tmpDir = null;
let pageErrors = []; // problems of the pages of the running test, checked after each test
// The one failed request the tests provoke in a page (watch.mjs fails a test on any other).
const EXPECTED_FAILURES = [
  { method: 'POST', path: /^\/api\/candidates$/, status: 422, why: 'the empty-resume test submits an empty resume' }
];
// The account tests provoke these on purpose.
const ACCOUNT_FAILURES = [
  { method: 'POST', path: /^\/api\/candidates$/, status: 409, why: 'registering an email that has a profile' },
  { method: 'PUT', path: /^\/api\/candidates\/me\/resume$/, status: 422, why: 'a PDF without text' },
  { method: 'GET', path: /^\/api\/candidates\/me$/, status: 401, why: 'the token after erasure' }
];

function startServer() {
  if (!fs.existsSync(BIN)) {
    throw new Error(`interviewd binary not found at ${BIN}: build it (make) or set INTERVIEWD_BIN`);
  }
  const tmpRoot = process.env.INTERVIEWD_TEST_TMP || os.tmpdir();
  fs.mkdirSync(tmpRoot, { recursive: true });
  tmpDir = fs.mkdtempSync(path.join(tmpRoot, 'browser-'));
  const config = path.join(tmpDir, 'interviewd.ini');
  // every sign-up comes from 127.0.0.1: no per-address limit in this test
  fs.writeFileSync(config, `[server]\nlog_level = info\n[store]\npath = ${path.join(tmpDir, 't.db')}\n` +
    `[limits]\nsignup_per_address_per_hour = 0\nsignup_per_subnet_per_hour = 0\n`);

  const proc = spawn(BIN, ['serve', '--config', config, '--listen', '127.0.0.1:0'], {
    cwd: tmpDir,
    env: { ...process.env, INTERVIEWD_SOURCE_DIR: process.env.INTERVIEWD_SOURCE_DIR || REPO },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const state = { proc, base: null, stderr: '' };
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { state.stderr = (state.stderr + d).slice(-20_000); });

  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      fail(new Error(`interviewd did not print "listening HOST:PORT" within ${SERVER_START_MS} ms`));
    }, SERVER_START_MS);
    function fail(err) {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      err.message += `\nstdout so far: ${JSON.stringify(out)}\nstderr:\n${state.stderr}`;
      reject(err);
    }
    proc.on('error', fail);
    proc.on('exit', (code, signal) => {
      if (!state.base) fail(new Error(`interviewd exited early (code ${code}, signal ${signal})`));
    });
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d) => {
      if (state.base) return;
      out += d;
      const m = out.match(/^listening (\S+):(\d+)\s*$/m);
      if (m) {
        clearTimeout(timer);
        state.base = `http://${m[1]}:${m[2]}`;
        proc.stdout.resume(); // keep draining so the server never blocks on a full pipe
        resolve(state);
      } else if (out.includes('\n')) {
        fail(new Error('the first stdout line of interviewd is not "listening HOST:PORT"'));
      }
    });
  });
}

async function stopServer() {
  if (!server || !server.proc || server.proc.exitCode !== null) return;
  const proc = server.proc;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function api(method, route, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(server.base + route, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_MS)
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* reported below */ }
  return { status: res.status, json, text };
}

/* ---------------------------------------------------------------- page helpers */

async function newPage(viewport = { width: 1280, height: 860 }, expected = EXPECTED_FAILURES) {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.setDefaultNavigationTimeout(STEP_MS);
  const problems = watchPage(page, expected);
  pageErrors.push(problems);
  return { context, page, problems };
}

async function shot(page, name, fullPage = true) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // A report with every answer, key point and outline is a tall page: on a loaded machine
  // a full-page capture takes longer than one step.
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage, timeout: 4 * STEP_MS });
}

async function openAndRegister(page, { name, email, kind, resume = RESUME }) {
  await page.goto(server.base + '/');
  await page.locator('select[name=role] option[value=backend_engineer]').waitFor({ state: 'attached' });
  await page.fill('input[name=name]', name);
  await page.fill('input[name=email]', email);
  await page.selectOption('select[name=role]', 'backend_engineer');
  await page.fill('textarea[name=resume_text]', resume);
  await page.selectOption('select[name=kind]', kind);
}

async function session(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('interviewd.session')));
}

/* Reads "Question k of n" from [data-progress]. */
async function progress(page) {
  const text = (await page.locator('[data-progress]').textContent()).trim();
  const m = text.match(/^Question (\d+) of (\d+)$/);
  assert.ok(m, `[data-progress] reads "${text}", expected "Question k of n"`);
  return { k: Number(m[1]), n: Number(m[2]), text };
}

/* Waits until the page moved past the question whose progress text was `prev`: a new
 * question, the "Preparing your report" view, the report, or an error message. */
async function waitForNextStep(page, prev) {
  await page.waitForFunction((prevText) => {
    const visible = (el) => !!el && !el.closest('[hidden]');
    const err = document.getElementById('answer-error');
    if (visible(err) && err.textContent && !err.classList.contains('warn')) return true;
    if (visible(document.querySelector('[data-report]'))) return true;
    if (visible(document.getElementById('pending-view'))) return true;
    const p = document.querySelector('[data-progress]');
    return visible(p) && p.textContent.trim() !== prevText;
  }, prev, { timeout: STEP_MS });
  const err = page.locator('#answer-error');
  if (await err.isVisible() && !(await err.getAttribute('class')).includes('warn')) {
    throw new Error(`the page shows an error after answering: ${await err.textContent()}`);
  }
}

function interviewDone(page) {
  return page.evaluate(() => {
    const visible = (el) => !!el && !el.closest('[hidden]');
    return visible(document.querySelector('[data-report]')) || visible(document.getElementById('pending-view'));
  });
}

/* Answers questions until the interview is done. `answer(i, k, n)` gives the text for
 * the i-th question shown; `onQuestion` runs before answering (screenshots, reloads). */
async function answerAll(page, answer, onQuestion) {
  let asked = 0;
  let total = null;
  for (let i = 0; i < MAX_QUESTIONS; i++) {
    if (await interviewDone(page)) return { asked, total };
    const { k, n, text } = await progress(page);
    assert.equal(k, i + 1, `progress should count questions in order (saw "${text}" as question ${i + 1})`);
    assert.ok(k <= n, `progress "${text}" runs past its total`);
    if (total === null) total = n;
    assert.equal(n, total, 'the total number of questions should not change during an interview');
    const question = (await page.locator('#iv-question').textContent()).trim();
    assert.ok(question.length > 0, `question ${k} has no text`);
    if (onQuestion) await onQuestion(page, i, k, n);
    const text_ = answer(i, k, n);
    await page.fill('textarea[name=answer]', text_);
    await page.click('[data-action=answer]');
    if (text_ === '') {
      // The page asks for confirmation before sending an empty answer.
      await page.locator('#answer-error.warn').waitFor({ state: 'visible' });
      await page.click('[data-action=answer]');
    }
    await waitForNextStep(page, text);
    asked++;
  }
  throw new Error(`the interview did not end after ${MAX_QUESTIONS} questions`);
}

async function waitForReport(page) {
  const metric = page.locator('[data-report] [data-metric=overall_score]');
  await metric.waitFor({ state: 'visible', timeout: REPORT_MS });
  const shown = (await metric.textContent()).trim();
  assert.match(shown, /^\d{1,3}$/, `[data-metric=overall_score] should be a bare number, got "${shown}"`);
  const value = Number(shown);
  assert.ok(value >= 0 && value <= 100, `overall score ${value} is outside 0..100`);
  return value;
}

/* Fetches the report as the page would, with the token the page keeps. */
async function reportViaPage(page) {
  return page.evaluate(async () => {
    const s = JSON.parse(localStorage.getItem('interviewd.session'));
    const res = await fetch(`/api/interviews/${encodeURIComponent(s.interview_id)}/report`, {
      headers: { Authorization: `Bearer ${s.token}` }
    });
    return { status: res.status, body: await res.json(), session: s };
  });
}

/* The report fields of docs/api-details.md. */
function checkReportShape(r, expectedAnswers) {
  assert.equal(r.status, 'ready');
  for (const key of ['interview_id', 'mode', 'offline', 'overall_score', 'scores', 'summary',
    'strengths', 'improvements', 'scorers', 'flags']) {
    assert.ok(key in r, `report lacks "${key}" (docs/api-details.md lists it)`);
  }
  assert.equal(typeof r.offline, 'boolean', 'report.offline should be a boolean');
  assert.ok(Number.isInteger(r.overall_score) && r.overall_score >= 0 && r.overall_score <= 100,
    `report.overall_score ${r.overall_score} should be an integer in 0..100`);
  assert.ok(Array.isArray(r.scores), 'report.scores should be an array');
  assert.equal(r.scores.length, expectedAnswers, 'one score per answered question');
  for (const s of r.scores) {
    for (const key of ['question_id', 'question', 'category', 'score', 'feedback', 'scorer', 'flags']) {
      assert.ok(key in s, `a report score lacks "${key}": ${JSON.stringify(s)}`);
    }
    assert.ok(Number.isInteger(s.score) && s.score >= 1 && s.score <= 5, `score ${s.score} should be 1..5`);
    assert.ok(['model', 'heuristic', 'precheck'].includes(s.scorer), `unknown scorer "${s.scorer}"`);
    assert.ok(Array.isArray(s.flags), 'score.flags should be an array');
  }
  assert.ok(Array.isArray(r.strengths) && Array.isArray(r.improvements), 'strengths and improvements are arrays');
  assert.equal(typeof r.summary, 'string');
  const mean = r.scores.reduce((a, s) => a + s.score, 0) / r.scores.length;
  assert.equal(r.overall_score, Math.round(100 * (mean - 1) / 4),
    'overall_score = round(100 * (mean(score) - 1) / 4) (docs/api-details.md)');
  const tally = { model: 0, heuristic: 0, precheck: 0 };
  for (const s of r.scores) tally[s.scorer]++;
  for (const k of Object.keys(tally)) {
    assert.equal(Number(r.scorers[k] ?? 0), tally[k], `report.scorers.${k} should count the scores with that scorer`);
  }
}

/* ---------------------------------------------------------------- tests */

describe('candidate page', { timeout: 280_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  // Every test's pages: no uncaught exception, console error or unexpected failed request.
  afterEach(() => {
    const problems = pageErrors.flat();
    pageErrors = [];
    assert.deepEqual(problems, [], 'the pages of this test raised errors');
  });

  test('serves the page and its assets', async () => {
    for (const route of ['/', '/static/app.js', '/static/style.css']) {
      const res = await fetch(server.base + route, { signal: AbortSignal.timeout(STEP_MS) });
      assert.equal(res.status, 200, `GET ${route}`);
      await res.arrayBuffer();
    }
    const roles = await api('GET', '/api/roles');
    assert.equal(roles.status, 200);
    assert.ok(roles.json.roles.some((r) => r.id === 'backend_engineer'), 'roles include backend_engineer');
  });

  test('a whole technical interview, from registration to a report that matches the API', { timeout: 260_000 }, async () => {
    const { context, page } = await newPage();
    try {
      await openAndRegister(page, { name: 'Jordan Rivera', email: `jordan.${Date.now()}@example.com`, kind: 'technical' });
      await shot(page, '01-register.png');
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });

      const s = await session(page);
      assert.ok(s && s.token && s.interview_id, 'the page keeps {candidate_id, token, interview_id} in localStorage');
      const state0 = await api('GET', `/api/interviews/${encodeURIComponent(s.interview_id)}`, { token: s.token });
      assert.equal(state0.status, 200, state0.text);
      assert.equal(state0.json.mode, 'offline', 'no [provider.*] section: the interview should run offline');
      assert.equal(state0.json.state, 'active');
      assert.equal(state0.json.answered, 0);
      assert.ok(state0.json.current_question && state0.json.current_question.id, 'an active interview has a current_question');
      await page.getByText('No AI model is configured', { exact: false }).first().waitFor({ state: 'visible' });
      await shot(page, '02-first-question.png');

      let reloaded = false;
      const { asked, total } = await answerAll(page, (i) => answerFor(i), async (p, i, k, n) => {
        if (k === 3 && !reloaded) {
          // A reload in the middle resumes at the same question (GET /api/interviews/{id}).
          reloaded = true;
          const before_ = (await p.locator('#iv-question').textContent()).trim();
          await p.fill('textarea[name=answer]', 'draft kept across the reload');
          await p.reload();
          await p.locator('[data-progress]').filter({ hasText: `Question ${k} of ${n}` }).waitFor({ state: 'visible' });
          assert.equal((await p.locator('#iv-question').textContent()).trim(), before_, 'same question after a reload');
          assert.equal(await p.inputValue('textarea[name=answer]'), 'draft kept across the reload', 'the draft survives a reload');
        }
        if (k === Math.ceil(n / 2)) {
          await p.fill('textarea[name=answer]', answerFor(i));
          await shot(p, '03-mid-interview.png');
        }
      });
      assert.equal(asked, total, `answered ${asked} questions, progress said ${total}`);

      const shown = await waitForReport(page);
      const { status, body } = await reportViaPage(page);
      assert.equal(status, 200);
      assert.equal(body.status, 'ready');
      assert.equal(shown, body.overall_score, 'the page shows the overall_score of the API');
      checkReportShape(body, total);
      assert.equal(body.offline, true, 'offline mode: report.offline is true');
      assert.equal(body.mode, 'offline');
      assert.ok(body.scores.every((x) => x.scorer !== 'model'), 'offline mode: no answer is scored by a model');

      const cards = page.locator('[data-report] .answer-card');
      assert.equal(await cards.count(), body.scores.length, 'one card per scored answer');
      for (let i = 0; i < body.scores.length; i++) {
        const card = cards.nth(i);
        assert.equal((await card.locator('[data-metric=score]').textContent()).trim(), String(body.scores[i].score));
        assert.equal(await card.getAttribute('data-scorer'), body.scores[i].scorer);
      }
      await shot(page, '04-report.png');
      // Issue 15: the time spent on each answer, measured by the server, is on its card.
      for (let i = 0; i < body.scores.length; i++) {
        assert.ok(Number.isInteger(body.scores[i].answer_seconds) && body.scores[i].answer_seconds >= 0, 'answer_seconds');
        assert.match(await cards.nth(i).locator('[data-field=answer_seconds]').textContent(), /^Time to answer: \d+ (s|min)/);
      }
      // plain words: no internal mode or enum names on the page
      const text = await page.locator('main').innerText();
      for (const jargon of ['Mode:', 'offline', 'heuristic', 'precheck', 'economy']) {
        assert.ok(!text.includes(jargon), `the report page shows the internal term "${jargon}"`);
      }

      // Issue 13: each card shows the candidate's own answer, the feedback, what a strong
      // answer covers (the question's key points) and an outline; feedback never repeats
      // the question, names no raw criterion and no internal question id.
      const internalId = /\b(tech|beh|intro|resume|wrap|gen)\.[a-z0-9_.]*\d{3}\b/i;
      for (let i = 0; i < body.scores.length; i++) {
        const sc = body.scores[i];
        const card = cards.nth(i);
        assert.equal(typeof sc.answer, 'string', 'each score carries the answer');
        assert.ok(sc.reference && Array.isArray(sc.reference.key_points) && sc.reference.key_points.length >= 3,
          `each score carries its reference key points: ${JSON.stringify(sc.reference)}`);
        assert.equal(typeof sc.reference.outline, 'string');
        assert.equal(await card.locator('[data-field=answer]').textContent(), sc.answer, 'the card shows the answer as given');
        assert.equal((await card.locator('.answer-question').textContent()).trim(), sc.question.trim());
        assert.equal(await card.locator('.key-points li').count(), sc.reference.key_points.length, 'the card lists every key point');
        if (sc.reference.outline) assert.equal((await card.locator('.outline').textContent()).trim(), sc.reference.outline.trim());
        assert.ok(!sc.feedback.includes(sc.question), `feedback repeats the question: ${sc.feedback}`);
        assert.ok(!/\b[a-z]+_[a-z]+_[a-z_]+\b/.test(sc.feedback), `feedback shows a raw criterion name: ${sc.feedback}`);
        assert.ok(!internalId.test(sc.feedback), `feedback names an internal id: ${sc.feedback}`);
      }
      assert.ok(!internalId.test(body.summary + body.improvements.join(' ') + body.strengths.join(' ')),
        'summary and lists name no internal id');
      // "To improve" starts with a lowest-scored answer, named by its position.
      const lowest = Math.min(...body.scores.map((x) => x.score));
      if (lowest <= 3) {
        const m = /^Question (\d+)\b/.exec(body.improvements[0] || '');
        assert.ok(m, `improvements[0] names a question: ${body.improvements[0]}`);
        assert.equal(body.scores[Number(m[1]) - 1].score, lowest, 'the first improvement is a lowest-scored answer');
      }

      // The report downloads as Markdown with the questions, answers and references.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=download-report]')]);
      const mdPath = path.join(ARTIFACTS, 'report.md');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await download.saveAs(mdPath);
      const md = fs.readFileSync(mdPath, 'utf8');
      assert.ok(md.startsWith('# '), 'the Markdown starts with a heading');
      assert.ok(md.includes(body.scores[0].question.trim()), 'the Markdown has the first question');
      assert.ok(md.includes('What a strong answer covers'), 'the Markdown has the key points');
      assert.ok(md.includes('> ' + body.scores[0].answer.split('\n')[0]), 'the Markdown quotes the answer');

      // It prints cleanly: the buttons and the other views are hidden on paper.
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('.report-tools').isVisible(), false, 'the report buttons do not print');
      await shot(page, '04b-report-print.png');
      await page.emulateMedia({ media: 'screen' });

      // History on the same page: this interview, finished, with its score.
      const me = await api('GET', '/api/candidates/me', { token: s.token });
      assert.equal(me.status, 200, me.text);
      const mine = me.json.interviews.find((x) => String(x.interview_id) === String(s.interview_id));
      assert.ok(mine, '/api/candidates/me lists the interview');
      assert.equal(mine.state, 'finished');
      assert.equal(mine.overall_score, body.overall_score, 'history score equals the report score');
      await page.locator(`#history-list [data-interview-id="${s.interview_id}"] [data-metric=history_score]`)
        .filter({ hasText: String(body.overall_score) }).waitFor({ state: 'visible' });

      // The same report on a phone-sized screen.
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, '05-report-phone.png');
    } finally {
      await context.close();
    }
  });

  test('an empty resume shows the server\'s error message next to the form', async () => {
    const expected = await api('POST', '/api/candidates', {
      body: { name: 'No Resume', email: 'no.resume@example.com', role: 'backend_engineer', resume_text: '' }
    });
    assert.ok(expected.status >= 400 && expected.status < 500, `an empty resume is refused (got ${expected.status})`);
    const message = expected.json && expected.json.error && expected.json.error.message;
    assert.ok(message, `the refusal carries error.message: ${expected.text}`);

    const { context, page } = await newPage({ width: 390, height: 844 });
    try {
      await openAndRegister(page, { name: 'No Resume', email: 'no.resume@example.com', kind: 'technical', resume: '' });
      await page.click('[data-action=start]');
      const box = page.locator('#setup-error');
      await box.waitFor({ state: 'visible' });
      assert.equal((await box.textContent()).trim(), message);
      assert.equal(await page.evaluate(() => localStorage.getItem('interviewd.session')), null, 'no session is kept');
      await shot(page, '06-empty-resume-error.png');
    } finally {
      await context.close();
    }
  });

  test('an empty answer is scored 1 by the precheck; a second interview joins the history trend', { timeout: 260_000 }, async () => {
    const { context, page } = await newPage();
    try {
      // Markup in a name must be shown as text, never parsed.
      const name = 'Grace <i>Hopper</i>';
      await openAndRegister(page, { name, email: `grace.${Date.now()}@example.com`, kind: 'behavioral' });
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });
      assert.equal((await page.locator('#who-name').textContent()).trim(), name);
      assert.equal(await page.locator('body i').count(), 0, 'server text is never parsed as HTML');

      await answerAll(page, (i) => (i === 0 ? '' : answerFor(i + 3)));
      await waitForReport(page);
      const first = await reportViaPage(page);
      assert.equal(first.body.scores[0].score, 1, 'an empty answer scores 1');
      assert.equal(first.body.scores[0].scorer, 'precheck', 'an empty answer is scored by the precheck');
      const card = page.locator('[data-report] .answer-card').first();
      assert.equal((await card.locator('[data-metric=score]').textContent()).trim(), '1');
      assert.equal(await card.getAttribute('data-scorer'), 'precheck');
      await card.locator('.badge.scorer', { hasText: 'Quick check' }).waitFor({ state: 'visible' });
      await shot(page, '07-precheck-report.png');

      // Start another interview: the history lists the first one, and after the second
      // the trend line has two points.
      await page.click('#report-view [data-action=new-interview]');
      await page.locator('#history-list .history-item').first().waitFor({ state: 'visible' });
      await page.selectOption('select[name=kind]', 'mixed');
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });
      await answerAll(page, (i) => answerFor(i + 7) + (i % 2 ? ' We measured a 30 percent gain.' : ''));
      const second = await waitForReport(page);
      await page.locator('#history-list .history-item').nth(1).waitFor({ state: 'visible' });
      assert.equal(await page.locator('#history-list .history-item').count(), 2);
      const points = await page.locator('#history-trend polyline.trend-line').getAttribute('points');
      assert.equal(points.trim().split(/\s+/).length, 2, 'the trend line joins two scores');
      const s = await session(page);
      const me = await api('GET', '/api/candidates/me', { token: s.token });
      const scores = me.json.interviews.map((x) => x.overall_score).sort((a, b) => a - b);
      assert.deepEqual(scores, [first.body.overall_score, second].sort((a, b) => a - b));
      await page.locator('#history-view').scrollIntoViewIfNeeded();
      await shot(page, '08-history-trend.png');
    } finally {
      await context.close();
    }
  });

  /* ---------------------------------------------------------- issue 15: the account */

  test('after registering, the access link is shown once with a copy button; opening it signs in elsewhere and leaves the address bar', async () => {
    const { context, page } = await newPage();
    const email = `link.${Date.now()}@example.com`;
    let link;
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
      await openAndRegister(page, { name: 'Lin Kay', email, kind: 'technical' });
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });
      const box = page.locator('#access-box');
      await box.waitFor({ state: 'visible' });
      link = await page.inputValue('#access-link');
      const s = await session(page);
      assert.equal(link, `${server.base}/#access=${encodeURIComponent(s.token)}`);
      assert.match(await box.innerText(), /any device/);
      await page.click('[data-action=copy-access]');
      await page.locator('#access-copied').filter({ hasText: /Copied|copy it/ }).waitFor();
      await shot(page, '09-access-link.png', false);
      await page.click('[data-action=dismiss-access]');
      await box.waitFor({ state: 'hidden' });
      await page.reload();
      await page.locator('[data-progress]').waitFor({ state: 'visible' });
      assert.equal(await box.isVisible(), false, 'the link is shown only once');
    } finally {
      await context.close();
    }
    // another browser: the link signs in, and is taken out of the address bar
    const other = await newPage();
    try {
      await other.page.goto(link);
      await other.page.locator('#who-name').filter({ hasText: 'Lin Kay' }).waitFor({ state: 'visible' });
      assert.equal(new URL(other.page.url()).hash, '', 'the token is removed from the address bar');
      await other.page.locator('#history-list .history-item').first().waitFor({ state: 'visible' });
      await other.page.locator('#profile-box').waitFor({ state: 'visible' });
    } finally {
      await other.context.close();
    }
    // registering that email again: 409, said on the page, with the sign-in box opened
    const again = await newPage(undefined, ACCOUNT_FAILURES);
    try {
      await openAndRegister(again.page, { name: 'Lin Again', email: email.toUpperCase(), kind: 'technical' });
      await again.page.click('[data-action=start]');
      await again.page.locator('#setup-error').filter({ hasText: 'already has a profile' }).waitFor({ state: 'visible' });
      assert.equal(await again.page.locator('#signin-box').getAttribute('open'), '', 'the sign-in box opens');
      await again.page.fill('#f-access', 'not a link');
      await again.page.click('[data-action=signin]');
      await again.page.locator('#signin-error').filter({ hasText: 'does not look like an access link' }).waitFor();
      await again.page.fill('#f-access', link);
      await again.page.click('[data-action=signin]');
      await again.page.locator('#who-name').filter({ hasText: 'Lin Kay' }).waitFor({ state: 'visible' });
      await shot(again.page, '10-signed-in-by-link.png');
    } finally {
      await again.context.close();
    }
  });

  test('registration and the profile take a PDF resume; a scanned PDF says to paste the text; the role changes; privacy says where data goes', async () => {
    const { context, page } = await newPage(undefined, ACCOUNT_FAILURES);
    try {
      await openAndRegister(page, { name: 'Pat Pdf', email: `pdf.${Date.now()}@example.com`, kind: 'technical', resume: '' });
      const lines = ['Pat Pdf, backend engineer', 'Go, PostgreSQL and Kafka at Acme Corp for five years'];
      await page.setInputFiles('#f-resume-pdf', { name: 'resume.pdf', mimeType: 'application/pdf', buffer: pdfWithText(lines) });
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });
      const s = await session(page);
      const me = await api('GET', '/api/candidates/me', { token: s.token });
      assert.equal(me.json.resume_words, lines.join(' ').split(/\s+/).length, 'the PDF\'s text is the resume');
      // privacy: this server has no provider, and says so
      assert.match(await page.locator('#privacy-text').innerText(), /stay on this server/);

      // back to the setup view: the profile
      page.once('dialog', (d) => d.accept());
      await page.click('[data-action=abandon]');
      await page.locator('#profile-box').waitFor({ state: 'visible' });
      await page.selectOption('#f-new-role', 'data_scientist');
      await page.click('[data-action=save-role]');
      await page.locator('#profile-notice').filter({ hasText: 'Your role is now' }).waitFor();
      assert.equal((await api('GET', '/api/candidates/me', { token: s.token })).json.role, 'data_scientist');

      await page.setInputFiles('#f-new-resume-pdf', { name: 'scan.pdf', mimeType: 'application/pdf', buffer: pdfWithText([]) });
      await page.click('[data-action=save-resume]');
      await page.locator('#profile-error').filter({ hasText: 'Paste your resume as text' }).waitFor({ state: 'visible' });
      await page.fill('#f-new-resume', 'Pat Pdf. Data scientist: Python, pandas, experiment design, SQL.');
      await page.setInputFiles('#f-new-resume-pdf', []);
      await page.click('[data-action=save-resume]');
      await page.locator('#profile-notice').filter({ hasText: 'Your resume is saved' }).waitFor();
      assert.equal((await api('GET', '/api/candidates/me', { token: s.token })).json.resume_words, 9);
      await shot(page, '11-profile.png');
    } finally {
      await context.close();
    }
  });

  test('the timer runs while answering; leaving an interview marks it in the history; deleting my data signs out for good', async () => {
    const { context, page } = await newPage(undefined, ACCOUNT_FAILURES);
    try {
      page.on('dialog', (d) => d.accept());
      await openAndRegister(page, { name: 'Tim Er', email: `timer.${Date.now()}@example.com`, kind: 'mixed' });
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });
      const timer = page.locator('[data-metric=answer_timer]');
      await page.waitForFunction(() => document.querySelector('[data-metric=answer_timer]').textContent !== '0:00', null, { timeout: 5000 });
      assert.match(await timer.textContent(), /^0:0[1-9]$/);
      await page.fill('textarea[name=answer]', answerFor(2));
      await page.click('[data-action=answer]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 2 of \d+$/ }).waitFor({ state: 'visible' });
      assert.equal(await timer.textContent(), '0:00', 'the timer restarts for each question');
      const s = await session(page);

      await page.click('[data-action=abandon]');
      await page.locator('#setup-notice').filter({ hasText: 'You left the interview' }).waitFor({ state: 'visible' });
      const item = page.locator(`#history-list [data-interview-id="${s.interview_id}"]`);
      await item.filter({ hasText: 'left before the end' }).waitFor({ state: 'visible' });
      assert.equal(await item.getAttribute('data-state'), 'abandoned');
      const iv = await api('GET', `/api/interviews/${s.interview_id}`, { token: s.token });
      assert.equal(iv.json.state, 'abandoned');
      await shot(page, '12-left-interview.png');

      await page.click('[data-action=delete-me]');
      await page.locator('#setup-notice').filter({ hasText: 'Your data was deleted' }).waitFor({ state: 'visible' });
      assert.equal(await page.evaluate(() => localStorage.getItem('interviewd.session')), null, 'the browser forgets the profile');
      assert.equal((await api('GET', '/api/candidates/me', { token: s.token })).status, 401, 'the token no longer works');
      await shot(page, '13-deleted.png');
    } finally {
      await context.close();
    }
  });

  test('a job description steers the interview: over the limit it is refused with the server\'s words; the skills it names show during the interview and in the report', { timeout: 260_000 }, async () => {
    const expected = [...ACCOUNT_FAILURES,
      { method: 'POST', path: /^\/api\/interviews$/, status: 413, why: 'a job description over the limit' }];
    const { context, page } = await newPage(undefined, expected);
    try {
      await openAndRegister(page, { name: 'Jo Bapplicant', email: `jd.${Date.now()}@example.com`, kind: 'technical' });
      // Over the limit: the counter says so, and the server's refusal is shown as written.
      await page.fill('textarea[name=job_description]', 'Kafka and PostgreSQL. '.repeat(500));
      assert.match(await page.locator('#jd-count').textContent(), /over the limit/);
      await page.click('[data-action=start]');
      const box = page.locator('#setup-error');
      await box.waitFor({ state: 'visible' });
      const s0 = await session(page);
      const refused = await api('POST', '/api/interviews', { token: s0.token, body: { kind: 'technical', job_description: 'x'.repeat(9000) } });
      assert.equal(refused.status, 413);
      assert.equal((await box.textContent()).trim(), refused.json.error.message);

      const job = 'Senior backend engineer. You will build event pipelines on Kafka, keep PostgreSQL fast, and run services on Kubernetes.';
      await page.fill('textarea[name=job_description]', job);
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });
      const note = page.locator('[data-job-skills]');
      await note.waitFor({ state: 'visible' });
      const noteText = await note.textContent();
      for (const skill of ['Kafka', 'PostgreSQL', 'Kubernetes']) assert.ok(noteText.includes(skill), `the interview names ${skill}: "${noteText}"`);
      await shot(page, '14-job-description.png');

      await answerAll(page, (i) => answerFor(i + 3));
      await waitForReport(page);
      const s = await session(page);
      const report = await api('GET', `/api/interviews/${s.interview_id}/report`, { token: s.token });
      const covered = report.json.job_skills_covered || [];
      const missed = report.json.job_skills_missed || [];
      assert.ok(covered.length + missed.length >= 3, `the report lists the job's skills: ${JSON.stringify({ covered, missed })}`);
      const card = page.locator('[data-report] .report-job');
      await card.waitFor({ state: 'visible' });
      const cardText = await card.textContent();
      for (const skill of [...covered, ...missed]) assert.ok(cardText.includes(skill), `the report page names ${skill}`);
      await card.scrollIntoViewIfNeeded();
      await shot(page, '15-report-job-skills.png', false);
    } finally {
      await context.close();
    }
  });

  test('the page raised no JavaScript or CSP errors and loaded every file', async () => {
    // On its own: a fresh page, nothing allowed to fail, from registration to the second
    // question.
    const { context, page, problems } = await newPage(undefined, []);
    await runClean(context, problems, async () => {
      await openAndRegister(page, { name: 'Clean Console', email: `clean.${Date.now()}@example.com`, kind: 'technical' });
      await page.click('[data-action=start]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 1 of \d+$/ }).waitFor({ state: 'visible' });
      await page.fill('textarea[name=answer]', answerFor(1));
      await page.click('[data-action=answer]');
      await page.locator('[data-progress]').filter({ hasText: /^Question 2 of \d+$/ }).waitFor({ state: 'visible' });
    });
  });
});
