import { parentPort, workerData } from 'node:worker_threads';
import { startLoad } from '../test/helpers/load.js';

// One load generator in its own thread: answers 'snap' with its counters, stops on 'stop'.
const { url, clients, keepAlive, maxSeconds } = workerData as { url: string; clients: number; keepAlive: boolean; maxSeconds: number };
const load = startLoad(url, { clients, keepAlive, maxSeconds });
parentPort?.on('message', async (msg: string) => {
  if (msg === 'snap') parentPort?.postMessage(load.snapshot());
  if (msg === 'stop') {
    parentPort?.postMessage(await load.stop());
    parentPort?.close();
  }
});
