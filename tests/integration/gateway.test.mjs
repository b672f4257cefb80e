// The OpenAI-compatible gateway at /v1 (src/api/gateway.c), driven by the official OpenAI
// SDK from npm (pinned in tests/integration/openai_sdk) against interviewd in front of
// mockllm: the model list, a completion, a streamed completion, the exact cache, single
// flight, and every error path of the issue, with no key in any log line. The last tests
// put small scripted upstreams (node:http) behind interviewd for what mockllm does not
// do: SSE comments and awkward packet splits, and a stream that dies half-way. Every
// response of the file, the SDK's included (its fetch records them), is scanned for keys.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, test } from 'node:test';
import {
  api,
  logged,
  mockProvider,
  recordingFetch,
  responses,
  sleep,
  startMock,
  startServer,
} from './lib.mjs';

const SDK_ENTRY = new URL('./openai_sdk/node_modules/openai/index.mjs', import.meta.url);
if (!fs.existsSync(SDK_ENTRY))
  throw new Error(
    'the OpenAI SDK is not installed: run `make test`, or `cd tests/integration/openai_sdk && npm install`',
  );
const { default: OpenAI } = await import(SDK_ENTRY.href);

const T = { timeout: 120000 };
const MOCK_KEY = 'sk-mock-PROVIDER-key-5551234567';
const GW_KEY = 'gw-test-KEY-aaaabbbbccccdddd';
const GW_KEY2 = 'gw-test-KEY-second-eeeeffff';
const ADMIN_TOKEN = 'admin-test-TOKEN-gateway-0987';
const SECRETS = [MOCK_KEY, GW_KEY, GW_KEY2, ADMIN_TOKEN];

// mockllm answers any message that is not an interviewd task with this echo.
const echo = (text) => `mock reply to: ${text}`;

// Starts mockllm (mockArgs) and interviewd with it as the only deployment.
async function startGateway({ mockArgs = [], provider = {}, config = {}, keys = `${GW_KEY}, ${GW_KEY2}` } = {}) {
  const mock = await startMock(mockArgs);
  const env = { MOCK_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN };
  env.INTERVIEWD_GATEWAY_KEYS = keys ?? ''; // '' even if the developer's shell sets it
  const srv = await startServer({
    config: { ...mockProvider(mock, provider), server: { admin_token_env: 'INTERVIEWD_ADMIN_TOKEN' }, ...config },
    env,
  });
  return { mock, srv };
}

// An SDK client for srv; retries off so every status reaches the test. Its responses
// (headers and whole bodies, streams included) are recorded for the key scans.
function client(srv, apiKey = GW_KEY) {
  return new OpenAI({ baseURL: `${srv.url}/v1`, apiKey, maxRetries: 0, timeout: 20000, fetch: recordingFetch });
}

const completions = async (mock) => (await mock.stats()).completions;

function noSecretsIn(text, where) {
  for (const s of SECRETS) assert.ok(!text.includes(s), `a key appears in ${where}`);
}

// The recorded responses (api() and the SDK), once their bodies are read to the end (or
// 10 s, for one nobody finishes), as text lines 'URL STATUS', headers, body.
async function recordedTexts() {
  const all = [...responses];
  await Promise.race([Promise.all(all.map((r) => r.done)), sleep(10000)]);
  return all.map((r) => ({ where: `the response to ${r.url} (HTTP ${r.status})`, text: `${r.headers}\n\n${r.body}` }));
}

// After every test of the file: no key in any response header or body.
after(async () => {
  for (const r of await recordedTexts()) noSecretsIn(r.text, r.where);
});

test(
  'GET /v1/models lists the aliases and the model of the deployment',
  T,
  logged(async () => {
    const { srv } = await startGateway();
    const ids = [];
    for await (const m of client(srv).models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['interviewd/fast', 'interviewd/smart', 'mock-small']);
    const one = await client(srv).models.retrieve('mock-small');
    assert.equal(one.owned_by, 'mock');
  }),
);

