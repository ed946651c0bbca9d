// Rendered per request (connection()), so the 'use cache' function goes through the
// 'use cache' handler at request time, not only at build.
import { Suspense } from 'react';
import { connection } from 'next/server';
import { logEvent } from '../../lib/dep.js';

// When this module is evaluated: `preloadEntriesOnStart` does it before the first request,
// capturing the default 'use cache' handler (#72552); the test waits for this line.
logEvent('page', 'evaluate');

async function getValue() {
  'use cache';
  return { at: Date.now() };
}

async function Value() {
  await connection();
  const v = await getValue();
  return <p id="cached">cached {v.at}</p>;
}

export default function Cached() {
  return (
    <Suspense fallback={<p>loading</p>}>
      <Value />
    </Suspense>
  );
}
