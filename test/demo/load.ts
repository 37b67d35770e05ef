import { startLoad } from '../helpers/load.js';

// Run inside a network namespace by the demo: `node load.js URL CLIENTS` sends GETs (one
// connection each, `Connection: close`) until its stdin closes, then prints the counts as JSON.
const [url, clients = '4'] = process.argv.slice(2);
if (!url) {
  console.error('usage: load.js URL [CLIENTS]');
  process.exit(2);
}
const load = startLoad(url, { clients: Number(clients), keepAlive: false });
process.stdout.write('started\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void load.stop().then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  });
});
