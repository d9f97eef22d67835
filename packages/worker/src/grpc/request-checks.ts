import { CaresError, checkImageReference, checkName, type ExecutionRequest } from "@cares/shared";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks what an execution request would hand to the engine: the image reference, the
 * function name stamped on the container, the variable names. The orchestrator checks
 * the same at registration; the worker does not rely on it. Throws `invalid_argument`.
 */
export function checkExecutionRequest(request: ExecutionRequest): void {
  const problem =
    prefixed("image", checkImageReference(request.image)) ??
    prefixed("function name", checkName(request.functionName)) ??
    Object.keys(request.env)
      .filter((key) => !ENV_NAME.test(key))
      .map((key) => `variable name '${key}' is not valid`)[0];
  if (problem) throw new CaresError("invalid_argument", `refused: ${problem}`);
}

function prefixed(what: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${what} ${problem}`;
}
