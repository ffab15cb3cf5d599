/**
 * Turns for the one connection of a client that runs statements in order (PGlite in its
 * worker): statements outside a transaction may be sent while others are still running — the
 * connection queues them — but none may be sent while a transaction holds it, or it would run
 * inside that transaction. First come, first served: a statement that arrives while a
 * transaction waits goes after it.
 */
export class ConnectionGate {
  private held = false;
  private readonly waiting: Array<{ exclusive: boolean; start(): void }> = [];

  /** Send a statement outside any transaction; `send` must send it synchronously when called. */
  shared<T>(send: () => Promise<T>): Promise<T> {
    if (!this.held && this.waiting.length === 0) return send();
    return new Promise<T>((resolve, reject) =>
      this.waiting.push({ exclusive: false, start: () => send().then(resolve, reject) }),
    );
  }

  /** Hold the connection (for a transaction); resolves to the function that hands it on. */
  exclusive(): Promise<() => void> {
    if (!this.held && this.waiting.length === 0) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) =>
      this.waiting.push({ exclusive: true, start: () => resolve(this.releaser()) }),
    );
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held = false;
      this.next();
    };
  }

  private next(): void {
    while (!this.held && this.waiting.length > 0) {
      const turn = this.waiting.shift()!;
      if (turn.exclusive) this.held = true;
      turn.start();
    }
  }
}
