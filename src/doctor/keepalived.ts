import { mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { checkKeepalivedConf, type KaBlock, kaChild, readKeepalivedConf } from '../keepalived/conf.js';
import { pidFileAlive } from '../keepalived/pid.js';
import { optionPath } from '../util/proc.js';
import { type Check, fail, ok, warn } from './types.js';

const DEFAULT_CONF = '/etc/keepalived/keepalived.conf';
const HOOKS = new Set(['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify_deleted']);

// The file the running keepalived read (-f/--use-file on its command line), else the default.
async function keepalivedConfPath(cfg: Config): Promise<string> {
  const pidFile = cfg.ha?.keepalived['pid-file'];
  const live = pidFile ? await pidFileAlive(pidFile) : { alive: false };
  if (live.alive && live.pid !== undefined) {
    const given = await optionPath(live.pid, '-f', '--use-file');
    if (given) return given;
  }
  return DEFAULT_CONF;
}

function walk(blocks: readonly KaBlock[], visit: (b: KaBlock) => void): void {
  for (const b of blocks) {
    visit(b);
    walk(b.children, visit);
  }
}

// enable_script_security: keepalived refuses a script when the file or any folder above it is
// not root's, or is writable by group or others.
async function unsafeComponent(path: string): Promise<string | undefined> {
  let p: string;
  try {
    p = await realpath(path);
  } catch (err) {
    return `${path}: ${(err as NodeJS.ErrnoException).code ?? 'missing'}`;
  }
  for (let cur = p; ; cur = dirname(cur)) {
    const st = await stat(cur);
    if (st.uid !== 0) return `${cur} is owned by uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0) return `${cur} is writable by group or others`;
    if (cur === '/') return undefined;
  }
}

export async function keepalivedChecks(cfg: Config, override?: string): Promise<Check[]> {
  const ha = cfg.ha;
  if (!ha) return [];
  const path = override ?? (await keepalivedConfPath(cfg));
  let blocks: KaBlock[];
  try {
    blocks = await readKeepalivedConf(path);
  } catch (err) {
    return [fail('keepalived.conf', `${path}: ${errorMessage(err)}`, 'pass --keepalived-conf PATH, or install keepalived/node-a.conf from the examples')];
  }
  const out: Check[] = [];
  const tmp = await mkdtemp(join(tmpdir(), 'supha-doctor-'));
  try {
    const said = await checkKeepalivedConf(path, join(tmp, 'check.log'));
    out.push(
      said === undefined
        ? ok('keepalived.conf', `${path}: keepalived -t passes`)
        : fail('keepalived.conf', `${path}: keepalived -t: ${said}`, 'fix what keepalived says'),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const fifo = ha.keepalived['notify-fifo'];
  const global = blocks.find((b) => b.name === 'global_defs');
  const used = global && kaChild(global, 'notify_fifo')?.args[0];
  const order = global?.children.map((c) => c.name) ?? [];
  const early = order.includes('script_user') && order.indexOf('notify_fifo') >= 0 && order.indexOf('notify_fifo') < order.indexOf('script_user');
  if (early)
    out.push(
      fail(
        'keepalived notify_fifo',
        `${path}: notify_fifo comes before script_user in global_defs: keepalived 2.2 stops writing events to it after a reload (SIGHUP)`,
        'move the notify_fifo line below script_user',
      ),
    );
  else if (used === fifo) out.push(ok('keepalived notify_fifo', `${path}: notify_fifo ${fifo}`));
  else
    out.push(
      fail('keepalived notify_fifo', `${path}: notify_fifo is ${used ?? 'not set'}, the agent reads ${fifo}`, `set "notify_fifo ${fifo}" in global_defs`),
    );

  const instances = blocks.filter((b) => b.name === 'vrrp_instance').map((b) => b.args[0] ?? '');
  const wanted = Object.entries(ha['service-sets']).map(([set, s]) => [set, s['vrrp-instance']] as const);
  const missing = wanted.filter(([, i]) => !instances.includes(i));
  if (missing.length > 0) {
    out.push(
      fail(
        'keepalived instances',
        `${path}: no vrrp_instance ${missing.map(([s, i]) => `${i} (set ${s})`).join(', ')}; it has ${instances.join(', ') || 'none'}`,
        "name each set's vrrp-instance exactly as in keepalived.conf",
      ),
    );
  } else {
    out.push(ok('keepalived instances', `${path}: ${wanted.map(([s, i]) => `${i} -> ${s}`).join(', ')}`));
  }
  const followed = new Set(wanted.map(([, i]) => i));
  const stray = instances.filter((i) => !followed.has(i));
  if (stray.length > 0)
    out.push(
      warn(
        'keepalived instances',
        `no set follows ${stray.join(', ')} (its events are ignored)`,
        "add a service set for it, or ignore this if it is not supha's",
      ),
    );

  const scripts: string[] = [];
  walk(blocks, (b) => {
    if ((b.name === 'script' || HOOKS.has(b.name)) && b.args[0]) scripts.push(b.args[0]);
  });
  for (const s of [...new Set(scripts)]) {
    const why = await unsafeComponent(s).catch((err) => errorMessage(err));
    if (why === undefined) out.push(ok('keepalived script', `${s}: passes enable_script_security`));
    else
      out.push(
        fail('keepalived script', `${s}: ${why}`, 'keep every folder on the path root-owned and not group/world-writable (enable_script_security refuses it)'),
      );
  }
  return out;
}
