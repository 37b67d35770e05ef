export {
  type InstallResult,
  installUpstream,
  lastGoodPath,
  type NginxTarget,
  nginxTarget,
  pendingPath,
  recoverInterruptedTest,
  reloadAndVerify,
} from './install.js';
export { healthyPrimaries, renderUpstream } from './render.js';
export { childPids, masterPid } from './workers.js';
