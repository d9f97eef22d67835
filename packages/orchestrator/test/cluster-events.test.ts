import { Logger } from "@cares/shared";
import { describe, expect, it } from "vitest";
import { ClusterEvents } from "../src/events/cluster-events.js";
import type { ClusterEvent } from "../src/events/cluster-view.js";
import { FunctionRegistry } from "../src/registry/function-registry.js";
import { parseFunctionSpec } from "../src/registry/function-settings.js";
import { NodeRegistry } from "../src/registry/node-registry.js";

describe("ClusterEvents.attach", () => {
  it("tells followers of the functions the registry held before it was attached", () => {
    const functions = new FunctionRegistry();
    functions.restore(parseFunctionSpec({ name: "stored", image: "cares/echo" }));
    const nodes = new NodeRegistry({ log: new Logger(() => {}) });
    const events = new ClusterEvents({ cluster: "test" });
    const seen: ClusterEvent[] = [];
    events.subscribe((event) => seen.push(event));

    const detach = events.attach(nodes, functions);
    detach();

    const names = seen.flatMap((e) => (e.type === "function" ? [e.function.name] : []));
    expect(names).toEqual(["stored"]);
  });
});
