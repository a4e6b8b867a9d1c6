// The CPU cost of one password hash at Better Auth 1.7.25's defaults (@better-auth/utils
// password, Node build: node:crypto scrypt N=16384 r=16 p=1 dkLen=64, maxmem 64 MiB), hashed
// one at a time. Prints {"cpu_ms", "wall_ms"}: medians over 12 hashes after one warm-up;
// CPU from process.cpuUsage(), which counts libuv's pool threads too.
import { scrypt, randomBytes } from "node:crypto";
import { promisify } from "node:util";

const hash = promisify(scrypt);
const opts = { N: 16384, r: 16, p: 1, maxmem: 128 * 16384 * 16 * 2 };
const cpu = [], wall = [];
for (let i = 0; i < 13; i++) {
  const salt = randomBytes(16).toString("hex");
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  await hash("correct horse battery".normalize("NFKC"), salt, 64, opts);
  const c = process.cpuUsage(c0);
  if (i > 0) {
    cpu.push((c.user + c.system) / 1e3);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const med = (v) => v.sort((a, b) => a - b)[v.length >> 1];
console.log(JSON.stringify({ cpu_ms: +med(cpu).toFixed(2), wall_ms: +med(wall).toFixed(2), hashes: cpu.length }));
