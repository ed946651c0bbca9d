// The TypeScript handler's local dependency, imported as `./handler-lib/dep.ts`.
import fs from 'node:fs';

// Appends one JSON line per handler event to $GRAFT_HANDLER_LOG (as ../../../v16-4/lib/dep.js does).
export function logEvent(handler: string, event: string, extra?: Record<string, unknown>): void {
  const file: string | undefined = process.env.GRAFT_HANDLER_LOG;
  if (!file) return;
  const line = JSON.stringify({ handler, event, pid: process.pid, ...extra });
  fs.appendFileSync(file, line + '\n');
}
