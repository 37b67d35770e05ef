import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import type { ChaosHost } from './rig.js';

// What one host runs now: the names of the set programs with a live process, as supervisord says
// (pid != 0), or from /proc when supervisord does not answer (stopped, killed, hung).
export async function aliveOn(h: ChaosHost, marker: string, names: ReadonlySet<string>): Promise<{ alive: Set<string>; via: 'xmlrpc' | 'proc' }> {
  try {
    const infos = await h.sv.client({ timeoutMs: 250 }).getAllProcessInfo();
    return { alive: new Set(infos.filter((p) => names.has(p.name) && p.pid > 0).map((p) => p.name)), via: 'xmlrpc' };
  } catch {
    return { alive: await procScan(h.host.ns, marker), via: 'proc' };
  }
}

const nsInodes = new Map<string, number>();

// Processes whose argv[0] is `<marker>-<name>` inside the namespace `ns`.
export async function procScan(ns: string, marker: string): Promise<Set<string>> {
  let ino = nsInodes.get(ns);
  if (ino === undefined) {
    ino = (await stat(`/run/netns/${ns}`)).ino;
    nsInodes.set(ns, ino);
  }
  const out = new Set<string>();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const argv0 = (await readFile(`/proc/${pid}/cmdline`, 'latin1')).split('\0')[0] ?? '';
      if (!argv0.startsWith(`${marker}-`)) continue;
      if ((await readlink(`/proc/${pid}/ns/net`)) !== `net:[${ino}]`) continue;
      out.add(argv0.slice(marker.length + 1));
    } catch {}
  }
  return out;
}

// The IPv4 addresses on a host's eth0.
export async function addresses(h: ChaosHost): Promise<Set<string>> {
  const r = await run('ip', ['-n', h.host.ns, '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { timeoutMs: 2_000, reject: false });
  return new Set([...r.stdout.matchAll(/inet (\S+)\//g)].map((m) => m[1] ?? ''));
}

// Every direct and indirect child of `pid` (from /proc/PID/stat's ppid field).
export async function descendants(pid: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const st = await readFile(`/proc/${p}/stat`, 'latin1').catch(() => '');
    const m = /\) \S (\d+)/.exec(st);
    if (m) parent.set(Number(p), Number(m[1]));
  }
  const out: number[] = [];
  const walk = (of: number) => {
    for (const [c, pp] of parent) {
      if (pp === of) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

// Every regular file under `dir` (small ones), for the conf census.
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
