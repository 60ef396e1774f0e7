// The one cache directory of the project's tools (Node, the Temporal CLI): $XDG_CACHE_HOME/order-saga, by
// default ~/.cache/order-saga. Shared by every clone on the machine.
'use strict';
const os = require('node:os');
const path = require('node:path');

/** @param {...string} parts */
function cacheDir(...parts) {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'order-saga', ...parts);
}

module.exports = { cacheDir };
