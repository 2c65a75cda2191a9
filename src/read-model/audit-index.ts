import type { StoredEvent } from '../event-store/port';
import { WANDB_AUDIT_ACTIONS, type EventType } from '../domain/events';

export interface AuditEntry {
  position: string;
  type: string;
  stream: string;
  revision: number;
  occurredAt: string;
  actor: string;
  correlationId: string;
  causationId?: string;
  eventId: string;
  commandName?: string;
  wandbAction?: string;
  data: Record<string, unknown>;
}

export interface AuditFilter {
  orgId?: string;
  actor?: string;
  subject?: string;
  resource?: string;
  type?: string;
  from?: string;
  to?: string;
  /** Exclusive cursor (a position) in the direction of traversal. */
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

const SUBJECT_FIELDS: [string, string][] = [
  ['userId', 'user:'],
  ['founderUserId', 'user:'],
];
const PRINCIPAL_FIELDS = ['principal', 'member', 'creator'];
const RESOURCE_FIELDS: [string, string][] = [
  ['orgId', 'org:'],
  ['teamId', 'team:'],
  ['projectId', 'project:'],
  ['runId', 'run:'],
  ['reportId', 'report:'],
  ['registryId', 'registry:'],
  ['serviceAccountId', 'sa:'],
  ['roleId', 'customRole:'],
  ['from', ''],
  ['to', ''],
];

/** Who an event affects (the user or principal), for the `subject` filter. */
export function subjectsOf(data: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [f, prefix] of SUBJECT_FIELDS)
    if (typeof data[f] === 'string') out.push(prefix + (data[f] as string));
  for (const f of PRINCIPAL_FIELDS) if (typeof data[f] === 'string') out.push(data[f] as string);
  if (typeof data.serviceAccountId === 'string') out.push(`sa:${data.serviceAccountId}`);
  return out;
}

/** Resources an event touches, for the `resource` filter. RunMoved names both projects. */
export function resourcesOf(type: string, data: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [f, prefix] of RESOURCE_FIELDS) {
    const v = data[f];
    if (typeof v !== 'string') continue;
    if (f === 'from' || f === 'to') {
      if (type === 'RunMoved') out.push(`project:${v}`);
      continue;
    }
    out.push(prefix + v);
  }
  return out;
}

/**
 * The audit read model: every event once, with posting lists per filter value so that a filtered page
 * walks only the smallest matching list.
 */
export class AuditIndex {
  private readonly entries: AuditEntry[] = [];
  private readonly postings = new Map<string, number[]>();

  constructor(private readonly comparePositions: (a: string, b: string) => number) {}

  get size(): number {
    return this.entries.length;
  }

  add(e: StoredEvent): void {
    const m = e.metadata;
    const entry: AuditEntry = {
      position: e.position,
      type: e.type,
      stream: e.stream,
      revision: e.revision,
      occurredAt: m.occurredAt,
      actor: m.actor,
      correlationId: m.correlationId,
      ...(m.causationId ? { causationId: m.causationId } : {}),
      eventId: e.eventId,
      ...(m.commandName ? { commandName: m.commandName } : {}),
      ...(WANDB_AUDIT_ACTIONS[e.type as EventType]
        ? { wandbAction: WANDB_AUDIT_ACTIONS[e.type as EventType] }
        : {}),
      data: e.data,
    };
    const idx = this.entries.push(entry) - 1;
    const keys = new Set<string>([`type:${e.type}`, `actor:${m.actor}`]);
    if (e.stream.startsWith('org-')) keys.add(`org:${e.stream.slice(4)}`);
    for (const s of subjectsOf(e.data)) keys.add(`subject:${s}`);
    for (const r of resourcesOf(e.type, e.data)) keys.add(`resource:${r}`);
    for (const k of keys) {
      let list = this.postings.get(k);
      if (!list) this.postings.set(k, (list = []));
      list.push(idx);
    }
  }

  query(f: AuditFilter): { entries: AuditEntry[]; next?: string } {
    const lists: number[][] = [];
    const want = (key: string | undefined, prefix: string): boolean => {
      if (key === undefined) return true;
      const l = this.postings.get(prefix + key);
      if (!l) return false;
      lists.push(l);
      return true;
    };
    if (
      !want(f.orgId, 'org:') ||
      !want(f.type, 'type:') ||
      !want(f.actor, 'actor:') ||
      !want(f.subject, 'subject:') ||
      !want(f.resource, 'resource:')
    ) {
      return { entries: [] };
    }
    lists.sort((a, b) => a.length - b.length);
    const driver = lists[0];
    const others = lists.slice(1).map((l) => new Set(l));
    const n = driver ? driver.length : this.entries.length;
    const at = (i: number): number => (driver ? (driver[i] as number) : i);
    const matches = (idx: number): boolean => {
      for (const s of others) if (!s.has(idx)) return false;
      const e = this.entries[idx] as AuditEntry;
      if (f.from !== undefined && e.occurredAt < f.from) return false;
      if (f.to !== undefined && e.occurredAt > f.to) return false;
      return true;
    };
    const out: AuditEntry[] = [];
    const asc = f.order === 'asc';
    let i = asc ? 0 : n - 1;
    if (f.after !== undefined) {
      // Binary search for the first index strictly beyond the cursor in the walking direction.
      const after = f.after;
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const c = this.comparePositions((this.entries[at(mid)] as AuditEntry).position, after);
        if (asc ? c <= 0 : c < 0) lo = mid + 1;
        else hi = mid;
      }
      i = asc ? lo : lo - 1;
    }
    for (; asc ? i < n : i >= 0; i += asc ? 1 : -1) {
      const idx = at(i);
      if (!matches(idx)) continue;
      if (out.length === f.limit) return { entries: out, next: (out[out.length - 1] as AuditEntry).position };
      out.push(this.entries[idx] as AuditEntry);
    }
    return { entries: out };
  }

  /** The entry with this event id (cascade → cause links). */
  byEventId(eventId: string): AuditEntry | undefined {
    return this.entries.find((e) => e.eventId === eventId);
  }
}
