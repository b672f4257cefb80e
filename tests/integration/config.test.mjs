// The command line and the INI config: bad config or usage exits 2 with a message that
// names the file, the line and the key (CONTRACT.md); `version` exits 0.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { logged, makeTmpDir, runCli } from './lib.mjs';

// Writes an INI file whose bad line is line 6 (five lines of valid content first), so
// the line number in the message means something.
function writeConfig(dir, badSection, badLine) {
  const file = path.join(dir, 'bad.ini');
  const text = [
    '; interviewd test config',
    '[store]',
    `path = ${path.join(dir, 't.db')}`,
    '',
    `[${badSection}]`,
    badLine,
    '',
  ].join('\n');
  fs.writeFileSync(file, text);
  return file;
}

// Runs `interviewd serve --config FILE ...` and asserts exit 2 with file, line and key
// named on stderr.
async function expectConfigError(dir, file, line, key, extraArgs = []) {
  const r = await runCli(['serve', '--config', file, ...extraArgs], { cwd: dir });
  const out = `exit ${r.code} signal ${r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  assert.equal(r.code, 2, out);
  assert.ok(r.stderr.includes(path.basename(file)), `stderr does not name the file:\n${out}`);
  assert.match(r.stderr, new RegExp(`(:|line )${line}\\b`), `stderr does not name line ${line}:\n${out}`);
  assert.ok(r.stderr.includes(key), `stderr does not name the key "${key}":\n${out}`);
  assert.ok(!/^listening /m.test(r.stdout), `started listening anyway:\n${out}`);
}

test(
  'an unknown key in a known section ([server] bogus_key) exits 2 naming file, line 6 and key',
  logged(async () => {
    const dir = makeTmpDir('cfg');
    const file = writeConfig(dir, 'server', 'bogus_key = 1');
    await expectConfigError(dir, file, 6, 'bogus_key', ['--listen', '127.0.0.1:0']);
  }),
);

test(
  'a bad listen address ([server] listen = nonsense) exits 2 naming file, line 6 and key',
  logged(async () => {
    const dir = makeTmpDir('cfg');
    const file = writeConfig(dir, 'server', 'listen = nonsense');
    await expectConfigError(dir, file, 6, 'listen');
  }),
);

test(
  'a value outside its set ([budget] mode = turbo) exits 2 naming file, line 6 and key',
  logged(async () => {
    const dir = makeTmpDir('cfg');
    const file = writeConfig(dir, 'budget', 'mode = turbo');
    await expectConfigError(dir, file, 6, 'mode', ['--listen', '127.0.0.1:0']);
  }),
);

test(
  'a non-numeric number ([cache] max_bytes = lots) exits 2 naming file, line 6 and key',
  logged(async () => {
    const dir = makeTmpDir('cfg');
    const file = writeConfig(dir, 'cache', 'max_bytes = lots');
    await expectConfigError(dir, file, 6, 'max_bytes', ['--listen', '127.0.0.1:0']);
  }),
);

test(
  'a missing config file exits 2 naming the file',
  logged(async () => {
    const dir = makeTmpDir('cfg');
    const file = path.join(dir, 'does-not-exist.ini');
    const r = await runCli(['serve', '--config', file, '--listen', '127.0.0.1:0'], { cwd: dir });
    const out = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    assert.equal(r.code, 2, out);
    assert.ok(r.stderr.includes('does-not-exist.ini'), `stderr does not name the file:\n${out}`);
  }),
);

test(
  'an unknown command or option exits 2',
  logged(async () => {
    const dir = makeTmpDir('cfg');
    const a = await runCli(['frobnicate'], { cwd: dir });
    assert.equal(a.code, 2, `frobnicate: exit ${a.code}\n${a.stderr}`);
    const b = await runCli(['serve', '--no-such-option'], { cwd: dir });
    assert.equal(b.code, 2, `serve --no-such-option: exit ${b.code}\n${b.stderr}`);
    const c = await runCli(['serve', '--listen', 'nonsense'], { cwd: dir });
    assert.equal(c.code, 2, `serve --listen nonsense: exit ${c.code}\n${c.stderr}`);
  }),
);

test(
  '`interviewd version` exits 0 and prints a version number',
  logged(async () => {
    const r = await runCli(['version']);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
    assert.match(r.stdout, /\d+\.\d+\.\d+/);
  }),
);
