import { cancel, isCancel, select, text } from "@clack/prompts";
import { checkImageReference, checkName } from "@cares/shared";

/** What the `r` and `d` keys change; given only to the live TUI. */
export interface FunctionActions {
  /** Registers a function; throws a CaresError with a message for people when it cannot. */
  register(name: string, image: string): void;
  remove(name: string): void;
  names(): string[];
}

export interface PromptStreams {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/**
 * Asks for a function's name and image, checked with the API's own rules, and registers
 * it. Esc or Ctrl-C cancels at any point.
 */
export async function promptRegister(actions: FunctionActions, io: PromptStreams): Promise<void> {
  const taken = new Set(actions.names());
  const name = await text({
    ...io,
    message: "Register a function. Its name?",
    placeholder: "my-func",
    validate: (value) => {
      const problem = checkName(value ?? "");
      if (problem) return `The name ${problem}.`;
      if (taken.has(value!)) return `A function named '${value}' is already registered.`;
      return undefined;
    },
  });
  if (isCancel(name)) return cancel("Nothing registered.", io);
  const image = await text({
    ...io,
    message: "Its Docker image?",
    placeholder: "cares/hello-world",
    validate: (value) => {
      const problem = checkImageReference(value ?? "");
      return problem ? `The image ${problem}.` : undefined;
    },
  });
  if (isCancel(image)) return cancel("Nothing registered.", io);
  actions.register(name, image);
}

/** Asks which function to remove, and removes it. Esc or Ctrl-C cancels. */
export async function promptRemove(actions: FunctionActions, io: PromptStreams): Promise<void> {
  const names = actions.names();
  if (names.length === 0) return;
  const name = await select({
    ...io,
    message: "Remove which function?",
    options: names.map((value) => ({ value, label: value })),
  });
  if (isCancel(name)) return cancel("Nothing removed.", io);
  actions.remove(name);
}
