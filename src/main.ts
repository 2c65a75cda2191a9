import { Logger } from '@nestjs/common';
import { ConfigError, DEV_TOKEN, loadConfig } from './config/config';
import { startApp } from './app';
import { StoreCorruptError, StoreUnavailableError } from './event-store/port';

async function main(): Promise<void> {
  const logger = new Logger('permissions');
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      logger.error(`configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  try {
    const running = await startApp(config);
    logger.log(
      `store: ${config.eventStore}${config.eventStore === 'sqlite' ? ` (${config.dataDir}/events.sqlite, synchronous=${config.sqliteSynchronous})` : ''}`,
    );
    logger.log(`listening on ${running.url}`);
    if (config.devToken) {
      logger.warn('='.repeat(72));
      logger.warn(
        `PERMISSIONS_API_TOKENS is not set: DEVELOPMENT token "${DEV_TOKEN}" (system rights) is accepted.`,
      );
      logger.warn(
        `Use: curl -H 'Authorization: Bearer ${DEV_TOKEN}' ${running.url}/health  — never in production.`,
      );
      logger.warn('='.repeat(72));
    }
    // A damaged file found by the background check stops the service as it would have stopped start-up
    // (no shutdown snapshot: nothing more is written to or derived from that file).
    running.integrity.catch((e: unknown) => {
      logger.error(`cannot continue: ${(e as Error).message}`);
      process.exit(3);
    });
    const stop = async (signal: string) => {
      logger.log(`${signal}: shutting down`);
      await running.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (e) {
    if (e instanceof StoreCorruptError || e instanceof StoreUnavailableError) {
      logger.error(`cannot start: ${e.message}`);
      process.exit(3);
    }
    throw e;
  }
}

void main();