test(
  'a completion through interviewd/fast is answered by the mock with the gateway headers',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway({ provider: { rpd: 1000 } });
    const { data, response } = await client(srv)
      .chat.completions.create({
        model: 'interviewd/fast',
        messages: [{ role: 'user', content: 'What is a B-tree?' }],
        temperature: 0.7,
      })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices[0].message.role, 'assistant');
    assert.equal(data.choices[0].message.content, echo('What is a B-tree?'));
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.equal(data.model, 'mock-small');
    assert.ok(data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0);
    assert.equal(response.headers.get('x-interviewd-cache'), 'bypass');
    assert.equal(response.headers.get('x-interviewd-provider'), 'mock');
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), '1000');
    assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '999');
    assert.match(response.headers.get('x-interviewd-overhead-us'), /^\d+$/);
    assert.match(response.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
    assert.equal(await completions(mock), 1);
  }),
);

test(
  'a concrete model id goes to the deployment serving it; an unknown one is 404 model_not_found',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway();
    const r = await client(srv).chat.completions.create({
      model: 'mock-small',
      messages: [{ role: 'user', content: 'concrete' }],
    });
    assert.equal(r.choices[0].message.content, echo('concrete'));
    await assert.rejects(
      client(srv).chat.completions.create({ model: 'gpt-9-ultra', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === 'model_not_found',
    );
    assert.equal(await completions(mock), 1);
  }),
);

test(
  'a streamed completion arrives chunk by chunk and ends with [DONE]',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway();
    const question = 'Explain consistent hashing in two sentences please';
    const { data: stream, response } = await client(srv)
      .chat.completions.create({
        model: 'interviewd/smart',
        messages: [{ role: 'user', content: question }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    assert.match(response.headers.get('content-type'), /^text\/event-stream/);
    assert.equal(response.headers.get('x-interviewd-provider'), 'mock');
    let text = '';
    let contentChunks = 0;
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      const c = chunk.choices[0];
      if (!c) continue;
      if (c.delta.content) {
        text += c.delta.content;
        contentChunks++;
      }
      if (c.finish_reason) finish = c.finish_reason;
    }
    assert.equal(text, echo(question));
    // mockllm streams 16 bytes per chunk: the gateway passes each one through
    assert.equal(contentChunks, Math.ceil(Buffer.byteLength(echo(question)) / 16));
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens);
    assert.equal(await completions(mock), 1);
  }),
);

test(
  'an identical temperature-0 request is a cache hit and never reaches the mock; it can be streamed',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway();
    const req = { model: 'interviewd/fast', messages: [{ role: 'user', content: 'cache me' }], temperature: 0 };
    const a = await client(srv).chat.completions.create(req).withResponse();
    assert.equal(a.response.headers.get('x-interviewd-cache'), 'miss');
    assert.equal(await completions(mock), 1);
    const b = await client(srv).chat.completions.create(req).withResponse();
    assert.equal(b.response.headers.get('x-interviewd-cache'), 'hit');
    assert.equal(b.response.headers.get('x-interviewd-provider'), 'mock');
    assert.equal(b.data.choices[0].message.content, a.data.choices[0].message.content);
    // the cached answer, streamed: synthesised chunks, same text
    const { data: stream, response } = await client(srv)
      .chat.completions.create({ ...req, stream: true })
      .withResponse();
    assert.equal(response.headers.get('x-interviewd-cache'), 'hit');
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, echo('cache me'));
    // another gateway key never sees the first key's cache
    const c = await client(srv, GW_KEY2).chat.completions.create(req).withResponse();
    assert.equal(c.response.headers.get('x-interviewd-cache'), 'miss');
    // a different parameter is a different key
    const d = await client(srv).chat.completions.create({ ...req, max_tokens: 5 }).withResponse();
    assert.equal(d.response.headers.get('x-interviewd-cache'), 'miss');
    assert.equal(await completions(mock), 3);
  }),
);

test(
  'at temperature 0.7 nothing is cached unless the x-interviewd-cache: on header asks',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway();
    const req = { model: 'interviewd/fast', messages: [{ role: 'user', content: 'creative' }], temperature: 0.7 };
    for (let i = 0; i < 2; i++) {
      const r = await client(srv).chat.completions.create(req).withResponse();
      assert.equal(r.response.headers.get('x-interviewd-cache'), 'bypass');
    }
    assert.equal(await completions(mock), 2);
    const on = { headers: { 'x-interviewd-cache': 'on' } };
    const a = await client(srv).chat.completions.create(req, on).withResponse();
    const b = await client(srv).chat.completions.create(req, on).withResponse();
    assert.equal(a.response.headers.get('x-interviewd-cache'), 'miss');
    assert.equal(b.response.headers.get('x-interviewd-cache'), 'hit');
    assert.equal(await completions(mock), 3);
    const off = await client(srv)
      .chat.completions.create({ ...req, temperature: 0 }, { headers: { 'x-interviewd-cache': 'off' } })
      .withResponse();
    assert.equal(off.response.headers.get('x-interviewd-cache'), 'bypass');
    assert.equal(await completions(mock), 4);
  }),
);

