// A usage error of the command line: printed as one line, without a stack.
export class CliError extends Error {
  override readonly name = "CliError";
}
