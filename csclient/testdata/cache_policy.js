// Independent reading of an answer's caching fields, for csclient's tests.
//
// usage: node cache_policy.js MODULE BASE N
//
// MODULE is the installed http-cache-semantics package (its directory). For
// i in 0..N-1 the script GETs BASE/i with Node's own HTTP client (which
// combines repeated Cache-Control field lines as RFC 9110 §5.3 says), asks
// http-cache-semantics, as a private cache, whether the answer may be stored
// and for how long it is fresh, and prints one JSON line per answer:
// {"storable": bool, "fresh": seconds}.
"use strict";
const http = require("http");
const CachePolicy = require(process.argv[2]);
const base = process.argv[3];
const n = Number(process.argv[4]);

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      res.on("end", () => resolve(res));
    }).on("error", reject);
  });
}

(async () => {
  for (let i = 0; i < n; i++) {
    const res = await get(base + "/" + i);
    const policy = new CachePolicy(
      { method: "GET", url: "/" + i, headers: {} },
      { status: res.statusCode, headers: res.headers },
      { shared: false },
    );
    // Whole seconds: the time the answer spent in this script is not
    // part of what is compared.
    const fresh = Math.max(0, policy.maxAge() - Math.round(policy.age()));
    console.log(JSON.stringify({ storable: policy.storable(), fresh: fresh }));
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
