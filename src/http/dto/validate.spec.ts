import {
  CHECKABLE_PERMISSION_IDS,
  COMMAND_DTOS,
  COMMAND_NAMES,
  MAX_ITEM_ERRORS,
  ORG_PERMISSIONS,
  PERMISSION_FORMAT_RE,
  PERMISSION_IDS,
  PERMISSIONS_BY_SCOPE,
  PROJECT_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  TEAM_PERMISSIONS,
  isRfc3339DateTime,
  parsePrincipal,
  parseResource,
  permissionScope,
  hasFlatPlan,
  validateActorHeader,
  validateCommandBody,
  validateWithClassValidator,
  validateConsistency,
  validateQuery,
  type CommandName,
  type FieldError,
  type ValidationResult,
} from './validate';

type Body = Record<string, unknown>;

/** The smallest valid body of each command (exactly its required fields, plus UpdateCustomRole's `name`). */
const MINIMAL: Record<CommandName, Body> = {
  CreateOrganization: { orgId: 'acme', name: 'Acme', founderUserId: 'alice' },
  AddUserToOrganization: { orgId: 'acme', userId: 'bob' },
  ChangeOrganizationRole: { orgId: 'acme', userId: 'bob', role: 'viewer' },
  RemoveUserFromOrganization: { orgId: 'acme', userId: 'bob' },
  DeactivateUser: { orgId: 'acme', userId: 'bob' },
  ReactivateUser: { orgId: 'acme', userId: 'bob' },
  SetOrganizationPolicy: { orgId: 'acme', policy: 'invitationControl', enforced: false },
  CreateCustomRole: { orgId: 'acme', roleId: 'ops', name: 'Ops', base: 'member', permissions: [] },
  UpdateCustomRole: { orgId: 'acme', roleId: 'ops', name: 'Ops 2' },
  DeleteCustomRole: { orgId: 'acme', roleId: 'ops' },
  CreateTeam: { orgId: 'acme', teamId: 'ml', name: 'ML' },
  UpdateTeamSettings: { teamId: 'ml' },
  AddTeamMember: { teamId: 'ml', userId: 'bob' },
  AssignTeamRole: { teamId: 'ml', userId: 'bob', role: 'admin' },
  RemoveTeamMember: { teamId: 'ml', userId: 'bob' },
  CreateServiceAccount: { orgId: 'acme', serviceAccountId: 'ci', scope: 'team', teamId: 'ml' },
  DeleteServiceAccount: { serviceAccountId: 'ci' },
  CreateProject: { projectId: 'p1', teamId: 'ml', name: 'P1' },
  ChangeProjectVisibility: { projectId: 'p1', visibility: 'restricted' },
  AddToRestrictedProject: { projectId: 'p1', principal: 'user:bob' },
  RemoveFromRestrictedProject: { projectId: 'p1', principal: 'sa:ci' },
  ChangeProjectRole: { projectId: 'p1', userId: 'bob', role: 'custom:ops' },
  ChangeProjectOwner: { projectId: 'p1', userId: 'bob' },
  DeleteProject: { projectId: 'p1' },
  LogRun: { runId: 'r1', projectId: 'p1' },
  StopRun: { runId: 'r1' },
  DeleteRun: { runId: 'r1' },
  MoveRun: { runId: 'r1', toProjectId: 'p2' },
  CreateReport: { reportId: 'rep1', projectId: 'p1' },
  DeleteReport: { reportId: 'rep1' },
  CreateRegistry: { orgId: 'acme', registryId: 'reg', name: 'Reg', visibility: 'organization' },
  DeleteRegistry: { registryId: 'reg' },
  ChangeRegistryVisibility: { registryId: 'reg', visibility: 'restricted' },
  AddRegistryMember: { registryId: 'reg', member: 'team:ml' },
  ChangeRegistryRole: { registryId: 'reg', member: 'sa:ci', role: 'restricted-viewer' },
  RemoveRegistryMember: { registryId: 'reg', member: 'user:bob' },
  ChangeRegistryOwner: { registryId: 'reg', principal: 'user:bob' },
  SetRegistryOwningTeam: { registryId: 'reg', teamId: 'ml' },
};

/** The optional fields of each command, with valid values. */
const OPTIONALS: Partial<Record<CommandName, Body>> = {
  CreateOrganization: { deployment: { type: 'multi-tenant', serverVersion: '0.75.0', customRoles: false } },
  AddUserToOrganization: { role: 'admin' },
  CreateCustomRole: { description: 'Operators' },
  UpdateCustomRole: { description: '', addPermissions: ['run:stop'], removePermissions: ['project:update'] },
  UpdateTeamSettings: { futureProjectsPrivate: true, membersCanInvite: false },
  AddTeamMember: { role: 'viewer' },
  CreateProject: { visibility: 'open', invitees: ['user:bob', 'sa:ci'] },
  ChangeProjectVisibility: { invitees: ['user:carol'] },
  LogRun: { attributedUserId: 'bob' },
  CreateReport: { name: 'Weekly' },
  CreateRegistry: { owningTeamId: 'ml' },
  AddRegistryMember: { role: 'viewer' },
};

