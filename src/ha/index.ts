export { type ApplyResult, type Rejected, rejectedOf, updateSet } from './apply.js';
export { aliveIn, type Health, type HealthInput, healthOf } from './health.js';
export { ALL, type Hold, HoldStore } from './hold.js';
export { autostartGroups, type ConvergeResult, type Group, setGroups, startAll, stopAll } from './programs.js';
export { effectiveRole, type RealState, roleOfState } from './roles.js';
export { trackFilePath, writeTrackFile } from './track.js';
