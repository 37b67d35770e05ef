export { ensureFifo, FifoReader } from './fifo.js';
export { LineSplitter, NOTIFY_STATES, type NotifyEvent, type NotifyState, type ParseResult, parseNotifyArgs, parseNotifyLine } from './parse.js';
export { heldPipes, type Liveness, pidFileAlive } from './pid.js';
export { vipPresent } from './vip.js';
