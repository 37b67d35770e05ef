import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../helpers/cli.js';
import { forwardIntoNamespace } from '../helpers/forward.js';
import { type HaPair, startHaPair, waitRunning } from '../helpers/hapair.js';
import { tempDir } from '../helpers/tmp.js';

const PROGRAMS = { web: { command: '/bin/sleep 100000' }, worker: { command: '/bin/sleep 100000' } };
export const SCREENSHOT = join(ROOT, 'test-results', 'status-page.png');

// The status page of two real agents (network namespaces, real keepalived and supervisord),
// in Debian's chromium: the right roles, then a real failover (keepalived on node1 stopped)
// shows up on both pages without a reload.
describe('status page in headless chromium', { timeout: 180_000 }, () => {
  let pair: HaPair;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let browser: BrowserContext;
  const fwd: { port: number; close(): Promise<void> }[] = [];
  const pages: Page[] = [];
  const role = (p: Page) => p.locator('tr[data-set="app"] .role');

  before(async () => {
    tmp = await tempDir('supha-page-');
    pair = await startHaPair({ programs: PROGRAMS });
    for (const [i, n] of pair.nodes.entries()) fwd.push(await forwardIntoNamespace(pair.net.wrap(n.host), 7373, tmp.dir, `node${i + 1}`));
    await mkdir(join(tmp.dir, 'profile'));
    browser = await chromium.launchPersistentContext(join(tmp.dir, 'profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1200, height: 800 },
    });
  });
  after(async () => {
    await browser?.close();
    for (const f of fwd) await f.close();
    await pair?.destroy();
    await tmp?.cleanup();
  });

  test('each page shows its node, the set, the VIP and the role keepalived gave it', async () => {
    await waitRunning(pair.nodes[0]!, 2, 'node1 to run the set');
    for (const f of fwd) {
      const p = await browser.newPage();
      await p.goto(`http://127.0.0.1:${f.port}/`);
      pages.push(p);
    }
    const [p1, p2] = pages as [Page, Page];
    assert.equal(await p1.locator('#node').textContent(), 'node1');
    assert.equal(await p2.locator('#node').textContent(), 'node2');
    await role(p1).filter({ hasText: 'MASTER' }).waitFor({ timeout: 20_000 });
    await role(p2).filter({ hasText: 'BACKUP' }).waitFor({ timeout: 20_000 });
    assert.match((await p1.locator('tr[data-set="app"]').textContent()) ?? '', new RegExp(`${pair.vip.replace(/\./g, '\\.')} here`));
    assert.equal(await p1.locator('table.programs td .st-RUNNING').count(), 2);
  });

  test('after a failover both pages update by themselves', async () => {
    const [p1, p2] = pages as [Page, Page];
    const before1 = await p1.locator('#updated').textContent();
    await pair.nodes[0]!.ka!.stop();
    await waitRunning(pair.nodes[1]!, 2, 'node2 to take the set');
    await role(p2).filter({ hasText: 'MASTER' }).waitFor({ timeout: 20_000 });
    await role(p1)
      .filter({ hasText: /STOP|BACKUP|FAULT/ })
      .waitFor({ timeout: 20_000 });
    assert.notEqual(await p1.locator('#updated').textContent(), before1, 'node1 page refreshed itself');
    // The transition and its reason are on the page.
    await p2.locator('table.transitions', { hasText: 'BACKUP → MASTER' }).waitFor({ timeout: 10_000 });
    await mkdir(join(ROOT, 'test-results'), { recursive: true });
    await p2.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${SCREENSHOT}`);
  });
});