const full = (name: CommandName): Body => ({ ...MINIMAL[name], ...(OPTIONALS[name] ?? {}) });
const with_ = (name: CommandName, patch: Body): Body => ({ ...full(name), ...patch });
const without = (body: Body, field: string): Body =>
  Object.fromEntries(Object.entries(body).filter(([k]) => k !== field));

const errorsOf = (result: ValidationResult<unknown>): FieldError[] => (result.ok ? [] : result.errors);
const fieldsOf = (result: ValidationResult<unknown>): string[] => errorsOf(result).map((e) => e.field);

/** Asserts a failure that names `field` (and only fields in `field`'s list). */
function expectFieldError(result: ValidationResult<unknown>, field: string, message?: RegExp): void {
  expect(result.ok).toBe(false);
  expect(fieldsOf(result)).toEqual([field]);
  if (message) expect(errorsOf(result)[0]?.message).toMatch(message);
}

const OPTIONAL_FIELDS = new Set(
  Object.entries(OPTIONALS).flatMap(([name, body]) => Object.keys(body).map((f) => `${name}.${f}`)),
);
OPTIONAL_FIELDS.add('UpdateCustomRole.name');

const ALL_FIELDS: [CommandName, string][] = COMMAND_NAMES.flatMap((name) =>
  Object.keys(full(name)).map((f): [CommandName, string] => [name, f]),
);
const REQUIRED_FIELDS = ALL_FIELDS.filter(([name, f]) => !OPTIONAL_FIELDS.has(`${name}.${f}`));
const ID_FIELDS = ALL_FIELDS.filter(([, f]) => f.endsWith('Id'));
const STRING_FIELDS = ALL_FIELDS.filter(([name, f]) => typeof full(name)[f] === 'string');
const BOOLEAN_FIELDS = ALL_FIELDS.filter(([name, f]) => typeof full(name)[f] === 'boolean');

