/**
 * The rounding modes shared by Quant, Trunc and FloatQuant (QONNX.md, "Rounding modes").
 *
 * Every function takes a float32 value (a JS number that is exactly a float32) and returns the
 * float32 result numpy would give for a float32 array. Intermediate sums that numpy does in float32
 * (`|x| + 0.5` in HALF_UP, `|x| - 0.5` in HALF_DOWN) are rounded with Math.fround, so e.g.
 * HALF_UP(0.49999997) is 1 exactly as in numpy (0.49999997 + 0.5 rounds up to 1 in float32).
 * Signed zeros follow numpy: ROUND(-0.4) = -0, FLOOR/CEIL/DOWN keep the sign, UP(-0) = +0.
 */

export const ROUNDING_MODES = ['ROUND', 'HALF_EVEN', 'CEIL', 'FLOOR', 'UP', 'DOWN', 'HALF_UP', 'HALF_DOWN'] as const;
export type RoundingMode = (typeof ROUNDING_MODES)[number];

export type RoundingFn = (x: number) => number;

const f32 = Math.fround;

/** numpy.sign: +1, -1, 0 for either zero, NaN for NaN. */
function npSign(x: number): number {
  if (x > 0) return 1;
  if (x < 0) return -1;
  return x === 0 ? 0 : NaN;
}

/** Round half to even (numpy.round / numpy.rint). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x); // halves go toward +infinity
  // r - x is exact here: both are doubles less than one apart.
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

function roundUp(x: number): number {
  return npSign(x) * Math.ceil(Math.abs(x));
}

function roundHalfUp(x: number): number {
  return npSign(x) * Math.floor(f32(Math.abs(x) + 0.5));
}

function roundHalfDown(x: number): number {
  return npSign(x) * Math.ceil(f32(Math.abs(x) - 0.5));
}

const FNS: Record<RoundingMode, RoundingFn> = {
  ROUND: roundHalfEven,
  HALF_EVEN: roundHalfEven,
  CEIL: Math.ceil,
  FLOOR: Math.floor,
  UP: roundUp,
  DOWN: Math.trunc,
  HALF_UP: roundHalfUp,
  HALF_DOWN: roundHalfDown,
};

/** Canonical (upper-case) name of a rounding mode; throws for anything that is not one. */
export function parseRoundingMode(mode: string): RoundingMode {
  const m = String(mode).toUpperCase();
  if ((ROUNDING_MODES as readonly string[]).includes(m)) return m as RoundingMode;
  throw new Error(`Unknown rounding mode '${mode}' (expected one of ${ROUNDING_MODES.join(', ')}; case does not matter)`);
}

/** The rounding function for a mode name (case-insensitive); throws for an unknown mode. */
export function roundingFunction(mode: string): RoundingFn {
  return FNS[parseRoundingMode(mode)];
}

/** Round one value with a named mode. */
export function roundWithMode(x: number, mode: string): number {
  return roundingFunction(mode)(x);
}
