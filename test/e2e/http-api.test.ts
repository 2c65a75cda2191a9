/**
 * The HTTP contract of api.md on a real server with a fresh SQLite store: authentication, validation,
 * problem+json, idempotency, consistency tokens. Every rejected request must append nothing.
 */
import { http, PLAIN_TOKEN, startTestServer, type TestServer } from '../support/server';

let server: TestServer;

async function head(): Promise<string | null> {
  return server.running.store.headPosition();
}

async function expectNothingAppended(before: string | null): Promise<void> {
  expect(await head()).toBe(before);
}

beforeAll(async () => {
  server = await startTestServer('sqlite');
  const r = await http(server.url, 'POST', '/v1/commands/CreateOrganization', {
    actor: 'system',
    body: { orgId: 'acme', name: 'Acme', founderUserId: 'alice' },
  });
  expect(r.status).toBe(200);
});

afterAll(async () => {
  await server.close();
});

describe('GET /health', () => {
  it('answers 200 without a token once caught up', async () => {
    const r = await http(server.url, 'GET', '/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });
});

describe('authentication (api.md "Every request")', () => {
  it.each([
    ['missing token', null],
    ['wrong token', 'nope'],
  ])('%s → 401 UNAUTHENTICATED problem+json, nothing appended', async (_label, token) => {
    const before = await head();
    const r = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      token,
      actor: 'user:alice',
      body: { orgId: 'acme', userId: 'bob' },
    });
    expect(r.status).toBe(401);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    await expectNothingAppended(before);
  });

  it('system actor with a non-system token → 401', async () => {
    const before = await head();
    const r = await http(server.url, 'POST', '/v1/commands/CreateOrganization', {
      token: PLAIN_TOKEN,
      actor: 'system',
      body: { orgId: 'other', name: 'Other', founderUserId: 'zed' },
    });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('UNAUTHENTICATED');
    await expectNothingAppended(before);
  });

  it('queries need a token too', async () => {
    const r = await http(
      server.url,
      'GET',
      '/v1/check?principal=user:alice&permission=org:manage-users&resource=org:acme',
      {
        token: null,
      },
    );
    expect(r.status).toBe(401);
  });
});

describe('validation → 400 VALIDATION_FAILED, nothing appended', () => {
  const cases: [
    string,
    { rawBody?: string; body?: unknown; actor?: string; headers?: Record<string, string> },
    string,
  ][] = [
    ['malformed JSON', { rawBody: '{"orgId": "acme", ', actor: 'user:alice' }, 'body'],
    [
      'unknown field',
      { body: { orgId: 'acme', userId: 'bob', colour: 'red' }, actor: 'user:alice' },
      'colour',
    ],
    ['wrong type', { body: { orgId: 'acme', userId: 42 }, actor: 'user:alice' }, 'userId'],
    ['bad id', { body: { orgId: 'acme', userId: 'b o b' }, actor: 'user:alice' }, 'userId'],
    ['bad enum', { body: { orgId: 'acme', userId: 'bob', role: 'owner' }, actor: 'user:alice' }, 'role'],
    ['missing field', { body: { orgId: 'acme' }, actor: 'user:alice' }, 'userId'],
    ['array body', { body: [1, 2], actor: 'user:alice' }, 'body'],
    ['missing X-Actor', { body: { orgId: 'acme', userId: 'bob' } }, 'X-Actor'],
    ['bad X-Actor', { body: { orgId: 'acme', userId: 'bob' }, actor: 'root' }, 'X-Actor'],
  ];
  it.each(cases)('%s', async (_label, req, field) => {
    const before = await head();
    const r = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', req);
    expect(r.status).toBe(400);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    const errors = (r.body.errors as { field: string }[]) ?? [];
    expect(errors.map((e) => e.field)).toContain(field);
    await expectNothingAppended(before);
  });

  it('an unknown command → 404 problem+json', async () => {
    const r = await http(server.url, 'POST', '/v1/commands/MakeMeAdmin', { actor: 'user:alice', body: {} });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('NOT_FOUND');
  });

  it('an unknown permission in a check → 400', async () => {
    const r = await http(
      server.url,
      'GET',
      '/v1/check?principal=user:alice&permission=org:fly&resource=org:acme',
    );
    expect(r.status).toBe(400);
    expect((r.body.errors as { field: string }[]).map((e) => e.field)).toContain('permission');
  });

  it('a bad consistency token → 400', async () => {
    const r = await http(
      server.url,
      'GET',
      '/v1/check?principal=user:alice&permission=org:manage-users&resource=org:acme&consistency=soon',
    );
    expect(r.status).toBe(400);
  });
});

describe('domain errors', () => {
  it('R51 a non-admin adding users → 403 FORBIDDEN, nothing appended', async () => {
    await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:alice',
      body: { orgId: 'acme', userId: 'mallory' },
    });
    const before = await head();
    const r = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:mallory',
      body: { orgId: 'acme', userId: 'eve' },
    });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('FORBIDDEN');
    await expectNothingAppended(before);
  });

  it('a command on an unknown org → 404', async () => {
    const r = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:alice',
      body: { orgId: 'nowhere', userId: 'eve' },
    });
    expect(r.status).toBe(404);
  });

  it('an existing id → 409 ALREADY_EXISTS', async () => {
    const r = await http(server.url, 'POST', '/v1/commands/CreateOrganization', {
      actor: 'system',
      body: { orgId: 'acme', name: 'Again', founderUserId: 'zed' },
    });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('ALREADY_EXISTS');
  });

  it('A34 a rule violation → 422 with the rule id', async () => {
    const r = await http(server.url, 'POST', '/v1/commands/RemoveUserFromOrganization', {
      actor: 'user:alice',
      body: { orgId: 'acme', userId: 'alice' },
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'RULE_VIOLATION', rule: 'A34' });
  });
});