test(
  '10 identical concurrent temperature-0 requests make 1 upstream call (single-flight)',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway({ mockArgs: ['--latency-ms', '400'] });
    const req = { model: 'interviewd/fast', messages: [{ role: 'user', content: 'all at once' }], temperature: 0 };
    const c = client(srv);
    const all = await Promise.all(Array.from({ length: 10 }, () => c.chat.completions.create(req).withResponse()));
    assert.equal(await completions(mock), 1);
    for (const r of all) assert.equal(r.data.choices[0].message.content, echo('all at once'));
    const states = all.map((r) => r.response.headers.get('x-interviewd-cache')).sort();
    assert.deepEqual(states, ['hit', 'hit', 'hit', 'hit', 'hit', 'hit', 'hit', 'hit', 'hit', 'miss']);
    assert.equal(all.filter((r) => r.response.headers.get('x-interviewd-coalesced') === 'true').length, 9);
    // the stats count them under the gateway task
    const st = await api(srv.url, 'GET', '/api/optimization_stats', undefined, ADMIN_TOKEN);
    assert.equal(st.status, 200);
    assert.equal(st.json.by_task.gateway.api_call, 1);
    assert.equal(st.json.by_task.gateway.coalesced, 9);
  }),
);

test(
  'without a key, with a wrong key, or with no keys configured the gateway answers 401',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway();
    const none = await api(srv.url, 'GET', '/v1/models');
    assert.equal(none.status, 401);
    assert.equal(none.json.error.code, 'invalid_api_key');
    assert.equal(none.json.error.type, 'invalid_request_error');
    await assert.rejects(
      client(srv, 'gw-wrong-key').chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && !e.message.includes('gw-wrong-key'),
    );
    assert.equal(await completions(mock), 0);

    const off = await startGateway({ keys: null });
    const r = await api(off.srv.url, 'POST', '/v1/chat/completions', { model: 'interviewd/fast', messages: [] }, 'anything');
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'gateway_disabled');
    assert.match(r.json.error.message, /INTERVIEWD_GATEWAY_KEYS/);
    assert.match(r.json.error.message, /\[gateway\] keys_env/);
  }),
);

test(
  'malformed bodies are 400 with an OpenAI-shaped error; a body over the limit is 413',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway({ config: { limits: { max_body_bytes: 4096 } } });
    const bad = await api(srv.url, 'POST', '/v1/chat/completions', '{"model": "interviewd/fast", "messages": [', GW_KEY);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_json');
    assert.equal(bad.json.error.type, 'invalid_request_error');
    await assert.rejects(
      client(srv).chat.completions.create({ model: 'interviewd/fast' }),
      (e) => e instanceof OpenAI.BadRequestError && e.code === 'missing_required_parameter' && e.param === 'messages',
    );
    await assert.rejects(
      client(srv).chat.completions.create({ model: 'interviewd/fast', messages: [{ content: 'no role' }] }),
      (e) => e.status === 400 && e.param === 'messages[0].role' && e.code === 'missing_required_parameter',
    );
    await assert.rejects(
      client(srv).chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: 'x' }], temperature: 3 }),
      (e) => e.status === 400 && e.param === 'temperature',
    );
    const big = await api(
      srv.url,
      'POST',
      '/v1/chat/completions',
      { model: 'interviewd/fast', messages: [{ role: 'user', content: 'x'.repeat(8000) }] },
      GW_KEY,
    );
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'body_too_large');
    const unknown = await api(srv.url, 'POST', '/v1/embeddings', { input: 'x' }, GW_KEY);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'unknown_url');
    assert.equal(await completions(mock), 0);
  }),
);

