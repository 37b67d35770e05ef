export { Metrics, type MetricsRecorder, type SwitchOutcome, type TransitionOutcome } from './recorder.js';
