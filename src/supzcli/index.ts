export { main } from './main.js';
export { runWords, type Session } from './run.js';
