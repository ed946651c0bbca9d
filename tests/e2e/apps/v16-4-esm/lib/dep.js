// An ES module (the package is "type": "module"). Appends one JSON line per handler event to
// $GRAFT_HANDLER_LOG, so the e2e test can prove from the handlers' own output that production
// constructed and called them.
import { appendFileSync } from 'node:fs';

export function logEvent(handler, event, extra) {
  const file = process.env.GRAFT_HANDLER_LOG;
  if (!file) return;
  appendFileSync(file, JSON.stringify({ handler, event, pid: process.pid, ...extra }) + '\n');
}
