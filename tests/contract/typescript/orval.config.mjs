// orval's fetch client for openapi.yaml, as a mobile team would generate it: one file of typed
// functions and models, header parameters as typed arguments, and the server's address read
// when each request is made, so one build runs against any server.
/** @type {import("orval").Config} */
export default {
  hipflex: {
    input: { target: "./openapi.yaml" },
    output: {
      target: "./generated/orval.ts",
      client: "fetch",
      mode: "single",
      headers: true,
      baseUrl: { runtime: "process.env.HIPFLEX_API_URL" },
    },
  },
};
