// Raw-socket HTTP for the abuse tests and bench/abuse_http.mjs: requests no client
// library would send (malformed, trickled, half-sent, floods), and what the server
// process costs meanwhile (CPU time and RSS from /proc). Loopback only.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { INTERVIEWD_BIN, childEnv, iniText, makeTmpDir, spawnListening } from './lib.mjs';

// Sends `data` (string or Buffer; with trickleMs, one byte every trickleMs) and reads
// until the server closes or timeoutMs passes. Resolves {status, headers, body, json,
// raw, closed, ms}: status 0 when no status line came.
export function rawRequest(port, data, { timeoutMs = 5000, trickleMs = 0 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let closed = false;
    let timer;
    let trickle;
    const finish = () => {
      clearTimeout(timer);
      clearInterval(trickle);
      sock.destroy();
      resolve(parseResponse(Buffer.concat(chunks), closed, Date.now() - t0));
    };
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      finish();
    });
    timer = setTimeout(finish, timeoutMs);
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1');
    if (!trickleMs) {
      sock.write(buf);
      return;
    }
    let i = 0;
    trickle = setInterval(() => {
      if (i < buf.length && !sock.destroyed) sock.write(buf.subarray(i, ++i));
    }, trickleMs);
  });
}

export function parseResponse(raw, closed = false, ms = 0) {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  const headers = {};
  for (const line of head.split('\r\n').slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  const body = end >= 0 ? text.slice(end + 4) : '';
  let json = null;
  try {
    json = JSON.parse(body);
  } catch {
    /* not JSON */
  }
  return { status: m ? Number(m[1]) : 0, headers, body, json, raw: text, closed, ms };
}

// Opens a connection and sends `data`, keeping the socket open. Resolves the socket once
// connected; socket.received collects what the server sends.
export function openSocket(port, data = '') {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      if (data) sock.write(data);
      resolve(sock);
    });
    sock.received = [];
    sock.closedByPeer = false;
    sock.on('data', (d) => sock.received.push(d));
    sock.on('end', () => (sock.closedByPeer = true));
    sock.on('close', () => (sock.closedByPeer = true));
    sock.on('error', (e) => (sock.closedByPeer ? null : reject(e)));
  });
}

// CPU seconds (user + system) and resident memory (KiB) of a process.
export function procStat(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hz = 100; // USER_HZ on Linux
  const cpuSec = (Number(f[11]) + Number(f[12])) / hz;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSec, rssKiB };
}

// interviewd under `ulimit -n nofile` (sh sets the soft and hard limits), like
// lib.mjs's startServer otherwise. The pid is the server's (sh execs it).
export async function startServerUlimit(nofile, { config = {}, env = {}, bin = INTERVIEWD_BIN } = {}) {
  const dir = makeTmpDir('ulimit');
  const merged = { store: { backend: 'sqlite', path: path.join(dir, 't.db') } };
  for (const [section, keys] of Object.entries(config)) merged[section] = { ...(merged[section] || {}), ...keys };
  const configPath = path.join(dir, 'interviewd.ini');
  fs.writeFileSync(configPath, iniText(merged));
  const script = `ulimit -n ${Number(nofile)} && exec "$0" serve --config "$1" --listen 127.0.0.1:0`;
  const { proc, out, ready } = spawnListening('sh', ['-c', script, bin, configPath], {
    env: childEnv(env),
    cwd: dir,
    logFile: path.join(dir, 'interviewd.log'),
    name: `interviewd (ulimit -n ${nofile})`,
  });
  const srv = { name: 'interviewd', dir, proc, logs: () => out.stdout + out.stderr };
  srv.port = await ready;
  srv.url = `http://127.0.0.1:${srv.port}`;
  return srv;
}

// Resolves once GET /healthz answers 200, or rejects after timeoutMs; returns the ms it took.
export async function waitHealthy(url, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) });
      if (r.status === 200) return Date.now() - t0;
    } catch {
      /* not yet */
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${url}/healthz did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
