import { namespec, type ProcessInfo } from './types.js';

// The layout of `supervisorctl status` (supervisorctl.py _show_statuses): name column at least
// 30 wide plus 3, state column 10 wide, then supervisord's own description. Byte for byte: a
// STARTING or STOPPED line with an empty description keeps its trailing spaces, as supervisorctl's.
export function formatStatusLines(infos: readonly ProcessInfo[]): string[] {
  const names = infos.map(namespec);
  const width = Math.max(30, ...names.map((n) => n.length)) + 3;
  return infos.map((info, i) => `${(names[i] ?? '').padEnd(width)}${info.statename.padEnd(10)}${info.description}`);
}

export interface ProgramJson {
  name: string;
  group: string;
  state: string;
  pid: number;
  uptime: number;
  description: string;
}

// What `--json` prints for one program: pid an integer (0 when not running), uptime in seconds.
export function programJson(info: ProcessInfo): ProgramJson {
  const running = info.statename === 'RUNNING' && info.start > 0;
  return {
    name: namespec(info),
    group: info.group,
    state: info.statename,
    pid: Number(info.pid) | 0,
    uptime: running ? Math.max(0, info.now - info.start) : 0,
    description: info.description,
  };
}
