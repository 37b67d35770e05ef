import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';

const base = (ha: Record<string, unknown>, dirs: string[] = ['/etc/supervisor/conf.d']) =>
  JSON.stringify({
    'project-name': 't',
    supervisor: { 'registry-dirs': dirs },
    ha: { agent: { 'token-file': '/etc/supha/token' }, ...ha },
  });
const problems = (text: string): string => {
  try {
    parseConfig(text, '/etc/supha/config.json');
    return '';
  } catch (err) {
    return String((err as Error).message);
  }
};

test('config check refuses what would turn rsync arguments or replica paths against the host', () => {
  const set = { apps: { 'vrrp-instance': 'VI_1', registry: '/srv/reg/apps' } };
  assert.equal(problems(base({ 'service-sets': set, peers: { b: { 'sync-target': 'rsync://b/reg' } } })), '');
  assert.match(problems(base({ 'service-sets': set, peers: { b: { 'sync-target': '-e sh@x:/p' } } })), /sync-target: must not start with "-"/);
  assert.match(problems(base({ 'service-sets': { '..': { 'vrrp-instance': 'VI_1', registry: '/srv/reg/x' } } })), /set name must be/);
  assert.match(problems(base({ 'service-sets': { 'a..b': { 'vrrp-instance': 'VI_1', registry: '/srv/reg/x' } } })), /without "\.\."/);
  const shared = { a: { 'vrrp-instance': 'VI_1', registry: '/srv/reg/x' }, b: { 'vrrp-instance': 'VI_2', registry: '/srv/reg/x/' } };
  assert.match(problems(base({ 'service-sets': shared })), /is also the registry of set "a"/);
  assert.match(problems(base({ 'service-sets': set }, ['/srv/reg/apps'])), /also in supervisor\.registry-dirs/);
  const noToken = JSON.stringify({ 'project-name': 't', ha: { 'service-sets': set, peers: { b: { 'sync-target': 'rsync://b/reg' } } } });
  assert.match(problems(noToken), /ha\.agent\.token-file: required with a sync-target/);
});
