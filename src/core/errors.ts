/**
 * A typed, user-facing error. `code` is stable (tests and UI switch on it); `message` says what is wrong
 * and `where` (when known) says where: a byte offset, a node, a tensor, a file.
 */
export type ModelErrorCode =
  | 'empty-file'
  | 'too-large'
  | 'wrong-format'
  | 'truncated'
  | 'not-onnx'
  | 'corrupt'
  | 'missing-external-data'
  | 'bad-external-data'
  | 'invalid-graph'
  | 'fetch-failed'
  | 'unsupported';

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly where?: string;
  constructor(code: ModelErrorCode, message: string, where?: string) {
    super(message);
    this.name = 'ModelError';
    this.code = code;
    this.where = where;
  }
}

export function isModelError(e: unknown): e is ModelError {
  return e instanceof ModelError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'ModelError');
}

/** Plain-object form that survives postMessage (class identity does not). */
export interface SerializedError {
  name: string;
  code?: ModelErrorCode;
  message: string;
  where?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (isModelError(e)) return { name: 'ModelError', code: e.code, message: e.message, where: e.where };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

export function deserializeError(s: SerializedError): Error {
  if (s.name === 'ModelError' && s.code) return new ModelError(s.code, s.message, s.where);
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}
