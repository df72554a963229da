// Counts what Cloudflare bills for, as the code under test really uses it inside workerd: no
// figure here is typed by hand, every one is observed on the real bindings and classes.
//
// Billing rules counted (each from Cloudflare's current docs, cited in docs/cost.md):
// - Worker requests: every invocation of the fetch handler; queue consumer invocations are
//   counted too (conservative: the Workers pricing page bills "inbound requests", and does not
//   say consumer invocations are free).
//   https://developers.cloudflare.com/workers/platform/pricing/
// - Durable Object requests: "Every RPC method call on a Durable Objects stub is its own RPC
//   session and therefore a single billed request", and alarm invocations count as requests.
//   Counted where they are received: each public RPC method and alarm() of each class is wrapped.
//   https://developers.cloudflare.com/durable-objects/platform/pricing/
// - SQLite rows read / written: the cursor's rowsRead / rowsWritten of every sql.exec (what the
//   pricing page bills; schema statements included), plus "Each setAlarm() is billed as a single
//   row written", plus the rows deleteAll() removes ("Deletes are counted as rows written"),
//   counted just before it runs.
// - Queue operations: "An operation is counted for each 64 KB of data that is written, read, or
//   deleted ... each message includes approximately 100 bytes of internal metadata" and "Each
//   retry incurs a read operation": a write per 64 KB sent, a read per 64 KB delivered to the
//   consumer (retries included), a delete per 64 KB acked.
//   https://developers.cloudflare.com/queues/platform/pricing/
// - R2: Class A = put, createMultipartUpload, list; Class B = get, head (delete is free).
//   https://developers.cloudflare.com/r2/pricing/
//
// The prototypes patched here are shared by the whole isolate, and vitest-pool-workers runs the
// worker, its Durable Objects and the tests in one isolate, so the meter sees every call. It
// counts only between start() and stop().

import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import worker from "../src/index";
import { DeviceLedger } from "../src/durable/device-ledger";
import { MetricsStore } from "../src/durable/metrics-store";
import { RateLimiter } from "../src/durable/rate-limiter";
import { ReplayGuard } from "../src/durable/replay-guard";
import { WalletLedger } from "../src/durable/wallet-ledger";

export interface Usage {
  workerRequests: number;
  queueConsumerInvocations: number;
  /** RPC method calls received, per class and method. */
  doRpc: Record<string, number>;
  /** alarm() invocations, per class. */
  doAlarms: Record<string, number>;
  rowsRead: number;
  rowsWritten: number;
  /** Rows written per class (setAlarm and deleteAll included). */
  rowsWrittenBy: Record<string, number>;
  setAlarmCalls: number;
  queueWrites: number;
  queueReads: number;
  queueDeletes: number;
  r2ClassA: number;
  r2ClassB: number;
}

type AnyFn = (...args: any[]) => any;

/** Public RPC methods of each Durable Object class (what a stub can call) plus alarm. */
export const RPC_METHODS: Record<string, { cls: { prototype: any }; binding: keyof Env; methods: string[] }> = {
  RateLimiter: { cls: RateLimiter, binding: "RATE_LIMITER", methods: ["take"] },
  ReplayGuard: { cls: ReplayGuard, binding: "REPLAY_GUARD", methods: ["claim"] },
  DeviceLedger: { cls: DeviceLedger, binding: "DEVICE_LEDGER", methods: ["submit", "submitMany", "release"] },
  WalletLedger: { cls: WalletLedger, binding: "WALLET_LEDGER", methods: ["grant", "grantMany"] },
  MetricsStore: { cls: MetricsStore, binding: "METRICS_STORE", methods: ["add", "snapshot", "ping"] },
};

const QUEUE_CHUNK = 64_000; // "A KB is defined as 1,000 bytes"
const QUEUE_METADATA = 100;
const queueUnits = (body: unknown) =>
  Math.max(1, Math.ceil((JSON.stringify(body ?? null).length + QUEUE_METADATA) / QUEUE_CHUNK));

