#!/usr/bin/env node
// Reclaim's JavaScript hashes from the command line, so tests compare them with Python without a browser.
//   node hash-cli.mjs pdq WIDTH HEIGHT [FILE]   raw 8-bit RGB (WIDTH x HEIGHT x 3 bytes) from FILE or stdin
//                                               -> {"pdq": "<64 hex>", "quality": N}
//   node hash-cli.mjs pdq W H FILE W H FILE...  several files in one run (Node's start is most of a small
//                                               one's time): one line each, in order
//   node hash-cli.mjs md5 [FILE]                any bytes -> {"md5": "<32 hex>"}
// One JSON line on stdout per input; bad arguments or a short input exit 2 with one line on stderr.
import { readFileSync } from "node:fs";
import { md5 } from "./md5.js";
import { pdq } from "./pdq.js";

const USAGE = "usage: node hash-cli.mjs pdq WIDTH HEIGHT [FILE] | md5 [FILE] (stdin without FILE)";

function fail(message) {
  process.stderr.write(`${message}\n`);
  return 2;
}

function main([command, ...args]) {
  if (command === "md5" && args.length <= 1) {
    process.stdout.write(JSON.stringify({ md5: md5(readFileSync(args[0] ?? 0)) }) + "\n");
    return 0;
  }
  if (command !== "pdq" || args.length < 2 || (args.length > 3 && args.length % 3 !== 0)) return fail(USAGE);
  for (let at = 0; at < args.length; at += 3) {
    const code = printPdq(args[at], args[at + 1], args[at + 2]);
    if (code !== 0) return code;
  }
  return 0;
}

function printPdq(widthArg, heightArg, file) {
  const width = Number.parseInt(widthArg, 10);
  const height = Number.parseInt(heightArg, 10);
  if (!(width > 0 && height > 0)) return fail(`bad size ${widthArg}x${heightArg}: ${USAGE}`);
  const pixels = readFileSync(file ?? 0);
  if (pixels.length !== width * height * 3) {
    return fail(`${file ?? "stdin"}: expected ${width * height * 3} bytes of RGB for ${width}x${height}, got ${pixels.length}`);
  }
  const { hash, quality } = pdq(pixels, width, height, 3);
  process.stdout.write(JSON.stringify({ pdq: hash, quality }) + "\n");
  return 0;
}

process.exitCode = main(process.argv.slice(2));
