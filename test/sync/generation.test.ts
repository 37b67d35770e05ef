import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { advance, decide, MANIFEST, readManifest, relate, verifyReplica } from '../../src/sync/index.js';
import { hashFiles } from '../../src/sync/manifest.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'gen-token';

test('the MASTER advances the generation on every change, and only then', async () => {
  const t = await tempDir('supha-gen-');
  try {
    assert.equal(await advance(t.dir, 'apps', 'n1', TOKEN), undefined, 'an empty, never-replicated registry has no generation');
    await writeFile(join(t.dir, 'a.conf'), '[program:a]\ncommand=/bin/true\n');
    const g1 = await advance(t.dir, 'apps', 'n1', TOKEN);
    assert.equal(g1?.counter, 1);
    assert.deepEqual(await advance(t.dir, 'apps', 'n1', TOKEN), g1, 'same content: same generation');
    await writeFile(join(t.dir, 'b.conf'), '[program:b]\ncommand=/bin/true\n');
    const g2 = await advance(t.dir, 'apps', 'n1', TOKEN);
    assert.equal(g2?.counter, 2);
    assert.deepEqual(g2?.lineage[0], { counter: 1, hash: g1?.hash });
    assert.equal(relate(g2, g1), 'peer-behind');
    assert.equal(relate(g1, g2), 'peer-newer');
    assert.equal(relate(g2, g2), 'same');
    assert.equal(relate(g2, undefined), 'peer-none');
    assert.equal(relate(undefined, g2), 'local-none');
  } finally {
    await t.cleanup();
  }
});

test('decide: only a confirmed peer that is behind gets --delete; newer, diverged and empty-here refuse', async () => {
  const a = await tempDir('supha-gen-a-');
  const b = await tempDir('supha-gen-b-');
  try {
    await writeFile(join(a.dir, 'x.conf'), 'x');
    const base = await advance(a.dir, 'apps', 'n1', TOKEN);
    await writeFile(join(b.dir, MANIFEST), await readFile(join(a.dir, MANIFEST)));
    await writeFile(join(b.dir, 'x.conf'), 'x');
    await writeFile(join(a.dir, 'y.conf'), 'y');
    await writeFile(join(b.dir, 'z.conf'), 'z');
    const ours = await advance(a.dir, 'apps', 'n1', TOKEN);
    const theirs = await advance(b.dir, 'apps', 'n2', TOKEN);
    assert.equal(decide('apps', 'n2', ours, base, undefined).push, 'full');
    assert.equal(decide('apps', 'n2', ours, base, 'peer agent unreachable').push, 'additive');
    assert.equal(decide('apps', 'n2', ours, undefined, undefined).push, 'additive');
    const diverged = decide('apps', 'n2', ours, theirs, undefined);
    assert.equal(diverged.push, 'refuse');
    assert.match(diverged.why, /diverged registry of apps.*supha sync adopt apps --from n2 or --local/);
    assert.equal(decide('apps', 'n2', base, ours, undefined).push, 'refuse');
    const empty = decide('apps', 'n2', undefined, ours, undefined);
    assert.equal(empty.push, 'refuse');
    assert.match(empty.why, /empty and was never replicated here/);
    assert.equal(decide('apps', 'n2', undefined, undefined, undefined).push, 'none');
    // Replicated, then emptied: pushing it would delete every conf on the peer.
    await rm(join(a.dir, 'x.conf'));
    await rm(join(a.dir, 'y.conf'));
    const emptied = await advance(a.dir, 'apps', 'n1', TOKEN);
    assert.deepEqual(emptied?.files, {});
    const wipe = decide('apps', 'n2', emptied, ours, undefined);
    assert.equal(wipe.push, 'refuse');
    assert.match(wipe.why, /a push would delete all 2 conf\(s\) on n2 \(x\.conf, y\.conf not parked/);
    assert.equal(decide('apps', 'n2', emptied, ours, undefined, new Set(['x.conf'])).push, 'refuse', 'one parked is not enough');
    assert.equal(decide('apps', 'n2', emptied, ours, undefined, new Set(['x.conf', 'y.conf'])).push, 'full', 'both parked by supzcli stop');
    assert.equal(decide('apps', 'n2', emptied, ours, 'peer agent unreachable').push, 'additive', 'adding deletes nothing');
    assert.equal(decide('apps', 'n2', emptied && { ...emptied, adopted: true }, ours, undefined).push, 'full', 'adopted empty');
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

test('a replica loads only confs listed, unchanged, in a manifest signed with the token', async () => {
  const t = await tempDir('supha-gen-v-');
  try {
    await writeFile(join(t.dir, 'a.conf'), 'a');
    await writeFile(join(t.dir, 'b.conf'), 'b');
    assert.deepEqual([...(await verifyReplica(t.dir, TOKEN)).verified], [], 'no manifest: nothing');
    await advance(t.dir, 'apps', 'n1', TOKEN);
    assert.deepEqual([...(await verifyReplica(t.dir, TOKEN)).verified].sort(), ['a.conf', 'b.conf']);
    await writeFile(join(t.dir, 'b.conf'), 'changed here');
    await writeFile(join(t.dir, 'c.conf'), 'not sent');
    assert.deepEqual([...(await verifyReplica(t.dir, TOKEN)).verified], ['a.conf']);
    // Someone with write access to the rsync module forges a manifest without the token.
    const m = JSON.parse(await readFile(join(t.dir, MANIFEST), 'utf8'));
    m.files['c.conf'] = createHash('sha256').update('not sent').digest('hex');
    m.hash = hashFiles(m.files);
    await writeFile(join(t.dir, MANIFEST), JSON.stringify(m));
    const forged = await verifyReplica(t.dir, TOKEN);
    assert.deepEqual([...forged.verified], []);
    assert.match(forged.problem ?? '', /does not verify/);
    assert.equal(await readManifest(t.dir, TOKEN), undefined);
    assert.equal(await readManifest(t.dir, 'other-token'), undefined);
  } finally {
    await t.cleanup();
  }
});
