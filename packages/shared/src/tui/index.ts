export * from "./text.js";
export * from "./layout.js";
export * from "./screen.js";
export * from "./log-buffer.js";
export * from "./log-pane.js";
export * from "./console-capture.js";
