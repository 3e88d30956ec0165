// A phone's day through orval's fetch client, generated from openapi.yaml into
// generated/orval.ts: one typed function per operation, its models and enums, and answers
// typed by status, so each step narrows on the status it expects before reading the body.
import { randomUUID } from "node:crypto";
import {
  DifficultyEnum,
  ExerciseKindEnum,
  OrderingEnum,
  SideEnum,
  deleteSession,
  getExercise,
  getMyStats,
  getSyncPage,
  listExercises,
  listSessions,
  login,
  register,
  uploadSession,
  type ListExercisesParams,
  type TokenPair,
  type WorkoutSession,
  type WorkoutSessionRequest,
} from "./generated/orval.js";
import {
  BAND,
  CATALOG,
  EMAIL,
  GRAVITY,
  HALF_KNEELING,
  FIELDS,
  KING_RUNNER,
  PASSWORD,
  anHourAgo,
  apiUrl,
  check,
  documented,
  equal,
  fail,
  step,
} from "./day.js";

// The generated functions read the server's address from the environment on each call.
apiUrl();
const credentials = { email: EMAIL, password: PASSWORD };

function bearer(access: string): RequestInit {
  return { headers: { Authorization: `Bearer ${access}` } };
}

function unexpected(answer: { status: number; data: unknown }): never {
  fail(`unexpected ${answer.status}: ${JSON.stringify(answer.data)}`);
}

await step("register answers 202 with no tokens", async () => {
  const answer = await register(credentials);
  if (answer.status !== 202) unexpected(answer);
  documented(answer.data, FIELDS.accepted, "Accepted");
  check(answer.data.detail.includes("log in"), `the answer says to log in: ${answer.data.detail}`);
});

async function logIn(): Promise<TokenPair> {
  const answer = await login(credentials);
  if (answer.status !== 200) unexpected(answer);
  documented(answer.data, FIELDS.tokenPair, "TokenPair");
  return answer.data;
}

const phone = bearer((await step("log in", logIn)).access);

async function slugs(params: ListExercisesParams): Promise<string[]> {
  const answer = await listExercises(params, {}, phone);
  if (answer.status !== 200) unexpected(answer);
  return answer.data.results.map((exercise) => exercise.slug);
}

await step("list the catalog and filter it", async () => {
  const all = new Set(await slugs({}));
  equal(all, CATALOG, "the catalog");
  equal(await slugs({ difficulty: DifficultyEnum.INTERMEDIATE }), [KING_RUNNER], "difficulty 2");
  equal(await slugs({ search: "couch" }), [KING_RUNNER], "a search for an alias");
  equal(await slugs({ muscle: "abdominals" }), [BAND], "exercises for the abdominals");
  const stretches = {
    kind: ExerciseKindEnum.STRETCH,
    ordering: [OrderingEnum.DIFFICULTY, OrderingEnum.NAME_DESC],
  };
  equal(
    await slugs(stretches),
    [HALF_KNEELING, GRAVITY, KING_RUNNER],
    "stretches, easiest first, then by name from z to a",
  );
  equal(
    await slugs({ max_difficulty: DifficultyEnum.BEGINNER, muscle: "abdominals" }),
    [BAND],
    "easy exercises for the abdominals",
  );
});

await step("get one exercise by slug", async () => {
  const answer = await getExercise(KING_RUNNER, {}, phone);
  if (answer.status !== 200) unexpected(answer);
  equal(answer.data.slug, KING_RUNNER, "the slug");
  const milder = answer.data.milder_options.map((option) => option.slug);
  equal(milder, [HALF_KNEELING], "milder options");
});

const id = randomUUID();
const startedAt = anHourAgo();
// The phone names the session and leaves out what the server defaults: pain, done, notes.
const upload: WorkoutSessionRequest = {
  id,
  started_at: startedAt.toISOString(),
  ended_at: new Date(startedAt.getTime() + 15 * 60_000).toISOString(),
  perceived_effort: 4,
  sets: [
    { exercise: BAND, side: SideEnum.LEFT, reps: 10 },
    { exercise: BAND, side: SideEnum.RIGHT, reps: 10 },
    { exercise: KING_RUNNER, side: SideEnum.LEFT, hold_seconds: 30 },
  ],
};
const idempotencyKey = randomUUID();

