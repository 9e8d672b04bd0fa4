/**
 * An error while a command runs (not a usage error): the CLI prints its message in one line, as
 * the command's own words, and exits with status 1.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
