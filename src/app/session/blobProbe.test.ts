import { IDBFactory as FakeFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { indexedDbTakesBlobs } from './sessionDb.js';

/**
 * A database that fails every write of a Blob as WebKit without a disk database does: put() returns,
 * then the request and the transaction report an error (UnknownError). Everything else is fake-indexeddb.
 */
function refusingBlobs(): IDBFactory {
  const f = new FakeFactory();
  const open = f.open.bind(f);
  f.open = (name: string, version?: number) => {
    const r = open(name, version);
    r.addEventListener('success', () => {
      const db = r.result;
      const transaction = db.transaction.bind(db) as (s: string | string[], m?: IDBTransactionMode) => IDBTransaction;
      db.transaction = ((stores: string | string[], mode?: IDBTransactionMode) => {
        const tx = transaction(stores, mode);
        const objectStore = tx.objectStore.bind(tx);
        tx.objectStore = (n: string) => {
          const store = objectStore(n);
          const put = store.put.bind(store);
          store.put = (value: unknown, key?: IDBValidKey) => {
            if (!(value instanceof Blob)) return put(value, key);
            tx.abort();
            return put(0, key);
          };
          return store;
        };
        return tx;
      }) as typeof db.transaction;
    });
    return r;
  };
  return f;
}

describe('indexedDbTakesBlobs', () => {
  it('answers true where the database stores Blobs, and asks once per factory', async () => {
    const f = new FakeFactory();
    const first = indexedDbTakesBlobs(f);
    expect(await first).toBe(true);
    expect(indexedDbTakesBlobs(f)).toBe(first);
  });

  it('answers false, without hanging, where the database refuses a Blob (as WebKit without a disk database does)', async () => {
    expect(await indexedDbTakesBlobs(refusingBlobs())).toBe(false);
  });
});
