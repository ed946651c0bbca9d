// A local dependency of the shared handler, also outside the app's tracing root.
const fs = require('fs');

// Appends one JSON line per handler event to $GRAFT_HANDLER_LOG.
function logEvent(handler, event, extra) {
  const file = process.env.GRAFT_HANDLER_LOG;
  if (!file) return;
  fs.appendFileSync(file, JSON.stringify({ handler, event, pid: process.pid, ...extra }) + '\n');
}

module.exports = { logEvent };