async function post(): Promise<{ session: WorkoutSession; replayed: string | null }> {
  const answer = await uploadSession(upload, { "Idempotency-Key": idempotencyKey }, phone);
  if (answer.status !== 201) unexpected(answer);
  check(answer.headers.get("ETag") !== null, "the answer carries an ETag");
  return { session: answer.data, replayed: answer.headers.get("Idempotent-Replayed") };
}

const stored = await step("upload a session under the phone's own id", async () => {
  const { session, replayed } = await post();
  documented(session, FIELDS.session, "WorkoutSession");
  for (const set of session.sets) documented(set, FIELDS.set, "SetLog");
  equal(replayed, null, "Idempotent-Replayed on the first upload");
  equal(session.id, id, "the id");
  equal(Date.parse(session.started_at), startedAt.getTime(), "started_at");
  equal(
    session.sets.map((set) => [
      set.exercise, set.side, set.reps, set.hold_seconds, set.pain, set.done, set.notes,
    ]),
    [
      [BAND, SideEnum.LEFT, 10, null, 0, true, ""],
      [BAND, SideEnum.RIGHT, 10, null, 0, true, ""],
      [KING_RUNNER, SideEnum.LEFT, null, 30, 0, true, ""],
    ],
    "the sets, with the server's defaults",
  );
  return session;
});

await step("retry the same upload: the same answer, still one session", async () => {
  const { session, replayed } = await post();
  equal(session, stored, "the retried upload's answer");
  equal(replayed, "true", "Idempotent-Replayed on the retry");
  const mine = await listSessions({}, {}, phone);
  if (mine.status !== 200) unexpected(mine);
  equal(mine.data.results.map((session) => session.id), [id], "my sessions");
});

const tablet = bearer((await step("log in on a second device", logIn)).access);

const cursor = await step("sync on the second device", async () => {
  const answer = await getSyncPage({}, {}, tablet);
  if (answer.status !== 200) unexpected(answer);
  documented(answer.data, FIELDS.syncPage, "SyncPage");
  equal(answer.data.sessions, [stored], "the synced sessions");
  equal(answer.data.deleted_sessions, [], "the deleted sessions");
  equal(answer.data.has_more, false, "has_more");
  return answer.data.next_cursor;
});

await step("stats", async () => {
  const answer = await getMyStats({}, {}, phone);
  if (answer.status !== 200) unexpected(answer);
  equal(answer.data.total_sessions, 1, "total sessions");
  const exercises = answer.data.exercises;
  const byExercise = new Map(exercises.map((exercise) => [exercise.exercise, exercise]));
  const band = byExercise.get(BAND)?.sides ?? fail("the band's stats by side are missing");
  equal([band.left?.reps, band.right?.reps], [10, 10], "the band's reps, left and right");
  const kingRunner = byExercise.get(KING_RUNNER) ?? fail("the king runner's stats are missing");
  equal(kingRunner.total_hold_seconds, 30, "the king runner's time held");
  equal(kingRunner.sides?.right, null, "its right side, never done");
});

await step("delete the session: sync hands out its tombstone", async () => {
  const deleted = await deleteSession(id, {}, phone);
  if (deleted.status !== 204) unexpected(deleted);
  const answer = await getSyncPage({ since: cursor }, {}, tablet);
  if (answer.status !== 200) unexpected(answer);
  equal(answer.data.sessions, [], "the sessions changed since");
  equal(answer.data.deleted_sessions.map((tombstone) => tombstone.id), [id], "the tombstones");
  for (const tombstone of answer.data.deleted_sessions) {
    documented(tombstone, FIELDS.deletedSession, "DeletedSession");
  }
});

console.log("the phone's day went as openapi.yaml says");
