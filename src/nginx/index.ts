export {
  type InstallResult,
  installUpstream,
  lastGoodPath,
  type NginxTarget,
  nginxTarget,
  pendingPath,
  recoverInterruptedTest,
} from './install.js';
export { findMaster, findNginx, masterIn } from './locate.js';
export { reloadAndVerify } from './reload.js';
export { healthyPrimaries, renderUpstream } from './render.js';
export { childPids } from './workers.js';
