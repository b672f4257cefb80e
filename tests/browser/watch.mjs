// What a page did wrong, for the browser tests: uncaught exceptions, console errors (CSP
// violations are console errors), requests that failed (blocked, refused, reset) and
// every response with status >= 400, except the failures a test names as expected.
//
// Chromium's console line "Failed to load resource: the server responded with a status
// of N" carries no URL worth trusting, so it is not judged by its text: the response
// behind it is, by method, path and status. A missing app.js, admin.js or uPlot file is a
// 404 for that path, and nothing allows it.

import assert from 'node:assert/strict';

// expected: [{method, path: RegExp (matched against the URL's pathname), status, why}].
// Returns the array the problems are pushed to, one sentence each.
export function watchPage(page, expected = []) {
  const problems = [];
  const allowed = (method, url, status) =>
    expected.some((e) => e.method === method && e.status === status && e.path.test(new URL(url).pathname));
  page.on('pageerror', (err) => problems.push(`uncaught ${err.name}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return;
    problems.push(`console error: ${msg.text()}`);
  });
  page.on('response', (res) => {
    const method = res.request().method();
    if (res.status() >= 400 && !allowed(method, res.url(), res.status()))
      problems.push(`HTTP ${res.status()} for ${method} ${res.url()}`);
  });
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText ?? 'failed';
    // An API call (fetch) aborted because the page navigated or closed (a poll cut
    // short by a reload) is no fault; a page file (script, style sheet, image, font)
    // Chromium refused or could not load is one, ERR_ABORTED included.
    if (why === 'net::ERR_ABORTED' && ['fetch', 'xhr'].includes(req.resourceType())) return;
    problems.push(`request ${req.method()} ${req.url()} (${req.resourceType()}) failed: ${why}`);
  });
  return problems;
}

// Runs steps() on a watched page, closes its browser context, then fails with the page's
// problems first (a missing file explains a step that then timed out), else with the
// error of the steps.
export async function runClean(context, problems, steps) {
  let failed = null;
  try {
    await steps();
  } catch (err) {
    failed = err;
  } finally {
    await context.close();
  }
  assert.deepEqual(problems, [], `the page raised errors${failed ? ` (and then: ${failed.message.split('\n')[0]})` : ''}`);
  if (failed) throw failed;
}
