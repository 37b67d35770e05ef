import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HealthInput, healthOf } from '../../src/ha/index.js';
import type { ProcessStateName } from '../../src/supervisor/index.js';

const master = (states: ProcessStateName[]): HealthInput => ({
  desired: 'MASTER',
  effective: 'MASTER',
  acted: 'MASTER',
  held: false,
  keepalivedAlive: true,
  groups: states.map((_, i) => `p${i}`),
  infos: states.map((statename, i) => ({ group: `p${i}`, name: `p${i}`, statename })),
  passError: undefined,
});

// A new MASTER's programs are STARTING when the pass that started them ends. Counted as sick,
// the track file said 1, keepalived (weight 0) put the instance in FAULT, the peer took the VIP,
// this node stopped the set, became MASTER again: the shipped examples flapped for ever (seen
// in scripts/demo.sh). supervisord itself says when a start failed (BACKOFF, FATAL).
test('a MASTER whose programs are STARTING is healthy; BACKOFF, FATAL, STOPPED are not', () => {
  assert.equal(healthOf(master(['RUNNING', 'STARTING'])).healthy, true);
  assert.match(healthOf(master(['STARTING', 'STARTING'])).why, /2 starting/);
  for (const bad of ['BACKOFF', 'FATAL', 'STOPPED', 'EXITED'] as const) assert.equal(healthOf(master(['STARTING', bad])).healthy, false, bad);
  assert.equal(healthOf(master(['RUNNING'])).healthy, true);
});
