import path = require('path')

const config = {
  output: 'standalone' as const,
  cacheHandler: path.join(__dirname, 'cache-handler.js'),
}

export = config
