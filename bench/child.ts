/**
 * Runs a bench script in a child Node process (with the same TypeScript loader as this one) and waits
 * for the one message it sends back. Children give each model its own peak-RSS figure and let a slow
 * layout be killed at a deadline.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ChildOutcome<T> =
  | { status: 'ok'; value: T; wallMs: number }
  | { status: 'timeout'; wallMs: number }
  | { status: 'error'; message: string; wallMs: number };

/**
 * `timeoutMs` counts from the start, or, once the child calls `startClock()`, from that moment: so a
 * child can load and prepare its input before the timed part begins.
 */
export function runChild<T>(script: string, args: string[], timeoutMs: number): Promise<ChildOutcome<T>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const start = performance.now();
  return new Promise((resolve) => {
    const child = fork(path, args, {
      execArgv: [...process.execArgv, '--expose-gc', '--max-old-space-size=8192'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 20000) stderr = stderr.slice(-20000);
    });
    let settled = false;
    const finish = (o: ChildOutcome<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const onTimeout = () => {
      child.kill('SIGKILL');
      finish({ status: 'timeout', wallMs: performance.now() - start });
    };
    let timer = setTimeout(onTimeout, timeoutMs);
    child.on('message', (m: unknown) => {
      const msg = m as { ok: boolean; value?: T; error?: string; clock?: 'start' };
      if (msg.clock === 'start') {
        clearTimeout(timer);
        timer = setTimeout(onTimeout, timeoutMs);
        return;
      }
      if (msg.ok) finish({ status: 'ok', value: msg.value as T, wallMs: performance.now() - start });
      else finish({ status: 'error', message: msg.error ?? 'unknown error', wallMs: performance.now() - start });
    });
    child.on('exit', (code, signal) => {
      finish({ status: 'error', message: `child exited (${signal ?? code}) without a result${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`, wallMs: performance.now() - start });
    });
  });
}

/** For the child side: the timed part begins now (see runChild). */
export function startClock(): Promise<void> {
  return new Promise((resolve) => process.send!({ clock: 'start' }, () => resolve()));
}

/** For the child side: send one result (or the error) to the parent, then exit. */
export async function reply<T>(work: () => Promise<T> | T): Promise<void> {
  let msg: { ok: boolean; value?: T; error?: string };
  try {
    msg = { ok: true, value: await work() };
  } catch (e) {
    msg = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  process.send!(msg, () => process.exit(0));
}
