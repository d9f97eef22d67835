import { getRouterParam, type H3 } from "h3";
import type { FunctionRegistry } from "../../registry/function-registry.js";
import { describeFunction, parseFunctionSpec } from "../../registry/function-settings.js";
import { readJsonObject } from "../body.js";

/** The largest registration body accepted. */
const MAX_SPEC_BYTES = 64 * 1024;

/** `POST /functions`, `GET /functions`, `GET /functions/:name`, `DELETE /functions/:name`. */
export function addFunctionRoutes(app: H3, functions: FunctionRegistry): void {
  app.post("/functions", async (event) => {
    const body = await readJsonObject(event.req, MAX_SPEC_BYTES);
    const spec = functions.add(parseFunctionSpec(body));
    return Response.json(describeFunction(spec), {
      status: 201,
      headers: { location: `/functions/${spec.name}` },
    });
  });

  app.get("/functions", () => ({ functions: functions.list().map(describeFunction) }));

  app.get("/functions/:name", (event) =>
    describeFunction(functions.get(getRouterParam(event, "name") ?? "")),
  );

  app.delete("/functions/:name", (event) => {
    functions.remove(getRouterParam(event, "name") ?? "");
    return new Response(null, { status: 204 });
  });
}
