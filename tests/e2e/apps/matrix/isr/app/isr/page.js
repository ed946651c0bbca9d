// ISR page: prerendered at build, looked up in the incremental cache on every request.
export const revalidate = 60;

export default function Isr() {
  return <p id="isr">isr {new Date().toISOString()}</p>;
}
