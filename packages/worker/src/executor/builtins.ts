import { createDockerExecutor } from "./docker/docker-executor.js";
import { ExecutorRegistry } from "./executor.js";
import { createFakeExecutor } from "./fake-executor.js";

/** The executor plugins that ship with CARES, registered in one place. */
export function builtinExecutors(): ExecutorRegistry {
  const registry = new ExecutorRegistry();
  registry.register("docker", createDockerExecutor);
  registry.register("fake", createFakeExecutor);
  return registry;
}
