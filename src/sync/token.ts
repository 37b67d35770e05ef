import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../errors.js';

// The peers' shared token (ha.agent.token-file): bearer for the agents' API, key of the manifests'
// HMAC. The one reader: the file must be a regular file, non-empty, and readable by its owner only
// (mode 0600 or stricter), as it lets a client hold sets. No file configured: undefined.
export async function readToken(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  const what = `ha.agent.token-file ${file}`;
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`${what}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`);
  });
  if (!st.isFile()) throw new UserError(`${what}: not a regular file`);
  if ((st.mode & 0o077) !== 0) throw new UserError(`${what}: mode ${(st.mode & 0o777).toString(8)} lets others read it; chmod 600 ${file}`);
  const token = (
    await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`${what}: ${err.code ?? err.message}`);
    })
  ).trim();
  if (token === '') throw new UserError(`${what}: empty`);
  return token;
}
