// nock 15 (@mswjs/interceptors) calls Promise.withResolvers, which Node 20 lacks (it came in Node 22).
// A shared vitest setup file should carry this; until then each nock test file imports it first.
const P = Promise as unknown as { withResolvers?: () => unknown };
if (typeof P.withResolvers !== "function") {
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
