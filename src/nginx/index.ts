export {
  type InstallResult,
  installUpstream,
  lastGoodPath,
  type NginxTarget,
  nginxTarget,
  pendingPath,
  recoverInterruptedTest,
} from './install.js';
export { reloadAndVerify } from './reload.js';
export { healthyPrimaries, renderUpstream } from './render.js';
export { childPids, masterPid } from './workers.js';
