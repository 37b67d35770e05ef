export { Agent } from './agent.js';
export { AgentUnreachable, askAgent } from './control-client.js';
export type { AgentContext, AgentModule, Role } from './module.js';
export { MODULES, type ModuleEntry } from './modules.js';
export { controlSocketPath, tokenFilePath } from './paths.js';
export type { ControlRequest, ControlResponse, ProcessEvent } from './protocol.js';
export type { SetState, Transition } from './sets.js';
export { buildStatus, type StatusInput, type StatusView } from './status-view.js';
