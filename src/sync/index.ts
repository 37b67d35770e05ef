// Registry replication: the MASTER of a set pushes its registry to every peer; every node makes
// its supervisord match the registry it holds. See docs/replication.md.
export { type ApplyResult, applyRegistry, type Rejected } from './apply.js';
export { backoffMs, SerialRunner } from './debounce.js';
export { formatSyncStatus } from './format.js';
export { advance, decide, type Relation, relate } from './generation.js';
export { type Kept, listHistory, pruneHistory, type Retention, restoreHistory } from './history.js';
export { contentOf, MANIFEST, type Manifest, readManifest, verifyReplica, writeManifest } from './manifest.js';
export { createSyncModule, SyncModule, type SyncStatus } from './module.js';
export { type PauseState, PauseStore, pauseFile } from './pause.js';
export { PeerPusher, type PeerState, type PeerStatus } from './peer.js';
export { type PeerRole, peerRole } from './role-check.js';
export { fetchPeerManifest, isDaemonTarget, type PushMode, type PushResult, type PushTarget, pushRegistry, rsyncArgs, sshCommand } from './rsync.js';
export { type SetStatus, SetSync } from './set.js';
export { watchRegistry } from './watch.js';
