/**
 * Turns one untrusted line of text into an event, a control message, or a rejection with a
 * reason code. Never throws on input: untrusted input is answered, counted and dropped.
 */
import type { z } from 'zod';
import { eventSchemas, helloSchema, isEventType, LIMITS, PROTOCOL_VERSION, EVENT_TYPES } from './events.ts';
import { fastEvent } from './fastEvent.ts';
import type { Hello, IngestEvent } from './events.ts';
import { reject } from './reasons.ts';
import type { Rejection, RejectReason } from './reasons.ts';

export type ParsedLine =
  | { kind: 'event'; event: IngestEvent }
  | { kind: 'hello'; hello: Hello }
  | { kind: 'rejected'; rejection: Rejection; seq?: number; job_id?: string };

const BARE_NON_FINITE = /(?:^|[^"\w])(?:NaN|-?Infinity)(?:[^"\w]|$)/;

export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const hint = BARE_NON_FINITE.test(text)
      ? ' (bare NaN/Infinity is not JSON: send "NaN", "Infinity" or "-Infinity" as strings)'
      : '';
    return rejected(reject('invalid_json', `${(err as Error).message}${hint}`));
  }
  return parseValue(value);
}

/** Validates an already-parsed JSON value (the HTTP batch path and tests use this directly). */
export function parseValue(value: unknown): ParsedLine {
  // The hot path: one object check, then the hand-written checks for the frequent shapes
  // (fastEvent.ts, proven equal to the schemas), else one zod parse. Everything that only
  // explains a failure lives in explain(), so accepted lines pay nothing for it.
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const type = obj.type;
    if (isEventType(type) && (obj.v === undefined || obj.v === PROTOCOL_VERSION)) {
      const fast = fastEvent(type, obj);
      if (fast !== undefined) return { kind: 'event', event: fast };
      const r = eventSchemas[type].safeParse(obj);
      if (r.success) return { kind: 'event', event: r.data as IngestEvent };
    }
  }
  return explain(value);
}

/** The slow path: control messages, and the reason and message for a line that failed. */
function explain(value: unknown): ParsedLine {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return rejected(reject('not_object', `expected a JSON object, got ${what}`));
  }
  const obj = value as Record<string, unknown>;
  const seq = typeof obj.seq === 'number' && Number.isSafeInteger(obj.seq) && obj.seq >= 0 ? obj.seq : undefined;
  const job_id = typeof obj.job_id === 'string' && obj.job_id.length <= LIMITS.idLength ? obj.job_id : undefined;

  if (obj.v !== undefined && obj.v !== PROTOCOL_VERSION) {
    return rejected(reject('unsupported_version', `v=${JSON.stringify(obj.v)} is not supported; this engine speaks v=${PROTOCOL_VERSION}`), seq, job_id);
  }
  const type = obj.type;
  if (type === undefined) return rejected(reject('missing_field', 'type is required'), seq, job_id);
  if (type === 'hello') {
    const r = helloSchema.safeParse(obj);
    return r.success ? { kind: 'hello', hello: r.data } : rejected(fromIssue(firstIssue(helloSchema, obj)), seq, job_id);
  }
  if (!isEventType(type)) {
    const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : `a ${typeof type}`;
    return rejected(reject('unknown_type', `type ${shown} is not one of ${EVENT_TYPES.join(', ')}`), seq, job_id);
  }
  return rejected(fromIssue(firstIssue(eventSchemas[type], obj), type), seq, job_id);
}

/**
 * Validates again, reporting inputs, to explain a failure. Only on the failure path: zod's fast
 * compiled path is off while `reportInput` is set (about 3x slower per line).
 */
function firstIssue(schema: z.ZodType, value: unknown): z.core.$ZodIssue | undefined {
  const r = schema.safeParse(value, { reportInput: true });
  return r.success ? undefined : r.error.issues[0];
}

function rejected(rejection: Rejection, seq?: number, job_id?: string): ParsedLine {
  const out: ParsedLine = { kind: 'rejected', rejection };
  if (seq !== undefined) out.seq = seq;
  if (job_id !== undefined) out.job_id = job_id;
  return out;
}

/** Maps zod's first issue onto a reason code and a message that names the field. */
function fromIssue(issue: z.core.$ZodIssue | undefined, type?: string): Rejection {
  if (!issue) return reject('invalid_value', 'invalid event');
  const field = issue.path.length > 0 ? issue.path.join('.') : 'event';
  const where = type ? `${type}: ${field}` : field;
  const custom = issue.code === 'custom' ? (issue.params?.reason as RejectReason | undefined) : undefined;
  if (custom) return reject(custom, `${where} ${issue.message}`);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return reject('missing_field', `${where} is required`);
      if (typeof issue.input === 'number' && !Number.isFinite(issue.input)) return reject('non_finite', `${where} must be a finite number`);
      if (issue.expected === 'int') return reject('wrong_type', `${where} must be an integer, got ${issue.input as number}`);
      return reject('wrong_type', `${where} must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}, got ${describe(issue.input)}`);
    }
    case 'too_big':
      if (issue.origin === 'string') return reject('field_too_long', `${where} is longer than ${String(issue.maximum)} characters`);
      if (issue.origin === 'array') return reject('invalid_value', `${where} has more than ${String(issue.maximum)} entries`);
      return reject('invalid_value', `${where} must be <= ${String(issue.maximum)}`);
    case 'too_small':
      if (issue.origin === 'string') return reject('missing_field', `${where} must not be empty`);
      return reject('invalid_value', `${where} must be >= ${String(issue.minimum)}`);
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      // zod reports a missing enum field (a duration's phase) as a wrong value; it is a missing one.
      if (issue.input === undefined) return reject('missing_field', `${where} is required: one of ${allowed}`);
      return reject('invalid_value', `${where} must be one of ${allowed}`);
    }
    case 'invalid_union':
      if (issue.input === undefined) return reject('missing_field', `${where} is required`);
      if (typeof issue.input === 'number' && !Number.isFinite(issue.input)) return reject('non_finite', `${where} must be a finite number or one of "NaN", "Infinity", "-Infinity"`);
      return reject('wrong_type', `${where} ${issue.message}`);
    default:
      return reject('invalid_value', `${where} ${issue.message}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  return `a ${typeof v}`;
}
