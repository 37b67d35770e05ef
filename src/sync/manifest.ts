import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRegistryFile } from '../registry/index.js';
import { writeFileAtomic } from '../util/atomic.js';

// A set's generation travels with its registry in this file (a dot file: supervisord's include
// and the registry scan skip it; rsync's filter lets it through).
export const MANIFEST = '.supha-manifest.json';
// How many earlier generations a manifest remembers (to tell "peer behind" from "diverged").
const LINEAGE = 64;

export interface Generation {
  counter: number;
  hash: string;
}

export interface Manifest extends Generation {
  set: string;
  node: string;
  time: string;
  // file name → sha256 of its content
  files: Record<string, string>;
  // Earlier generations, newest first.
  lineage: Generation[];
  // Set by `supha sync adopt SET --local`: an operator said this content is right, so a push of it
  // may delete every conf on a peer (an empty registry is otherwise never pushed over a full one).
  adopted?: true | undefined;
  // HMAC-SHA256 over the rest with the peers' shared token (absent without a token).
  hmac?: string | undefined;
}

export interface Content {
  files: Record<string, string>;
  hash: string;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// The registry's confs as the manifest records them: every file supervisord would include.
export async function contentOf(dir: string): Promise<Content> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isRegistryFile).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
    else throw err;
  }
  const files: Record<string, string> = {};
  for (const n of names) {
    try {
      files[n] = sha(await readFile(join(dir, n)));
    } catch (err) {
      // Gone between readdir and read, or a folder named x.conf: not a conf.
      if (!['ENOENT', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  return { files, hash: hashFiles(files) };
}

export function hashFiles(files: Record<string, string>): string {
  return sha(
    Object.keys(files)
      .sort()
      .map((n) => `${n}\0${files[n]}\n`)
      .join(''),
  );
}

// The signed text: fixed key order, files sorted.
function canonical(m: Manifest): string {
  const files = Object.fromEntries(
    Object.keys(m.files)
      .sort()
      .map((k) => [k, m.files[k]]),
  );
  const lineage = m.lineage.map((g) => ({ counter: g.counter, hash: g.hash }));
  // adopted is left out when unset, so manifests written before it existed still verify.
  const adopted = m.adopted === true ? true : undefined;
  return JSON.stringify({ set: m.set, counter: m.counter, node: m.node, time: m.time, hash: m.hash, files, lineage, adopted });
}

export function sign(m: Manifest, token: string | undefined): Manifest {
  const { hmac: _, ...rest } = m;
  return token === undefined ? rest : { ...rest, hmac: createHmac('sha256', token).update(canonical(rest)).digest('hex') };
}

// True when the manifest is well formed, its hash matches its files and (with a token) its HMAC.
export function verifyManifest(m: Manifest, token: string | undefined): boolean {
  if (hashFiles(m.files) !== m.hash) return false;
  if (token === undefined) return true;
  const want = sign(m, token).hmac ?? '';
  const got = m.hmac ?? '';
  return got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

export function parseManifest(text: string): Manifest | undefined {
  try {
    const m = JSON.parse(text) as Manifest;
    const gen = (g: unknown): g is Generation =>
      typeof g === 'object' && g !== null && Number.isInteger((g as Generation).counter) && typeof (g as Generation).hash === 'string';
    const ok =
      gen(m) &&
      typeof m.set === 'string' &&
      typeof m.node === 'string' &&
      typeof m.time === 'string' &&
      typeof m.files === 'object' &&
      m.files !== null &&
      Object.values(m.files).every((v) => typeof v === 'string') &&
      Array.isArray(m.lineage) &&
      m.lineage.every(gen) &&
      (m.adopted === undefined || m.adopted === true);
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}

export type ManifestRead = { kind: 'none' } | { kind: 'bad'; why: string } | { kind: 'ok'; manifest: Manifest };

// Reads and checks a manifest file; a missing file is "none", a forged or broken one is "bad".
export async function readManifestFile(file: string, token: string | undefined): Promise<ManifestRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  const m = parseManifest(text);
  if (!m) return { kind: 'bad', why: `${file}: not a supha manifest` };
  if (!verifyManifest(m, token)) return { kind: 'bad', why: `${file}: does not verify with the shared token (ha.agent.token-file)` };
  return { kind: 'ok', manifest: m };
}

export async function readManifest(dir: string, token: string | undefined): Promise<Manifest | undefined> {
  const r = await readManifestFile(join(dir, MANIFEST), token);
  return r.kind === 'ok' ? r.manifest : undefined;
}

export async function writeManifest(dir: string, m: Manifest, token: string | undefined): Promise<Manifest> {
  const signed = sign(m, token);
  await writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(signed, null, 2)}\n`, 0o600);
  return signed;
}

// A successor of `base` (or a first generation) describing `content`, written by `node`.
export function successor(set: string, node: string, content: Content, base: Manifest | undefined, also: Generation[] = []): Manifest {
  const before = base ? [{ counter: base.counter, hash: base.hash }, ...base.lineage] : [];
  const counter = Math.max(base?.counter ?? 0, ...also.map((g) => g.counter)) + 1;
  const lineage = [...also.map((g) => ({ counter: g.counter, hash: g.hash })), ...before].slice(0, LINEAGE);
  return { set, counter, node, time: new Date().toISOString(), hash: content.hash, files: content.files, lineage };
}

// The receiving side: the confs of `dir` that a peer holding the token sent (listed, same
// content, in a manifest that verifies). Without a token every conf counts.
export async function verifyReplica(dir: string, token: string | undefined): Promise<{ verified: Set<string>; problem?: string }> {
  const content = await contentOf(dir);
  if (token === undefined) return { verified: new Set(Object.keys(content.files)) };
  const r = await readManifestFile(join(dir, MANIFEST), token);
  if (r.kind !== 'ok') return { verified: new Set(), problem: r.kind === 'none' ? `no ${MANIFEST}: nothing here came from a peer` : r.why };
  const listed = r.manifest.files;
  return { verified: new Set(Object.keys(content.files).filter((f) => listed[f] === content.files[f])) };
}
