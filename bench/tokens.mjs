// tokens.mjs: prompt and completion tokens per model-scored interview, by mode and by
// task, counted with real tokenizers (bench/tokens.sh runs it; README "Token diet").
//
// For each mode it starts tools/mockllm, a recording proxy in front of it (this file) and
// a real `interviewd serve` whose only provider is the proxy; one candidate takes
// --interviews interviews (kinds cycling technical, behavioral, mixed, like
// tests/integration/modes.test.mjs), every report is awaited, and every request the
// provider received and every reply it gave are tokenized:
//   o200k    gpt-tokenizer's o200k_base (GPT-4o, gpt-oss: Groq's free deployments)
//   llama3   llama3-tokenizer-js (Llama 3.x: Cloudflare, OpenRouter and most free hosts)
// Prompt tokens are the messages' text plus the chat format's per-message overhead
// (CHAT_OVERHEAD below); completion tokens are the reply's content. mockllm's replies
// follow the schema but its feedback is a short fixed phrase, so the completion figure
// counts the schema's keys and the scores as a model writes them and only mockllm's text;
// `completion_cap` (the calls' max_tokens) is the most a model could have written.
//
// Usage: node bench/tokens.mjs [--modes economy,balanced,full] [--interviews N]
//        [--json FILE] [--answer-words N] [--dump DIR]
// --dump DIR writes the first call of each task in each mode (prompt and reply) to
// DIR/MODE-TASK.txt, to read what the tokens are spent on.
// Needs build/interviewd, build/mockllm and `npm ci` in bench/tokens (tokens.sh does it).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import {
  api,
  checkHandles,
  expectStatus,
  registerCandidate,
  runInterviewFull,
  startMock,
  startServer,
  waitForReport,
} from '../tests/integration/lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(HERE, 'tokens', 'package.json'));
const o200k = await import(req.resolve('gpt-tokenizer/encoding/o200k_base'));
const llama3 = (await import(req.resolve('llama3-tokenizer-js'))).default;

// Tokens a chat template adds per message (role header and end marker): OpenAI's
// documented 3 per message + 3 to prime the reply; Llama 3's
// <|start_header_id|>role<|end_header_id|>\n\n ... <|eot_id|> is 5, plus
// <|begin_of_text|> and the assistant header (5) once.
const CHAT_OVERHEAD = { o200k: { perMessage: 3, perCall: 3 }, llama3: { perMessage: 5, perCall: 6 } };
const COUNT = {
  o200k: (s) => o200k.countTokens(s),
  llama3: (s) => llama3.encode(s, { bos: false, eos: false }).length,
};
const TOKENIZERS = Object.keys(COUNT);

const MOCK_KEY = 'sk-bench-tokens-0001';
const ADMIN_TOKEN = 'admin-bench-tokens-0001';
const KINDS = ['technical', 'behavioral', 'mixed'];

function parseArgs(argv) {
  const o = { modes: ['economy', 'balanced', 'full'], interviews: 10, json: null, answerWords: 90, dump: null };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--modes') o.modes = v().split(',');
    else if (a === '--interviews') o.interviews = Number(v());
    else if (a === '--json') o.json = v();
    else if (a === '--answer-words') o.answerWords = Number(v());
    else if (a === '--dump') o.dump = v();
    else usage(`unknown option ${a}`);
  }
  if (!(o.interviews >= 1) || !(o.answerWords >= 5)) usage('--interviews >= 1, --answer-words >= 5');
  for (const m of o.modes) if (!['economy', 'balanced', 'full'].includes(m)) usage(`unknown mode ${m}`);
  return o;
}

function usage(why) {
  console.error(`tokens.mjs: ${why}\nusage: node bench/tokens.mjs [--modes economy,balanced,full] [--interviews N] [--json FILE] [--answer-words N] [--dump DIR]`);
  process.exit(2);
}

