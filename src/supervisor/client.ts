import { SupervisorFault, SupervisorProtocolError, SupervisorUnreachable } from './faults.js';
import type { ConfigInfo, ProcessInfo, ProcessResult, SupervisorState, TailResult } from './types.js';
import { type WireTarget, wireCall } from './wire.js';

export interface ClientOptions {
  // unix:///path/to/supervisor.sock or http://host:port
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  // Calls that return at once.
  timeoutMs?: number;
  // Calls that wait for processes (start/stop with wait): must exceed startsecs and stopwaitsecs.
  waitTimeoutMs?: number;
}

// A typed client for supervisord's XML-RPC API (http://supervisord.org/api.html) over its
// unix socket or inet port, through the project's one XML-RPC codec and transport (wire.ts).
// Every call has a timeout; faults keep supervisord's name.
export class SupervisorClient {
  readonly url: string;
  private readonly target: WireTarget;
  private readonly timeoutMs: number;
  private readonly waitTimeoutMs: number;

  constructor(opts: ClientOptions) {
    this.url = opts.url;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.waitTimeoutMs = opts.waitTimeoutMs ?? 120_000;
    const target: WireTarget = { host: 'localhost', path: '/RPC2' };
    if (opts.url.startsWith('unix://')) target.socketPath = opts.url.slice('unix://'.length);
    else {
      const u = new URL(opts.url);
      target.host = u.hostname;
      target.port = Number(u.port || 80);
      if (u.pathname && u.pathname !== '/') target.path = u.pathname;
    }
    if (opts.username !== undefined && opts.password !== undefined) target.auth = { user: opts.username, pass: opts.password };
    this.target = target;
  }

  // What a log shows of a client: never the credentials it holds.
  toJSON(): { url: string } {
    return { url: this.url };
  }

  // One XML-RPC call. `wait` picks the long timeout.
  async call<T = unknown>(method: string, params: unknown[] = [], wait = false): Promise<T> {
    const timeoutMs = wait ? this.waitTimeoutMs : this.timeoutMs;
    try {
      return (await wireCall(this.target, method, params, AbortSignal.timeout(timeoutMs))) as T;
    } catch (err) {
      // A value the codec cannot encode is the caller's bug, not supervisord's answer.
      if (err instanceof TypeError) throw err;
      throw this.translate(method, err, timeoutMs);
    }
  }

  private translate(method: string, err: unknown, timeoutMs: number): Error {
    const e = err as { faultCode?: number; faultString?: string; code?: string; name?: string; res?: { statusCode?: number }; message?: string };
    if (typeof e.faultCode === 'number') return new SupervisorFault(method, e.faultCode, e.faultString ?? '');
    const status = e.res?.statusCode;
    if (status === 401) return new SupervisorUnreachable(this.url, 'authentication failed (check supervisor.username and supervisor.password)');
    if (status !== undefined && status !== 200) return new SupervisorUnreachable(this.url, `HTTP ${status}`);
    if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return new SupervisorUnreachable(this.url, `no answer to ${method} within ${timeoutMs} ms`);
    switch (e.code) {
      case 'ENOENT':
        return new SupervisorUnreachable(this.url, 'no socket file (is supervisord running?)', { cause: err });
      case 'ECONNREFUSED':
        return new SupervisorUnreachable(this.url, 'connection refused (is supervisord running?)', { cause: err });
      case 'EACCES':
        return new SupervisorUnreachable(this.url, 'permission denied on the socket');
      case 'ECONNRESET':
      case 'EPIPE':
        return new SupervisorUnreachable(this.url, `connection reset during ${method}`);
      case undefined:
        return new SupervisorProtocolError(this.url, method, e.message ?? String(err), { cause: err });
      default:
        return new SupervisorUnreachable(this.url, `${e.code}: ${e.message ?? ''}`.trim(), { cause: err });
    }
  }

