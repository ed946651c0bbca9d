import type { NextConfig } from 'next'
import { PHASE_PRODUCTION_BUILD } from 'next/constants'

export default async function (phase: string): Promise<NextConfig> {
  if (phase === PHASE_PRODUCTION_BUILD) {
    return {
      output: 'standalone',
      cacheHandler: require.resolve('./cache-handler.js'),
    }
  }
  return {
    cacheHandler: require.resolve('./cache-handler.js'),
  }
}
