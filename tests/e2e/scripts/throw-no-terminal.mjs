// Throws without emitting anything: the executor writes run_error (script_error) with the
// thrown message and stack; quarry exits 1.
export default async function throwNoTerminal() {
  throw new RangeError('custom failure 42 from the e2e suite');
}
