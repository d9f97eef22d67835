import type { Invoker } from "../invoke/invoker.js";
import type { ClusterEvents } from "./cluster-events.js";

/** Counts `invoker`'s calls in `events` (in flight, per second) as they start and end. */
export function trackInvocations(invoker: Invoker, events: ClusterEvents): () => void {
  return invoker.hooks.add({
    received: () => events.invocationStarted(),
    completed: () => events.invocationFinished(),
    failed: () => events.invocationFinished(),
  });
}
