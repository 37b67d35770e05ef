import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { filesUnder } from '../chaos/observe.js';
import { type SyncNode, type SyncPair, startSyncPair } from '../helpers/sync-pair.js';
import { waitFor } from '../helpers/tmp.js';
import { descendants, tornFiles } from './files.js';

const conf = (name: string, v: string, pad = 0) =>
  `[program:${name}]\ncommand=/bin/sleep 100000 ${v}\nautostart=false\nstartsecs=0\n; ${v}\n${'; padding to make the push slow\n'.repeat(pad)}`;

// kill -9 of the MASTER's agent while rsync pushes (slowed to 10 kB/s by a test-only rsync on
// its PATH), and of the BACKUP's agent while it applies a replica (stopped by SUPHA_TEST_PAUSE_AT
// between removing a changed group and adding it back). The next agent converges, every conf
// content written is somewhere, the replica has no torn conf.
describe('kill -9 of the agent during replication', { timeout: 180_000 }, () => {
  let pair: SyncPair;
  let slowBin: string;
  const n1 = () => pair.nodes[0] as SyncNode;
  const n2 = () => pair.nodes[1] as SyncNode;
  const written = new Set<string>();
  const put = async (n: SyncNode, file: string, text: string) => {
    written.add(text);
    await writeFile(join(n.registry, file), text);
  };
  const confs = async (dir: string) =>
    Object.fromEntries(
      await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.conf')).map(async (f) => [f, await readFile(join(dir, f), 'utf8')] as const)),
    );
  const kill9 = async (n: SyncNode, withChildren: boolean) => {
    const child = n.agent!.child;
    const kids = withChildren ? await descendants(child.pid ?? 0) : [];
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    // systemd's control-group kill: what the agent started goes with it.
    for (const k of kids) {
      try {
        process.kill(k.pid, 'SIGKILL');
      } catch {}
    }
    await gone;
    n.agent = undefined;
    return kids;
  };
  // Every conf content the test wrote is in a file under one of the hosts (registry, replica,
  // kept history), and no replica conf is torn (each is some content the test wrote).
  // `killed`: right after a kill -9 a temp file of the write it interrupted may be there (the
  // next agent removes it: checked after it starts); torn files never.
  const nothingLost = async (killed = false) => {
    const all = new Set<string>();
    for (const n of pair.nodes) for (const f of await filesUnder(n.dir)) all.add(await readFile(f, 'utf8').catch(() => ''));
    for (const t of written) assert.ok(all.has(t), `conf lost: ${t.split('\n')[4]}`);
    for (const [f, t] of Object.entries(await confs(n2().registry))) assert.ok(written.has(t), `replica ${f} is torn or unknown`);
    for (const n of pair.nodes)
      assert.deepEqual(
        (await tornFiles(join(n.dir, 'state'))).filter((f) => !(killed && f.endsWith(': temp file left'))),
        [],
      );
  };
  const inSync = () =>
    waitFor('the replica to match the registry', async () => JSON.stringify(await confs(n1().registry)) === JSON.stringify(await confs(n2().registry)), 20_000);
  const groups = async (n: SyncNode) => new Set((await n.sv.client().getAllProcessInfo()).map((p) => p.group));

  before(async () => {
    pair = await startSyncPair();
    slowBin = join(n1().dir, 'slow-bin');
    await mkdir(slowBin);
    // Test-only: the agent's pushes (the runs with --backup-dir) go at 10 kB/s.
    await writeFile(
      join(slowBin, 'rsync'),
      '#!/bin/sh\ncase " $* " in *" --backup-dir="*) exec /usr/bin/rsync --bwlimit=10 "$@";; esac\nexec /usr/bin/rsync "$@"\n',
    );
    await chmod(join(slowBin, 'rsync'), 0o755);
    await n1().setRole('MASTER');
    await n2().setRole('BACKUP');
    await put(n1(), 'a.conf', conf('a', 'v1'));
    await inSync();
  });
  after(async () => {
    await pair?.destroy();
  });

  test('the MASTER killed while rsync pushes: no torn replica conf; the next agent pushes it all', async () => {
    await n1().agent!.stop();
    await n1().startAgent({ PATH: `${slowBin}:${process.env.PATH}` });
    await n1().setRole('MASTER');
    await put(n1(), 'a.conf', conf('a', 'v2'));
    await put(n1(), 'big.conf', conf('big', 'v1', 2_000));
    const tmpDir = join(n2().registry, '.~tmp~');
    await waitFor('rsync to be writing into the replica', async () => (await readdir(tmpDir).catch(() => [])).length > 0, 20_000, 10);
    const kids = await kill9(n1(), true);
    assert.ok(
      kids.some((k) => k.cmd.includes('--backup-dir=')),
      `a push was running: ${kids.map((k) => k.cmd).join(' | ')}`,
    );
    await nothingLost(true);
    assert.equal((await confs(n2().registry))['a.conf'], conf('a', 'v1'), '--delay-updates: nothing renamed into place yet');
    await n1().startAgent();
    await n1().setRole('MASTER');
    await inSync();
    await waitFor('the BACKUP to load big (not start it)', async () => (await groups(n2())).has('big'), 20_000);
    assert.equal((await n2().sv.client().getProcessInfo('big')).statename, 'STOPPED');
    await nothingLost();
  });

  test('the BACKUP killed while it applies a replica (a changed group removed, not yet added back): the next agent adds it', async () => {
    const arm = join(n2().dir, 'pause-update');
    await n2().agent!.stop();
    await n2().startAgent({ SUPHA_TEST_PAUSE_AT: 'update:removed', SUPHA_TEST_PAUSE_FILE: arm });
    await n2().setRole('BACKUP');
    await writeFile(arm, '');
    await put(n1(), 'a.conf', conf('a', 'v3'));
    await waitFor('the BACKUP to pause between remove and add', () => readFile(`${arm}.paused`, 'utf8'), 20_000, 10);
    await rm(arm);
    assert.equal((await groups(n2())).has('a'), false, 'a is removed from supervisord at the pause');
    await kill9(n2(), false);
    await inSync();
    await nothingLost();
    await n2().startAgent();
    await n2().setRole('BACKUP');
    await waitFor('the new agent to add a back', async () => (await groups(n2())).has('a'), 20_000);
    assert.equal((await n2().sv.client().getProcessInfo('a')).statename, 'STOPPED', 'BACKUP: loaded, not started');
    assert.deepEqual(await n2().sv.client().reloadConfig(), { added: [], changed: [], removed: [] }, "supervisord runs the replica's confs");
    await nothingLost();
  });
});
