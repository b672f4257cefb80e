// Issue 14 item 4: what an anonymous client can do without bound. Sign-ups and resume
// changes are limited per client address (429 rate_limited with Retry-After and the JSON
// error shape), an operator can require an invite code (403 with a stable code), and a
// flood of 1,000 sign-ups from one address in a minute makes no provider call at all:
// resume analysis waits for the candidate's first interview.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, DEFAULT_RESUME, logged, mockProvider, pickRole, registerCandidate, sleep, startMock, startServer } from './lib.mjs';

const T = { timeout: 120000 };
const MOCK_KEY = 'sk-test-signup-0001';

function signupBody(n, role, extra = {}) {
  return { name: `Flood ${n}`, email: `flood${n}@example.com`, role, resume_text: `${DEFAULT_RESUME} Variant ${n}.`, ...extra };
}

test('sign-ups beyond the per-address allowance get 429 rate_limited with Retry-After', T,
  logged(async () => {
    const srv = await startServer({ config: { limits: { signup_per_address_per_hour: 3, signup_per_subnet_per_hour: 0 } } });
    const role = await pickRole(srv.url);
    for (let i = 0; i < 3; i++) {
      const r = await api(srv.url, 'POST', '/api/candidates', signupBody(i, role));
      assert.equal(r.status, 201, r.text);
    }
    const r = await api(srv.url, 'POST', '/api/candidates', signupBody(9, role));
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.error.code, 'rate_limited');
    assert.match(r.json.error.message, /retry in \d+ seconds/);
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 1200, `Retry-After ${r.headers.get('retry-after')}`);
  }));

test('resume changes beyond the per-address allowance get 429 rate_limited', T,
  logged(async () => {
    const srv = await startServer({ config: { limits: { resume_update_per_address_per_hour: 2, resume_update_per_subnet_per_hour: 0 } } });
    const c = await registerCandidate(srv.url);
    for (let i = 0; i < 2; i++) {
      const r = await api(srv.url, 'PUT', '/api/candidates/me/resume', { resume_text: `${DEFAULT_RESUME} Edit ${i}.` }, c.token);
      assert.equal(r.status, 200, r.text);
    }
    const r = await api(srv.url, 'PUT', '/api/candidates/me/resume', { resume_text: 'Another one.' }, c.token);
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.error.code, 'rate_limited');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  }));

test('with invite codes configured, sign-up needs one: missing and wrong codes get 403', T,
  logged(async () => {
    const srv = await startServer({
      config: { server: { invite_codes_env: 'TEST_INVITES' } },
      env: { TEST_INVITES: ' alpha-123 , beta-456 ' },
    });
    const role = await pickRole(srv.url);
    let r = await api(srv.url, 'POST', '/api/candidates', signupBody(1, role));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'invite_required');
    r = await api(srv.url, 'POST', '/api/candidates', signupBody(2, role, { invite_code: 'alpha-124' }));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'invalid_invite_code');
    assert.ok(!srv.logs().includes('alpha-123'), 'invite codes never reach the log');
    r = await api(srv.url, 'POST', '/api/candidates', signupBody(3, role, { invite_code: 'beta-456' }));
    assert.equal(r.status, 201, r.text);
  }));

test('a flood of 1,000 sign-ups from one address in a minute admits only the allowance', T,
  logged(async () => {
    const mock = await startMock();
    const srv = await startServer({
      config: { ...mockProvider(mock), limits: { signup_per_address_per_hour: 5, signup_per_subnet_per_hour: 20 } },
      env: { MOCK_KEY },
    });
    const role = await pickRole(srv.url);
    const counts = {};
    const t0 = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => api(srv.url, 'POST', '/api/candidates', signupBody(batch * 100 + i, role))));
      for (const r of rs) counts[r.status] = (counts[r.status] || 0) + 1;
    }
    const elapsed = Date.now() - t0;
    await sleep(500);
    const st = await mock.stats();
    const calls = st.requests ?? st.total ?? 0;
    console.log(`signup flood: 1000 sign-ups in ${elapsed} ms: ${JSON.stringify(counts)}; provider calls ${calls}`);
    assert.ok(elapsed < 60000, `the flood took ${elapsed} ms`);
    assert.equal(counts[201], 5, JSON.stringify(counts));
    assert.equal(counts[429], 995, JSON.stringify(counts));
    assert.ok(calls <= counts[201], `provider calls ${calls} for ${counts[201]} admitted sign-ups`);
  }));
