// A phone's day through openapi-fetch, typed by the paths openapi-typescript generated from
// openapi.yaml into generated/schema.d.ts: every call, parameter and body is checked by the
// compiler against the schema, and every answer here against what the app relies on.
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";
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
  answered,
  apiUrl,
  check,
  documented,
  equal,
  present,
  step,
} from "./day.js";

type Schemas = components["schemas"];

function phone(access?: string) {
  return createClient<paths>({
    baseUrl: apiUrl(),
    headers: access === undefined ? {} : { Authorization: `Bearer ${access}` },
    // openapi-fetch does not read the schema's `explode: false` for `ordering`.
    querySerializer: { array: { style: "form", explode: false } },
  });
}

const anonymous = phone();
const credentials = { email: EMAIL, password: PASSWORD };

await step("register answers 202 with no tokens", async () => {
  const { data, response } = await anonymous.POST("/api/v1/auth/register/", {
    body: credentials,
  });
  answered(response.status, 202, data);
  const accepted = present(data, "the answer");
  documented(accepted, FIELDS.accepted, "Accepted");
  check(accepted.detail.includes("log in"), `the answer says to log in: ${accepted.detail}`);
});

async function logIn(): Promise<Schemas["TokenPair"]> {
  const { data, error, response } = await anonymous.POST("/api/v1/auth/token/", {
    body: credentials,
  });
  answered(response.status, 200, error);
  const tokens = present(data, "the token pair");
  documented(tokens, FIELDS.tokenPair, "TokenPair");
  return tokens;
}

const tokens = await step("log in", logIn);
const device = phone(tokens.access);

async function slugs(query: paths["/api/v1/exercises/"]["get"]["parameters"]["query"]) {
  const { data, error, response } = await device.GET("/api/v1/exercises/", {
    params: { query },
  });
  answered(response.status, 200, error);
  return present(data, "the catalog page").results.map((exercise) => exercise.slug);
}

await step("list the catalog and filter it", async () => {
  const all = await slugs({});
  equal(new Set(all), CATALOG, "the catalog");
  equal(await slugs({ difficulty: 2 }), [KING_RUNNER], "difficulty 2");
  equal(await slugs({ search: "couch" }), [KING_RUNNER], "a search for an alias");
  equal(await slugs({ muscle: "abdominals" }), [BAND], "exercises for the abdominals");
  equal(
    await slugs({ kind: "stretch", ordering: ["difficulty", "-name"] }),
    [HALF_KNEELING, GRAVITY, KING_RUNNER],
    "stretches, easiest first, then by name from z to a",
  );
});

await step("get one exercise by slug", async () => {
  const { data, error, response } = await device.GET("/api/v1/exercises/{slug}/", {
    params: { path: { slug: KING_RUNNER } },
  });
  answered(response.status, 200, error);
  const exercise = present(data, "the exercise");
  equal(exercise.slug, KING_RUNNER, "the slug");
  equal(exercise.milder_options.map((option) => option.slug), [HALF_KNEELING], "milder options");
});

const id = randomUUID();
const startedAt = anHourAgo();
// The sets leave out what the server defaults: pain, done, notes.
const upload: Schemas["WorkoutSessionRequest"] = {
  started_at: startedAt.toISOString(),
  ended_at: new Date(startedAt.getTime() + 15 * 60_000).toISOString(),
  perceived_effort: 4,
  sets: [
    { exercise: BAND, side: "left", reps: 10 },
    { exercise: BAND, side: "right", reps: 10 },
    { exercise: KING_RUNNER, side: "left", hold_seconds: 30 },
  ],
};

async function put(expected: number): Promise<Schemas["WorkoutSession"]> {
  const { data, error, response } = await device.PUT("/api/v1/sessions/{id}/", {
    params: { path: { id } },
    body: upload,
  });
  answered(response.status, expected, error);
  check(response.headers.get("ETag") !== null, "the answer carries an ETag");
  return present(data, "the session");
}

const stored = await step("upload a session under the phone's own id", async () => {
  const session = await put(201);
  documented(session, FIELDS.session, "WorkoutSession");
  for (const set of session.sets) documented(set, FIELDS.set, "SetLog");
  equal(session.id, id, "the id");
  equal(Date.parse(session.started_at), startedAt.getTime(), "started_at");
  equal(
    session.sets.map((set) => [
      set.exercise, set.side, set.reps, set.hold_seconds, set.pain, set.done, set.notes,
    ]),
    [
      [BAND, "left", 10, null, 0, true, ""],
      [BAND, "right", 10, null, 0, true, ""],
      [KING_RUNNER, "left", null, 30, 0, true, ""],
    ],
    "the sets, with the server's defaults",
  );
  return session;
});

await step("retry the same upload: the same session, still one", async () => {
  equal(await put(200), stored, "the retried upload's answer");
  const { data, error, response } = await device.GET("/api/v1/sessions/");
  answered(response.status, 200, error);
  equal(present(data, "my sessions").results.map((session) => session.id), [id], "my sessions");
});

const tablet = phone((await step("log in on a second device", logIn)).access);

const synced = await step("sync on the second device", async () => {
  const { data, error, response } = await tablet.GET("/api/v1/sync/");
  answered(response.status, 200, error);
  const page = present(data, "the sync page");
  documented(page, FIELDS.syncPage, "SyncPage");
  equal(page.sessions, [stored], "the synced sessions");
  equal(page.deleted_sessions, [], "the deleted sessions");
  equal(page.has_more, false, "has_more");
  return page;
});

await step("stats", async () => {
  const { data, error, response } = await device.GET("/api/v1/me/stats/");
  answered(response.status, 200, error);
  const stats = present(data, "the stats");
  equal(stats.total_sessions, 1, "total sessions");
  const byExercise = new Map(stats.exercises.map((exercise) => [exercise.exercise, exercise]));
  const band = present(present(byExercise.get(BAND), "the band's stats").sides, "its sides");
  equal([band.left?.reps, band.right?.reps], [10, 10], "the band's reps, left and right");
  const kingRunner = present(byExercise.get(KING_RUNNER), "the king runner's stats");
  equal(kingRunner.total_hold_seconds, 30, "the king runner's time held");
  equal(present(kingRunner.sides, "its sides").right, null, "its right side, never done");
});

await step("delete the session: sync hands out its tombstone", async () => {
  const deleted = await device.DELETE("/api/v1/sessions/{id}/", { params: { path: { id } } });
  answered(deleted.response.status, 204, deleted.error);
  const { data, error, response } = await tablet.GET("/api/v1/sync/", {
    params: { query: { since: synced.next_cursor } },
  });
  answered(response.status, 200, error);
  const page = present(data, "the sync page");
  equal(page.sessions, [], "the sessions changed since");
  equal(page.deleted_sessions.map((tombstone) => tombstone.id), [id], "the tombstones");
  for (const tombstone of page.deleted_sessions) {
    documented(tombstone, FIELDS.deletedSession, "DeletedSession");
  }
});

console.log("the phone's day went as openapi.yaml says");
