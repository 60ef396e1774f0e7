/**
 * Typed business errors raised by the pure deciders. Each has a stable `code` (the activities map it to a
 * non-retryable ApplicationFailure type, the API to a problem+json status) and structured `details`.
 */

/**
 * Every code a domain refusal can carry, one per class below. All of them are refusals that a retry will
 * not change: the saga's non-retryable error types are this list.
 */
export const ERROR_CODES = [
  'InsufficientStock',
  'InsufficientFunds',
  'UnsupportedCountry',
  'UnknownSku',
  'ShipmentAlreadyDispatched',
  'InvalidAmount',
  'InvalidCommand',
  'InvalidTransition',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export const NON_RETRYABLE_ERROR_CODES: readonly ErrorCode[] = ERROR_CODES;

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    // class names equal the codes; set here so stack traces and logs show e.g. "InsufficientFunds: ..."
    this.name = new.target.name;
  }
}

export class InvalidAmount extends DomainError {
  readonly code = 'InvalidAmount';
  constructor(field: string, value: unknown, rule = 'a positive integer') {
    super(`${field} must be ${rule}, got ${JSON.stringify(value)}`, { field, value, rule });
  }
}

export class InsufficientFunds extends DomainError {
  readonly code = 'InsufficientFunds';
  constructor(
    readonly balance: number,
    readonly requested: number,
  ) {
    super(`Insufficient funds: balance ${balance}, requested ${requested}`, { balance, requested });
  }
}

export class InsufficientStock extends DomainError {
  readonly code = 'InsufficientStock';
  constructor(
    readonly sku: string,
    readonly available: number,
    readonly requested: number,
  ) {
    super(`Insufficient stock for ${sku}: available ${available}, requested ${requested}`, {
      sku,
      available,
      requested,
    });
  }
}

export class UnknownSku extends DomainError {
  readonly code = 'UnknownSku';
  constructor(readonly sku: string) {
    super(`Unknown SKU ${sku}`, { sku });
  }
}

export class UnsupportedCountry extends DomainError {
  readonly code = 'UnsupportedCountry';
  constructor(
    readonly country: string,
    readonly supported: readonly string[],
  ) {
    super(`Shipping to ${country} is not supported (supported: ${supported.join(', ')})`, {
      country,
      supported,
    });
  }
}

export class InvalidTransition extends DomainError {
  readonly code = 'InvalidTransition';
  constructor(
    readonly aggregate: string,
    readonly from: string,
    readonly command: string,
  ) {
    super(`${aggregate}: cannot ${command} in state ${from}`, { aggregate, from, command });
  }
}

/** A shipment that has been dispatched cannot be cancelled any more. */
export class ShipmentAlreadyDispatched extends DomainError {
  readonly code = 'ShipmentAlreadyDispatched';
  constructor(readonly orderId: string) {
    super(`Shipment for order ${orderId} was already dispatched`, { orderId });
  }
}

export class InvalidCommand extends DomainError {
  readonly code = 'InvalidCommand';
}

/** The class of each code (the compiler checks that every code has one, carrying that code). */
export const ERROR_CLASSES = {
  InsufficientStock,
  InsufficientFunds,
  UnsupportedCountry,
  UnknownSku,
  ShipmentAlreadyDispatched,
  InvalidAmount,
  InvalidCommand,
  InvalidTransition,
} satisfies { [C in ErrorCode]: abstract new (...args: never[]) => DomainError & { readonly code: C } };

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError;

export function assertPositiveInt(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidAmount(field, value);
  }
}

export function assertNonNegativeInt(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidAmount(field, value, 'a non-negative integer');
  }
}

/** Compile-time exhaustiveness check for switch statements over discriminated unions. */
export function assertNever(x: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(x)}`);
}