  getState(): Promise<SupervisorState> {
    return this.call('supervisor.getState');
  }
  getPID(): Promise<number> {
    return this.call('supervisor.getPID');
  }
  getSupervisorVersion(): Promise<string> {
    return this.call('supervisor.getSupervisorVersion');
  }
  getAllProcessInfo(): Promise<ProcessInfo[]> {
    return this.call('supervisor.getAllProcessInfo');
  }
  getAllConfigInfo(): Promise<ConfigInfo[]> {
    return this.call('supervisor.getAllConfigInfo');
  }
  getProcessInfo(name: string): Promise<ProcessInfo> {
    return this.call('supervisor.getProcessInfo', [name]);
  }
  startProcess(name: string, wait = true): Promise<boolean> {
    return this.call('supervisor.startProcess', [name, wait], wait);
  }
  stopProcess(name: string, wait = true): Promise<boolean> {
    return this.call('supervisor.stopProcess', [name, wait], wait);
  }
  startProcessGroup(name: string, wait = true): Promise<ProcessResult[]> {
    return this.call('supervisor.startProcessGroup', [name, wait], wait);
  }
  stopProcessGroup(name: string, wait = true): Promise<ProcessResult[]> {
    return this.call('supervisor.stopProcessGroup', [name, wait], wait);
  }
  startAllProcesses(wait = true): Promise<ProcessResult[]> {
    return this.call('supervisor.startAllProcesses', [wait], wait);
  }
  stopAllProcesses(wait = true): Promise<ProcessResult[]> {
    return this.call('supervisor.stopAllProcesses', [wait], wait);
  }
  signalProcess(name: string, signal: string): Promise<boolean> {
    return this.call('supervisor.signalProcess', [name, signal]);
  }
  signalProcessGroup(name: string, signal: string): Promise<ProcessResult[]> {
    return this.call('supervisor.signalProcessGroup', [name, signal]);
  }
  signalAllProcesses(signal: string): Promise<ProcessResult[]> {
    return this.call('supervisor.signalAllProcesses', [signal]);
  }
  // Diffs the config on disk against what is loaded: [[added, changed, removed]]. Acts on nothing.
  async reloadConfig(): Promise<{ added: string[]; changed: string[]; removed: string[] }> {
    const res = await this.call<[[string[], string[], string[]]]>('supervisor.reloadConfig');
    const [added, changed, removed] = res[0];
    return { added, changed, removed };
  }
  addProcessGroup(name: string): Promise<boolean> {
    return this.call('supervisor.addProcessGroup', [name], true);
  }
  removeProcessGroup(name: string): Promise<boolean> {
    return this.call('supervisor.removeProcessGroup', [name]);
  }
  readProcessStdoutLog(name: string, offset: number, length: number): Promise<string> {
    return this.call('supervisor.readProcessStdoutLog', [name, offset, length]);
  }
  readProcessStderrLog(name: string, offset: number, length: number): Promise<string> {
    return this.call('supervisor.readProcessStderrLog', [name, offset, length]);
  }
  async tailProcessLog(name: string, channel: 'stdout' | 'stderr', offset: number, length: number): Promise<TailResult> {
    const method = channel === 'stdout' ? 'supervisor.tailProcessStdoutLog' : 'supervisor.tailProcessStderrLog';
    const [bytes, off, overflow] = await this.call<[string, number, boolean]>(method, [name, offset, length]);
    return { bytes, offset: off, overflow };
  }
  // supervisord's main log: the last -offset bytes when offset < 0 (length 0), as supervisorctl maintail.
  readLog(offset: number, length: number): Promise<string> {
    return this.call('supervisor.readLog', [offset, length]);
  }
  // The main log as it grows, from supervisord's /mainlogtail (what supervisorctl maintail -f
  // reads; not XML-RPC), until `signal` aborts or supervisord closes it.
  async followMainLog(onData: (text: string) => void, signal: AbortSignal): Promise<void> {
    const { request } = await import('node:http');
    const b = this.target;
    const auth = b.auth ? `${b.auth.user}:${b.auth.pass}` : undefined;
    await new Promise<void>((resolve, reject) => {
      const done = (err: unknown) => (signal.aborted ? resolve() : reject(this.translate('/mainlogtail', err, 0)));
      const req = request({ socketPath: b.socketPath, host: b.host, port: b.port, path: '/mainlogtail', auth, signal }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          done({ res });
          return;
        }
        res.setEncoding('utf8');
        res.on('data', onData);
        res.on('end', () => resolve());
        res.on('error', done);
      });
      req.on('error', done);
      req.end();
    });
  }
  clearProcessLogs(name: string): Promise<boolean> {
    return this.call('supervisor.clearProcessLogs', [name]);
  }
  // system.multicall: each result is the value, or a fault object {faultCode, faultString}.
  multicall(calls: { methodName: string; params: unknown[] }[]): Promise<unknown[]> {
    return this.call('system.multicall', [calls]);
  }
}