describe('Idempotency-Key', () => {
  it('a repeat returns the first answer and appends nothing; another body → 422', async () => {
    const body = { orgId: 'acme', userId: 'idem-user' };
    const first = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:alice',
      body,
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(first.status).toBe(200);
    expect((first.body.events as unknown[]).length).toBe(1);
    const before = await head();
    const again = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:alice',
      body,
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    await expectNothingAppended(before);
    const other = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:alice',
      body: { orgId: 'acme', userId: 'someone-else' },
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await expectNothingAppended(before);
  });
});

describe('positions as consistency tokens', () => {
  it('a command answers with a position that the next query includes (read your writes)', async () => {
    const r = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:alice',
      body: { orgId: 'acme', userId: 'ryw' },
    });
    expect(r.status).toBe(200);
    const position = r.body.position as string;
    const q = await http(
      server.url,
      'GET',
      `/v1/check?principal=user:ryw&permission=org:manage-users&resource=org:acme&consistency=atLeast:${position}`,
    );
    expect(q.status).toBe(200);
    expect(q.body.position).toBe(position);
    expect(q.body.allowed).toBe(false);
  });

  it('atLeast: a future position → 503 NOT_CAUGHT_UP after the bound', async () => {
    const impatient = await startTestServer('memory', undefined, { CONSISTENCY_TIMEOUT_MS: '200' });
    try {
      const r = await http(
        impatient.url,
        'GET',
        '/v1/check?principal=user:alice&permission=org:manage-users&resource=org:acme&consistency=atLeast:999999999',
      );
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('NOT_CAUGHT_UP');
    } finally {
      await impatient.close();
    }
  });

  it('at: answers as of a past position', async () => {
    const r = await http(server.url, 'POST', '/v1/commands/AddUserToOrganization', {
      actor: 'user:alice',
      body: { orgId: 'acme', userId: 'tt', role: 'admin' },
    });
    const added = r.body.position as string;
    const change = await http(server.url, 'POST', '/v1/commands/ChangeOrganizationRole', {
      actor: 'user:alice',
      body: { orgId: 'acme', userId: 'tt', role: 'member' },
    });
    expect(change.status).toBe(200);
    const past = await http(
      server.url,
      'GET',
      `/v1/check?principal=user:tt&permission=org:manage-users&resource=org:acme&consistency=at:${added}`,
    );
    expect(past.body).toMatchObject({ allowed: true, position: added });
    const now = await http(
      server.url,
      'GET',
      '/v1/check?principal=user:tt&permission=org:manage-users&resource=org:acme',
    );
    expect(now.body.allowed).toBe(false);
  });
});
