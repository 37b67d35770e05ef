import { tokenFilePath } from '../agent/paths.js';
import type { Config } from '../config/index.js';
import { agentChecks } from './agent.js';
import { fifoCheck, privatePath, stateDirCheck } from './files.js';
import { keepalivedChecks } from './keepalived.js';
import { nginxChecks } from './nginx.js';
import { peerChecks } from './peers.js';
import { quorumChecks } from './quorum.js';
import { supervisordChecks } from './supervisord.js';
import type { Check } from './types.js';

export type { Check, Verdict } from './types.js';

export interface DoctorOptions {
  keepalivedConf?: string | undefined;
  supervisordConf?: string | undefined;
}

// Every check of a node's setup, in the order an operator fixes them.
export async function runDoctor(cfg: Config, opts: DoctorOptions = {}): Promise<Check[]> {
  const out: Check[] = [await stateDirCheck(cfg)];
  const token = tokenFilePath(cfg);
  if (token !== undefined) out.push(await privatePath('token-file', token, 'file', 0o177));
  for (const [p, peer] of Object.entries(cfg.ha?.peers ?? {})) {
    if (peer['password-file']) out.push(await privatePath(`peer ${p} password-file`, peer['password-file'], 'file', 0o177));
  }
  out.push(...(await supervisordChecks(cfg, opts.supervisordConf)));
  if (cfg.ha) {
    out.push(await fifoCheck(cfg.ha.keepalived['notify-fifo']));
    out.push(...(await keepalivedChecks(cfg, opts.keepalivedConf)));
    out.push(...(await agentChecks(cfg)));
  }
  out.push(...(await nginxChecks(cfg)));
  out.push(...(await peerChecks(cfg, token)));
  out.push(...(await quorumChecks(cfg)));
  return out;
}