// A resume of about 300 words (the simulator's workload assumes ~700 tokens; this one is
// a typical one-page text pasted from a PDF).
const RESUME = [
  'Senior backend engineer with 7 years of experience building payment and data systems.',
  'Acme Payments (2021-2026): built a double-entry ledger in Go and PostgreSQL serving 40 million transactions a month;',
  'led the migration of the settlement batch jobs to a Kafka event pipeline on Kubernetes, cutting settlement time from 6 hours to 20 minutes;',
  'designed idempotent payment APIs with Redis-backed deduplication and wrote the on-call runbooks; mentored four engineers.',
  'Initech (2018-2021): backend developer on the order management system in Java and Spring;',
  'project lead for the search service rewrite on Elasticsearch, p99 latency from 900 ms to 120 ms;',
  'introduced contract tests and a canary release process that halved production incidents.',
  'Globex (2017-2018): junior developer, Python data pipelines, Airflow, SQL reporting for finance.',
  'Skills: Go, Java, Python, SQL, PostgreSQL, Redis, Kafka, Kubernetes, Docker, Terraform, AWS, Linux, gRPC, observability with Prometheus and OpenTelemetry.',
  'Education: BSc Computer Science, University of Manchester, 2017. Languages: English, Spanish.',
  'Interests: distributed systems reading group, open-source contributions to a Go PostgreSQL driver, running.',
].join('\n');

// A substantive answer of about `words` words that differs per (interview, question).
const SENTENCES = [
  'I would start by clarifying the requirements, the expected load and what failure costs the business.',
  'In my last role we had a similar problem with the settlement jobs, which ran for six hours every night.',
  'We measured first: the slowest step was a join over two large tables without a usable index.',
  'I added the index, split the job into partitions by merchant and ran them in parallel on Kubernetes.',
  'Then we put a Redis cache in front of the reference data and made every step idempotent so retries were safe.',
  'The trade-off was more moving parts, so we wrote runbooks and added alerts on lag and error rate.',
  'The result was a run time of about twenty minutes and far fewer pages for the on-call engineer.',
  'If I did it again I would involve the finance team earlier, because their reconciliation rules changed the design twice.',
  'I would also test the failure paths deliberately, for example by killing a worker in the middle of a batch.',
  'Finally I would write down the decision and its reasons so that the next team can revisit it with the same facts.',
];
function answerFor(k, i, words) {
  const out = [`For case ${k * 100 + i + 1},`];
  for (let s = (k * 7 + i * 3) % SENTENCES.length; out.join(' ').split(/\s+/).length < words; s = (s + 1) % SENTENCES.length)
    out.push(SENTENCES[s]);
  return out.join(' ');
}

// A proxy in front of mockllm that keeps every chat request and its reply.
function startRecorder(targetUrl) {
  const calls = [];
  const server = http.createServer((inReq, inRes) => {
    const chunks = [];
    inReq.on('data', (c) => chunks.push(c));
    inReq.on('end', () => {
      const body = Buffer.concat(chunks);
      const t = new URL(targetUrl);
      const out = http.request(
        { host: t.hostname, port: t.port, method: inReq.method, path: inReq.url, headers: inReq.headers },
        (res) => {
          const rc = [];
          res.on('data', (c) => rc.push(c));
          res.on('end', () => {
            const text = Buffer.concat(rc).toString('utf8');
            if (inReq.url.endsWith('/chat/completions')) {
              try {
                calls.push({ status: res.statusCode, request: JSON.parse(body.toString('utf8')), reply: JSON.parse(text) });
              } catch {
                calls.push({ status: res.statusCode, request: null, reply: null });
              }
            }
            inRes.writeHead(res.statusCode, res.headers);
            inRes.end(text);
          });
        },
      );
      out.on('error', (e) => {
        inRes.writeHead(502);
        inRes.end(String(e));
      });
      out.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, calls, url: `http://127.0.0.1:${server.address().port}` })));
}

const taskOf = (request) => /^interviewd-task: (\w+)/.exec(request?.messages?.[0]?.content ?? '')?.[1] ?? 'other';

function countCall(call, tok) {
  const msgs = call.request?.messages ?? [];
  const { perMessage, perCall } = CHAT_OVERHEAD[tok];
  let system = 0,
    user = 0;
  for (const m of msgs) {
    const n = COUNT[tok](m.content ?? '') + perMessage;
    if (m.role === 'system') system += n;
    else user += n;
  }
  const content = call.reply?.choices?.[0]?.message?.content ?? '';
  return { system: system + perCall, user, completion: COUNT[tok](content), cap: call.request?.max_tokens ?? 0 };
}

