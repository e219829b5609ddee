/** Scales v to unit length in place; a zero vector stays zero (it is similar to nothing). */
export function normaliseInPlace<T extends { length: number; [i: number]: number }>(v: T): T {
  let sumOfSquares = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    sumOfSquares += x * x;
  }
  if (sumOfSquares === 0) return v;
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < v.length; i++) v[i]! *= scale;
  return v;
}

/** A unit-length copy of v as float64. */
export const normalised = (v: readonly number[]): Float64Array => normaliseInPlace(Float64Array.from(v));