test(
  'when the only deployment has used its day the gateway answers 503 with Retry-After',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway({ mockArgs: ['--rpd', '1'], provider: { rpd: 1 } });
    const first = await client(srv)
      .chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: 'one' }] })
      .withResponse();
    assert.equal(first.response.headers.get('x-ratelimit-remaining-requests'), '0');
    const started = Date.now();
    const r = await api(
      srv.url,
      'POST',
      '/v1/chat/completions',
      { model: 'interviewd/fast', messages: [{ role: 'user', content: 'two' }] },
      GW_KEY,
    );
    assert.ok(Date.now() - started < 2000, 'the 503 comes at once, not after a queue deadline');
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'fleet_exhausted');
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 86400, `Retry-After ${r.headers.get('retry-after')}`);
    // the SDK sees the same as an InternalServerError-class APIError with status 503
    await assert.rejects(
      client(srv).chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: 'three' }] }),
      (e) => e.status === 503 && e.headers.get('retry-after') !== null,
    );
    assert.equal(await completions(mock), 1);
  }),
);

test(
  'an upstream failure is a 502 that names the deployment; /metrics has the overhead histogram',
  T,
  logged(async () => {
    // every mock answer is a 500/503; a short deadline bounds the router's retries
    const { srv } = await startGateway({ mockArgs: ['--fail-rate', '1'], config: { interview: { llm_timeout_ms: 2000 } } });
    await assert.rejects(
      client(srv).chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: 'fail' }] }),
      (e) => e.status === 502 && e.code === 'upstream_failed' && /mock/.test(e.message),
    );
    const m = await api(srv.url, 'GET', '/metrics', undefined, ADMIN_TOKEN);
    assert.equal(m.status, 200);
    assert.match(m.text, /# TYPE interviewd_gateway_overhead_seconds histogram/);
    assert.match(m.text, /interviewd_gateway_overhead_seconds_bucket\{le="1e-05"\} \d+/);
    assert.match(m.text, /interviewd_gateway_overhead_seconds_bucket\{le="0.1"\} \d+/);
    assert.match(m.text, /interviewd_gateway_overhead_seconds_count 1\n/);
    assert.match(m.text, /interviewd_gateway_requests_total\{status="5xx",cache="bypass"\} 1/);
  }),
);

test(
  'no gateway key, provider key or admin token appears in any log line or response',
  T,
  logged(async () => {
    const { srv, mock } = await startGateway({ mockArgs: ['--latency-ms', '20'] });
    const c = client(srv);
    await c.chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: `my key is ${'x'}` }] });
    const s = await c.chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: 'stream' }], stream: true });
    for await (const _ of s) void _;
    await client(srv, GW_KEY2).models.list();
    await api(srv.url, 'GET', '/v1/models', undefined, 'gw-guess-wrong');
    await sleep(50);
    await srv.stop();
    await mock.stop();
    noSecretsIn(srv.logs(), 'the interviewd log');
    noSecretsIn(mock.logs(), 'the mockllm log');
    const texts = await recordedTexts();
    for (const r of texts) noSecretsIn(r.text, r.where);
    // the scan reads what the SDK received: streamed events, and the gateway's headers
    const sdk = texts.filter((r) => r.where.includes('/v1/chat/completions'));
    assert.ok(sdk.some((r) => r.text.includes('"chat.completion.chunk"') && r.text.includes('data: [DONE]')), 'no streamed SDK body was scanned');
    assert.ok(sdk.some((r) => r.text.includes('"chat.completion"')), 'no plain SDK body was scanned');
    const ok = sdk.filter((r) => r.where.endsWith('(HTTP 200)'));
    assert.ok(ok.length >= 2 && ok.every((r) => /^x-interviewd-provider: mock$/m.test(r.text)), 'SDK response headers were not scanned');
    assert.ok(texts.some((r) => r.where.includes('/v1/models (HTTP 200)')), 'the SDK model list was not scanned');
  }),
);

test(
  'a client that goes away mid-answer (streamed or not) leaves the server healthy and leak-free',
  T,
  logged(async () => {
    // 400 ms spread over the chunks: the client leaves after the first content chunk
    const { srv, mock } = await startGateway({ mockArgs: ['--latency-ms', '400'] });
    const ctl = new AbortController();
    const res = await fetch(`${srv.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${GW_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'interviewd/fast',
        messages: [{ role: 'user', content: 'a long enough question to need several chunks' }],
        stream: true,
      }),
      signal: ctl.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const first = await reader.read();
    assert.ok(!first.done);
    ctl.abort();
    // and one that leaves while its plain (non-streamed) answer is still upstream
    const gone = client(srv).chat.completions.create(
      { model: 'interviewd/fast', messages: [{ role: 'user', content: 'left early' }] },
      { timeout: 100 },
    );
    await assert.rejects(gone, (e) => e instanceof OpenAI.APIConnectionTimeoutError);
    await sleep(600); // both upstream calls finish with nobody listening
    const r = await client(srv).chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: 'still here' }] });
    assert.equal(r.choices[0].message.content, echo('still here'));
    assert.equal(await completions(mock), 3);
  }),
);

// A scripted OpenAI-compatible upstream on loopback: handler(req, res, body) answers.
// Resolves {url, calls, close()}; calls counts chat requests.
async function fakeUpstream(handler) {
  const state = { calls: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url.endsWith('/chat/completions')) state.calls++;
      handler(req, res, body ? JSON.parse(body) : null);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${server.address().port}/v1`;
  state.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    });
  return state;
}

const chunk = (content, finish = null) =>
  JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'fake-model',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  });

