/**
 * The session layer's one entry point: built once by the gateway, it owns what every session
 * needs (the clusters, the statement runner with its limits and classifier, the transaction
 * settings and the registry of open transactions) and offers the operations the RPCs map to.
 * It takes typed commands and reports results and events (commands.ts); it knows nothing of the
 * wire.
 */
import type { GatewayError } from '../errors.js';
import type { ClusterRegistry } from '../routing/cluster.js';
import type { StatementInfo } from '../sql/classify.js';
import { type BatchCallLimits, runBatch } from './batch.js';
import type {
  BatchCommand,
  BatchOutcome,
  Caller,
  ExecuteCommand,
  ExecuteTotals,
  QueryCommand,
  QueryTotals,
  ResultSink,
  RowBatchEncoder,
  TransactionEvents,
} from './commands.js';
import { runKeyedBatch } from './idempotency-batch.js';
import type { StoreLookup } from './idempotency-execute.js';
import { SessionRegistry } from './session-registry.js';
import { runExecute, runQuery } from './single-statement.js';
import { type SessionLimits, StatementRunner } from './statement-runner.js';
import { TransactionSession, type TransactionSettings } from './transaction-session.js';

/** What a {@link SessionService} is built from. */
export interface SessionServiceOptions {
  readonly clusters: ClusterRegistry;
  /** Statement and result limits (config `limits`). */
  readonly limits: SessionLimits;
  /** Classifies SQL text; the gateway passes a cached `StatementClassifier`. */
  readonly classify: (sql: string) => StatementInfo;
  /** Transaction timeouts (config `transactions`). */
  readonly transactions: TransactionSettings;
  /** A new encoder for each streamed result's rows (the wire package's, injected by the server). */
  readonly newRowBatch: () => RowBatchEncoder;
  /** A new collector for each batch step's rows (the wire package's, injected by the server). */
  readonly collectRows: () => RowBatchEncoder;
  /** Bounds of one Batch call (config `limits`). */
  readonly batch: BatchCallLimits;
  /** The idempotency key store of each cluster (none: keyed calls fail FAILED_PRECONDITION). */
  readonly idempotency?: StoreLookup;
  /** Whether a cluster replays transactions by default (`clusters.<name>.transactions.replay`). @default none does */
  readonly replayByDefault?: (cluster: string) => boolean;
}

/** Query, Execute and Transaction sessions over the gateway's clusters. */
export class SessionService {
  /** Open transactions: counted for stats, rolled back at shutdown. */
  readonly registry = new SessionRegistry();
  private readonly clusters: ClusterRegistry;
  private readonly runner: StatementRunner;
  private readonly transactions: TransactionSettings;
  private readonly batchLimits: BatchCallLimits;
  private readonly stores: StoreLookup;
  private readonly replayByDefault: ((cluster: string) => boolean) | undefined;

  constructor(opts: SessionServiceOptions) {
    this.clusters = opts.clusters;
    this.runner = new StatementRunner(opts.limits, opts.classify, opts.newRowBatch, opts.collectRows);
    this.transactions = opts.transactions;
    this.batchLimits = opts.batch;
    this.stores = opts.idempotency ?? (() => undefined);
    this.replayByDefault = opts.replayByDefault;
  }

  /**
   * Runs many statements in order on one connection, optionally in one transaction, each step
   * guarded by its condition; resolves with one outcome per step (batch.ts).
   */
  batch(cmd: BatchCommand, caller: Caller): Promise<BatchOutcome> {
    if (cmd.idempotencyKey)
      return runKeyedBatch(
        this.clusters,
        this.runner,
        this.batchLimits,
        cmd,
        cmd.idempotencyKey,
        caller,
        this.stores,
      );
    return runBatch(this.clusters, this.runner, this.batchLimits, cmd, caller);
  }

  /**
   * Runs one result-producing statement, streaming into `sink`; resolves with its totals. A
   * read-only statement whose backend fails before anything reached the sink is retried once.
   */
  query(cmd: QueryCommand, caller: Caller, sink: ResultSink): Promise<QueryTotals> {
    return runQuery(this.clusters, this.runner, cmd, caller, sink);
  }

  /**
   * Runs one statement without rows on the cluster's primary, in autocommit. Never re-sent. With
   * an idempotency key: in a transaction with its key row, at most once per key.
   */
  execute(cmd: ExecuteCommand, caller: Caller): Promise<ExecuteTotals> {
    return runExecute(this.clusters, this.runner, cmd, caller, this.stores);
  }

  /**
   * Opens a Transaction session reporting to `events`; feed it requests with `push` and
   * `halfClose`. It is tracked until it ends.
   */
  openTransaction(caller: Caller, events: TransactionEvents): TransactionSession {
    const session = new TransactionSession({
      clusters: this.clusters,
      runner: this.runner,
      settings: this.transactions,
      caller,
      events,
      observer: this.registry,
      idempotency: this.stores,
      ...(this.replayByDefault ? { replayByDefault: this.replayByDefault } : {}),
    });
    this.registry.add(session);
    return session;
  }

  /** Rolls back every open transaction with `reason`; resolves once their connections are back. */
  close(reason: GatewayError): Promise<void> {
    return this.registry.abortAll(reason);
  }
}
