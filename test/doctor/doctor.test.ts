import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { type Check, runDoctor } from '../../src/doctor/index.js';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { type Rsyncd, startRsyncd } from '../helpers/rsyncd.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

// keepalived -t refuses a loopback or unknown interface: name one this machine has (the file is
// only tested, never run).
const IFACE = readdirSync('/sys/class/net').find((n) => n !== 'lo') ?? 'eth0';

// `supha doctor` on a good node (real supervisord, nginx, rsync daemon and agent; keepalived's
// config read and tested by keepalived -t), then on each way a node can be set up wrong: the
// broken check says FAIL with a fix, and the exit is 1.
describe('supha doctor', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sv: Supervisord;
  let nginx: Nginx;
  let rsyncd: Rsyncd;
  let agent: AgentProc;
  let cfg: any;
  let configPath: string;
  const TOKEN = 'doctor-test-token-1f3a';

  const kaConf = (fifo: string, instance = 'VI_APP', script = '/bin/true') => `global_defs {
  script_user root
  notify_fifo ${fifo}
  enable_script_security
}
vrrp_script chk {
  script "${script} check app"
  interval 5
  timeout 4
}
vrrp_instance ${instance} {
  state BACKUP
  interface ${IFACE}
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    198.18.255.200/32 dev ${IFACE}
  }
  track_script {
    chk
  }
}
`;

  const doctor = async (mutate: (c: any) => void = () => {}, opts: { keepalivedConf?: string; supervisordConf?: string } = {}): Promise<Check[]> => {
    const c = structuredClone(cfg);
    mutate(c);
    return runDoctor(parseConfig(JSON.stringify(c), configPath), { keepalivedConf: join(dir, 'keepalived.conf'), ...opts });
  };
  const failed = (checks: Check[]) => checks.filter((c) => c.verdict === 'fail').map((c) => c.name);
  const expectOnly = (checks: Check[], name: string, detail: RegExp) => {
    assert.deepEqual(failed(checks), [name], JSON.stringify(checks.filter((c) => c.verdict === 'fail')));
    const c = checks.find((x) => x.verdict === 'fail');
    assert.match(c?.detail ?? '', detail);
    assert.ok(c?.fix && c.fix.length > 10, 'a failure says how to fix it');
  };

  before(async () => {
    ({ dir, cleanup } = await tempDir('supha-doctor-'));
    const registry = join(dir, 'registry', 'app');
    await mkdir(registry, { recursive: true });
    await writeFile(join(registry, 'web.conf'), '[program:web]\ncommand=/bin/sleep 1000\nautostart=false\n');
    sv = await startSupervisord({ include: [join(dir, 'registry', '*', '*.conf')] });
    nginx = await startNginx({ upstreamName: 'jetty', upstreamText: 'upstream jetty { server 127.0.0.1:9; }\n' });
    rsyncd = await startRsyncd({ path: join(dir, 'replica') });
    await mkdir(join(dir, 'state'), { mode: 0o700 });
    await writeFile(join(dir, 'agent.token'), `${TOKEN}\n`, { mode: 0o600 });
    const port = await freePort();
    cfg = {
      'project-name': 'doctor',
      'state-dir': join(dir, 'state'),
      supervisor: { 'server-url': `unix://${sv.socketPath}`, 'registry-dirs': [sv.registryDir] },
      nginx: {
        'nginx-home': dir,
        'nginx-test-cmd': nginx.testCmd,
        'nginx-reload-cmd': nginx.reloadCmd,
        'upstream-conf-path': nginx.upstreamPath,
        'pid-file': nginx.pidFile,
        upstream: {
          'upstream-name': 'jetty',
          'node-group': {
            g1: {
              'default-group': 'primary',
              nodes: { n1: { 'health-check-url': 'http://127.0.0.1:9/', 'upstream-url': '127.0.0.1:9', 'start-cmd': '/bin/true', 'stop-cmd': '/bin/true' } },
            },
            g2: {
              'default-group': 'standby',
              nodes: { n2: { 'health-check-url': 'http://127.0.0.1:9/', 'upstream-url': '127.0.0.1:9', 'start-cmd': '/bin/true', 'stop-cmd': '/bin/true' } },
            },
          },
        },
      },
      ha: {
        'node-name': 'a',
        keepalived: { 'notify-fifo': join(dir, 'keepalived.fifo'), 'pid-file': join(dir, 'keepalived.pid') },
        'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry } },
        peers: { b: { 'agent-url': `http://127.0.0.1:${port}`, 'sync-target': rsyncd.url, 'password-file': rsyncd.passwordFile } },
        agent: { listen: `127.0.0.1:${port}`, 'token-file': join(dir, 'agent.token'), 'control-socket': join(dir, 'agent.sock') },
      },
    };
    configPath = await writeJson(join(dir, 'config.json'), cfg);
    await writeFile(join(dir, 'keepalived.conf'), kaConf(cfg.ha.keepalived['notify-fifo']));
    // The agent makes the FIFO (and answers as the "peer": its own HTTP API, with the token).
    agent = await startAgent(configPath, join(dir, 'agent.sock'));
  });

  after(async () => {
    await agent?.stop();
    await rsyncd?.stop();
    await nginx?.stop();
    await sv?.stop();
    await cleanup?.();
  });

  test('a good node: every check passes (rsync:// is a warning), exit 0, one line each', async () => {
    const res = await supha(['--config', configPath, 'doctor', '--keepalived-conf', join(dir, 'keepalived.conf')]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.match(lines.at(-1) ?? '', /^doctor: \d+ checks, none failed$/);
    for (const name of [
      'config',
      'state-dir',
      'token-file',
      'supervisord',
      'supervisord include',
      'autostart app',
      'notify-fifo',
      'keepalived.conf',
      'keepalived notify_fifo',
      'keepalived instances',
      'keepalived script',
      'nginx -t',
      'nginx pid-file',
      'peer b sync',
      'peer b agent',
      'agent events',
    ]) {
      assert.ok(
        lines.some((l) => l.startsWith(`ok    ${name}: `)),
        `${name} ok:\n${res.stdout}`,
      );
    }
    assert.ok(lines.some((l) => l.startsWith('warn  peer b transport: ')));
    const json = await supha(['--config', configPath, 'doctor', '--json', '--keepalived-conf', join(dir, 'keepalived.conf')]);
    assert.equal(JSON.parse(json.stdout).ok, true);
  });

  test('state dir, token and password file open to others', async () => {
    await chmod(join(dir, 'state'), 0o755);
    try {
      expectOnly(await doctor(), 'state-dir', /mode 0755/);
    } finally {
      await chmod(join(dir, 'state'), 0o700);
    }
    await chmod(join(dir, 'agent.token'), 0o644);
    try {
      expectOnly(await doctor(), 'token-file', /mode 0644/);
    } finally {
      await chmod(join(dir, 'agent.token'), 0o600);
    }
  });

  test('a registry conf without autostart=false, and a registry supervisord does not include', async () => {
    const bad = join(cfg.ha['service-sets'].app.registry, 'auto.conf');
    await writeFile(bad, '[program:auto]\ncommand=/bin/sleep 1000\n');
    try {
      expectOnly(await doctor(), 'autostart app', /auto without autostart=false/);
    } finally {
      await rename(bad, join(dir, 'auto.conf.off'));
    }
    // A .ini in a registry is never loaded: a warning, not silence.
    const ini = join(cfg.ha['service-sets'].app.registry, 'legacy.ini');
    await writeFile(ini, '[program:legacy]\ncommand=/bin/sleep 1000\nautostart=false\n');
    try {
      const checks = JSON.parse((await supha(['--config', configPath, 'doctor', '--json', '--keepalived-conf', join(dir, 'keepalived.conf')])).stdout).checks;
      const w = checks.find((c: { name: string }) => c.name === 'registry app');
      assert.equal(w?.verdict, 'warn', JSON.stringify(checks));
      assert.match(w.detail, /legacy\.ini: ignored: not named \*\.conf.*rename it legacy\.conf/);
    } finally {
      await rm(ini);
    }
    const other = join(dir, 'elsewhere');
    await mkdir(other, { recursive: true });
    expectOnly(await doctor((c) => c.supervisor['registry-dirs'].push(other)), 'supervisord include', /does not cover .*elsewhere/);
  });

  test('an inet_http_server without a username', async () => {
    const conf = join(dir, 'inet-supervisord.conf');
    await writeFile(conf, `${await readFile(sv.confPath, 'utf8')}\n[inet_http_server]\nport=127.0.0.1:9\n`);
    expectOnly(await doctor(() => {}, { supervisordConf: conf }), 'supervisord inet', /has no username/);
  });

  test('the FIFO open to others, a regular file, missing', async () => {
    const fifo = cfg.ha.keepalived['notify-fifo'];
    await chmod(fifo, 0o666);
    try {
      expectOnly(await doctor(), 'notify-fifo', /mode 0666/);
    } finally {
      await chmod(fifo, 0o600);
    }
    const notFifo = await doctor((c) => (c.ha.keepalived['notify-fifo'] = configPath));
    assert.match(notFifo.find((c) => c.name === 'notify-fifo' && c.verdict === 'fail')?.detail ?? '', /not a FIFO/);
    const missing = await doctor((c) => (c.ha.keepalived['notify-fifo'] = join(dir, 'no.fifo')));
    assert.match(missing.find((c) => c.name === 'notify-fifo' && c.verdict === 'fail')?.detail ?? '', /ENOENT/);
  });

  test('keepalived: another FIFO, no instance for the set, a script under a world-writable folder, a file keepalived refuses', async () => {
    const ka = join(dir, 'ka-variant.conf');
    await writeFile(ka, kaConf('/run/other.fifo'));
    expectOnly(await doctor(() => {}, { keepalivedConf: ka }), 'keepalived notify_fifo', /other\.fifo/);
    // The order keepalived 2.2 drops on a reload (test/deps/keepalived.test.ts).
    await writeFile(ka, kaConf(cfg.ha.keepalived['notify-fifo']).replace(/( {2}script_user root\n)( {2}notify_fifo [^\n]*\n)/, '$2$1'));
    expectOnly(await doctor(() => {}, { keepalivedConf: ka }), 'keepalived notify_fifo', /notify_fifo comes before script_user/);
    await writeFile(ka, kaConf(cfg.ha.keepalived['notify-fifo'], 'VI_OTHER'));
    const checks = await doctor(() => {}, { keepalivedConf: ka });
    expectOnly(checks, 'keepalived instances', /no vrrp_instance VI_APP/);
    assert.ok(checks.some((c) => c.verdict === 'warn' && /no set follows VI_OTHER/.test(c.detail)));
    const script = join(dir, 'hook.sh');
    await copyFile('/bin/true', script);
    await chmod(script, 0o755);
    await chmod(dir, 0o777);
    try {
      await writeFile(ka, kaConf(cfg.ha.keepalived['notify-fifo'], 'VI_APP', script));
      const c2 = await doctor(() => {}, { keepalivedConf: ka });
      assert.ok(failed(c2).includes('keepalived script'), JSON.stringify(c2));
    } finally {
      await chmod(dir, 0o700);
    }
    await writeFile(ka, kaConf(cfg.ha.keepalived['notify-fifo'], 'VI_APP', join(dir, 'no-such-script')));
    const c3 = await doctor(() => {}, { keepalivedConf: ka });
    assert.ok(failed(c3).includes('keepalived.conf'), JSON.stringify(c3));
  });

  test('nginx -t failing, and no pid file', async () => {
    expectOnly(await doctor((c) => (c.nginx['nginx-test-cmd'] = `nginx -t -c ${join(dir, 'missing.conf')}`)), 'nginx -t', /exit 1/);
    // A config whose `pid` names a file no running master wrote: every reload would go unverified.
    const copy = join(dir, 'nginx-other-pid.conf');
    await writeFile(copy, (await readFile(nginx.confPath, 'utf8')).replace(/^pid .*;$/m, `pid ${join(dir, 'none.pid')};`));
    expectOnly(
      await doctor((c) => {
        c.nginx['nginx-test-cmd'] = nginx.testCmd.replace(nginx.confPath, copy);
        c.nginx['pid-file'] = join(dir, 'none.pid');
      }),
      'nginx pid-file',
      /none\.pid/,
    );
  });

  test('a peer: rsync module refused, agent refusing our token, agent unreachable', async () => {
    expectOnly(await doctor((c) => (c.ha.peers.b['sync-target'] = rsyncd.url.replace(/\/[^/]+$/, '/nosuchmodule'))), 'peer b sync', /rsync exit/);
    await writeFile(join(dir, 'wrong.token'), 'wrong\n', { mode: 0o600 });
    expectOnly(await doctor((c) => (c.ha.agent['token-file'] = join(dir, 'wrong.token'))), 'peer b agent', /401/);
    const port = await freePort();
    expectOnly(await doctor((c) => (c.ha.peers.b['agent-url'] = `http://127.0.0.1:${port}`)), 'peer b agent', /ECONNREFUSED/);
  });

  test('an invalid config: one FAIL line, exit 1; supervisord down: FAIL, exit 1', async () => {
    const bad = await writeJson(join(dir, 'bad.json'), { ...cfg, ha: { ...cfg.ha, bogus: 1 } });
    const res = await supha(['--config', bad, 'doctor']);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^FAIL {2}config: .*ha\.bogus: unknown key/m);
    const c = await doctor((x) => (x.supervisor['server-url'] = `unix://${join(dir, 'none.sock')}`), { supervisordConf: sv.confPath });
    expectOnly(c, 'supervisord', /no socket file/);
  });
  // Last: it leaves the agent with a stray instance in its status.
  test('a FIFO event for an instance no set follows: one warning per instance, listed in status, named by doctor', async () => {
    const fifo = cfg.ha.keepalived['notify-fifo'];
    await writeFile(fifo, 'INSTANCE "VI_STRAY" MASTER 100\nINSTANCE "VI_STRAY" BACKUP 100\n');
    const st = await waitFor('the agent to list VI_STRAY', async () => {
      const s = await agent.status();
      return s.unknownInstances?.find((u: any) => u.instance === 'VI_STRAY' && u.events === 2) && s;
    });
    assert.equal(st.unknownInstances[0].lastState, 'BACKUP');
    const warns = agent
      .logs()
      .split('\n')
      .filter((l) => l.includes('VI_STRAY'))
      .map((l) => JSON.parse(l));
    assert.equal(warns.length, 1, 'warned once, not once per event');
    assert.equal(warns[0].level, 40);
    assert.match(warns[0].msg, /no set follows.*ha\.service-sets/);
    const shown = await supha(['--config', configPath, 'status']);
    assert.match(shown.stdout, /^ {2}keepalived instance VI_STRAY: 2 events \(last BACKUP.*\), no set follows it: ignored$/m);
    const checks = await doctor();
    const c = checks.find((x) => x.name === 'agent events');
    assert.equal(c?.verdict, 'warn', JSON.stringify(checks));
    assert.match(c.detail, /VI_STRAY \(2 events/);
  });
});
