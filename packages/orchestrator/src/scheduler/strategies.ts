import type { Candidate } from "./scheduler.js";

/**
 * How the scheduler chooses among the nodes that can take a call. `pick` gets them
 * sorted cheapest first (never empty) and returns one of them.
 */
export interface SchedulingStrategy {
  readonly name: string;
  pick(candidates: readonly Candidate[]): Candidate;
}

/** The cheapest node: the design's rule, and the default. */
export const leastCost: SchedulingStrategy = {
  name: "least-cost",
  pick: (candidates) => candidates[0]!,
};

/**
 * The cheaper of two nodes drawn at random: close to least-cost under load, but two
 * orchestrators (or stale readings) do not all pile onto the same node.
 */
export function powerOfTwo(random: () => number = Math.random): SchedulingStrategy {
  return {
    name: "power-of-two",
    pick(candidates) {
      if (candidates.length === 1) return candidates[0]!;
      const first = Math.floor(random() * candidates.length);
      let second = Math.floor(random() * (candidates.length - 1));
      if (second >= first) second++;
      // Candidates are sorted, so the lower index is the cheaper one.
      return candidates[Math.min(first, second)]!;
    },
  };
}

/** Strategy plugins by name. */
export class StrategyRegistry {
  readonly #strategies = new Map<string, () => SchedulingStrategy>();

  register(name: string, create: () => SchedulingStrategy): void {
    if (this.#strategies.has(name)) throw new Error(`strategy '${name}' is registered twice`);
    this.#strategies.set(name, create);
  }

  create(name: string): SchedulingStrategy {
    const create = this.#strategies.get(name);
    if (!create) {
      throw new Error(`no scheduling strategy named '${name}' (known: ${this.names().join(", ")})`);
    }
    return create();
  }

  names(): string[] {
    return [...this.#strategies.keys()].sort();
  }
}

/** The strategies that ship with CARES, registered in one place. */
export function builtinStrategies(): StrategyRegistry {
  const registry = new StrategyRegistry();
  registry.register(leastCost.name, () => leastCost);
  registry.register("power-of-two", () => powerOfTwo());
  return registry;
}
