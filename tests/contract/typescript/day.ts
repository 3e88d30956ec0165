// What both phone days share: the person, the server's address, and checks that stop the day
// with a message naming the step and what it got. Both days run the same steps through
// different generated clients, so each step's checks read the same in both.
import { isDeepStrictEqual } from "node:util";

export const EMAIL = "ann@example.com";
export const PASSWORD = "kneel-and-breathe-42";
export const BAND = "strengthener-with-a-band";
export const KING_RUNNER = "king-runner";
export const HALF_KNEELING = "half-kneeling-stretch";
export const GRAVITY = "gravity-assisted-stretch";
export const CATALOG = new Set([BAND, HALF_KNEELING, KING_RUNNER, GRAVITY]);

export function apiUrl(): string {
  const url = process.env.HIPFLEX_API_URL;
  if (!url) {
    throw new Error("HIPFLEX_API_URL must name the server, such as http://127.0.0.1:8000");
  }
  return url;
}

/** An hour ago, to the second: the server keeps what it is sent. */
export function anHourAgo(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
}

function show(value: unknown): string {
  const listed = JSON.stringify(value, (_, item) => (item instanceof Set ? [...item] : item));
  return listed ?? String(value);
}

/** What the day got that it should not have: its message says it all, without a stack. */
class Mismatch extends Error {}

export function fail(message: string): never {
  throw new Mismatch(message);
}

export function check(ok: boolean, message: string): asserts ok {
  if (!ok) fail(message);
}

export function equal<T>(actual: T, expected: T, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Fail unless the answer has the status the step expects; the body says why it did not. */
export function answered(status: number, expected: number, body: unknown): void {
  if (status !== expected) fail(`expected ${expected}, got ${status}: ${show(body)}`);
}

export function present<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) fail(`${what} is missing`);
  return value;
}

/** Each field of a generated type, with whether the type requires it; the compiler keeps
 * the list true to the type, so the check below compares the answer with the type itself. */
export type Fields<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? "optional" : "required" };

/** Fail unless the answer has every field its type requires and none the type lacks. */
export function documented<T extends object>(value: T, fields: Fields<T>, what: string): void {
  const sent = Object.keys(value);
  const known = Object.entries<string>(fields);
  const undocumented = sent.filter((name) => !known.some(([field]) => field === name));
  const missing = known
    .filter(([field, need]) => need === "required" && !sent.includes(field))
    .map(([field]) => field);
  check(undocumented.length === 0, `${what} has fields its type lacks: ${undocumented}`);
  check(missing.length === 0, `${what} lacks fields its type requires: ${missing}`);
}

/** The fields of the answers the day relies on whole, for either client's types of them. */
export const FIELDS = {
  accepted: { detail: "required" },
  tokenPair: { access: "required", refresh: "required" },
  session: {
    id: "required",
    started_at: "required",
    ended_at: "required",
    notes: "required",
    // Health data: an app not granted `pain:read` gets the answer without it.
    perceived_effort: "optional",
    routine: "required",
    routine_name: "required",
    assignment: "required",
    occurrence_date: "required",
    occurrence: "required",
    sets: "required",
    version: "required",
    created_at: "required",
    updated_at: "required",
  },
  set: {
    exercise: "required",
    side: "required",
    reps: "required",
    hold_seconds: "required",
    pain: "optional",
    notes: "required",
    done: "required",
    rest_seconds: "required",
  },
  syncPage: {
    sessions: "required",
    deleted_sessions: "required",
    assignments: "required",
    deleted_assignments: "required",
    exercises: "required",
    removed_exercises: "required",
    next_cursor: "required",
    has_more: "required",
  },
  deletedSession: { id: "required", deleted_at: "required", version: "required" },
} as const;

/** Run one step of the day; on any failure, say which step and stop with exit code 1. */
export async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    console.log(`ok: ${name}`);
    return result;
  } catch (error) {
    // Anything else (a network error, a bug in generated code) needs its stack to be found.
    const stack = error instanceof Error ? error.stack : show(error);
    const reason = error instanceof Mismatch ? error.message : stack;
    console.error(`FAILED: ${name}: ${reason}`);
    process.exit(1);
  }
}