async function runMode(mode, opts) {
  const mock = await startMock(['--seed', '7']);
  const rec = await startRecorder(mock.url);
  const srv = await startServer({
    config: {
      server: { admin_token_env: 'INTERVIEWD_ADMIN_TOKEN' },
      budget: { mode },
      'provider.mock': { base_url: `${rec.url}/v1`, api_key_env: 'MOCK_KEY', model: 'mock-small', headers: 'openai' },
    },
    env: { MOCK_KEY, INTERVIEWD_ADMIN_TOKEN: ADMIN_TOKEN },
    name: `interviewd-${mode}`,
  });
  let modelScored = 0;
  try {
    const c = await registerCandidate(srv.url, { resume_text: RESUME });
    for (let k = 0; k < opts.interviews; k++) {
      const iv = await runInterviewFull(srv.url, c.token, KINDS[k % KINDS.length], (q, i) => answerFor(k, i, opts.answerWords));
      const rep = await waitForReport(srv.url, iv.id, c.token, 120000);
      if (rep.mode && rep.mode !== mode) throw new Error(`interview ran in ${rep.mode}, not ${mode}`);
      if (rep.scores.every((s) => s.scorer === 'model')) modelScored++;
    }
    // calls still in flight (a last summary) land before the count
    for (let prev = -1; prev !== rec.calls.length; ) {
      prev = rec.calls.length;
      await new Promise((r) => setTimeout(r, 500));
    }
    expectStatus(await api(srv.url, 'GET', '/api/optimization_stats', undefined, ADMIN_TOKEN), 200, 'stats');
  } finally {
    await checkHandles([srv, mock]);
    rec.server.close();
  }
  if (opts.dump) {
    fs.mkdirSync(opts.dump, { recursive: true });
    const seen = new Set();
    for (const call of rec.calls) {
      const task = taskOf(call.request);
      if (seen.has(task)) continue;
      seen.add(task);
      const text = (call.request?.messages ?? []).map((m) => `=== ${m.role}\n${m.content}`).join('\n') +
        `\n=== reply (max_tokens ${call.request?.max_tokens})\n${call.reply?.choices?.[0]?.message?.content ?? ''}\n`;
      fs.writeFileSync(path.join(opts.dump, `${mode}-${task}.txt`), text);
    }
  }
  const byTask = {};
  const total = {};
  for (const tok of TOKENIZERS) total[tok] = { system: 0, user: 0, completion: 0, cap: 0 };
  for (const call of rec.calls) {
    const task = taskOf(call.request);
    byTask[task] ??= { calls: 0 };
    byTask[task].calls++;
    for (const tok of TOKENIZERS) {
      const n = countCall(call, tok);
      byTask[task][tok] ??= { system: 0, user: 0, completion: 0, cap: 0 };
      for (const k of Object.keys(n)) {
        byTask[task][tok][k] += n[k];
        total[tok][k] += n[k];
      }
    }
  }
  const per = (x) => Math.round(x / Math.max(modelScored, 1));
  const perInterview = {};
  for (const tok of TOKENIZERS) {
    const t = total[tok];
    perInterview[tok] = {
      prompt: per(t.system + t.user),
      system: per(t.system),
      user: per(t.user),
      completion: per(t.completion),
      total: per(t.system + t.user + t.completion),
      completion_cap: per(t.cap),
    };
  }
  return { mode, interviews: opts.interviews, model_scored: modelScored, calls: rec.calls.length, calls_per_interview: +(rec.calls.length / Math.max(modelScored, 1)).toFixed(2), per_interview: perInterview, by_task: byTask };
}

const opts = parseArgs(process.argv);
const results = [];
for (const mode of opts.modes) {
  const r = await runMode(mode, opts);
  results.push(r);
  for (const tok of TOKENIZERS) {
    const p = r.per_interview[tok];
    console.log(
      `TOKENS mode=${mode} tokenizer=${tok} interviews=${r.interviews} model_scored=${r.model_scored} calls_per_interview=${r.calls_per_interview} ` +
        `prompt=${p.prompt} (system ${p.system}, user ${p.user}) completion=${p.completion} total=${p.total} completion_cap=${p.completion_cap}`,
    );
  }
  for (const [task, t] of Object.entries(r.by_task)) {
    const x = t.o200k;
    console.log(
      `  task=${task} calls=${t.calls} o200k per call: system ${Math.round(x.system / t.calls)}, user ${Math.round(x.user / t.calls)}, completion ${Math.round(x.completion / t.calls)} (cap ${Math.round(x.cap / t.calls)})`,
    );
  }
}
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), answer_words: opts.answerWords, results }, null, 2));
