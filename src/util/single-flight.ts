// One call in flight per key. Two ways to meet a call already running:
// - join it (`run`): concurrent scrapes share one collection, the way Go's
//   golang.org/x/sync/singleflight shares one result among its callers;
// - refuse (`start` returns undefined): a collector still hanging from an earlier scrape (a
//   stuck NFS statfs, a hung Docker engine) is not started again on top of itself.
// The key is forgotten as soon as the call settles, so nothing is kept between calls.
export class SingleFlight<K, T> {
  private readonly calls = new Map<K, Promise<T>>();

  /** The call in flight for `key`, or a new one from `fn`. */
  run(key: K, fn: () => Promise<T>): Promise<T> {
    return this.calls.get(key) ?? this.begin(key, fn);
  }

  /** A new call from `fn`, or undefined while one for `key` is still in flight. */
  start(key: K, fn: () => Promise<T>): Promise<T> | undefined {
    return this.calls.has(key) ? undefined : this.begin(key, fn);
  }

  /** Whether a call for `key` is in flight. */
  has(key: K): boolean {
    return this.calls.has(key);
  }

  private begin(key: K, fn: () => Promise<T>): Promise<T> {
    // fn starts at once; a synchronous throw becomes a rejection like any other.
    let call: Promise<T>;
    try {
      call = fn();
    } catch (err) {
      call = Promise.reject(err);
    }
    this.calls.set(key, call);
    const forget = () => {
      if (this.calls.get(key) === call) this.calls.delete(key);
    };
    call.then(forget, forget);
    return call;
  }
}
