import { testPause } from '../util/test-pause.js';
import type { SupervisorClient } from './client.js';
import type { UpdateResult } from './types.js';

// supervisorctl's `update` (do_update in supervisorctl.py), done client-side: reloadConfig only
// diffs, so stop+remove removed groups, stop+remove+add changed ones, add added ones.
// `only` limits it to those groups (empty: all).
export async function update(client: SupervisorClient, only: readonly string[] = []): Promise<UpdateResult> {
  const { added, changed, removed } = await client.reloadConfig();
  const want = (g: string) => only.length === 0 || only.includes(g);
  const result: UpdateResult = { added: [], changed: [], removed: [], problems: [] };

  for (const group of removed.filter(want)) {
    const stopped = await client.stopProcessGroup(group, true);
    const fails = stopped.filter((r) => r.status === 30 /* FAILED */);
    if (fails.length > 0) {
      result.problems.push({ group, message: `has problems; not removing (${fails.map((f) => f.description).join('; ')})` });
      continue;
    }
    await client.removeProcessGroup(group);
    result.removed.push(group);
  }
  for (const group of changed.filter(want)) {
    await client.stopProcessGroup(group, true);
    await client.removeProcessGroup(group);
    await testPause('update:removed');
    await client.addProcessGroup(group);
    result.changed.push(group);
  }
  for (const group of added.filter(want)) {
    await client.addProcessGroup(group);
    result.added.push(group);
  }
  return result;
}
