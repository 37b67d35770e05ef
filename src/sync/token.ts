import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';

// The peers' shared token (ha.agent.token-file): bearer for the agents' API, key of the manifests' HMAC.
export async function readToken(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch (err) {
    throw new UserError(`ha.agent.token-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
