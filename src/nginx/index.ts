export { type InstallResult, installUpstream, lastGoodPath, type NginxTarget, nginxTarget, recoverInterruptedTest, reloadAndVerify } from './install.js';
export { healthyPrimaries, renderUpstream } from './render.js';
export { childPids, masterPid } from './workers.js';
