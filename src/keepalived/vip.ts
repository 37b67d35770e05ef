import { networkInterfaces } from 'node:os';

// Whether an address (with or without /prefix) is on one of this host's interfaces.
export function vipPresent(vip: string): boolean {
  const want = (vip.split('/')[0] ?? '').toLowerCase();
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.address.toLowerCase() === want) return true;
  }
  return false;
}
