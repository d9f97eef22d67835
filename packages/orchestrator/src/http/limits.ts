import { CaresError } from "@cares/shared";
import type { H3 } from "h3";
import { errorResponse } from "./errors.js";

/**
 * Answers 429 to a call of a function while `max` are already running in this
 * orchestrator, rather than queue without bound behind them.
 *
 * Limitation: only calls that wait for their answer count here; asynchronous calls are
 * bounded by their own backlog and concurrency settings instead.
 */
export function limitCallsInFlight(app: H3, max: number): void {
  let inFlight = 0;
  app.use("/invoke/**", async (event, next) => {
    if (inFlight >= max) {
      const error = new CaresError(
        "too_many_requests",
        `${inFlight} calls are running, the most this orchestrator takes; try again shortly`,
        { details: { limit: max } },
      );
      return errorResponse(error, { "retry-after": "1" });
    }
    inFlight++;
    try {
      return await next();
    } finally {
      inFlight--;
    }
  });
}
