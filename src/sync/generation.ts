import { contentOf, type Generation, type Manifest, readManifest, successor, writeManifest } from './manifest.js';
import type { PushMode } from './rsync.js';

// How the peer's generation of a set stands to ours.
export type Relation =
  | 'same' // same content
  | 'peer-behind' // the peer's generation is one of ours before: a full push brings it up
  | 'peer-newer' // ours is one of the peer's before: pushing would undo the peer's changes
  | 'diverged' // neither descends from the other
  | 'peer-none' // the peer never received this set
  | 'local-none'; // this registry is empty and was never replicated

const has = (list: readonly Generation[], g: Generation) => list.some((x) => x.counter === g.counter && x.hash === g.hash);

export function relate(local: Manifest | undefined, peer: Manifest | undefined): Relation {
  if (!local) return 'local-none';
  if (!peer) return 'peer-none';
  if (peer.hash === local.hash) return 'same';
  if (has(local.lineage, peer)) return 'peer-behind';
  if (has(peer.lineage, local)) return 'peer-newer';
  return 'diverged';
}

// The MASTER's registry as a generation: the manifest as it is when the content matches it, else
// a successor (a first generation for confs never replicated). An empty registry that was never
// replicated has none.
export async function advance(dir: string, set: string, node: string, token: string | undefined): Promise<Manifest | undefined> {
  const base = await readManifest(dir, token);
  const content = await contentOf(dir);
  if (base && base.hash === content.hash) return base;
  if (!base && Object.keys(content.files).length === 0) return undefined;
  return writeManifest(dir, successor(set, node, content, base), token);
}

export type Decision = { push: PushMode; why: string } | { push: 'none'; why: string } | { push: 'refuse'; why: string };

// What a push may do, from the two generations and why the peer's agent did not confirm it is
// not MASTER of the set (undefined: it did). Fails closed: only a confirmed peer that is behind (or equal) gets --delete.
// `parked`: the confs of this registry in supzcli's parked store. A full push that would delete
// every conf the peer has is refused unless each of them was parked here (supzcli stop of the
// last programs) or an operator adopted the empty registry (adopt --local): a registry emptied by
// hand, or whose mount vanished, never wipes its peer.
export function decide(
  set: string,
  peerName: string,
  local: Manifest | undefined,
  peer: Manifest | undefined,
  unconfirmed: string | undefined,
  parked: ReadonlySet<string> = new Set(),
): Decision {
  const rel = relate(local, peer);
  const gen = (m: Manifest) => `generation ${m.counter} (${m.node}, ${m.time})`;
  switch (rel) {
    case 'local-none':
      if (!peer || Object.keys(peer.files).length === 0) return { push: 'none', why: 'registry empty here and on the peer' };
      return {
        push: 'refuse',
        why: `registry of ${set} is empty and was never replicated here; ${peerName} has ${gen(peer)} with ${Object.keys(peer.files).length} conf(s): not pushed (supha sync adopt ${set} --from ${peerName})`,
      };
    case 'peer-newer':
    case 'diverged':
      if (!local || !peer) throw new Error('unreachable');
      return {
        push: 'refuse',
        why: `${peerName} has ${rel === 'peer-newer' ? 'a newer' : 'a diverged'} registry of ${set}: ${gen(peer)}, here ${gen(local)}; not pushed (supha sync diff ${set}, then supha sync adopt ${set} --from ${peerName} or --local)`,
      };
    case 'peer-none':
      return { push: 'additive', why: `${peerName} has no generation of ${set} yet: only adding, nothing deleted there` };
    default: {
      if (unconfirmed !== undefined) return { push: 'additive', why: `${unconfirmed}: only adding, nothing deleted on ${peerName}` };
      const theirs = Object.keys(peer?.files ?? {});
      const lost = theirs.filter((f) => !parked.has(f));
      if (local && Object.keys(local.files).length === 0 && theirs.length > 0 && lost.length > 0 && local.adopted !== true)
        return {
          push: 'refuse',
          why: `registry of ${set} is empty here (${gen(local)}): a push would delete all ${theirs.length} conf(s) on ${peerName} (${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ', ...' : ''} not parked by supzcli); not pushed (emptied by hand, or its mount gone? supha sync adopt ${set} --local if it is meant to be empty)`,
        };
      return { push: 'full', why: rel === 'same' ? 'peer has this generation' : `peer behind (generation ${peer?.counter})` };
    }
  }
}