function emptyUsage(): Usage {
  return {
    workerRequests: 0,
    queueConsumerInvocations: 0,
    doRpc: {},
    doAlarms: {},
    rowsRead: 0,
    rowsWritten: 0,
    rowsWrittenBy: {},
    setAlarmCalls: 0,
    queueWrites: 0,
    queueReads: 0,
    queueDeletes: 0,
    r2ClassA: 0,
    r2ClassB: 0,
  };
}

class UsageMeter {
  private usage = emptyUsage();
  private active = false;
  private cursors: Array<{ cursor: SqlStorageCursor<Record<string, SqlStorageValue>>; owner: string }> = [];
  /** Which class a storage (or its sql) belongs to, learnt when the class's methods run. */
  private readonly owners = new WeakMap<object, string>();
  private installed = false;
  /** Objects that ran code while metering: class name → id strings. */
  readonly touched = new Map<string, Set<string>>();

  /** Patches the shared prototypes once (idempotent). */
  async install(): Promise<void> {
    if (this.installed) return;
    this.installed = true;
    const meter = this;

    for (const [name, { cls, methods }] of Object.entries(RPC_METHODS)) {
      for (const method of [...methods, "alarm"]) {
        const original = cls.prototype[method] as AnyFn | undefined;
        if (typeof original !== "function") continue;
        cls.prototype[method] = function (this: { ctx: DurableObjectState }, ...args: unknown[]) {
          meter.owners.set(this.ctx.storage, name);
          meter.owners.set(this.ctx.storage.sql, name);
          if (meter.active) {
            const bucket = method === "alarm" ? meter.usage.doAlarms : meter.usage.doRpc;
            const key = method === "alarm" ? name : `${name}.${method}`;
            bucket[key] = (bucket[key] ?? 0) + 1;
            let ids = meter.touched.get(name);
            if (!ids) {
              ids = new Set();
              meter.touched.set(name, ids);
            }
            ids.add(this.ctx.id.toString());
          }
          return original.apply(this, args);
        };
      }
    }

    const w = worker as { fetch: AnyFn; queue: AnyFn };
    const fetchHandler = w.fetch;
    w.fetch = function (this: unknown, ...args: unknown[]) {
      if (meter.active) meter.usage.workerRequests += 1;
      return fetchHandler.apply(this, args);
    };
    const queueHandler = w.queue;
    w.queue = function (this: unknown, batch: MessageBatch<unknown>, ...rest: unknown[]) {
      if (!meter.active) return queueHandler.call(this, batch, ...rest);
      meter.usage.queueConsumerInvocations += 1;
      const messages = batch.messages.map((m) => {
        const units = queueUnits(m.body);
        meter.usage.queueReads += units;
        return {
          id: m.id,
          timestamp: m.timestamp,
          body: m.body,
          attempts: m.attempts,
          ack: () => {
            meter.usage.queueDeletes += units;
            m.ack();
          },
          retry: (options?: QueueRetryOptions) => m.retry(options),
        };
      });
      const metered = {
        queue: batch.queue,
        messages,
        ackAll: () => {
          for (const m of messages) m.ack();
        },
        retryAll: (options?: QueueRetryOptions) => {
          for (const m of messages) m.retry(options);
        },
      };
      return queueHandler.call(this, metered, ...rest);
    };

    const queueProto = Object.getPrototypeOf(env.REWARD_QUEUE) as Record<string, AnyFn>;
    const send = queueProto.send!;
    queueProto.send = function (this: unknown, body: unknown, ...rest: unknown[]) {
      const result = send.call(this, body, ...rest);
      if (meter.active)
        void Promise.resolve(result).then(
          () => (meter.usage.queueWrites += queueUnits(body)),
          () => undefined,
        );
      return result;
    };
    const sendBatch = queueProto.sendBatch!;
    queueProto.sendBatch = function (this: unknown, batch: Iterable<MessageSendRequest>, ...rest: unknown[]) {
      const list = [...batch];
      const result = sendBatch.call(this, list, ...rest);
      // Only what the queue accepted is written (a refused batch costs nothing).
      if (meter.active) {
        void Promise.resolve(result).then(
          () => (meter.usage.queueWrites += list.reduce((n, m) => n + queueUnits(m.body), 0)),
          () => undefined,
        );
      }
      return result;
    };

    const r2Proto = Object.getPrototypeOf(env.AUDIT_BUCKET) as Record<string, AnyFn>;
    for (const [method, cls] of [
      ["put", "A"],
      ["createMultipartUpload", "A"],
      ["list", "A"],
      ["get", "B"],
      ["head", "B"],
    ] as const) {
      const original = r2Proto[method]!;
      r2Proto[method] = function (this: unknown, ...args: unknown[]) {
        if (meter.active) {
          if (cls === "A") meter.usage.r2ClassA += 1;
          else meter.usage.r2ClassB += 1;
        }
        return original.apply(this, args);
      };
    }

    // SQLite and storage prototypes, reached through any object's state.
    const { sqlProto, storageProto } = await runInDurableObject(
      env.METRICS_STORE.getByName("usage-meter-probe"),
      async (_i, state) => ({
        sqlProto: Object.getPrototypeOf(state.storage.sql) as Record<string, AnyFn>,
        storageProto: Object.getPrototypeOf(state.storage) as Record<string, AnyFn>,
      }),
    );
    const exec = sqlProto.exec!;
    sqlProto.exec = function (this: unknown, ...args: unknown[]) {
      const cursor = exec.apply(this, args);
      if (meter.active) meter.cursors.push({ cursor, owner: meter.owners.get(this as object) ?? "other" });
      return cursor;
    };
    const setAlarm = storageProto.setAlarm!;
    storageProto.setAlarm = function (this: object, ...args: unknown[]) {
      if (meter.active) {
        meter.usage.setAlarmCalls += 1;
        meter.addRows(meter.owners.get(this) ?? "other", 1);
      }
      return setAlarm.apply(this, args);
    };
    const deleteAll = storageProto.deleteAll!;
    storageProto.deleteAll = function (this: DurableObjectStorage, ...args: unknown[]) {
      if (meter.active) {
        // Rows that deleteAll() removes are deletes, i.e. rows written: count them first.
        const tables = exec
          .call(
            this.sql,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
          )
          .toArray() as { name: string }[];
        for (const { name } of tables) {
          meter.addRows(
            meter.owners.get(this) ?? "other",
            (exec.call(this.sql, `SELECT COUNT(*) AS n FROM "${name}"`).one() as { n: number }).n,
          );
        }
      }
      return deleteAll.apply(this, args);
    };
  }

  start(): void {
    this.usage = emptyUsage();
    this.cursors = [];
    this.touched.clear();
    this.active = true;
  }

  /** Stops counting and returns the totals (cursors are summed now: they have been consumed). */
  stop(): Usage {
    this.active = false;
    return this.snapshot();
  }

  /** Rows written outside a cursor (setAlarm, deleteAll). */
  addRows(owner: string, rows: number): void {
    this.usage.rowsWritten += rows;
    this.usage.rowsWrittenBy[owner] = (this.usage.rowsWrittenBy[owner] ?? 0) + rows;
  }

  snapshot(): Usage {
    const usage = structuredClone(this.usage);
    for (const { cursor, owner } of this.cursors) {
      usage.rowsRead += cursor.rowsRead;
      usage.rowsWritten += cursor.rowsWritten;
      usage.rowsWrittenBy[owner] = (usage.rowsWrittenBy[owner] ?? 0) + cursor.rowsWritten;
    }
    return usage;
  }
}

export const meter = new UsageMeter();

/** Durable Object requests in total: RPC calls plus alarm invocations. */
export function doRequests(usage: Usage): number {
  return [...Object.values(usage.doRpc), ...Object.values(usage.doAlarms)].reduce((a, b) => a + b, 0);
}
