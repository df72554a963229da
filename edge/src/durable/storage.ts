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
 * Makes sure some alarm is pending. Any pending alarm is enough: every alarm handler cleans up
 * and then re-arms itself for the next expiry. The flag saves a storage read per call.
 */
export class AlarmKeeper {
  private known = false;

  constructor(private readonly storage: DurableObjectStorage) {}

  async ensure(at: number): Promise<void> {
    if (this.known) return;
    if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(at);
    this.known = true;
  }

  /** Call at the start of alarm(): the alarm that was pending has fired. */
  fired(): void {
    this.known = false;
  }

  async set(at: number): Promise<void> {
    await this.storage.setAlarm(at);
    this.known = true;
  }
}
