import { readFile } from 'node:fs/promises';
import { run } from '../util/exec.js';
import { optionPath } from '../util/proc.js';

// What supha needs from supervisord's own config file, read by supervisord's own parser.
export interface SupervisordConf {
  path: string;
  // [include] files, as absolute glob patterns (relative ones are relative to the file's folder).
  include: string[];
  // [inet_http_server], when there is one.
  inet?: { port: string; username?: string };
}

// supervisord's search order when it is started without -c (supervisor/options.py).
const SEARCH = ['/etc/supervisord.conf', '/etc/supervisor/supervisord.conf'];

// NOTE: supervisord resolves include patterns against the folder of the file that names them
// (ServerOptions.read_include_config); the same UnhosedConfigParser reads the file here.
const READER = `
import json, os, platform, sys
from supervisor.options import UnhosedConfigParser, expand
path = sys.argv[1]
here = os.path.dirname(os.path.abspath(path))
p = UnhosedConfigParser()
p.read(path)
p.expand_here(here)
out = {'include': []}
if p.has_section('include'):
    env = dict(('ENV_' + k, v) for k, v in os.environ.items())
    env.update({'here': here, 'host_node_name': platform.node()})
    out['include'] = [os.path.join(here, f) for f in expand(p.get('include', 'files'), env, 'include.files').split()]
if p.has_section('inet_http_server'):
    out['inet'] = {'port': p.get('inet_http_server', 'port', fallback='')}
    if p.has_option('inet_http_server', 'username'):
        out['inet']['username'] = p.get('inet_http_server', 'username')
print(json.dumps(out))
`;

// The interpreter supervisord itself runs with (its #! line), so its own modules are there.
async function supervisorPython(): Promise<string> {
  for (const bin of ['/usr/bin/supervisord', '/usr/local/bin/supervisord']) {
    const first = (await readFile(bin, 'utf8').catch(() => '')).split('\n')[0] ?? '';
    const m = /^#!\s*(\S+)/.exec(first);
    if (m?.[1]) return m[1];
  }
  return 'python3';
}

// The config file of the supervisord with this PID (its -c argument, relative to its cwd), else
// the first of supervisord's default paths that exists.
export async function supervisordConfPath(pid: number | undefined): Promise<string | undefined> {
  if (pid !== undefined) {
    const given = await optionPath(pid, '-c', '--configuration');
    if (given) return given;
  }
  for (const p of SEARCH) {
    if (
      await readFile(p).then(
        () => true,
        () => false,
      )
    )
      return p;
  }
  return undefined;
}

export async function readSupervisordConf(path: string): Promise<SupervisordConf> {
  const { stdout } = await run(await supervisorPython(), ['-c', READER, path], { timeoutMs: 10_000 });
  const parsed = JSON.parse(stdout) as Omit<SupervisordConf, 'path'>;
  return { path, ...parsed };
}

// Whether supervisord's glob pattern (fnmatch per path component, as glob.glob) covers a file.
export function includeCovers(patterns: readonly string[], file: string): boolean {
  return patterns.some((g) => globRegExp(g).test(file));
}

function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