test(
  'the SSE reader skips keep-alive comments and event lines, joins lines split across packets, reads CRLF',
  T,
  logged(async () => {
    let seen = null;
    const up = await fakeUpstream(async (req, res, body) => {
      seen = body;
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
      const events = [
        ': keep-alive\n\n',
        `data: ${chunk('')}\n\n`,
        'event: message\r\n',
        `data: ${chunk('Hel')}\r\n\r\n`,
        ': keep-alive\n\n',
        `data: ${chunk('lo, ')}\n\n`,
        `data: ${chunk('wörld')}\n\n`,
        `data: ${chunk(null, 'length')}\n\n`,
        `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } })}\n\n`,
        'data: [DONE]\n\n',
      ];
      const text = events.join('');
      // split at awkward places: mid-line, mid-UTF-8 character, between \r and \n
      const bytes = Buffer.from(text);
      for (let i = 0; i < bytes.length; i += 7) {
        res.write(bytes.subarray(i, i + 7));
        await sleep(1);
      }
      res.end();
    });
    const srv = await startServer({
      config: {
        'provider.fake': { base_url: up.url, api_key_env: 'FAKE_KEY', model: 'fake-model', headers: 'none' },
      },
      env: { FAKE_KEY: MOCK_KEY, INTERVIEWD_GATEWAY_KEYS: GW_KEY },
    });
    try {
      const stream = await client(srv).chat.completions.create({
        model: 'fake-model',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
        top_p: 0.5,
        stop: ['\n\n'],
      });
      let text = '';
      let finish = null;
      let usage = null;
      for await (const c of stream) {
        text += c.choices[0]?.delta?.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
        usage = c.usage ?? usage;
      }
      assert.equal(text, 'Hello, wörld');
      assert.equal(finish, 'length');
      assert.deepEqual(usage, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
      // what the upstream received: streaming asked for, extra fields passed through
      assert.equal(seen.stream, true);
      assert.deepEqual(seen.stream_options, { include_usage: true });
      assert.equal(seen.top_p, 0.5);
      assert.deepEqual(seen.stop, ['\n\n']);
      assert.equal(seen.model, 'fake-model');
    } finally {
      await up.close();
    }
  }),
);

test(
  'a stream that has started is never retried on another deployment: the client gets an error event',
  T,
  logged(async () => {
    const broken = await fakeUpstream(async (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(`data: ${chunk('partial ans')}\n\n`);
      await sleep(50);
      res.socket.destroy(); // the connection dies mid-stream
    });
    const spare = await fakeUpstream((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'from the spare' } }] }));
    });
    const srv = await startServer({
      config: {
        'provider.broken': { base_url: broken.url, api_key_env: 'FAKE_KEY', model: 'fake-model', headers: 'none' },
        'provider.spare': { base_url: spare.url, api_key_env: 'FAKE_KEY', model: 'fake-model', headers: 'none' },
      },
      env: { FAKE_KEY: MOCK_KEY, INTERVIEWD_GATEWAY_KEYS: GW_KEY },
    });
    try {
      const stream = await client(srv).chat.completions.create({
        model: 'interviewd/fast',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      let text = '';
      await assert.rejects(async () => {
        for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      }, /upstream/i);
      assert.equal(text, 'partial ans');
      assert.equal(broken.calls, 1);
      assert.equal(spare.calls, 0);
      // a plain call that fails before any byte is retried on the spare
      const r = await client(srv).chat.completions.create({ model: 'interviewd/fast', messages: [{ role: 'user', content: 'again' }] });
      assert.equal(r.choices[0].message.content, 'from the spare');
    } finally {
      await broken.close();
      await spare.close();
    }
  }),
);
