import type { StoredEvent } from '../event-store/port';
import type { EventType } from '../domain/events';
import { evolve, isKnownEventType } from '../domain/evolve';
import { emptyOrgState, type OrgState } from '../domain/model';
import { ProvenanceIndex } from './provenance';

/** What a repeated command with the same Idempotency-Key gets back. */
export interface IdempotentResult {
  requestHash: string;
  commandId: string | undefined;
  position: string;
  events: { type: string; stream: string; revision: number }[];
}

/** Kinds of globally unique ids (api.md: "unique per kind") and the field that names them on creation. */
const CREATED_IDS: Partial<Record<EventType, { kind: string; field: string }>> = {
  TeamCreated: { kind: 'team', field: 'teamId' },
  ProjectCreated: { kind: 'project', field: 'projectId' },
  RunCreated: { kind: 'run', field: 'runId' },
  ReportCreated: { kind: 'report', field: 'reportId' },
  RegistryCreated: { kind: 'registry', field: 'registryId' },
  CoreRegistryProvisioned: { kind: 'registry', field: 'registryId' },
  ServiceAccountCreated: { kind: 'sa', field: 'serviceAccountId' },
};

export interface UnknownEventLog {
  (event: StoredEvent, why: string): void;
}

/**
 * The in-memory read model: every organization's state, the global id → org index, the idempotency
 * answers, and the position it has applied. Fed only by the projection runner, in position order.
 */
export class ReadModel {
  readonly orgs = new Map<string, OrgState>();
  /** `<kind>:<id>` → orgId. Deleted ids stay: ids are never reused. */
  readonly index = new Map<string, string>();
  readonly idempotency = new Map<string, IdempotentResult>();
  /** Which events established each fact an access decision reads (explain, provenance.ts). */
  readonly provenance = new ProvenanceIndex();
  position: string | null = null;
  /** Position of the event applied before `position`, and the id of the last event: a snapshot records
   * both so a loader can read that event back and check the store still holds it (snapshot.ts). */
  previousPosition: string | null = null;
  lastEventId: string | null = null;
  eventCount = 0;

  constructor(
    private readonly comparePositions: (a: string, b: string) => number,
    private readonly onSkipped: UnknownEventLog = () => undefined,
  ) {}

  org(orgId: string): OrgState | undefined {
    return this.orgs.get(orgId);
  }

  /** The org that owns `<kind>:<id>` (kinds: org, team, project, run, report, registry, sa). */
  orgOf(kind: string, id: string): string | undefined {
    if (kind === 'org') return this.orgs.has(id) ? id : undefined;
    return this.index.get(`${kind}:${id}`);
  }

  /**
   * The org owning a resource reference (`project:P`, `org:O`, …). The index keys are the reference
   * strings themselves, so the hot check path looks up the caller's string without building a new one.
   */
  orgOfRef(ref: string): string | undefined {
    if (ref.startsWith('org:')) {
      const id = ref.slice(4);
      return this.orgs.has(id) ? id : undefined;
    }
    return this.index.get(ref);
  }

  /**
   * Restores the optional parts a snapshot carried (snapshot.ts), each as its `toJSON()`. Parts this
   * version does not know are ignored; a part the snapshot lacks keeps its empty initial value.
   */
  restoreParts(parts: Record<string, unknown>): void {
    if (parts.provenance !== undefined) this.provenance.restore(parts.provenance);
  }

  /** True when this read model includes `position`. */
  includes(position: string): boolean {
    return this.position !== null && this.comparePositions(this.position, position) >= 0;
  }

  apply(e: StoredEvent): void {
    this.previousPosition = this.position;
    this.position = e.position;
    this.lastEventId = e.eventId;
    this.eventCount += 1;
    if (!e.stream.startsWith('org-')) {
      this.onSkipped(e, 'stream is not an organization stream');
      return;
    }
    const orgId = e.stream.slice(4);
    let state = this.orgs.get(orgId);
    if (!state) {
      state = emptyOrgState(orgId);
      this.orgs.set(orgId, state);
    }
    // The revision advances for every recorded event, known or not, so expected revisions stay right.
    state.revision = e.revision;
    if (!isKnownEventType(e.type)) {
      this.onSkipped(e, `unknown event type ${e.type}`);
      return;
    }
    this.provenance.apply(e, state); // before evolve: it reads what the event is about to remove
    try {
      evolve(state, e.type, e.data);
    } catch (err) {
      // A recorded event never stops the projection (DESIGN.md); the state keeps what it had.
      this.onSkipped(e, `evolve failed: ${(err as Error).message}`);
    }
    state.revision = e.revision;
    const created = CREATED_IDS[e.type];
    if (created) {
      const id = e.data[created.field];
      if (typeof id === 'string') this.index.set(`${created.kind}:${id}`, orgId);
    }
    const key = e.metadata.idempotencyKey;
    if (typeof key === 'string' && typeof e.metadata.requestHash === 'string') {
      const prev = this.idempotency.get(key);
      const entry = { type: e.type, stream: e.stream, revision: e.revision };
      // Events of one command share its commandId; a later command reusing the key is ignored here
      // (the command side refuses it before appending).
      if (prev && prev.commandId === e.metadata.commandId) {
        prev.events.push(entry);
        prev.position = e.position;
      } else if (!prev) {
        this.idempotency.set(key, {
          requestHash: e.metadata.requestHash,
          position: e.position,
          events: [entry],
          commandId: e.metadata.commandId,
        });
      }
    }
  }
}
