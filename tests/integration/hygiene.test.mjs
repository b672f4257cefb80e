// The process hygiene check of lib.mjs can fail: stand-in processes (node one-liners)
// that misbehave the ways a server can at shutdown (ignore SIGTERM, die by a signal,
// exit non-zero, print a sanitizer report) are each reported as unclean, by
// checkHandles and by logged(), and a well-behaved one is not. Every other integration
// file relies on this check (logged() and the root `after` hook of lib.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHandles, logged, sleep, spawnChecked } from './lib.mjs';

// Starts `node -e "<setup>; print ready; idle"` and resolves its handle once its signal
// handlers are in place.
async function standIn(setup, name) {
  const h = spawnChecked(
    process.execPath,
    ['-e', `${setup}; console.log('ready'); setInterval(() => {}, 1000);`],
    { name },
  );
  for (let i = 0; i < 200 && !h.stdout().includes('ready'); i++) await sleep(25);
  assert.ok(h.stdout().includes('ready'), `${name} did not start: ${h.logs()}`);
  return h;
}

const LSAN = '==4242==ERROR: LeakSanitizer: detected memory leaks';
const UBSAN = 'src/core/util.c:42:17: runtime error: signed integer overflow: 2147483647 + 1';

test('a process that exits 0 on SIGTERM and prints nothing alarming is clean', async () => {
  const h = await standIn(`process.on('SIGTERM', () => process.exit(0))`, 'well-behaved');
  assert.deepEqual(await checkHandles([h]), []);
});

test('a process that ignores SIGTERM is SIGKILLed and reported as a hang', { timeout: 30000 }, async () => {
  const h = await standIn(`process.on('SIGTERM', () => {})`, 'ignores-term');
  const problems = await checkHandles([h]);
  assert.match(problems.join('\n'), /ignores-term: still running \d+ ms after SIGTERM \(a hang\?\), SIGKILLed/);
});

test('a process that dies by a signal on SIGTERM is reported', async () => {
  const h = await standIn(`process.on('SIGTERM', () => process.abort())`, 'aborts');
  assert.match((await checkHandles([h])).join('\n'), /aborts: killed by SIGABRT/);
});

test('a process that exits non-zero on SIGTERM is reported', async () => {
  const h = await standIn(`process.on('SIGTERM', () => process.exit(3))`, 'exits-3');
  assert.match((await checkHandles([h])).join('\n'), /exits-3: exited with status 3 after SIGTERM/);
});

test('a process that crashes before it is stopped is reported', async () => {
  const h = await standIn(`setTimeout(() => process.kill(process.pid, 'SIGSEGV'), 50)`, 'segv');
  await h.exited;
  assert.match((await checkHandles([h])).join('\n'), /segv: killed by SIGSEGV before the test stopped it/);
});

test('a LeakSanitizer or UBSan report on stderr is reported even with exit status 0', async () => {
  for (const line of [LSAN, UBSAN]) {
    const h = await standIn(
      `console.error(${JSON.stringify(line)}); process.on('SIGTERM', () => process.exit(0))`,
      'sanitized',
    );
    const problems = (await checkHandles([h])).join('\n');
    assert.ok(problems.includes(`sanitized: sanitizer report: ${line}`), problems);
  }
});

test('a command run to completion may exit non-zero but not die by a signal', async () => {
  const ok = spawnChecked('sh', ['-c', 'exit 2'], { name: 'exit-2', mode: 'cli' });
  await ok.exited;
  assert.deepEqual(await checkHandles([ok]), []);
  const bad = spawnChecked('sh', ['-c', 'kill -SEGV $$'], { name: 'cli-segv', mode: 'cli' });
  await bad.exited;
  assert.match((await checkHandles([bad])).join('\n'), /cli-segv: killed by SIGSEGV/);
});

test('logged() fails a test whose process exits uncleanly, after the body passed', async () => {
  const body = logged(async () => {
    await standIn(`process.on('SIGTERM', () => process.exit(3))`, 'inside-logged');
  });
  await assert.rejects(body(), /unclean process exit:\ninside-logged: exited with status 3 after SIGTERM/);
  const clean = logged(async () => {
    await standIn(`process.on('SIGTERM', () => process.exit(0))`, 'clean-inside-logged');
  });
  await clean();
});
