// Rendered per request (connection()), so the 'use cache' function goes through the
// 'use cache' handler at request time, not only at build.
import { Suspense } from 'react';
import { connection } from 'next/server';

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
