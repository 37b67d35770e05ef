export { type CheckResult, checkUrl, mapLimit } from './check.js';
export { checkRound, formatRound, listNodes, type NodeRef, nginxOf, type RoundEntry } from './round.js';
export { applyCheck, formatTime, freshHealth, type HealthFile, healthPath, type NodeHealth, type NodeStatus, readHealth, updateHealth } from './status.js';
