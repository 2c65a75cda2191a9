/**
 * Reference servers for the HTTP "physical limit" on this machine: a bare node:http server and a bare
 * fastify route, each answering a fixed check-shaped JSON body. Whatever the service does on top of
 * that (Nest, guards, validation, the check itself) shows as the gap to these.
 */
import Fastify from 'fastify';
import { createServer } from 'node:http';

const BODY = JSON.stringify({
  allowed: true,
  role: 'member',
  reason: 'R9: member holds run:read',
  position: '1000000',
});

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'http';
  let port: number;
  if (mode === 'fastify') {
    const app = Fastify({ logger: false });
    app.get('/v1/check', async (_req, reply) => {
      void reply.header('content-type', 'application/json');
      return BODY;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
  } else {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
      res.end(BODY);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
  }
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') process.exit(0);
  });
}

void main();
