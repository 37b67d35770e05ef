import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRegistryFile } from '../registry/index.js';

// A cheap fingerprint of a registry folder: its conf files' names, sizes and mtimes.
export async function registrySignature(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isRegistryFile).sort();
  } catch {
    return 'missing';
  }
  const parts = await Promise.all(
    names.map(async (n) => {
      const st = await stat(join(dir, n)).catch(() => undefined);
      return st ? `${n}:${st.size}:${st.mtimeMs}` : `${n}:gone`;
    }),
  );
  return parts.join('|');
}
