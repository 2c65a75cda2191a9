/**
 * CPU profiles of one region of a process (node:inspector), so that a profile shows the measured work
 * and not start-up or data loading around it. Writes the same `.cpuprofile` format as `node --cpu-prof`.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

let session: Session | null = null;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (!session) return reject(new Error('profiler not started'));
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

export async function startProfiling(samplingIntervalUs = 200): Promise<void> {
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await post('Profiler.start');
}

export async function stopProfiling(file: string): Promise<void> {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(file, JSON.stringify(profile));
  session?.disconnect();
  session = null;
}

/** Runs `work` under the profiler when `file` is given. */
export async function profiled<T>(file: string | undefined, work: () => Promise<T> | T): Promise<T> {
  if (!file) return work();
  await startProfiling();
  try {
    return await work();
  } finally {
    await stopProfiling(file);
  }
}
