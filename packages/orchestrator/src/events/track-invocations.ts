import type { Invoker } from "../invoke/invoker.js";
import type { ClusterEvents } from "./cluster-events.js";

/** Counts `invoker`'s calls in `events` (in flight, per second) as they start and end. */
export function trackInvocations(invoker: Invoker, events: ClusterEvents): void {
  const invoke = invoker.invoke.bind(invoker);
  invoker.invoke = async (name, input) => {
    events.invocationStarted();
    try {
      return await invoke(name, input);
    } finally {
      events.invocationFinished();
    }
  };
}
