// nock 15 intercepts through @mswjs/interceptors, which calls Promise.withResolvers
// (Node >= 22); the project runs on Node 20. Import this before making intercepted calls.
const P = Promise as unknown as { withResolvers?: () => unknown };
if (typeof P.withResolvers !== "function") {
  P.withResolvers = function withResolvers() {
    let resolve: unknown;
    let reject: unknown;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
