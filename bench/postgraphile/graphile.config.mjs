// PostGraphile v5 over tuner's tables, as bench/graphql_bench.py runs it: the Amber preset
// (PostGraphile's recommended defaults), every table of the `public` schema, production mode,
// no GraphiQL, no explain. DATABASE_URL and PORT come from the environment.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString = process.env.DATABASE_URL;
const port = Number(process.env.PORT);
if (!connectionString || !port) {
  throw new Error("set DATABASE_URL and PORT");
}

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: { host: "127.0.0.1", port, graphiql: false },
  grafast: { explain: false },
};
