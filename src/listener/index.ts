export { type ListenOptions, listen } from './listen.js';
export { ACK, EventParser, type ListenerEvent, type Parsed, parseHeader, parseTokens, READY } from './protocol.js';
