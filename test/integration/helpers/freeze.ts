/**
 * Freezing a sandbox node as a hung host would: SIGSTOP its mariadbd, so it keeps its sockets
 * open and answers nothing, and SIGCONT to thaw it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type SandboxNode, sandbox } from '../../helpers/sandbox.js';

/** The pid of node `node`'s mariadbd, from the sandbox's pid file. */
export function nodePid(node: SandboxNode): number {
  const file = join(dirname(sandbox.passwordFile), `node${node}`, 'mariadbd.pid');
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${file}`);
  return pid;
}

/** SIGSTOPs node `node`; returns the function that thaws it (SIGCONT, idempotent, never throws). */
export function freezeNode(node: SandboxNode): () => void {
  const pid = nodePid(node);
  process.kill(pid, 'SIGSTOP');
  return () => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Already gone.
    }
  };
}

/** SIGCONTs node `node` whatever state it is in (test cleanup). */
export function thawNode(node: SandboxNode): void {
  try {
    process.kill(nodePid(node), 'SIGCONT');
  } catch {
    // Not running.
  }
}
