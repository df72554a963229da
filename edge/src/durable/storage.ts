// Small helpers shared by the SQLite-backed Durable Objects.

/**
 * Schema that is (re)created lazily: after storage.deleteAll() the tables are gone, and an
 * empty object should stay empty (no storage billed) until it is used again.
 */
export class LazySchema {
  private ready = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly statements: readonly string[],
  ) {}

  ensure(): SqlStorage {
    if (!this.ready) {
      for (const statement of this.statements) this.storage.sql.exec(statement);
      this.ready = true;
    }
    return this.storage.sql;
  }

  /** Deletes every row, table and alarm of the object. */
  async wipe(): Promise<void> {
    await this.storage.deleteAll();
    this.ready = false;
  }
}

/**
 * Keeps track of the object's one alarm. Every alarm handler cleans up and then re-arms itself
 * for its next due time, so most callers only need "some alarm is pending" (ensure); callers
 * with work that must not wait long need "an alarm no later than t" (ensureBy). The pending
 * time is cached in memory (only this object sets its alarm), which saves a storage read per call.
 */
export class AlarmKeeper {
  /** undefined = not read from storage yet; null = no alarm pending. */
  private pendingAt: number | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Sets an alarm at `at` unless one is already pending (at any time). */
  async ensure(at: number): Promise<void> {
    if ((await this.pending()) === null) await this.set(at);
  }

  /** Makes the pending alarm fire no later than `at`. */
  async ensureBy(at: number): Promise<void> {
    const pending = await this.pending();
    if (pending === null || pending > at) await this.set(at);
  }

  /** Call at the start of alarm(): the alarm that was pending has fired. */
  fired(): void {
    this.pendingAt = null;
  }

  async set(at: number): Promise<void> {
    await this.storage.setAlarm(at);
    this.pendingAt = at;
  }

  private async pending(): Promise<number | null> {
    if (this.pendingAt === undefined) this.pendingAt = await this.storage.getAlarm();
    return this.pendingAt;
  }
}
