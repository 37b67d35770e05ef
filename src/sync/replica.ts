import { basename } from 'node:path';
import type { Rejected } from '../ha/index.js';
import type { RegistryScan } from '../registry/index.js';
import { verifyReplica } from './manifest.js';

// The rule a non-MASTER loads a replica by (the agent's loop and nothing else applies it): the
// registry's confs that no manifest signed with the shared token lists, refused. Write access to
// the rsync module (or a hand edit on the BACKUP) is not enough to make this node load a program.
// Without a token every conf counts (verifyReplica).
export async function unverifiedConfs(registry: string, scan: RegistryScan, token: string | undefined): Promise<Rejected[]> {
  const { verified, problem } = await verifyReplica(registry, token);
  return scan.entries
    .filter((e) => !verified.has(basename(e.file)))
    .map((e) => ({
      file: basename(e.file),
      group: e.name,
      program: e.programs.join(',') || e.name,
      reason: `not in a manifest that verifies with the shared token: not loaded (${problem ?? 'changed here, or not sent by a peer'})`,
    }));
}
