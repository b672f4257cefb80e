// abuse_http.mjs: the HTTP layer's figures under abuse (issue 14 items 2 and 3), measured
// on a real interviewd over loopback. Run by bench/abuse.sh; prints one block per figure.
//
//   body flood      60 connections each sending an 8 MiB body (announced with
//                   Content-Length, sent without waiting), then the same with chunked
//                   bodies: server RSS before, peak (sampled every 20 ms), and 2 s and
//                   5 s after the clients closed
//   fd exhaustion   the server under `ulimit -n 256`, 300 connections each holding a
//                   half-sent request: server CPU over 5 s, accept-failure log lines per
//                   second, and the time from the clients closing to the first 200
//   slowloris       one byte a second: the time until the server closes the connection
//
// Environment: INTERVIEWD_BIN (the server, default build/interviewd), ABUSE_LEGACY=1 for a
// binary from before issue 14 (no [limits] connection keys: they are left out).
import { startServer, killAll, sleep } from '../tests/integration/lib.mjs';
import { openSocket, procStat, rawRequest, startServerUlimit, waitHealthy } from '../tests/integration/rawhttp.mjs';

const LEGACY = process.env.ABUSE_LEGACY === '1';
const MiB = (kib) => (kib / 1024).toFixed(1);

async function bodyFlood(label, head, body) {
  const srv = await startServer();
  const pid = srv.proc.pid;
  await sleep(300);
  const base = procStat(pid).rssKiB;
  let peak = base;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, procStat(pid).rssKiB);
    } catch {
      /* exited */
    }
  }, 20);
  const t0 = Date.now();
  const answers = await Promise.all(
    Array.from({ length: 60 }, async () => {
      const sock = await openSocket(srv.port, head);
      for (const part of body()) {
        if (sock.closedByPeer || sock.received.length) break;
        if (!sock.write(part)) await new Promise((r) => sock.once('drain', r).once('close', r));
      }
      for (let i = 0; i < 250 && !sock.received.length && !sock.closedByPeer; i++) await sleep(20);
      sock.destroy();
      return Buffer.concat(sock.received).toString('latin1').slice(9, 12) || 'none';
    }),
  );
  const ms = Date.now() - t0;
  clearInterval(sampler);
  await sleep(2000);
  const after2 = procStat(pid).rssKiB;
  await sleep(3000);
  const after = procStat(pid).rssKiB;
  const counts = {};
  for (const a of answers) counts[a] = (counts[a] || 0) + 1;
  console.log(
    `body flood (${label}): 60 x 8 MiB in ${ms} ms, answers ${JSON.stringify(counts)}; ` +
      `RSS before ${MiB(base)} MiB, peak ${MiB(peak)} MiB, after close ${MiB(after2)} MiB (2 s), ${MiB(after)} MiB (5 s)`,
  );
  await srv.stop();
}

function* fixedBody() {
  const part = Buffer.alloc(64 << 10, 0x61);
  for (let i = 0; i < 128; i++) yield part;
}

function* chunkedBody() {
  const part = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(64 << 10, 0x61), Buffer.from('\r\n')]);
  for (let i = 0; i < 128; i++) yield part;
  yield Buffer.from('0\r\n\r\n');
}

async function fdExhaustion() {
  const limits = LEGACY ? {} : { limits: { max_connections: 100000, max_connections_per_address: 0, header_timeout_ms: 600000 } };
  const srv = await startServerUlimit(256, { config: limits });
  const socks = [];
  for (let i = 0; i < 300; i++) socks.push(await openSocket(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ').catch(() => null));
  await sleep(500);
  const linesBefore = srv.logs().split('\n').length;
  const c0 = procStat(srv.proc.pid).cpuSec;
  const t0 = Date.now();
  await sleep(5000);
  const secs = (Date.now() - t0) / 1000;
  const cpu = procStat(srv.proc.pid).cpuSec - c0;
  const logLines = srv.logs().split('\n').length - linesBefore;
  const served = await fetch(`${srv.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
    (r) => r.status,
    () => 'no answer',
  );
  for (const s of socks) s?.destroy();
  let recovery;
  try {
    recovery = `${await waitHealthy(srv.url, 10000)} ms`;
  } catch {
    recovery = 'not within 10 s';
  }
  console.log(
    `fd exhaustion (ulimit -n 256, 300 half-sent requests): server CPU ${((100 * cpu) / secs).toFixed(0)}% ` +
      `over ${secs.toFixed(1)} s, ${(logLines / secs).toFixed(1)} log lines/s, /healthz meanwhile: ${served}; ` +
      `first 200 after the clients closed: ${recovery}`,
  );
  srv.proc.kill('SIGKILL');
}

async function slowloris() {
  const srv = await startServer();
  const r = await rawRequest(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'x'.repeat(60)}`, {
    trickleMs: 1000,
    timeoutMs: 25000,
  });
  const what = r.closed ? `closed by the server after ${(r.ms / 1000).toFixed(1)} s (status ${r.status || 'none'})` : `still open after ${(r.ms / 1000).toFixed(1)} s`;
  console.log(`slowloris (1 byte/s, default header_timeout_ms): ${what}`);
  await srv.stop();
}

try {
  await bodyFlood(
    'Content-Length',
    `POST /api/candidates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${8 << 20}\r\n\r\n`,
    fixedBody,
  );
  await bodyFlood(
    'chunked',
    'POST /api/candidates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    chunkedBody,
  );
  await fdExhaustion();
  await slowloris();
} finally {
  await killAll();
}
