import { createHash, randomUUID } from 'node:crypto';
import type { AnyCommand, CommandName } from '../domain/commands';
import { decide } from '../domain/decide';
import { alreadyExists, DomainError, notFound } from '../domain/errors';
import type { AnyDomainEvent } from '../domain/events';
import { emptyOrgState, orgStream } from '../domain/model';
import { deterministicEventId } from '../event-store/event-ids';
import { ConcurrencyError, type EventStore, type NewEvent } from '../event-store/port';
import type { ProjectionRunner } from '../read-model/projection-runner';
import { CREATES, ROUTE } from './command-routing';

export interface CommandRequest {
  name: CommandName;
  body: Record<string, unknown>;
  actor: string;
  /** Name of the authenticated client (scopes idempotency keys). */
  client: string;
  idempotencyKey?: string;
  correlationId?: string;
}

export interface CommandResult {
  position: string;
  events: { type: string; stream: string; revision: number }[];
}

export class IdempotencyKeyReusedError extends Error {
  constructor(key: string) {
    super(`Idempotency-Key "${key}" was already used with a different command or body`);
    this.name = 'IdempotencyKeyReusedError';
  }
}

export class ConflictRetriesExhaustedError extends Error {
  constructor(stream: string, attempts: number) {
    super(`Stream ${stream} kept changing: optimistic-concurrency conflict after ${attempts} attempts`);
    this.name = 'ConflictRetriesExhaustedError';
  }
}

export interface CommandServiceOptions {
  retries: number;
  consistencyTimeoutMs: number;
}

/**
 * A new event id in the layout of UUID version 7 (RFC 9562): the first 48 bits are the Unix time in
 * milliseconds, the rest random (74 bits). Ids made close in time sort close together, so the store's
 * unique index on event ids takes each new one on the same few pages, where random (v4) ids would
 * touch — read, dirty and write back — a different page of a large index for every event.
 */
export function timeOrderedEventId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep its random tail and variant bits.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

/** Canonical JSON (sorted keys) so that the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The command path: route to the org → load its state (the read model, which is the fold of the org
 * stream) → pure decide → append with the expected revision → on conflict wait for the projection
 * and decide again (bounded) → answer once this instance's read model includes the events.
 */
export class CommandService {
  /** Commands of one org run one at a time on this instance: fewer conflicts, fresher state. */
  private readonly orgQueues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: EventStore,
    private readonly projection: ProjectionRunner,
    private readonly options: CommandServiceOptions,
  ) {}

  async execute(req: CommandRequest): Promise<CommandResult> {
    const readModel = this.projection.readModel;
    const scopedKey = req.idempotencyKey === undefined ? undefined : `${req.client}:${req.idempotencyKey}`;
    // Only an idempotency key needs the request's digest (to tell a retry from a reuse of the key).
    const requestHash =
      scopedKey === undefined
        ? ''
        : createHash('sha256')
            .update(`${req.name}\n${req.actor}\n${canonical(req.body)}`)
            .digest('hex');
    const previous = scopedKey
      ? this.idempotentAnswer(scopedKey, requestHash, req.idempotencyKey ?? '')
      : undefined;
    if (previous) return previous;

    const route = ROUTE[req.name];
    const routeId = String(req.body[route.field]);
    const orgId = req.name === 'CreateOrganization' ? routeId : readModel.orgOf(route.kind, routeId);
    if (orgId === undefined) throw notFound(`${route.kind} ${routeId} does not exist`);

    return this.serialized(orgId, async () => {
      // A retry of the same key may have landed while this one queued.
      const again = scopedKey
        ? this.idempotentAnswer(scopedKey, requestHash, req.idempotencyKey ?? '')
        : undefined;
      if (again) return again;
      const creates = CREATES[req.name];
      if (creates) {
        const id = String(req.body[creates.field]);
        const owner = readModel.orgOf(creates.kind, id);
        if (owner !== undefined) throw alreadyExists(`${creates.kind} ${id} already exists`);
      }
      const commandId = randomUUID();
      const stream = orgStream(orgId);
      for (let attempt = 0; ; attempt++) {
        const state = readModel.org(orgId) ?? emptyOrgState(orgId);
        const command = { name: req.name, body: req.body, actor: req.actor } as unknown as AnyCommand;
        const decided = decide(state, command);
        if (decided.length === 0) return { position: readModel.position ?? '0', events: [] };
        const events = this.toNewEvents(decided, req, commandId, requestHash, scopedKey);
        try {
          const result = await this.store.append(
            stream,
            events,
            state.revision < 0 ? 'no_stream' : state.revision,
          );
          this.projection.applyLocal(result);
          await this.projection.waitFor(result.position, this.options.consistencyTimeoutMs);
          return {
            position: result.position,
            events: result.events.map((e) => ({ type: e.type, stream: e.stream, revision: e.revision })),
          };
        } catch (err) {
          if (!(err instanceof ConcurrencyError)) throw err;
          if (attempt >= this.options.retries) throw new ConflictRetriesExhaustedError(stream, attempt + 1);
          // Another writer got there first: let the projection catch up, then decide on fresh facts.
          await this.projection.catchUpToHead(this.options.consistencyTimeoutMs);
        }
      }
    });
  }

  private idempotentAnswer(scopedKey: string, requestHash: string, key: string): CommandResult | undefined {
    const prior = this.projection.readModel.idempotency.get(scopedKey);
    if (!prior) return undefined;
    if (prior.requestHash !== requestHash) throw new IdempotencyKeyReusedError(key);
    return { position: prior.position, events: prior.events.map((e) => ({ ...e })) };
  }

  private toNewEvents(
    decided: AnyDomainEvent[],
    req: CommandRequest,
    commandId: string,
    requestHash: string,
    scopedKey: string | undefined,
  ): NewEvent[] {
    const occurredAt = new Date().toISOString();
    const ids = decided.map((_, i) =>
      scopedKey ? deterministicEventId(scopedKey, i) : timeOrderedEventId(),
    );
    return decided.map((e, i) => ({
      eventId: ids[i],
      type: e.type,
      data: e.data as unknown as Record<string, unknown>,
      metadata: {
        actor: req.actor,
        correlationId: req.correlationId ?? commandId,
        // Cascades point at the event that caused them; direct effects at the command.
        causationId: e.causedBy !== undefined ? (ids[e.causedBy] ?? commandId) : commandId,
        commandId,
        commandName: req.name,
        ...(scopedKey ? { idempotencyKey: scopedKey, requestHash } : {}),
        occurredAt,
        schemaVersion: 1,
      },
    }));
  }

  private serialized<T>(orgId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.orgQueues.get(orgId) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => undefined);
    this.orgQueues.set(orgId, tail);
    void tail.then(() => {
      if (this.orgQueues.get(orgId) === tail) this.orgQueues.delete(orgId);
    });
    return next;
  }
}

export { DomainError };
