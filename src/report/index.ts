// The compile report: a recorder of compiler events and an HTML renderer. No Node API here, so
// the report can be built in a browser too; `kiln run` (src/cli) reads source files for the
// snippets and writes the file.
export * from "./model.js";
export { ReportRecorder, type RecorderOptions, type FinishOptions } from "./recorder.js";
export { renderReport, escapeHtml } from "./html.js";
