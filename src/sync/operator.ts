import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenFilePath } from '../agent/paths.js';
import type { Config } from '../config/index.js';
import { UserError } from '../errors.js';
import { carryFile, clearQuarantine } from './carry.js';
import { relate } from './generation.js';
import { contentOf, type Manifest, readManifest, successor, writeManifest } from './manifest.js';
import { fetchPeerManifest, historyStamp, type PushTarget, pullArgs, runRsync } from './rsync.js';
import { readToken } from './token.js';

// What `supha sync diff|adopt|history|restore` need of the config for one set.
export interface SetContext {
  set: string;
  node: string;
  registry: string;
  token: string | undefined;
  timeoutMs: number;
  peers: { name: string; target: PushTarget }[];
  carryPath: string;
}

export async function setContext(cfg: Config, set: string): Promise<SetContext> {
  const ha = cfg.ha;
  if (!ha) throw new UserError(`${cfg.configPath}: no "ha" section, so no replication`);
  const sc = ha['service-sets'][set];
  if (!sc) throw new UserError(`unknown set "${set}" (sets: ${Object.keys(ha['service-sets']).join(', ') || 'none'})`);
  const peers = Object.entries(ha.peers)
    .filter(([, p]) => p['sync-target'] !== undefined)
    .map(([name, p]) => ({ name, target: { target: p['sync-target'] ?? '', sshOptions: p['ssh-options'], passwordFile: p['password-file'] } }));
  return {
    set,
    node: ha['node-name'] ?? hostname(),
    registry: sc.registry,
    token: await readToken(tokenFilePath(cfg)),
    timeoutMs: ha.sync['timeout-ms'],
    peers,
    carryPath: carryFile(cfg['state-dir'], set),
  };
}

function peerNamed(c: SetContext, name: string) {
  const p = c.peers.find((x) => x.name === name);
  if (!p) throw new UserError(`unknown peer "${name}" (peers with a sync-target: ${c.peers.map((x) => x.name).join(', ') || 'none'})`);
  return p;
}

async function peerManifest(c: SetContext, peer: { name: string; target: PushTarget }): Promise<Manifest | undefined> {
  const r = await fetchPeerManifest(c.set, peer.target, c.token, { timeoutMs: c.timeoutMs });
  if (r.kind === 'error') throw new UserError(`${peer.name}: ${r.error}`);
  if (r.kind === 'bad') throw new UserError(`${peer.name}: ${r.why}`);
  return r.kind === 'ok' ? r.manifest : undefined;
}

export interface DiffReport {
  peer: string;
  relation: string;
  local: Manifest | undefined;
  remote: Manifest | undefined;
  onlyHere: string[];
  onlyThere: string[];
  differ: string[];
}

// The set's registry here against each peer's copy (fetched into a temp folder).
export async function diffSet(c: SetContext, only?: string): Promise<DiffReport[]> {
  const out: DiffReport[] = [];
  const here = await contentOf(c.registry);
  const local = await readManifest(c.registry, c.token);
  for (const peer of only ? [peerNamed(c, only)] : c.peers) {
    const remote = await peerManifest(c, peer);
    const dir = await mkdtemp(join(tmpdir(), 'supha-diff-'));
    try {
      const res = await runRsync(pullArgs(c.set, peer.target, dir, c.timeoutMs), peer.target, { timeoutMs: c.timeoutMs });
      if (!res.ok && !(res.exitCode === 23 && remote === undefined)) throw new UserError(`${peer.name}: ${res.error}`);
      const there = await contentOf(dir);
      const names = [...new Set([...Object.keys(here.files), ...Object.keys(there.files)])].sort();
      out.push({
        peer: peer.name,
        relation: relate(local, remote),
        local,
        remote,
        onlyHere: names.filter((n) => there.files[n] === undefined),
        onlyThere: names.filter((n) => here.files[n] === undefined),
        differ: names.filter((n) => here.files[n] !== undefined && there.files[n] !== undefined && here.files[n] !== there.files[n]),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}

// supha sync adopt SET --from NODE: the peer's copy (and generation) becomes this registry; what
// it replaces is kept in this node's history.
export async function adoptFrom(c: SetContext, from: string): Promise<Manifest> {
  const peer = peerNamed(c, from);
  const remote = await peerManifest(c, peer);
  if (!remote) throw new UserError(`${from} has no generation of ${c.set} to adopt (never replicated); adopt --local on the node that has the confs`);
  const res = await runRsync(pullArgs(c.set, peer.target, c.registry, c.timeoutMs, { stamp: historyStamp(c.node, `adopt-from-${from}`) }), peer.target, {
    timeoutMs: c.timeoutMs,
  });
  if (!res.ok) throw new UserError(`${from}: ${res.error}`);
  const got = await readManifest(c.registry, c.token);
  if (!got) throw new UserError(`${c.registry}: the adopted manifest does not verify; nothing is loaded from it`);
  return got;
}

// supha sync adopt SET --local: this registry, as it is, becomes a generation after every peer's,
// so the next push replaces their copies (kept in their history).
export async function adoptLocal(c: SetContext): Promise<{ manifest: Manifest; over: string[] }> {
  const remotes: { name: string; m: Manifest }[] = [];
  for (const peer of c.peers) {
    const m = await peerManifest(c, peer);
    if (m) remotes.push({ name: peer.name, m });
  }
  const base = await readManifest(c.registry, c.token);
  // Marked adopted: an empty registry adopted this way may empty the peers too.
  const next: Manifest = {
    ...successor(
      c.set,
      c.node,
      await contentOf(c.registry),
      base,
      remotes.map((r) => r.m),
    ),
    adopted: true,
  };
  // The registry as it is is right: confs quarantined at a promotion stay in the history only
  // (cleared first: the agent reads the alarm again when it sees the new manifest).
  await clearQuarantine(c.carryPath);
  const manifest = await writeManifest(c.registry, next, c.token);
  return { manifest, over: remotes.map((r) => `${r.name} (generation ${r.m.counter})`) };
}
