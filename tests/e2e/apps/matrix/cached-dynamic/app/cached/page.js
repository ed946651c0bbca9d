// Rendered per request, so the 'use cache' function goes through the 'use cache' handler at
// request time, not only at build.
export const dynamic = 'force-dynamic';

async function getValue() {
  'use cache';
  return { at: Date.now() };
}

export default async function Cached() {
  const v = await getValue();
  return <p id="cached">cached {v.at}</p>;
}
