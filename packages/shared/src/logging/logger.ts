export type LogLevel = "debug" | "info" | "warn" | "error";

/** Values attached to a log line: the component, node, invocation and whatever else. */
export type LogFields = Record<string, unknown>;

export interface LogRecord {
  time: Date;
  level: LogLevel;
  /** The message with its `{field}` placeholders filled in. */
  message: string;
  /** The message as written, before placeholders were filled in. */
  template: string;
  fields: LogFields;
}

/** Where log records go: the console, a TUI pane, a WebSocket, a test's array. */
export type LogSink = (record: LogRecord) => void;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Every level, from the most verbose. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

function render(template: string, fields: LogFields): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    Object.hasOwn(fields, key) ? String(fields[key]) : whole,
  );
}

/**
 * A logger with levels and fields. Messages are fixed text whose `{name}` placeholders
 * are filled from the fields, so that a person reads a sentence and a machine still gets
 * every value on its own:
 *
 * ```ts
 * log.info("Node '{node}' selected with lowest cost.", { node: "worker-1", cost: 12.5 });
 * ```
 *
 * `child()` returns a logger that adds its fields to every record (`component`, `node`,
 * `invocation`).
 */
export class Logger {
  readonly #sink: LogSink;
  readonly #fields: LogFields;
  readonly #minLevel: LogLevel;

  constructor(sink: LogSink, options: { level?: LogLevel; fields?: LogFields } = {}) {
    this.#sink = sink;
    this.#minLevel = options.level ?? "info";
    this.#fields = options.fields ?? {};
  }

  /** A logger that adds `fields` to every record it writes. */
  child(fields: LogFields): Logger {
    return new Logger(this.#sink, {
      level: this.#minLevel,
      fields: { ...this.#fields, ...fields },
    });
  }

  /** True when records of `level` are written rather than dropped. */
  enabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= LEVEL_ORDER[this.#minLevel];
  }

  debug(template: string, fields?: LogFields): void {
    this.#write("debug", template, fields);
  }

  info(template: string, fields?: LogFields): void {
    this.#write("info", template, fields);
  }

  warn(template: string, fields?: LogFields): void {
    this.#write("warn", template, fields);
  }

  error(template: string, fields?: LogFields): void {
    this.#write("error", template, fields);
  }

  #write(level: LogLevel, template: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const all = { ...this.#fields, ...fields };
    this.#sink({ time: new Date(), level, template, message: render(template, all), fields: all });
  }
}

/** A sink that drops everything; for code under test that must log somewhere. */
export const silentSink: LogSink = () => {};

/** A sink that hands every record to each of `sinks`, in order. */
export function teeSink(...sinks: LogSink[]): LogSink {
  return (record) => {
    for (const sink of sinks) sink(record);
  };
}
