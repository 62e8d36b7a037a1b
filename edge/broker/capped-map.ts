/**
 * A Map that holds at most `capacity` entries: adding a new key to a full map forgets the oldest
 * one. For bookkeeping keyed by what a client chooses or brings (a source address, a device id),
 * so that no number of distinct keys can grow the broker's memory.
 */
export class CappedMap<K, V> extends Map<K, V> {
  readonly capacity: number;

  constructor(capacity: number) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.capacity) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
