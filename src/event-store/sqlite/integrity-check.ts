import { Worker } from 'node:worker_threads';

/**
 * `PRAGMA quick_check` of a store file on a read-only connection of its own, in a worker thread, so
 * that a service can load its snapshot and catch up on the main thread meanwhile (the check reads the
 * whole file: about 0.9 s for the 660 MB benchmark store).
 *
 * The worker is plain JavaScript evaluated from a string (no second entry file for the build and for
 * ts-jest to agree on); it loads the same better-sqlite3 the main thread resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  const rows = db.pragma('quick_check');
  parentPort.postMessage({ problems: rows.map((row) => row.quick_check).filter((result) => result !== 'ok') });
} catch (error) {
  parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code } });
} finally {
  if (db) db.close();
}
`;

/** What the worker found: the check's complaints (none: the file is sound), or the error it hit. */
export type QuickCheckOutcome =
  { problems: string[] } | { error: { message: string; code: string | undefined } };

/** Runs the check in a new worker thread; settles once the worker has closed its connection and exited. */
export function quickCheckInWorker(file: string): Promise<QuickCheckOutcome> {
  return new Promise((resolve) => {
    let outcome: QuickCheckOutcome | undefined;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver: require.resolve('better-sqlite3') },
    });
    worker.on('message', (message: QuickCheckOutcome) => (outcome = message));
    worker.on('error', (error) => (outcome = { error: { message: error.message, code: undefined } }));
    worker.on('exit', (code) =>
      resolve(
        outcome ?? { error: { message: `integrity worker exited with code ${code}`, code: undefined } },
      ),
    );
  });
}
