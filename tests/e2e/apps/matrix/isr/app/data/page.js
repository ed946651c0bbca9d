// Dynamic page using the data cache: unstable_cache calls the handler's get/set per request.
import { unstable_cache } from 'next/cache';

export const dynamic = 'force-dynamic';

const getValue = unstable_cache(async () => ({ at: Date.now() }), ['graft-e2e-data'], {
  revalidate: 60,
  tags: ['graft-e2e'],
});

export default async function Data() {
  const v = await getValue();
  return <p id="data">data {v.at}</p>;
}
