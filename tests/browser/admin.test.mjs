// Browser tests of the admin dashboard (web/admin.html), against a real `interviewd
// serve` with one mockllm deployment, after one interview run through the API so every
// number on the page is non-zero.
//
// What is checked: a missing or wrong token is refused (the page says so, the API
// answers 401, nothing is stored); after sign-in every top-level numeric field of
// /api/optimization_stats has a tile whose data-metric text is exactly the API's number;
// the charts (uPlot, installed into web/node_modules by the build) draw on canvases;
// the providers view matches /api/providers; the page refreshes by itself; the token
// lives in sessionStorage only. Screenshots (laptop and phone) go to
// tests/browser/artifacts/ (gitignored). Chromium is Debian's, driven by playwright-core.
//
// Run: cd tests/browser && npm install && node --test admin.test.mjs
//      (INTERVIEWD_BIN, MOCKLLM_BIN and INTERVIEWD_SOURCE_DIR as CTest sets them)

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  api, goodAnswer, killAll, mockProvider, registerCandidate, runInterview, startMock, startServer, waitForReport
} from '../integration/lib.mjs';
import { runClean, watchPage } from './watch.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARTIFACTS = path.join(HERE, 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ADMIN_TOKEN = 'admin-browser-TOKEN-5f2c9e1d7a';
const READER_TOKEN = 'admin-browser-READER-8c4d2b6f1e';
const MOCK_KEY = 'sk-mock-browser-0123456789';
const MOCK_LATENCY_MS = 40;     // so latency percentiles are visibly non-zero
const RPD = 2000;               // daily limits of the mock deployment
const TPD = 1_000_000;
const STEP_MS = 15_000;         // one UI step
const REFRESH_WAIT_MS = 20_000; // the page refreshes every 5 s; allow a few rounds
const TOKEN_KEY = 'interviewd.adminToken';

let mock = null;
let srv = null;
let browser = null;
let candidate = null;
// The one failed request the tests provoke in a page (watch.mjs fails a test on any other).
const EXPECTED_FAILURES = [
  { method: 'GET', path: /^\/api\/optimization_stats$/, status: 401, why: 'the sign-in test submits a wrong token' }
];
let pageErrors = []; // problems of the pages of the running test, checked after each test

async function newPage(viewport = { width: 1366, height: 900 }, expected = EXPECTED_FAILURES) {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const problems = watchPage(page, expected);
  pageErrors.push(problems);
  return { context, page, problems };
}

async function shot(page, name, fullPage = true) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage, timeout: STEP_MS });
}

async function signIn(page, token = ADMIN_TOKEN) {
  await page.goto(`${srv.url}/admin`);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  await page.fill('#f-token', token);
  await page.click('[data-action=signin]');
}

/* Waits until the dashboard has finished at least `n` refreshes. */
async function refreshed(page, n = 1) {
  await page.waitForFunction((k) => Number(document.getElementById('dashboard-view').dataset.refreshes || 0) >= k, n,
    { timeout: REFRESH_WAIT_MS });
}

/* A GET with the path sent exactly as written (fetch would normalise "..").*/
function rawGet(p) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: srv.port, path: p }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(STEP_MS, () => req.destroy(new Error(`GET ${p} timed out`)));
  });
}

