const nextConfig = ({"cacheHandler":"x"})