describe('command tables', () => {
  it('cover every command and nothing else', () => {
    expect(Object.keys(MINIMAL).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(COMMAND_DTOS).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(COMMAND_NAMES).toHaveLength(38);
    expect(REQUIRED_FIELDS.length).toBeGreaterThan(60);
    expect(ID_FIELDS.length).toBeGreaterThan(50);
  });
});

describe('validateCommandBody: valid bodies', () => {
  it.each(COMMAND_NAMES)('%s: minimal body passes and is returned as a plain copy', (name) => {
    const body = MINIMAL[name];
    const result = validateCommandBody(name, body);
    expect(errorsOf(result)).toEqual([]);
    if (!result.ok) return;
    expect(result.value).toEqual(body);
    expect(result.value).not.toBe(body);
    expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
  });

  it.each(COMMAND_NAMES.filter((n) => OPTIONALS[n]))('%s: body with every optional field passes', (name) => {
    const result = validateCommandBody(name, full(name));
    expect(errorsOf(result)).toEqual([]);
    expect(result.ok && result.value).toEqual(full(name));
  });

  it('returns the nested deployment as a plain object, not a class instance', () => {
    const result = validateCommandBody('CreateOrganization', full('CreateOrganization'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.getPrototypeOf(result.value.deployment)).toBe(Object.prototype);
    expect(result.value.deployment).toEqual({
      type: 'multi-tenant',
      serverVersion: '0.75.0',
      customRoles: false,
    });
  });

  it.each([['admin'], ['member'], ['viewer'], ['custom:ops'], ['custom:A.b_c-9']])(
    'accepts team role %s',
    (role) => {
      expect(validateCommandBody('AssignTeamRole', with_('AssignTeamRole', { role })).ok).toBe(true);
    },
  );

  it.each([['restricted-viewer'], ['viewer'], ['member'], ['admin']])('accepts registry role %s', (role) => {
    expect(validateCommandBody('ChangeRegistryRole', with_('ChangeRegistryRole', { role })).ok).toBe(true);
  });

  it.each([
    ['CreateProject', 'visibility', 'open'],
    ['CreateProject', 'visibility', 'public'],
    ['CreateProject', 'visibility', 'team'],
    ['CreateProject', 'visibility', 'restricted'],
    ['CreateRegistry', 'visibility', 'restricted'],
    ['CreateServiceAccount', 'scope', 'org'],
    ['SetOrganizationPolicy', 'policy', 'futureProjectPrivacy'],
    ['CreateCustomRole', 'base', 'viewer'],
    ['ChangeOrganizationRole', 'role', 'admin'],
  ] as [CommandName, string, string][])('%s accepts %s=%s', (name, field, value) => {
    expect(validateCommandBody(name, with_(name, { [field]: value })).ok).toBe(true);
  });

  it.each([['dedicated'], ['self-managed']])('accepts deployment type %s alone', (type) => {
    const result = validateCommandBody(
      'CreateOrganization',
      with_('CreateOrganization', { deployment: { type } }),
    );
    expect(errorsOf(result)).toEqual([]);
  });

  it('accepts boundary lengths: 128-char id, 256-char name, 2000-char description', () => {
    const result = validateCommandBody('CreateCustomRole', {
      ...full('CreateCustomRole'),
      roleId: 'x'.repeat(128),
      name: 'n'.repeat(256),
      description: 'd'.repeat(2000),
    });
    expect(errorsOf(result)).toEqual([]);
  });

  it('counts name length in characters, not UTF-16 units', () => {
    expect(validateCommandBody('CreateTeam', with_('CreateTeam', { name: '🙂'.repeat(256) })).ok).toBe(true);
    expect(validateCommandBody('CreateTeam', with_('CreateTeam', { name: '🙂'.repeat(257) })).ok).toBe(false);
  });

  it('accepts 1000 distinct invitees and 100 distinct permissions', () => {
    const invitees = Array.from({ length: 1000 }, (_, i) => `user:u${i}`);
    expect(validateCommandBody('CreateProject', with_('CreateProject', { invitees })).ok).toBe(true);
    const permissions = Array.from(
      { length: 100 },
      (_, i) => `x:${String(i).replace(/\d/g, (d) => 'abcdefghij'.charAt(Number(d)))}`,
    );
    expect(new Set(permissions).size).toBe(100);
    expect(
      errorsOf(validateCommandBody('CreateCustomRole', with_('CreateCustomRole', { permissions }))),
    ).toEqual([]);
  });
});

describe('validateCommandBody: flat bodies accepted without class-validator', () => {
  it('the hot commands (LogRun, AssignTeamRole) take the flat path', () => {
    expect(hasFlatPlan(COMMAND_DTOS.LogRun)).toBe(true);
    expect(hasFlatPlan(COMMAND_DTOS.AssignTeamRole)).toBe(true);
    // Nested or array rules keep the full path.
    expect(hasFlatPlan(COMMAND_DTOS.CreateOrganization)).toBe(false);
    expect(hasFlatPlan(COMMAND_DTOS.CreateCustomRole)).toBe(false);
  });

  // Variations of every command's valid bodies: each field missing, null, another JSON kind, an invalid
  // string, an unknown or prototype-named extra property. Both paths must give the same answer.
  const variants = (body: Body): Body[] => {
    const out: Body[] = [body];
    const odd: unknown[] = [
      null,
      5,
      Number.NaN,
      true,
      '',
      'not ok!',
      'x'.repeat(129),
      [],
      {},
      ['a'],
      { a: 1 },
    ];
    for (const key of Object.keys(body)) {
      const { [key]: _dropped, ...without } = body;
      out.push(without);
      for (const value of odd) out.push({ ...body, [key]: value });
    }
    out.push({ ...body, extra: 'x' });
    out.push(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(body).slice(1)}`) as Body);
    out.push({ ...body, constructor: 'x' });
    return out;
  };

  it.each([...COMMAND_NAMES])('%s: same verdict and value as class-validator', (name) => {
    for (const body of [...variants(MINIMAL[name]), ...variants(full(name))]) {
      const viaValidator = validateWithClassValidator(COMMAND_DTOS[name], body);
      const result = validateCommandBody(name, body);
      if (result.ok) {
        expect(viaValidator).toEqual({ ok: true, value: result.value });
      } else if (!viaValidator.ok) {
        // Errors come from class-validator either way (plus the command's own cross-field checks).
        for (const error of viaValidator.errors) expect(result.errors).toContainEqual(error);
      } else {
        // Accepted by class-validator, rejected only by the command's cross-field checks.
        expect(result.errors.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('validateCommandBody: rejected bodies', () => {
  it.each(COMMAND_NAMES)('%s: an unknown field is named', (name) => {
    expectFieldError(
      validateCommandBody(name, with_(name, { extra: 1 })),
      'extra',
      /^property extra should not exist$/,
    );
  });

  it.each(REQUIRED_FIELDS)('%s: missing %s is named', (name, field) => {
    expectFieldError(
      validateCommandBody(name, without(full(name), field)),
      field,
      new RegExp(`^${field} is required$`),
    );
  });

  it.each(
    ID_FIELDS.flatMap(([name, f]) =>
      ['a b', '', 'x'.repeat(129), 'é', 'a/b'].map((bad): [CommandName, string, string] => [name, f, bad]),
    ),
  )('%s: %s = %j is not an id', (name, field, bad) => {
    expectFieldError(validateCommandBody(name, with_(name, { [field]: bad })), field, /must be an id/);
  });

  it.each(STRING_FIELDS)('%s: %s = 42 (number) fails without coercion', (name, field) => {
    expectFieldError(validateCommandBody(name, with_(name, { [field]: 42 })), field, /\(got number\)$/);
  });

  it.each(ALL_FIELDS.filter(([name, f]) => name !== 'SetRegistryOwningTeam' || f !== 'teamId'))(
    '%s: %s = null is rejected',
    (name, field) => {
      expectFieldError(validateCommandBody(name, with_(name, { [field]: null })), field, /\(got null\)$/);
    },
  );

  it.each(
    BOOLEAN_FIELDS.flatMap(([name, f]) =>
      ['true', 1, 0, 'false'].map((bad): [CommandName, string, unknown] => [name, f, bad]),
    ),
  )('%s: %s = %j is not a boolean', (name, field, bad) => {
    expectFieldError(validateCommandBody(name, with_(name, { [field]: bad })), field, /must be a boolean/);
  });

  it.each([
    ['AddUserToOrganization', 'role', 'owner'],
    ['AddUserToOrganization', 'role', 'custom:ops'],
    ['ChangeOrganizationRole', 'role', 'Admin'],
    ['SetOrganizationPolicy', 'policy', 'reportSharing'],
    ['CreateCustomRole', 'base', 'admin'],
    ['AddTeamMember', 'role', 'view-only'],
    ['AssignTeamRole', 'role', 'custom:'],
    ['AssignTeamRole', 'role', 'custom:a b'],
    ['ChangeProjectRole', 'role', 'restricted-viewer'],
    ['CreateServiceAccount', 'scope', 'project'],
    ['CreateProject', 'visibility', 'private'],
    ['ChangeProjectVisibility', 'visibility', 'organization'],
    ['CreateRegistry', 'visibility', 'team'],
    ['ChangeRegistryVisibility', 'visibility', 'open'],
    ['AddRegistryMember', 'role', 'owner'],
    ['ChangeRegistryRole', 'role', 'custom:ops'],
    ['AddToRestrictedProject', 'principal', 'team:ml'],
    ['AddToRestrictedProject', 'principal', 'bob'],
    ['RemoveFromRestrictedProject', 'principal', 'user:'],
    ['ChangeRegistryOwner', 'principal', 'team:ml'],
    ['AddRegistryMember', 'member', 'org:acme'],
    ['ChangeRegistryRole', 'member', 'group:x'],
    ['RemoveRegistryMember', 'member', 'user:a b'],
  ] as [CommandName, string, string][])('%s: %s = %j is rejected', (name, field, bad) => {
    expectFieldError(
      validateCommandBody(name, with_(name, { [field]: bad })),
      field,
      new RegExp(`^${field} must be`),
    );
  });

  it.each([
    ['CreateOrganization', 'name', ''],
    ['CreateTeam', 'name', '   '],
    ['CreateRegistry', 'name', 'n'.repeat(257)],
    ['UpdateCustomRole', 'name', ''],
    ['CreateReport', 'name', ''],
    ['CreateCustomRole', 'description', 'd'.repeat(2001)],
    ['UpdateCustomRole', 'description', 'd'.repeat(2001)],
  ] as [CommandName, string, string][])('%s: bad %s (case %#) is rejected', (name, field, bad) => {
    expectFieldError(validateCommandBody(name, with_(name, { [field]: bad })), field);
  });
});

describe('validateCommandBody: nested deployment', () => {
  const org = (deployment: unknown): Body => ({ ...MINIMAL.CreateOrganization, deployment });

  it.each([
    [{}, 'deployment.type', /^deployment\.type is required$/],
    [
      { type: 'cloud' },
      'deployment.type',
      /^deployment\.type must be one of: multi-tenant, dedicated, self-managed$/,
    ],
    [{ type: 1 }, 'deployment.type', /got number/],
    [{ type: 'dedicated', serverVersion: '0.75' }, 'deployment.serverVersion', /MAJOR\.MINOR\.PATCH/],
    [{ type: 'dedicated', serverVersion: 'v0.75.0' }, 'deployment.serverVersion', /MAJOR\.MINOR\.PATCH/],
    [{ type: 'dedicated', serverVersion: 75 }, 'deployment.serverVersion', /got number/],
    [{ type: 'dedicated', customRoles: 'true' }, 'deployment.customRoles', /must be a boolean/],
    [{ type: 'dedicated', customRoles: null }, 'deployment.customRoles', /got null/],
    [{ type: 'dedicated', foo: 1 }, 'deployment.foo', /^property foo should not exist$/],
    ['dedicated', 'deployment', /^deployment must be an object \(got string\)$/],
    [[{ type: 'dedicated' }], 'deployment', /got array/],
    [null, 'deployment', /got null/],
  ])('deployment %j → %s', (deployment, field, message) => {
    expectFieldError(validateCommandBody('CreateOrganization', org(deployment)), field, message);
  });

  it('reports several nested errors at once', () => {
    const result = validateCommandBody('CreateOrganization', org({ serverVersion: 'x', bar: true }));
    expect(fieldsOf(result).sort()).toEqual([
      'deployment.bar',
      'deployment.serverVersion',
      'deployment.type',
    ]);
  });
});

describe('validateCommandBody: SetRegistryOwningTeam.teamId', () => {
  it('accepts an explicit null and keeps it in the value', () => {
    const result = validateCommandBody('SetRegistryOwningTeam', { registryId: 'reg', teamId: null });
    expect(result).toEqual({ ok: true, value: { registryId: 'reg', teamId: null } });
  });

  it('is typed by command name (teamId: string | null) and assignable to Record<string, unknown>', () => {
    const result = validateCommandBody('SetRegistryOwningTeam', { registryId: 'reg', teamId: 'ml' });
    const teamId: string | null = result.ok ? result.value.teamId : null;
    const record: Record<string, unknown> | undefined = result.ok ? result.value : undefined;
    expect([teamId, record]).toEqual(['ml', { registryId: 'reg', teamId: 'ml' }]);
  });

  it('rejects a missing teamId', () => {
    expectFieldError(
      validateCommandBody('SetRegistryOwningTeam', { registryId: 'reg' }),
      'teamId',
      /is required/,
    );
  });

  it.each([[''], ['a b'], [0], [false]])('rejects teamId %j', (teamId) => {
    expectFieldError(
      validateCommandBody('SetRegistryOwningTeam', { registryId: 'reg', teamId }),
      'teamId',
      /or null/,
    );
  });
});

describe('validateCommandBody: arrays', () => {
  it.each([
    ['CreateCustomRole', 'permissions'],
    ['UpdateCustomRole', 'addPermissions'],
    ['UpdateCustomRole', 'removePermissions'],
  ] as [CommandName, string][])('%s.%s: items of the wrong format are named by index', (name, field) => {
    const result = validateCommandBody(
      name,
      with_(name, { [field]: ['run:stop', 'Run:Stop', 'run', 7, 'run:stop!'] }),
    );
    expect(fieldsOf(result)).toEqual([`${field}.1`, `${field}.2`, `${field}.3`, `${field}.4`]);
    expect(errorsOf(result)[0]?.message).toMatch(new RegExp(`^${field}\\.1 must be a permission id`));
  });

  it.each([
    ['CreateCustomRole', 'permissions', ['run:stop', 'run:stop'], /duplicates \("run:stop"\)/],
    [
      'UpdateCustomRole',
      'addPermissions',
      Array.from({ length: 101 }, () => 'run:stop'),
      /at most 100 items/,
    ],
    ['UpdateCustomRole', 'removePermissions', 'run:stop', /must be an array.*\(got string\)/],
    ['CreateCustomRole', 'permissions', { 0: 'run:stop' }, /got object/],
    ['CreateProject', 'invitees', ['user:a', 'user:a'], /duplicates \("user:a"\)/],
    [
      'ChangeProjectVisibility',
      'invitees',
      Array.from({ length: 1001 }, (_, i) => `user:u${i}`),
      /at most 1000 items/,
    ],
    ['CreateProject', 'invitees', 'user:a', /must be an array/],
  ] as [CommandName, string, unknown, RegExp][])(
    '%s.%s: %#: whole-array problem is named',
    (name, field, value, message) => {
      expectFieldError(validateCommandBody(name, with_(name, { [field]: value })), field, message);
    },
  );

  it.each([
    ['CreateProject', ['user:a', 'team:ml', 'sa:ci', 'bob'], ['invitees.1', 'invitees.3']],
    ['ChangeProjectVisibility', [null, 'user:ok'], ['invitees.0']],
  ] as [CommandName, unknown[], string[]][])(
    '%s: bad invitees are named by index',
    (name, invitees, fields) => {
      expect(fieldsOf(validateCommandBody(name, with_(name, { invitees })))).toEqual(fields);
    },
  );

  it('caps per-item errors and summarises the rest', () => {
    const invitees = Array.from({ length: 30 }, (_, i) => `bad ${i}`);
    const result = validateCommandBody('CreateProject', with_('CreateProject', { invitees }));
    const errors = errorsOf(result);
    expect(errors).toHaveLength(MAX_ITEM_ERRORS + 1);
    expect(errors[MAX_ITEM_ERRORS]).toEqual({
      field: 'invitees',
      message: 'invitees has 10 more invalid items',
    });
  });
});

describe('validateCommandBody: body shape and command name', () => {
  it('UpdateCustomRole without any change is rejected on field "body"', () => {
    const result = validateCommandBody('UpdateCustomRole', { orgId: 'acme', roleId: 'ops' });
    expectFieldError(result, 'body', /at least one of: name, description, addPermissions, removePermissions/);
  });

  it('UpdateCustomRole reports field errors together with the missing-change error', () => {
    const result = validateCommandBody('UpdateCustomRole', { orgId: 'a b', roleId: 'ops' });
    expect(fieldsOf(result)).toEqual(['orgId', 'body']);
  });

  it.each([[null], [[]], ['{}'], [42], [undefined], [new Date()]])('body %p is not a JSON object', (body) => {
    expectFieldError(validateCommandBody('StopRun', body), 'body', /^body must be a JSON object/);
  });

  it('accepts a null-prototype object', () => {
    const body = Object.assign(Object.create(null) as Body, { runId: 'r1' });
    expect(validateCommandBody('StopRun', body)).toEqual({ ok: true, value: { runId: 'r1' } });
  });

  it.each([['Nope'], ['createOrganization'], ['toString'], ['__proto__'], ['']])(
    'unknown command %j',
    (name) => {
      expectFieldError(validateCommandBody(name, { runId: 'r1' }), 'command', /unknown command/);
    },
  );

  it.each([['__proto__'], ['constructor'], ['toString'], ['hasOwnProperty'], ['prototype']])(
    'prototype-member key %s is reported as unknown',
    (key) => {
      const body = JSON.parse(`{"runId":"r1",${JSON.stringify(key)}:{"x":1}}`) as unknown;
      expectFieldError(
        validateCommandBody('StopRun', body),
        key,
        new RegExp(`^property ${key} should not exist$`),
      );
    },
  );

  it('prototype-member keys inside deployment are reported with their path', () => {
    const body = JSON.parse(
      '{"orgId":"a","name":"A","founderUserId":"u","deployment":{"type":"dedicated","__proto__":{}}}',
    ) as unknown;
    expectFieldError(validateCommandBody('CreateOrganization', body), 'deployment.__proto__');
  });

  it.each([
    [{ runId: 'r1', extra: new Date() }, 'extra', /JSON value/],
    [{ runId: Number.NaN }, 'runId', /finite number/],
    [{ runId: 'r1', f: () => 1 }, 'f', /JSON value/],
  ])('non-JSON value %#', (body, field, message) => {
    expectFieldError(validateCommandBody('StopRun', body), field, message);
  });

  it('rejects absurdly deep input before transforming it', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = [deep];
    const result = validateCommandBody('StopRun', { runId: 'r1', extra: deep });
    expect(errorsOf(result)[0]?.message).toMatch(/nested too deeply/);
  });

  it('lists every bad field at once', () => {
    const result = validateCommandBody('CreateProject', {
      projectId: '',
      name: 3,
      visibility: 'x',
      other: 1,
    });
    expect(fieldsOf(result).sort()).toEqual(['name', 'other', 'projectId', 'teamId', 'visibility']);
  });

  it('treats an undefined optional field as absent', () => {
    expect(validateCommandBody('AddTeamMember', { teamId: 'ml', userId: 'bob', role: undefined }).ok).toBe(
      true,
    );
  });
});

describe('validateQuery', () => {
  const check = { principal: 'user:bob', permission: 'run:stop', resource: 'run:r1' };

  it.each([
    ['check', check],
    [
      'explain',
      { principal: 'sa:ci', permission: 'registry:artifact.download', resource: 'registry:acme.models' },
    ],
    ['history', { principal: 'user:bob', resource: 'project:p1' }],
    ['projectAccess', { principal: 'sa:ci' }],
    ['registryAccess', { principal: 'team:ml' }],
    ['principalResources', { type: 'registry', permission: 'registry:read' }],
    ['resourcePrincipals', { permission: 'org:read-audit' }],
    ['consistency', {}],
    ['audit', {}],
  ] as const)('%s accepts %j', (kind, params) => {
    const result = validateQuery(kind, params);
    expect(result).toEqual({ ok: true, value: params });
  });

  it.each([
    ['check', { ...check, principal: 'team:ml' }, 'principal'],
    ['check', { ...check, principal: 'system' }, 'principal'],
    ['check', { ...check, permission: 'project:fly' }, 'permission'],
    ['check', { ...check, permission: 'project:creat' }, 'permission'],
    ['check', { ...check, resource: 'workspace:w' }, 'resource'],
    ['check', { ...check, resource: 'project:' }, 'resource'],
    ['check', { principal: 'user:bob', resource: 'run:r1' }, 'permission'],
    ['check', { ...check, principal: ['user:a', 'user:b'] }, 'principal'],
    ['check', { ...check, verbose: 'true' }, 'verbose'],
    ['check', { ...check, consistency: 'latest' }, 'consistency'],
    ['explain', { ...check, resource: undefined }, 'resource'],
    ['history', { principal: 'user:bob', resource: 'project:p1', permission: 'run:read' }, 'permission'],
    ['projectAccess', { principal: 'team:ml' }, 'principal'],
    ['projectAccess', {}, 'principal'],
    ['registryAccess', { principal: 'org:acme' }, 'principal'],
    ['principalResources', { type: 'team', permission: 'team:read' }, 'type'],
    ['principalResources', { type: 'project' }, 'permission'],
    ['resourcePrincipals', { permission: 'nope' }, 'permission'],
    ['consistency', { consistency: '' }, 'consistency'],
  ] as const)('%s rejects %j on %s', (kind, params, field) => {
    expectFieldError(validateQuery(kind, params), field);
  });

  it.each([
    ['atLeast:5', { mode: 'atLeast', position: '5' }],
    ['at:12:3', { mode: 'at', position: '12:3' }],
    ['at:0', { mode: 'at', position: '0' }],
  ])('parses consistency %s', (consistency, parsed) => {
    expect(validateQuery('check', { ...check, consistency })).toEqual({
      ok: true,
      value: { ...check, consistency: parsed },
    });
    expect(validateConsistency(consistency)).toEqual({ ok: true, value: parsed });
  });

  it.each([['atLeast:'], ['since:5'], ['at:1:2:3'], ['at:-1'], ['atleast:5'], ['at:5 '], [5], [['at:1']]])(
    'rejects consistency %j',
    (consistency) => {
      expectFieldError(
        validateConsistency(consistency),
        'consistency',
        /atLeast:<position> or at:<position>/,
      );
    },
  );

  it('validateConsistency(undefined) means none', () => {
    expect(validateConsistency(undefined)).toEqual({ ok: true, value: undefined });
  });

  it.each([[null], ['principal=user:a'], [[check]]])('params %p must be an object', (params) => {
    expectFieldError(validateQuery('check', params), 'query', /must be a JSON object/);
  });

  it('rejects an unknown query kind', () => {
    expectFieldError(validateQuery('nope', {}), 'query', /unknown query kind/);
  });

  it('accepts every permission id of every scope, and the team-scope extras, in a check', () => {
    expect(CHECKABLE_PERMISSION_IDS).toEqual([...PERMISSION_IDS, 'project:create', 'launchagent:read']);
    for (const permission of CHECKABLE_PERMISSION_IDS) {
      expect(validateQuery('check', { ...check, permission }).ok).toBe(true);
    }
  });
});

describe('validateQuery("checkBatch")', () => {
  const item = { principal: 'user:bob', permission: 'project:read', resource: 'project:p1' };

  it('accepts 1 and 1000 checks', () => {
    expect(validateQuery('checkBatch', { checks: [item] })).toEqual({ ok: true, value: { checks: [item] } });
    expect(validateQuery('checkBatch', { checks: Array.from({ length: 1000 }, () => item) }).ok).toBe(true);
  });

  it.each([
    [{ checks: [] }, ['checks'], /at least 1 item/],
    [{ checks: Array.from({ length: 1001 }, () => item) }, ['checks'], /at most 1000 items/],
    [{}, ['checks'], /checks is required/],
    [{ checks: item }, ['checks'], /must be an array/],
    [{ checks: [item, 'x', null] }, ['checks.1', 'checks.2'], /^checks\.1 must be an object \(got string\)$/],
    [
      { checks: [item, { ...item, permission: 'run:fly' }] },
      ['checks.1.permission'],
      /^checks\.1\.permission must be a known permission id/,
    ],
    [
      { checks: [{ ...item, principal: undefined }] },
      ['checks.0.principal'],
      /^checks\.0\.principal is required$/,
    ],
    [{ checks: [{ ...item, extra: 1 }] }, ['checks.0.extra'], /^property extra should not exist$/],
    [{ checks: [item], consistency: 'at:1' }, ['consistency'], /should not exist/],
  ])('%#: rejects with %j', (body, fields, message) => {
    const result = validateQuery('checkBatch', body);
    expect(fieldsOf(result)).toEqual(fields);
    expect(errorsOf(result)[0]?.message).toMatch(message);
  });

  it('names the body when it is not an object', () => {
    expectFieldError(validateQuery('checkBatch', [item]), 'body', /body must be a JSON object \(got array\)/);
  });
});

describe('validateQuery("audit")', () => {
  const all = {
    orgId: 'acme',
    actor: 'system',
    subject: 'team:ml',
    resource: 'registry:reg',
    type: 'TeamRoleChanged',
    from: '2024-01-01T00:00:00Z',
    to: '2024-12-31T23:59:59.999+02:00',
    after: '42:7',
    limit: '1000',
    order: 'desc',
    consistency: 'atLeast:42',
  };

  it('accepts every filter and converts limit and consistency', () => {
    expect(validateQuery('audit', all)).toEqual({
      ok: true,
      value: { ...all, limit: 1000, consistency: { mode: 'atLeast', position: '42' } },
    });
  });

  it.each([
    ['orgId', 'a b'],
    ['actor', 'team:ml'],
    ['actor', 'System'],
    ['subject', 'org:acme'],
    ['resource', 'acme'],
    ['type', 'team:create'],
    ['type', ''],
    ['from', '2024-01-01'],
    ['from', '2024-02-30T00:00:00Z'],
    ['from', '2024-01-01T24:00:00Z'],
    ['from', '2024-01-01 00:00:00Z'],
    ['to', '2024-01-01T00:00:00'],
    ['to', '2024-01-01T00:00:00+2:00'],
    ['after', 'abc'],
    ['after', '1:'],
    ['limit', '0'],
    ['limit', '1001'],
    ['limit', '10.5'],
    ['limit', '007'],
    ['limit', 'ten'],
    ['order', 'ascending'],
    ['page', '2'],
  ])('rejects %s=%j', (field, value) => {
    expectFieldError(validateQuery('audit', { ...all, [field]: value }), field);
  });

  it('rejects from after to', () => {
    expectFieldError(
      validateQuery('audit', { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }),
      'to',
      /before from/,
    );
  });

  it('compares from/to across offsets', () => {
    expect(validateQuery('audit', { from: '2024-01-01T01:00:00+02:00', to: '2024-01-01T00:00:00Z' }).ok).toBe(
      true,
    );
  });
});

describe('vocabulary helpers', () => {
  it('groups the 50 checkable permissions by scope', () => {
    expect(PROJECT_PERMISSIONS).toHaveLength(23);
    expect(TEAM_PERMISSIONS).toHaveLength(6);
    expect(ORG_PERMISSIONS).toHaveLength(4);
    expect(REGISTRY_PERMISSIONS).toHaveLength(17);
    expect(new Set(PERMISSION_IDS).size).toBe(50);
    for (const p of PERMISSION_IDS) expect(p).toMatch(PERMISSION_FORMAT_RE);
    expect(PERMISSIONS_BY_SCOPE.team).toBe(TEAM_PERMISSIONS);
  });

  it.each([
    ['run:stop', 'project'],
    ['launchqueue:update', 'team'],
    ['org:read-audit', 'org'],
    ['registry:members.manage', 'registry'],
    ['project:create', 'team'],
    ['launchagent:read', 'team'],
    ['project:fly', undefined],
  ])('permissionScope(%s) = %s', (permission, scope) => {
    expect(permissionScope(permission)).toBe(scope);
  });

  it('parses principals and resources', () => {
    expect(parsePrincipal('sa:ci')).toEqual({ kind: 'sa', id: 'ci' });
    expect(parsePrincipal('team:ml')).toBeUndefined();
    expect(parsePrincipal('team:ml', true)).toEqual({ kind: 'team', id: 'ml' });
    expect(parseResource('registry:acme.models')).toEqual({ kind: 'registry', id: 'acme.models' });
    expect(parseResource('registry:a:b')).toBeUndefined();
  });

  it.each([
    ['2024-02-29T12:00:00Z', true],
    ['2023-02-29T12:00:00Z', false],
    ['2024-06-30T23:59:60Z', true],
    ['2024-06-30T23:59:61Z', false],
    ['2024-01-01T00:00:00-24:00', false],
    ['2024-01-01t00:00:00z', true],
  ])('isRfc3339DateTime(%s) = %s', (value, expected) => {
    expect(isRfc3339DateTime(value)).toBe(expected);
  });

  it.each([
    ['user:alice', true],
    ['sa:ci', true],
    ['system', true],
    ['team:ml', false],
    ['', false],
    [undefined, false],
  ])('validateActorHeader(%j).ok = %s', (value, ok) => {
    const result = validateActorHeader(value);
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.errors[0]?.field).toBe('X-Actor');
  });
});