describe('admin dashboard', { timeout: 280_000 }, () => {
  before(async () => {
    mock = await startMock(['--latency-ms', String(MOCK_LATENCY_MS)]);
    srv = await startServer({
      config: {
        ...mockProvider(mock, { rpd: RPD, tpd: TPD }),
        // A second deployment whose key is not set: the providers view says it is disabled, and why.
        'provider.spare': { base_url: `${mock.url}/v1`, api_key_env: 'SPARE_KEY_NOT_SET', model: 'mock-small', headers: 'openai' },
        budget: { mode: 'full' }
      },
      env: { MOCK_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN, INTERVIEWD_ADMIN_READONLY_TOKEN: READER_TOKEN }
    });
    candidate = await registerCandidate(srv.url);
    const id = await runInterview(srv.url, candidate.token, 'technical', goodAnswer);
    await waitForReport(srv.url, id, candidate.token, 60_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await killAll();
  });

  // Every test's pages: no uncaught exception, console error or unexpected failed request.
  afterEach(() => {
    const problems = pageErrors.flat();
    pageErrors = [];
    assert.deepEqual(problems, [], 'the pages of this test raised errors');
  });

  test('serves /admin, its assets and uPlot from the build\'s npm install; nothing else', async () => {
    const page = await api(srv.url, 'GET', '/admin');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.match(page.text, /data-action="signin"/);
    for (const [route, type, marker] of [
      ['/static/admin.js', /^text\/javascript/, 'data-metric'],
      ['/static/admin.css', /^text\/css/, '.tile'],
      ['/static/vendor/uplot.iife.min.js', /^text\/javascript/, 'uPlot'],
      ['/static/vendor/uplot.min.css', /^text\/css/, '.uplot']
    ]) {
      const r = await api(srv.url, 'GET', route);
      assert.equal(r.status, 200, `GET ${route}`);
      assert.match(r.headers.get('content-type'), type, `content type of ${route}`);
      assert.ok(r.text.includes(marker), `${route} looks like what it should be`);
    }
    // Only the two vendor files; node_modules itself, dot files and anything outside
    // web_dir are not served, however the path is spelled.
    for (const p of ['/static/vendor/uPlot.iife.min.js', '/static/vendor/package.json',
      '/static/node_modules/uplot/package.json', '/static/package-lock.json/../admin.js',
      '/static/../CMakeLists.txt', '/static/%2e%2e/CMakeLists.txt', '/static/..%2fCMakeLists.txt',
      '/static/vendor/..%2f..%2fCMakeLists.txt', '/static/%2e%2e%2f%2e%2e%2fetc/passwd', '/static//etc/passwd',
      '/static/.gitignore', '/static/a/.hidden', '/static/%00admin.js']) {
      const r = await rawGet(p);
      // 404, or 400 invalid_path where the path hides an encoded slash or NUL (issue 14)
      assert.ok(r.status === 404 || (r.status === 400 && /invalid_path/.test(r.body)),
        `GET ${p} must be 404 (or 400 invalid_path), got ${r.status}: ${r.body.slice(0, 200)}`);
      assert.ok(!r.body.includes('cmake_minimum_required') && !r.body.includes('root:'), `GET ${p} leaked a file`);
    }
  });

  test('a missing or wrong token is refused: the page says so, the API answers 401, nothing is kept', async () => {
    for (const route of ['/api/optimization_stats', '/api/providers', '/api/stats/history', '/metrics']) {
      assert.equal((await api(srv.url, 'GET', route)).status, 401, `GET ${route} without a token`);
      assert.equal((await api(srv.url, 'GET', route, undefined, 'wrong-token')).status, 401, `GET ${route} with a wrong token`);
    }
    const { context, page } = await newPage();
    try {
      await page.goto(`${srv.url}/admin`);
      await page.locator('#signin-view').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#dashboard-view').isVisible(), false, 'no dashboard before sign-in');

      await page.click('[data-action=signin]');
      const box = page.locator('#signin-error');
      await box.waitFor({ state: 'visible' });
      assert.equal((await box.textContent()).trim(), 'Enter the admin token.');

      const refused = await api(srv.url, 'GET', '/api/optimization_stats', undefined, 'not-the-admin-token');
      assert.equal(refused.status, 401);
      await page.fill('#f-token', 'not-the-admin-token');
      await page.click('[data-action=signin]');
      await page.locator('#signin-error', { hasText: 'Sign-in refused' }).waitFor({ state: 'visible' });
      assert.equal((await box.textContent()).trim(), `Sign-in refused: ${refused.json.error.message}`,
        'the page shows the server\'s reason');
      assert.equal(await page.locator('#dashboard-view').isVisible(), false);
      assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), null, 'a refused token is not kept');
      assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
      await shot(page, 'admin-01-signin-refused.png');
    } finally {
      await context.close();
    }
  });

  test('after one interview, every tile is /api/optimization_stats rounded for people (exact in data-exact) and the charts draw', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page);
      await page.locator('#dashboard-view').waitFor({ state: 'visible' });
      await refreshed(page, 1);

      const stats = await api(srv.url, 'GET', '/api/optimization_stats', undefined, ADMIN_TOKEN);
      assert.equal(stats.status, 200);
      assert.ok(stats.json.total_requests > 0 && stats.json.api_calls > 0, `numbers are non-zero: ${stats.text}`);
      const numeric = Object.entries(stats.json).filter(([, v]) => typeof v === 'number');
      assert.ok(numeric.length >= 11, 'the brief\'s eleven fields at least');
      assert.equal(await page.locator('#tiles [data-metric]').count(), numeric.length, 'one tile per numeric field');
      for (const [key, value] of numeric) {
        const node = page.locator(`#tiles [data-metric="${key}"]`);
        assert.equal(await node.count(), 1, `a tile for ${key}`);
        assert.equal(Number(await node.getAttribute('data-exact')), value, `tile ${key}: data-exact is the API's number`);
        const text = (await node.textContent()).trim();
        if (/_rate$/.test(key)) {
          assert.match(text, /^\d{1,3}\.\d%$/, `rate ${key} reads as a percentage with one decimal: ${text}`);
          assert.equal(text, `${(value * 100).toFixed(1)}%`);
        } else if (/cost|usd|price/.test(key)) {
          assert.match(text, /^(< )?\$\d+\.\d\d$/, `money ${key}: ${text}`);
        } else if (Number.isInteger(value)) {
          assert.equal(Number(text.replace(/[^\d-]/g, '')), value, `tile ${key} shows ${text}, the API says ${value}`);
        }
        assert.ok(text.length <= 12, `tile ${key} is short enough for people: ${text}`);
        assert.ok(await node.isVisible(), `tile ${key} is visible`);
      }
      // a disabled deployment (SPARE_KEY_NOT_SET) is trouble shown first
      const banner = page.locator('#banner');
      await banner.waitFor({ state: 'visible' });
      assert.match(await banner.textContent(), /spare is disabled: environment variable SPARE_KEY_NOT_SET is not set/);

      // Charts: each draws on a canvas and names its series in the legend.
      for (const id of ['chart-savings', 'chart-latency', 'chart-interviews', 'chart-modes']) {
        await page.locator(`#${id} canvas`).first().waitFor({ state: 'attached' });
        const box = await page.locator(`#${id} canvas`).first().boundingBox();
        assert.ok(box && box.width > 200 && box.height > 100, `#${id} has a real canvas (${JSON.stringify(box)})`);
      }
      const legend = await page.locator('#chart-latency .u-legend').textContent();
      assert.ok(legend.includes('mock p50') && legend.includes('mock p95'), `latency legend: ${legend}`);
      const card = page.locator('[data-provider="mock"]');
      await card.locator('canvas').first().waitFor({ state: 'attached' });
      assert.match(await card.locator('.u-legend').textContent(), /requests.*requests forecast.*tokens.*tokens forecast.*daily limit/s);

      // The providers view equals /api/providers.
      const prov = await api(srv.url, 'GET', '/api/providers', undefined, ADMIN_TOKEN);
      const mp = prov.json.providers.find((p) => p.name === 'mock');
      assert.equal((await card.locator('[data-field=state]').textContent()).trim(), mp.state);
      assert.equal(mp.state, 'ok');
      assert.equal(await card.locator('[data-field=requests_left]').getAttribute('data-remaining'), String(mp.remaining.requests));
      assert.equal(await card.locator('[data-field=tokens_left]').getAttribute('data-remaining'), String(mp.remaining.tokens));
      assert.equal(await card.locator('[data-field=resets_at]').getAttribute('data-resets-at'), mp.resets_at);
      assert.match(await card.locator('[data-field=requests_left]').textContent(), new RegExp(`of ${RPD.toLocaleString('en-US').replace(',', '.?')}`));
      assert.match(await card.locator('[data-field=forecast]').textContent(), /by the reset/);
      const sp = prov.json.providers.find((p) => p.name === 'spare');
      assert.equal(sp.state, 'disabled');
      assert.ok(sp.reason, 'a disabled deployment says why');
      const spare = page.locator('[data-provider="spare"]');
      assert.equal((await spare.locator('[data-field=state]').textContent()).trim(), 'disabled');
      assert.equal((await spare.locator('[data-field=reason]').textContent()).trim(), sp.reason);
      assert.ok(await spare.locator('[data-field=reason]').isVisible());
      assert.equal(await card.locator('[data-field=reason]').isVisible(), false, 'no reason shown for a deployment that is ok');

      // Interviews since the process started: one, finished; the history agrees.
      const hist = await api(srv.url, 'GET', '/api/stats/history', undefined, ADMIN_TOKEN);
      assert.equal(hist.status, 200);
      assert.equal((await page.locator('[data-metric=interviews_finished]').textContent()).trim(), '1');
      assert.equal((await page.locator('[data-metric=interviews_started]').textContent()).trim(), '1');
      assert.equal((await page.locator('[data-metric=interviews_in_progress]').textContent()).trim(), '0');
      assert.equal((await page.locator('[data-metric=mode_full_in_progress]').textContent()).trim(), '0');
      assert.equal(await page.locator('#mode-now').getAttribute('data-mode'), hist.json.mode_now);
      // The by-task table shows the same counts as the API.
      const evalTotal = stats.json.by_task.evaluate.total;
      assert.equal((await page.locator('#task-table tr[data-task=evaluate] td[data-col=total]').textContent()).trim(), String(evalTotal));

      await shot(page, 'admin-02-dashboard.png');

      // A phone: one column, nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the page is ${overflow}px wider than a 390px phone`);
      await shot(page, 'admin-03-dashboard-phone.png');
    } finally {
      await context.close();
    }
  });

  test('the dashboard refreshes by itself: a new interview shows up without a reload', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page);
      await refreshed(page, 1);
      assert.equal((await page.locator('[data-metric=interviews_in_progress]').textContent()).trim(), '0');
      const before_ = Number(await page.locator('#dashboard-view').getAttribute('data-refreshes'));
      const r = await api(srv.url, 'POST', '/api/interviews', { kind: 'behavioral' }, candidate.token);
      assert.equal(r.status, 201, r.text);
      await page.locator('[data-metric=interviews_in_progress]').filter({ hasText: /^1$/ }).waitFor({ timeout: REFRESH_WAIT_MS });
      await page.locator(`[data-metric=mode_${r.json.mode}_in_progress]`).filter({ hasText: /^1$/ }).waitFor({ timeout: REFRESH_WAIT_MS });
      const after_ = Number(await page.locator('#dashboard-view').getAttribute('data-refreshes'));
      assert.ok(after_ > before_, 'a refresh happened');
      // Once the numbers settle, the tiles follow the API again.
      await refreshed(page, after_ + 1);
      const stats = await api(srv.url, 'GET', '/api/optimization_stats', undefined, ADMIN_TOKEN);
      await page.locator('#tiles [data-metric=total_requests]').filter({ hasText: new RegExp(`^${stats.json.total_requests}$`) })
        .waitFor({ timeout: REFRESH_WAIT_MS });
      await shot(page, 'admin-04-refreshed.png', false);
    } finally {
      await context.close();
    }
  });

  test('the token lives in this tab\'s sessionStorage only, and sign-out forgets it', async () => {
    const { context, page } = await newPage({ width: 390, height: 844 });
    try {
      await signIn(page);
      await refreshed(page, 1);
      assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), ADMIN_TOKEN);
      assert.equal(await page.evaluate(() => localStorage.length), 0, 'never in localStorage');
      assert.equal((await context.cookies()).length, 0, 'never in a cookie');
      // A reload of the same tab stays signed in.
      await page.reload();
      await page.locator('#dashboard-view').waitFor({ state: 'visible' });
      // Another tab of the same browser profile does not have it.
      const other = await context.newPage();
      await other.goto(`${srv.url}/admin`);
      await other.locator('#signin-view').waitFor({ state: 'visible' });
      await other.close();
      await page.click('[data-action=signout]');
      await page.locator('#signin-view').waitFor({ state: 'visible' });
      assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), null);
    } finally {
      await context.close();
    }
  });

  test('interviews view: filter, page, open a transcript and its report, export CSV', async () => {
    const { context, page } = await newPage();
    try {
      const second = await registerCandidate(srv.url, { name: 'Zed Filterable', email: 'zed@example.org' });
      const r = await api(srv.url, 'POST', '/api/interviews', { kind: 'behavioral' }, second.token);
      assert.equal(r.status, 201, r.text);
      await signIn(page);
      await refreshed(page, 1);
      await page.click('.tabs a[data-tab=interviews]');
      const view = page.locator('#view-interviews');
      await view.waitFor({ state: 'visible' });
      await page.waitForFunction(() => Number(document.getElementById('view-interviews').dataset.loaded || 0) >= 1);
      const list = await api(srv.url, 'GET', '/api/admin/interviews', undefined, ADMIN_TOKEN);
      const rows = page.locator('#iv-table tbody tr[data-interview]');
      assert.equal(await rows.count(), Math.min(25, list.json.total));
      assert.equal(await rows.first().getAttribute('data-interview'), list.json.interviews[0].id, 'newest first, as the API');
      await shot(page, 'admin-05-interviews.png');

      await page.fill('#q-candidate', 'zed@');
      await page.click('[data-action=filter]');
      await page.waitForFunction(() => document.querySelectorAll('#iv-table tbody tr[data-interview]').length === 1);
      assert.equal(await rows.first().getAttribute('data-state'), 'active');
      await page.fill('#q-candidate', '');
      await page.selectOption('#q-state', 'finished');
      await page.click('[data-action=filter]');
      await page.waitForFunction(() => [...document.querySelectorAll('#iv-table tbody tr[data-interview]')].every((tr) => tr.dataset.state === 'finished'));

      // the CSV the button downloads is the API's export
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=export]')]);
      const file = path.join(ARTIFACTS, 'admin-interviews.csv');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await download.saveAs(file);
      const csv = fs.readFileSync(file, 'utf8');
      const apiCsv = await api(srv.url, 'GET', '/api/admin/export?state=finished', undefined, ADMIN_TOKEN);
      assert.equal(csv, apiCsv.text);
      assert.match(csv, /^interview_id,started_utc,/);

      // open the finished interview: its transcript and report
      const id = await rows.first().getAttribute('data-interview');
      await rows.first().locator('[data-action=open]').click();
      await page.locator('#view-interview').waitFor({ state: 'visible' });
      await page.waitForFunction((x) => document.getElementById('view-interview').dataset.loaded === x, id);
      const rep = await api(srv.url, 'GET', `/api/interviews/${id}/report`, undefined, ADMIN_TOKEN);
      assert.equal(await page.locator('#ivd-overall').getAttribute('data-exact'), String(rep.json.overall_score));
      assert.equal(await page.locator('#ivd-transcript li').count(), rep.json.scores.length);
      assert.equal(await page.locator('#ivd-transcript li .score').count(), rep.json.scores.length, 'every answer shows its score');
      await shot(page, 'admin-06-interview.png');
    } finally {
      await context.close();
    }
  });

  test('scores and question bank views; the read-only token sees them and cannot retire; the full one retires', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, READER_TOKEN);
      await refreshed(page, 1);
      assert.equal((await page.locator('#role-badge').textContent()).trim(), 'read-only');
      await page.click('.tabs a[data-tab=scores]');
      await page.waitForFunction(() => Number(document.getElementById('view-scores').dataset.loaded || 0) >= 1);
      const sc = await api(srv.url, 'GET', '/api/admin/scores', undefined, READER_TOKEN);
      assert.equal(await page.locator('#sc-table tbody tr').count(), sc.json.groups.length);
      const g = sc.json.groups[0];
      const row = page.locator(`#sc-table tr[data-role="${g.role}"][data-kind="${g.kind}"]`);
      assert.equal((await row.locator('[data-col=interviews]').textContent()).trim(), String(g.interviews));
      assert.equal(await row.locator('.bar').count(), 10);
      await shot(page, 'admin-07-scores.png');

      await page.click('.tabs a[data-tab=questions]');
      await page.waitForFunction(() => Number(document.getElementById('view-questions').dataset.loaded || 0) >= 1);
      assert.equal(await page.locator('#qb-table [data-action=retire]').count(), 0, 'no retire button for the read-only token');
      const q = await api(srv.url, 'GET', '/api/admin/questions', undefined, READER_TOKEN);
      const most = q.json.questions.slice().sort((a, b) => b.asked - a.asked || a.id.localeCompare(b.id))[0];
      assert.equal(await page.locator('#qb-table tbody tr').first().getAttribute('data-question'), most.id, 'most asked first');
      assert.ok(await page.locator('#qb-table tbody tr').count() <= 100, 'at most 100 rows drawn');
      await page.fill('#qb-search', most.id);
      await page.waitForFunction((id) => document.querySelector('#qb-table tbody tr')?.dataset.question === id, most.id);
      assert.equal((await page.locator('#qb-table tbody tr').first().locator('[data-col=asked]').textContent()).trim(), String(most.asked));
      await shot(page, 'admin-08-questions-readonly.png', false);
    } finally {
      await context.close();
    }
    const full = await newPage();
    try {
      await signIn(full.page);
      await refreshed(full.page, 1);
      await full.page.click('.tabs a[data-tab=questions]');
      await full.page.waitForFunction(() => Number(document.getElementById('view-questions').dataset.loaded || 0) >= 1);
      await full.page.locator('#qb-table [data-action=retire]').first().waitFor();
      await full.page.fill('#qb-search', 'wrap');
      const rowq = full.page.locator('#qb-table tbody tr[data-retired="0"]').first();
      const id = await rowq.getAttribute('data-question');
      await rowq.locator('[data-action=retire]').click();
      await rowq.locator('[data-action=retire]', { hasText: 'Confirm retire' }).click();
      await full.page.locator(`#qb-table tr[data-question="${id}"][data-retired="1"]`).waitFor();
      const q = await api(srv.url, 'GET', '/api/admin/questions', undefined, ADMIN_TOKEN);
      assert.equal(q.json.questions.find((x) => x.id === id).retired, true, 'retired in the store');
      await shot(full.page, 'admin-09-questions-retired.png', false);
    } finally {
      await full.context.close();
    }
  });

  test('the dashboard raised no JavaScript or CSP errors and loaded every file', async () => {
    // On its own: a fresh page, nothing allowed to fail, signed in until the charts drew.
    const { context, page, problems } = await newPage(undefined, []);
    await runClean(context, problems, async () => {
      await signIn(page);
      await refreshed(page, 2);
      await page.locator('#chart-savings canvas').first().waitFor({ state: 'attached' });
      assert.equal(await page.evaluate(() => typeof window.uPlot), 'function', 'uPlot loaded');
      for (const [tab, view] of [['interviews', 'view-interviews'], ['scores', 'view-scores'], ['questions', 'view-questions']]) {
        await page.click(`.tabs a[data-tab=${tab}]`);
        await page.waitForFunction((v) => Number(document.getElementById(v).dataset.loaded || 0) >= 1, view);
      }
    });
  });
});
