/** Thrown when Rayne cannot start as configured; the message says what to change, so the CLI prints it without a stack. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
