// A local dependency of the ISR handler: tracing must copy it next to the handler.
const fs = require('fs');

// Appends one JSON line per handler event to $GRAFT_HANDLER_LOG, so the e2e test can prove
// from the handler's own output that production constructed and called it.
function logEvent(handler, event, extra) {
  const file = process.env.GRAFT_HANDLER_LOG;
  if (!file) return;
  const line = JSON.stringify({ handler, event, pid: process.pid, ...extra });
  fs.appendFileSync(file, line + '\n');
}

module.exports = { logEvent };
