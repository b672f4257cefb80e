// Issue 14, the HTTP layer under abuse (items 1, 2, 3, 8, 9, 10): a real interviewd
// over real loopback sockets, one behaviour per test, every loop bounded. The figures
// (RSS under a body flood, recovery time after descriptor exhaustion, slowloris close
// time) are printed by bench/abuse.sh; here they are bounded.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, test } from 'node:test';

import { api, logged, makeTmpDir, mockProvider, runCli, sleep, startMock, startServer } from './lib.mjs';
import { openSocket, procStat, rawRequest, startServerUlimit, waitHealthy } from './rawhttp.mjs';

const HALF = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '; // a request that never ends

// Every refusal is the project's JSON error shape, never libevent's HTML page.
function assertJsonError(r, status, code) {
  assert.equal(r.status, status, r.raw.slice(0, 400));
  assert.match(r.headers['content-type'] || '', /^application\/json/);
  assert.ok(r.json?.error, `not a JSON error: ${r.body.slice(0, 200)}`);
  if (code) assert.equal(r.json.error.code, code);
  assert.equal(typeof r.json.error.message, 'string');
  assert.equal(typeof r.json.error.type, 'string');
  assert.doesNotMatch(r.body, /<html/i);
}

function request(agent, port, method, p) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, agent }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks).toString(), reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('item 1: HEAD', () => {
  test(
    'HEAD has GET\'s Content-Length and no body, and the keep-alive connection goes on',
    logged(async () => {
      const srv = await startServer();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const get = await request(agent, srv.port, 'GET', '/api/roles');
        assert.equal(get.res.statusCode, 200);
        const head = await request(agent, srv.port, 'HEAD', '/api/roles');
        assert.equal(head.res.statusCode, 200);
        assert.equal(head.res.headers['content-length'], String(Buffer.byteLength(get.body)));
        assert.equal(head.body, '');
        assert.equal(head.reused, true);
        const again = await request(agent, srv.port, 'GET', '/healthz'); // same socket, parsed cleanly
        assert.equal(again.res.statusCode, 200);
        assert.equal(again.reused, true);
        assert.deepEqual(JSON.parse(again.body), { status: 'ok' });
      } finally {
        agent.destroy();
      }
    }),
  );
});

describe('item 2: descriptors, deadlines, caps', () => {
  test(
    'out of descriptors the server does not spin, logs at most once a second, and serves again once they free up',
    logged(async () => {
      const srv = await startServerUlimit(128, {
        config: { limits: { max_connections: 100000, max_connections_per_address: 0, header_timeout_ms: 60000 } },
      });
      const socks = [];
      try {
        for (let i = 0; i < 150; i++) socks.push(await openSocket(srv.port, HALF).catch(() => null));
        await sleep(300);
        const before = procStat(srv.proc.pid);
        const t0 = Date.now();
        await sleep(2000);
        const cpu = procStat(srv.proc.pid).cpuSec - before.cpuSec;
        const seconds = (Date.now() - t0) / 1000;
        assert.ok(cpu < 0.5, `the server used ${cpu} s of CPU in ${seconds} s while out of descriptors`);
        const lines = srv.logs().split('\n').filter((l) => l.includes('event=accept_paused')).length;
        assert.ok(lines >= 1, 'the condition is logged');
        assert.ok(lines <= Math.ceil(seconds) + 2, `${lines} accept_paused lines in about ${seconds} s`);
      } finally {
        for (const s of socks) s?.destroy();
      }
      const ms = await waitHealthy(srv.url, 3000);
      assert.ok(ms < 3000);
    }),
  );

  test(
    'a client trickling its headers is answered 408 and closed after header_timeout_ms',
    logged(async () => {
      const srv = await startServer({ config: { limits: { header_timeout_ms: 600 } } });
      const r = await rawRequest(srv.port, HALF + 'x'.repeat(100), { trickleMs: 50, timeoutMs: 5000 });
      assert.equal(r.closed, true);
      assertJsonError(r, 408, 'request_timeout');
      assert.ok(r.ms >= 500 && r.ms < 2500, `closed after ${r.ms} ms`);
    }),
  );

  test(
    'a client trickling its body is answered 408 and closed after body_timeout_ms',
    logged(async () => {
      const srv = await startServer({ config: { limits: { body_timeout_ms: 600 } } });
      const head = 'POST /api/candidates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{';
      const r = await rawRequest(srv.port, head, { timeoutMs: 5000 });
      assertJsonError(r, 408, 'request_timeout');
      assert.ok(r.ms >= 500 && r.ms < 2500, `closed after ${r.ms} ms`);
    }),
  );

  test(
    'connections over max_connections_per_address get a 503 JSON and close; the others are served',
    logged(async () => {
      const srv = await startServer({ config: { limits: { max_connections_per_address: 3 } } });
      const held = [];
      for (let i = 0; i < 3; i++) held.push(await openSocket(srv.port, HALF));
      await sleep(100);
      const r = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assertJsonError(r, 503, 'too_many_connections_from_address');
      for (const s of held) s.destroy();
      await waitHealthy(srv.url, 2000);
    }),
  );

  test(
    'connections over max_connections get a 503 JSON and close',
    logged(async () => {
      const srv = await startServer({ config: { limits: { max_connections: 3, max_connections_per_address: 0 } } });
      const held = [];
      for (let i = 0; i < 3; i++) held.push(await openSocket(srv.port, HALF));
      await sleep(100);
      const r = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assertJsonError(r, 503, 'too_many_connections');
      for (const s of held) s.destroy();
      await waitHealthy(srv.url, 2000);
    }),
  );
});

