// A valid config (blue/green and HA) and ways to break it: each breaks one thing, and
// `supha config check` must refuse it (exit 2) and name it.
export function baseConfig(): Record<string, any> {
  const node = (port: number, backup = false) => ({
    'health-check-url': `http://127.0.0.1:${port}/`,
    'upstream-url': `127.0.0.1:${port}`,
    'supervisor-program': `n${port}`,
    backup,
  });
  return {
    'project-name': 'hostile',
    'state-dir': 'state',
    supervisor: { 'server-url': 'unix:///tmp/hostile-none.sock', 'registry-dirs': ['/tmp/hostile-none/conf.d'] },
    nginx: {
      'nginx-home': '/usr',
      'nginx-reload-cmd': 'nginx -s reload',
      'upstream-conf-path': '/tmp/hostile-none/upstream.conf',
      upstream: {
        'upstream-name': 'jetty',
        keepalive: 1,
        'node-group': {
          group1: { nodes: { jetty1: node(8080), 'jetty1-backup': node(8082, true) }, 'default-group': 'primary' },
          group2: { nodes: { jetty2: node(8081), 'jetty2-backup': node(8083, true) }, 'default-group': 'standby' },
        },
      },
    },
    ha: {
      'node-name': 'n1',
      'service-sets': { app: { 'vrrp-instance': 'VI_1', registry: '/tmp/hostile-none', vip: '198.18.0.100' } },
      peers: { n2: { 'agent-url': 'http://198.18.0.12:7373', 'sync-target': 'rsync://198.18.0.12/supha' } },
      agent: { listen: '127.0.0.1:7373', 'token-file': 'agent.token' },
    },
  };
}

type Edit = (c: Record<string, any>) => void;
const g1 = (c: Record<string, any>) => c.nginx.upstream['node-group'].group1;
const j1 = (c: Record<string, any>) => g1(c).nodes.jetty1;

