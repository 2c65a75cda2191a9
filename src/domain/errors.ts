/**
 * Domain errors in the kinds the HTTP layer maps to problem+json (DESIGN.md "Errors in three kinds"):
 * validation → 400 (e.g. a permission id not in the catalogue), forbidden → 403,
 * rule → 422 (with the rule id), not_found → 404, already_exists → 409.
 */
export type DomainErrorKind = 'forbidden' | 'rule' | 'not_found' | 'already_exists' | 'validation';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** Rule id (R…, A…, C…) that decided it; required for kind `rule` (C2). */
    readonly rule?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const forbidden = (message: string, rule?: string): DomainError =>
  new DomainError('forbidden', message, rule);
export const violation = (rule: string, message: string): DomainError =>
  new DomainError('rule', message, rule);
export const notFound = (message: string): DomainError => new DomainError('not_found', message);
export const alreadyExists = (message: string): DomainError => new DomainError('already_exists', message);
export const invalid = (message: string): DomainError => new DomainError('validation', message);
