/**
 * A real lost-COMMIT fault: root holds MariaDB's commits (BACKUP STAGE BLOCK_COMMIT), so the
 * gateway's COMMIT waits; the test then kills the gateway's connection while it waits and lets
 * commits go. The COMMIT never ran: the gateway must resolve "not committed".
 */
import type { ExecutionContext } from 'ava';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';
import { sandbox, waitFor } from '../../helpers/sandbox.js';

export class CommitBlocker {
  private blocked = false;

  private constructor(private readonly root: Connection) {}

  /** A root connection to the primary, released (and commits let go) when the test ends. */
  static async open(t: ExecutionContext): Promise<CommitBlocker> {
    const root = await createConnection({
      host: sandbox.host,
      port: sandbox.primaryPort,
      user: sandbox.rootUser,
      password: '',
    });
    const blocker = new CommitBlocker(root);
    t.teardown(async () => {
      if (blocker.blocked) await root.query('BACKUP STAGE END').catch(() => {});
      await root.end().catch(() => root.destroy());
    });
    return blocker;
  }

  /** From now on every COMMIT on the primary waits. */
  async block(): Promise<void> {
    for (const stage of ['START', 'FLUSH', 'BLOCK_DDL', 'BLOCK_COMMIT'])
      await this.root.query(`BACKUP STAGE ${stage}`);
    this.blocked = true;
  }

  /** Waits for the gateway's COMMIT to wait on the lock, kills its connection, lets commits go. */
  async killWaitingCommit(): Promise<void> {
    let threadId = 0;
    await waitFor(
      async () => {
        const [rows] = await this.root.query<RowDataPacket[]>(
          "SELECT id FROM information_schema.processlist WHERE user = 'gateway' AND info LIKE '%COMMIT'",
        );
        threadId = Number(rows[0]?.id ?? 0);
        return threadId > 0;
      },
      { timeoutMs: 10_000, message: "the gateway's COMMIT to wait for the backup lock" },
    );
    await this.root.query(`KILL CONNECTION ${threadId}`);
    await this.root.query('BACKUP STAGE END');
    this.blocked = false;
  }
}
