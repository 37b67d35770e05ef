import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/util/exec.js';
import { tempDir, waitFor } from '../helpers/tmp.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('outputFile: a script that leaves a daemon holding stderr returns when the script exits', async () => {
  const { dir, cleanup } = await tempDir();
  const pidFile = join(dir, 'daemon.pid');
  const out = join(dir, 'logs', 'node.log');
  try {
    // The daemon keeps the script's stdout and stderr open for 60 s.
    const script = `sleep 60 & echo $! > ${pidFile}; echo started; echo oops >&2`;
    const r = await run('/bin/sh', ['-c', script], { timeoutMs: 20_000, outputFile: out });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'started\noops');
    assert.ok(r.durationMs < 10_000, `returned after ${r.durationMs} ms`);
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.ok(alive(pid), 'the daemon lives on');
    process.kill(pid, 'SIGKILL');
    // A failing script: its last lines name the reason.
    await assert.rejects(run('/bin/sh', ['-c', 'echo "already running" >&2; exit 1'], { outputFile: out }), /exit 1: already running/);
  } finally {
    await cleanup();
  }
});

test('outputFile: the timeout kills the whole process group, SIGTERM-proof members included', async () => {
  const { dir, cleanup } = await tempDir();
  const pidFile = join(dir, 'child.pid');
  try {
    const script = `sh -c 'trap "" TERM; sleep 60' & echo $! > ${pidFile}; sleep 60`;
    const t0 = performance.now();
    await assert.rejects(run('/bin/sh', ['-c', script], { timeoutMs: 500, killAfterMs: 500, outputFile: join(dir, 'out.log') }), /timed out after 500 ms/);
    assert.ok(performance.now() - t0 < 10_000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await waitFor('the group member to be killed', () => !alive(pid));
  } finally {
    await cleanup();
  }
});
