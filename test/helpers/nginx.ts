import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, stopChild, tempDir, waitFor } from './tmp.js';

export interface NginxOptions {
  // The upstream the server proxies to, and the first content of the upstream file.
  upstreamName: string;
  upstreamText: string;
  dir?: string;
  workers?: number;
  // Keep the upstream in DIR/conf.d/ and include `conf.d/*.conf` (Debian's layout) instead of
  // including the file by name.
  glob?: boolean;
  // The seed's nginx-home layout (a build from source at /usr/local/nginx): DIR/sbin/nginx (a
  // wrapper giving the distro binary `-p DIR/ -c DIR/conf/nginx.conf`), DIR/conf/nginx.conf,
  // the upstream in DIR/conf/conf.d/ included as `conf.d/*.conf`, the pid in DIR/logs/nginx.pid:
  // said by `pid logs/nginx.pid;` in nginx.conf ('conf'), or built in ('builtin': the wrapper
  // passes it with -g, so nginx -T does not show it).
  home?: 'conf' | 'builtin';
}

export interface Nginx {
  dir: string;
  port: number;
  url: string;
  confPath: string;
  upstreamPath: string;
  pidFile: string;
  pid: number;
  // For config.json: nginx-test-cmd and nginx-reload-cmd against this instance.
  testCmd: string;
  reloadCmd: string;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

// A real nginx (`nginx -p DIR -c DIR/nginx.conf`, master in the foreground) on a free loopback
// port, proxying / to the upstream in DIR/upstream.conf. Stopped by its PID.
export async function startNginx(opts: NginxOptions): Promise<Nginx> {
  const tmp = opts.dir ? { dir: opts.dir, cleanup: async () => {} } : await tempDir('supha-nginx-');
  if (opts.home) return startHomeNginx(opts, opts.home, tmp);
  const dir = tmp.dir;
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await mkdir(join(dir, 'conf.d'), { recursive: true });
  const port = await freePort();
  const confPath = join(dir, 'nginx.conf');
  const upstreamPath = opts.glob ? join(dir, 'conf.d', 'upstream.conf') : join(dir, 'upstream.conf');
  const pidFile = join(dir, 'nginx.pid');
  const errorLogPath = join(dir, 'error.log');
  await writeFile(upstreamPath, opts.upstreamText);
  await writeFile(
    confPath,
    `daemon off;
master_process on;
worker_processes ${opts.workers ?? 1};
pid ${pidFile};
error_log ${errorLogPath} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  include ${opts.glob ? join(dir, 'conf.d', '*.conf') : upstreamPath};
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 100000;
    location / {
      proxy_pass http://${opts.upstreamName};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const base = ['-p', dir, '-e', errorLogPath, '-c', confPath];
  const testCmd = `nginx ${base.join(' ')} -t`;
  const reloadCmd = `nginx ${base.join(' ')} -s reload`;
  return spawnNginx('nginx', base, { dir, port, confPath, upstreamPath, pidFile, errorLogPath, testCmd, reloadCmd }, tmp.cleanup);
}

async function startHomeNginx(opts: NginxOptions, pid: 'conf' | 'builtin', tmp: { dir: string; cleanup: () => Promise<void> }): Promise<Nginx> {
  const dir = tmp.dir;
  for (const d of ['sbin', 'conf/conf.d', 'logs', 'tmp']) await mkdir(join(dir, d), { recursive: true });
  const port = await freePort();
  const confPath = join(dir, 'conf', 'nginx.conf');
  const upstreamPath = join(dir, 'conf', 'conf.d', 'upstream.conf');
  const pidFile = join(dir, 'logs', 'nginx.pid');
  const errorLogPath = join(dir, 'logs', 'error.log');
  const binary = join(dir, 'sbin', 'nginx');
  const extra = pid === 'builtin' ? ` -g 'pid logs/nginx.pid;'` : '';
  await writeFile(binary, `#!/bin/sh\nexec nginx -p ${dir}/ -e ${errorLogPath} -c ${confPath}${extra} "$@"\n`, { mode: 0o755 });
  await writeFile(upstreamPath, opts.upstreamText);
  await writeFile(
    confPath,
    `daemon off;
worker_processes ${opts.workers ?? 1};
${pid === 'conf' ? 'pid logs/nginx.pid;' : ''}
error_log logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  include conf.d/*.conf;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://${opts.upstreamName};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  return spawnNginx(
    binary,
    [],
    { dir, port, confPath, upstreamPath, pidFile, errorLogPath, testCmd: `${binary} -t`, reloadCmd: `${binary} -s reload` },
    tmp.cleanup,
  );
}

type Layout = Pick<Nginx, 'dir' | 'port' | 'confPath' | 'upstreamPath' | 'pidFile' | 'testCmd' | 'reloadCmd'> & { errorLogPath: string };

// Starts `file args` (nginx in the foreground) and waits for it to write its pid file.
async function spawnNginx(file: string, args: string[], l: Layout, cleanup: () => Promise<void>): Promise<Nginx> {
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid ?? 0;
  const stop = async () => {
    await stopChild(child, exited);
    await cleanup();
  };
  try {
    await waitFor('nginx to write its pid file', async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      return (await readFile(l.pidFile, 'utf8').catch(() => '')).trim() === String(pid);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const { errorLogPath, ...rest } = l;
  return { ...rest, url: `http://127.0.0.1:${l.port}/`, pid, errorLog: () => readFile(errorLogPath, 'utf8').catch(() => ''), stop };
}

// Worker pids in `after` that were not in `before`: a reload makes new ones (old workers may
// still be finishing their connections, so compare new pids, not the whole set).
export function newPids(before: ReadonlySet<number>, after: ReadonlySet<number>): number[] {
  return [...after].filter((p) => !before.has(p));
}
