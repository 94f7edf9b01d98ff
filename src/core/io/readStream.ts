/** Read a byte stream of known (or unknown) length into one buffer, reporting progress. */
export type Progress = (done: number, total: number | undefined, stage: string) => void;

export async function readAll(
  stream: ReadableStream<Uint8Array>,
  total: number | undefined,
  onProgress?: Progress,
  stage = 'Reading',
  signal?: { aborted: boolean },
): Promise<Uint8Array> {
  const reader = stream.getReader();
  let buf = new Uint8Array(total && total > 0 ? total : 1 << 20);
  let len = 0;
  let lastReport = 0;
  for (;;) {
    if (signal?.aborted) {
      await reader.cancel();
      throw new DOMException('Cancelled', 'AbortError');
    }
    const { done, value } = await reader.read();
    if (done) break;
    if (len + value.length > buf.length) {
      const next = new Uint8Array(Math.max(buf.length * 2, len + value.length));
      next.set(buf.subarray(0, len));
      buf = next;
    }
    buf.set(value, len);
    len += value.length;
    if (onProgress && len - lastReport > 1 << 20) {
      lastReport = len;
      onProgress(len, total, stage);
    }
  }
  onProgress?.(len, total, stage);
  return len === buf.length ? buf : buf.subarray(0, len);
}