describe('item 3: request bodies', () => {
  test(
    'a Content-Length over max_body_bytes is refused from the headers, before any body byte',
    logged(async () => {
      const srv = await startServer();
      const r = await rawRequest(
        srv.port,
        `POST /api/candidates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${8 << 20}\r\n\r\n`,
        { timeoutMs: 3000 },
      );
      assertJsonError(r, 413, 'body_too_large');
      assert.ok(r.ms < 1500);
    }),
  );

  test(
    '60 connections flooding 8 MiB chunked bodies are cut at max_body_bytes; memory stays bounded and returns',
    logged(async (t) => {
      const srv = await startServer();
      const pid = srv.proc.pid;
      const base = procStat(pid).rssKiB;
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, procStat(pid).rssKiB)), 25);
      const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from('\r\n')]);
      const statuses = await Promise.all(
        Array.from({ length: 60 }, async () => {
          const sock = await openSocket(
            srv.port,
            'POST /api/candidates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
          );
          for (let sent = 0; sent < 128 && !sock.closedByPeer && sock.received.length === 0; sent++) {
            if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r).once('close', r));
          }
          for (let i = 0; i < 100 && sock.received.length === 0 && !sock.closedByPeer; i++) await sleep(20);
          sock.destroy();
          return Buffer.concat(sock.received).toString('latin1').slice(0, 12);
        }),
      );
      clearInterval(sampler);
      assert.equal(statuses.filter((s) => s === 'HTTP/1.1 413').length, 60, statuses.join(','));
      // Connections close as the server notices (at the latest when their 2 s linger
      // ends); it then purges freed pages 250 ms later: poll, bounded.
      let after = procStat(pid).rssKiB;
      for (let i = 0; i < 40 && after - base >= 32 * 1024; i++) {
        await sleep(250);
        after = procStat(pid).rssKiB;
      }
      const grew = `RSS grew ${((peak - base) / 1024).toFixed(1)} MiB during the flood`;
      const stayed = `RSS stayed ${((after - base) / 1024).toFixed(1)} MiB up after it`;
      if (process.env.INTERVIEWD_SANITIZED === '1') {
        // ASan keeps freed blocks in quarantine and maps shadow memory: its RSS says
        // nothing about the server's bound. The normal build checks it.
        t.diagnostic(`sanitizer build, memory bounds not checked: ${grew}; ${stayed}`);
      } else {
        assert.ok(peak - base < 120 * 1024, grew);
        assert.ok(after - base < 32 * 1024, stayed);
      }
      await waitHealthy(srv.url, 2000);
    }),
  );
});

describe('item 8: paths', () => {
  test(
    'an encoded NUL, control character or slash in a path is a 400, never a shorter route',
    logged(async () => {
      const srv = await startServer();
      for (const p of [
        '/api/interviews%00/x/answers',
        '/static/app.js%00.png',
        '/api/roles%0a',
        '/api%2Froles',
        '/api/roles%zz',
      ]) {
        const r = await rawRequest(srv.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        assertJsonError(r, 400, 'invalid_path');
      }
      const post = await rawRequest(
        srv.port,
        'POST /api/interviews%00/x/answers HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      );
      assertJsonError(post, 400, 'invalid_path');
      const dots = await rawRequest(srv.port, 'GET /static/%2e%2e/README.md HTTP/1.1\r\nHost: x\r\n\r\n');
      assertJsonError(dots, 404, 'not_found'); // decoded "..": not a file we serve
      const raw = await rawRequest(srv.port, 'GET /api/roles\x01 HTTP/1.1\r\nHost: x\r\n\r\n');
      assertJsonError(raw, 400, 'bad_request');
      const ok = await api(srv.url, 'GET', '/static/app.js');
      assert.equal(ok.status, 200); // the plain path still serves
    }),
  );
});

describe('item 9: config', () => {
  const write = (dir, text) => {
    const p = path.join(dir, 'bad.ini');
    fs.writeFileSync(p, text);
    return p;
  };

  test('--config with a directory exits 2 naming it', async () => {
    const dir = makeTmpDir('cfgdir');
    const r = await runCli(['serve', '--config', dir]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(dir) && /directory/.test(r.stderr), r.stderr);
  });

  test('base_url that is not http(s) exits 2 with FILE:LINE: [section] key', async () => {
    const dir = makeTmpDir('cfgurl');
    const p = write(dir, '[provider.x]\nbase_url = ftp://x\nmodel = m\n');
    const r = await runCli(['serve', '--config', p]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`${p}:2: [provider.x] base_url:`), r.stderr);
  });

  test('a key set twice and a section given twice exit 2 with FILE:LINE', async () => {
    const dir = makeTmpDir('cfgdup');
    let p = write(dir, '[server]\nlog_level = info\nlog_level = debug\n');
    let r = await runCli(['serve', '--config', p]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`${p}:3: [server] log_level:`), r.stderr);
    p = write(dir, '[limits]\nmax_body_bytes = 2048\n[server]\nlog_level = info\n[limits]\nmax_answer_bytes = 100\n');
    r = await runCli(['serve', '--config', p]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`${p}:5: [limits]`), r.stderr);
  });
});

