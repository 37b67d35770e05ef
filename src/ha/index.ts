export { ALL, type Hold, HoldStore } from './hold.js';
export { type ConvergeResult, type Group, setGroups, startAll, stopAll } from './programs.js';
export { effectiveRole, type RealState, roleOfState } from './roles.js';
export { trackFilePath, writeTrackFile } from './track.js';
