// worker_threads entry of the sweep bench: registers tsx in this thread, then loads the TypeScript runner.
import { register } from 'tsx/esm/api';
register();
await import('./sweepWorker.ts');