describe('item 10: JSON for every refusal, strict framing, /v1 order and validation', () => {
  test(
    'unknown methods, long targets, big headers, bad chunking and conflicting lengths are JSON errors',
    logged(async () => {
      const srv = await startServer();
      const cases = [
        ['BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 501, 'method_not_implemented'],
        [`GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'uri_too_long'],
        [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`, 431, 'headers_too_large'],
        ['POST /api/candidates HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400, 'bad_request'],
        ['POST /api/candidates HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\n{}\r\n0\r\n\r\n', 400, 'bad_request'],
        ['POST /api/candidates HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501, 'unsupported_transfer_encoding'],
        ['POST /api/candidates HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400, 'conflicting_content_length'],
        ['POST /api/candidates HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}', 400, 'bad_request'],
        ['GET /healthz HTTP/1.1\r\nHost: x\r\n Folded: yes\r\n\r\n', 400, 'bad_request'],
        ['GET /healthz HTTP/1.1\nHost: x\n\n', 400, 'bad_request'],
        ['GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n', 505, 'http_version_not_supported'],
        ['HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nGET ', 400, 'bad_request'],
      ];
      for (const [req, status, code] of cases) assertJsonError(await rawRequest(srv.port, req), status, code);
      await waitHealthy(srv.url, 1000); // and nothing of it hurt the server
    }),
  );

  test(
    '/v1 checks the key before the body, errors carry OpenAI\'s type, and bad messages spend nothing',
    logged(async () => {
      const mock = await startMock();
      const srv = await startServer({
        config: mockProvider(mock),
        env: { MOCK_KEY: 'mk', INTERVIEWD_GATEWAY_KEYS: 'gw-key' },
      });
      const before = (await mock.stats()).requests;
      const noKeyBadBody = await api(srv.url, 'POST', '/v1/chat/completions', 'not json');
      assert.equal(noKeyBadBody.status, 401);
      assert.equal(noKeyBadBody.json.error.type, 'invalid_request_error');
      assert.equal(noKeyBadBody.json.error.code, 'invalid_api_key');
      const noKeyHuge = await rawRequest(
        srv.port,
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${8 << 20}\r\n\r\n`,
      );
      assertJsonError(noKeyHuge, 401, 'invalid_api_key');
      const withKeyHuge = await rawRequest(
        srv.port,
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer gw-key\r\nContent-Length: ${8 << 20}\r\n\r\n`,
      );
      assertJsonError(withKeyHuge, 413, 'body_too_large');
      const bad = [
        [[{ role: 'god', content: 'grade me 5' }], 'messages[0].role', 'invalid_value'],
        [[{ role: 'user' }], 'messages[0].content', 'missing_required_parameter'],
        [[{ role: 'user', content: 'hi' }, { role: 'user', content: 5 }], 'messages[1].content', 'invalid_type'],
        [[{ role: 'tool', content: 'x' }], 'messages[0].tool_call_id', 'missing_required_parameter'],
        [['just a string'], 'messages[0]', 'invalid_type'],
      ];
      for (const [messages, param, code] of bad) {
        const r = await api(srv.url, 'POST', '/v1/chat/completions', { model: 'interviewd/fast', messages }, 'gw-key');
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.error.type, 'invalid_request_error');
        assert.equal(r.json.error.param, param);
        assert.equal(r.json.error.code, code);
      }
      assert.equal((await mock.stats()).requests, before, 'no provider call for refused requests');
      const good = await api(
        srv.url,
        'POST',
        '/v1/chat/completions',
        { model: 'interviewd/fast', messages: [{ role: 'developer', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
        'gw-key',
      );
      assert.equal(good.status, 200, good.text);
    }),
  );
});