// [what, edit, a word the error must contain]
export const BROKEN: [string, Edit | string, RegExp][] = [
  ['not JSON', '{"project-name": ', /invalid JSON/],
  ['empty file', '', /JSON|empty/i],
  ['a JSON array', '[]', /expected|object/i],
  ['a JSON string', '"x"', /expected|object/i],
  ['JSON null', 'null', /expected|object/i],
  ['a trailing comma', '{"project-name": "x",}', /invalid JSON/],
  ['a NUL byte', '{"project-name": "x\u0000"', /invalid JSON/],
  ['no project-name', (c) => delete c['project-name'], /project-name/],
  ['empty project-name', (c) => (c['project-name'] = ''), /project-name/],
  ['project-name a number', (c) => (c['project-name'] = 5), /project-name/],
  ['an unknown top key', (c) => (c.colour = 'blue'), /colour/],
  ['state-dir a number', (c) => (c['state-dir'] = 1), /state-dir/],
  ['server-url ftp', (c) => (c.supervisor['server-url'] = 'ftp://x'), /server-url/],
  ['server-url empty', (c) => (c.supervisor['server-url'] = ''), /server-url/],
  ['server-url unix without a path', (c) => (c.supervisor['server-url'] = 'unix://'), /server-url/],
  ['registry-dirs a string', (c) => (c.supervisor['registry-dirs'] = '/etc'), /registry-dirs/],
  ['timeout-ms negative', (c) => (c.supervisor['timeout-ms'] = -1), /timeout-ms/],
  ['timeout-ms a fraction', (c) => (c.supervisor['timeout-ms'] = 1.5), /timeout-ms/],
  ['timeout-ms a string', (c) => (c.supervisor['timeout-ms'] = '100'), /timeout-ms/],
  ['an unknown supervisor key', (c) => (c.supervisor.sockett = 'x'), /sockett/],
  ['nginx without upstream', (c) => delete c.nginx.upstream, /upstream/],
  ['upstream-name missing', (c) => delete c.nginx.upstream['upstream-name'], /upstream-name/],
  ['keepalive negative', (c) => (c.nginx.upstream.keepalive = -1), /keepalive/],
  ['keepalive a string', (c) => (c.nginx.upstream.keepalive = 'yes'), /keepalive/],
  ['no node groups', (c) => (c.nginx.upstream['node-group'] = {}), /node-group/],
  ['two primaries', (c) => (c.nginx.upstream['node-group'].group2['default-group'] = 'primary'), /primary/],
  ['no standby', (c) => delete c.nginx.upstream['node-group'].group2, /standby/],
  ['default-group unknown', (c) => (g1(c)['default-group'] = 'main'), /default-group/],
  ['a group without nodes', (c) => (g1(c).nodes = {}), /nodes/],
  ['a node name in two groups', (c) => (c.nginx.upstream['node-group'].group2.nodes.jetty1 = j1(c)), /jetty1/],
  ['health-check-url not a URL', (c) => (j1(c)['health-check-url'] = 'localhost:8080'), /health-check-url/],
  ['health-check-url ftp', (c) => (j1(c)['health-check-url'] = 'ftp://127.0.0.1/'), /health-check-url/],
  ['upstream-url with a scheme', (c) => (j1(c)['upstream-url'] = 'http://127.0.0.1:8080'), /upstream-url/],
  ['upstream-url port 0', (c) => (j1(c)['upstream-url'] = '127.0.0.1:0'), /upstream-url/],
  ['upstream-url port 70000', (c) => (j1(c)['upstream-url'] = '127.0.0.1:70000'), /upstream-url/],
  ['upstream-url with ;', (c) => (j1(c)['upstream-url'] = '127.0.0.1:80; server evil:80'), /upstream-url/],
  ['upstream-url with }', (c) => (j1(c)['upstream-url'] = '127.0.0.1:80}'), /upstream-url/],
  ['upstream-url with a newline', (c) => (j1(c)['upstream-url'] = '127.0.0.1:80\nserver x:1'), /upstream-url/],
  ['a node with neither program nor commands', (c) => delete j1(c)['supervisor-program'], /supervisor-program/],
  ['a node with only start-cmd', (c) => Object.assign(j1(c), { 'supervisor-program': undefined, 'start-cmd': 'x' }), /stop-cmd|supervisor-program/],
  ['backup a string', (c) => (j1(c).backup = 'no'), /backup/],
  ['an unknown node key', (c) => (j1(c).wieght = 5), /wieght/],
  ['health interval 0', (c) => (c.nginx.health = { 'interval-ms': 0 }), /interval-ms/],
  ['fail-threshold 0', (c) => (c.nginx.health = { 'fail-threshold': 0 }), /fail-threshold/],
  ['switch health-passes -1', (c) => (c.nginx.switch = { 'health-passes': -1 }), /health-passes/],
  ['verify-url not a URL', (c) => (c.nginx.switch = { 'verify-url': 'nginx' }), /verify-url/],
  ['ha a list', (c) => (c.ha = []), /ha/],
  ['a set without vrrp-instance', (c) => delete c.ha['service-sets'].app['vrrp-instance'], /vrrp-instance/],
  ['a set without registry', (c) => delete c.ha['service-sets'].app.registry, /registry/],
  ['a set with an empty vrrp-instance', (c) => (c.ha['service-sets'].app['vrrp-instance'] = ''), /vrrp-instance/],
  ['two sets on one instance', (c) => (c.ha['service-sets'].other = { 'vrrp-instance': 'VI_1', registry: '/tmp/x' }), /VI_1/],
  ['vip not an address', (c) => (c.ha['service-sets'].app.vip = 'the-vip'), /vip/],
  ['vip with a newline', (c) => (c.ha['service-sets'].app.vip = '198.18.0.1\n'), /vip/],
  ['an unknown set key', (c) => (c.ha['service-sets'].app.prio = 1), /prio/],
  ['agent-url not a URL', (c) => (c.ha.peers.n2['agent-url'] = '198.18.0.12:7373'), /agent-url/],
  ['sync-target with spaces', (c) => (c.ha.peers.n2['sync-target'] = 'rsync://h/m; rm -rf /'), /sync-target/],
  ['sync-target a bare word', (c) => (c.ha.peers.n2['sync-target'] = 'peer'), /sync-target/],
  ['ssh-options a string', (c) => (c.ha.peers.n2['ssh-options'] = '-o x'), /ssh-options/],
  ['agent listen without a port', (c) => (c.ha.agent.listen = '127.0.0.1'), /listen/],
  ['agent listen port 99999', (c) => (c.ha.agent.listen = '127.0.0.1:99999'), /listen/],
  ['agent listen with a path', (c) => (c.ha.agent.listen = '/run/x.sock'), /listen/],
  ['reconcile-interval-ms 0', (c) => (c.ha.agent['reconcile-interval-ms'] = 0), /reconcile-interval-ms/],
  ['sync debounce negative', (c) => (c.ha.sync = { 'debounce-ms': -5 }), /debounce-ms/],
  ['an empty node-name', (c) => (c.ha['node-name'] = ''), /node-name/],
  ['refuse-verbs a string', (c) => (c.supzcli = { 'refuse-verbs': 'stop' }), /refuse-verbs/],
];

// Names that pass nothing today but must not reach paths, rsync targets or the upstream file.
export const ODD_NAMES = ['..', '.', 'a/b', '../etc', 'a\nb', 'a;b', 'a}b', 'a b', 'a"b', ''];
