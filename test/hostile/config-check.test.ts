import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { supha } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { BROKEN, baseConfig } from './configs.js';

// Every file under dir with its content: "nothing changed" is this, equal before and after.
async function snapshot(dir: string): Promise<string> {
  const names = (await readdir(dir, { recursive: true })).sort();
  return JSON.stringify(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8').catch(() => '<dir>')])));
}

// Runs `supha config check` on each text, four at a time; returns the results in order.
async function checkAll(texts: string[]): Promise<{ code: number; stdout: string; stderr: string; changed: boolean }[]> {
  const out: { code: number; stdout: string; stderr: string; changed: boolean }[] = [];
  for (let i = 0; i < texts.length; i += 4) {
    out.push(
      ...(await Promise.all(
        texts.slice(i, i + 4).map(async (text) => {
          const tmp = await tempDir('supha-hostile-');
          try {
            const path = join(tmp.dir, 'config.json');
            await writeFile(path, text);
            // The base config's token file (config check refuses one that is missing or open).
            await writeFile(join(tmp.dir, 'agent.token'), 'hostile-token\n', { mode: 0o600 });
            const before = await snapshot(tmp.dir);
            const r = await supha(['--config', path, 'config', 'check'], { SUPHA_CONFIG: '' });
            return { ...r, changed: (await snapshot(tmp.dir)) !== before };
          } finally {
            await tmp.cleanup();
          }
        }),
      )),
    );
  }
  return out;
}

test('the valid base config passes (so each broken one fails for its own reason)', async () => {
  const [r] = await checkAll([JSON.stringify(baseConfig())]);
  assert.equal(r?.code, 0, r?.stderr);
});

test(`${BROKEN.length} malformed configs: each exit 2, names what is wrong, no stack, nothing changed`, async () => {
  assert.ok(BROKEN.length >= 50);
  const texts = BROKEN.map(([, edit]) => {
    if (typeof edit === 'string') return edit;
    const c = baseConfig();
    edit(c);
    return JSON.stringify(c);
  });
  const results = await checkAll(texts);
  const wrong: string[] = [];
  for (const [i, [what, , word]] of BROKEN.entries()) {
    const r = results[i];
    if (!r) continue;
    const lines = r.stderr.trim().split('\n');
    const problems = [
      r.code !== 2 && `exit ${r.code}`,
      !word.test(r.stderr) && `no ${word} in ${JSON.stringify(r.stderr)}`,
      /^\s+at /m.test(r.stderr) && 'a stack trace',
      r.changed && 'files changed',
      r.stdout.trim() !== '' && `stdout ${JSON.stringify(r.stdout)}`,
      lines.some((l) => l.length > 400) && 'a line over 400 characters',
    ].filter(Boolean);
    if (problems.length) wrong.push(`${what}: ${problems.join('; ')}`);
  }
  assert.deepEqual(wrong, []);
});
