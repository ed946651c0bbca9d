const path = require('node:path')
module.exports = { cacheHandler: path.resolve(__dirname, './cache-handler.cjs') }
