import type { FastifyInstance } from 'fastify';

/** Marker put in place of a body that is not valid JSON, so the controller answers 400 after auth. */
export const MALFORMED_JSON = '__malformedJson__';

/**
 * Our own JSON parser: fastify's would answer malformed JSON before our auth and problem+json
 * handling. An empty body parses as undefined (then fails validation as "must be a JSON object").
 */
export function installJsonParser(fastify: FastifyInstance): void {
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 1_048_576 },
    (_req, raw, done) => {
      const text = typeof raw === 'string' ? raw : raw.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (e) {
        done(null, { [MALFORMED_JSON]: `malformed JSON: ${(e as Error).message}` });
      }
    },
  );
}
