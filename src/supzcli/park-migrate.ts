import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { moveFileDurable } from '../util/move.js';
import { exists, readNote, storeOf } from './park.js';

// The store before it was keyed by registry: <parked>/<file>, <file>.json and
// <file>.superseded-<time>, all at the top. Each is moved, nothing dropped, into its registry's
// folder: by its note's `from`, else by the only registry there is. A file whose registry cannot
// be told stays where it is and is named in a warning. Returns the warnings.
export async function migrateParked(root: string, registryDirs: readonly string[]): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith('.') && !e.name.endsWith('.json')).map((e) => e.name);
  const warnings: string[] = [];
  const registryOf = new Map<string, string>();
  // Current copies first: their notes also tell where the superseded copies of the name belong.
  for (const name of files.filter((n) => !n.includes('.superseded-'))) {
    const from = (await readNote(join(root, name)))?.from;
    const reg = from !== undefined ? dirname(from) : registryDirs.length === 1 ? registryDirs[0] : undefined;
    if (reg === undefined) {
      warnings.push(
        `${join(root, name)}: parked before the store was kept per registry, with no note saying which; move it to ${root}/<registry, URI-encoded>/ by hand`,
      );
      continue;
    }
    registryOf.set(name, reg);
    const dir = storeOf(root, reg);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const to = (await exists(join(dir, name))) ? join(dir, 'versions', `${stamp()}-${name}`) : join(dir, name);
    await mkdir(dirname(to), { recursive: true, mode: 0o750 });
    if (await exists(join(root, `${name}.json`))) await moveFileDurable(join(root, `${name}.json`), `${to}.json`);
    await moveFileDurable(join(root, name), to);
  }
  for (const name of files.filter((n) => n.includes('.superseded-'))) {
    const [base = name, time = ''] = name.split('.superseded-');
    const reg = registryOf.get(base) ?? (registryDirs.length === 1 ? registryDirs[0] : undefined);
    if (reg === undefined) {
      warnings.push(`${join(root, name)}: an older parked copy of ${base} from an unknown registry; left where it is`);
      continue;
    }
    const versions = join(storeOf(root, reg), 'versions');
    await mkdir(versions, { recursive: true, mode: 0o750 });
    await moveFileDurable(join(root, name), join(versions, `${time}-${randomBytes(3).toString('hex')}-${base}`));
  }
  return warnings;
}

function stamp(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}
