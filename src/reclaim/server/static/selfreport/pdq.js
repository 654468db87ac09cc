// PDQ perceptual hash (Meta's algorithm, pdq/cpp in facebook/ThreatExchange), written for Reclaim in plain
// JavaScript: no dependencies, no build step; runs in a browser (ES module) and in Node (pdq-cli.mjs).
//
// Steps, as the reference: luminance (0.299 R + 0.587 G + 0.114 B) -> two passes of a Jarosz box filter
// (along rows, then columns) with a window of ceil(size / 128) -> decimate to 64x64 at the window centres ->
// quality from the 64x64 gradients -> the 16x16 low-frequency block of a 2D DCT -> each bit is "above the
// median". The last filter pass is computed only where the decimation samples it (the same numbers, less work).

const SIZE = 64;
const MIN_HASHABLE_DIM = 5;

// Rows 1..16 of the 64-point DCT-II matrix, scaled by sqrt(2/64), row-major (16 x 64).
const DCT = (() => {
  const matrix = new Float64Array(16 * SIZE);
  const scale = Math.sqrt(2 / SIZE);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < SIZE; j++) {
      matrix[i * SIZE + j] = scale * Math.cos((Math.PI / 2 / SIZE) * (i + 1) * (2 * j + 1));
    }
  }
  return matrix;
})();

/** The reference's window: (old + 2 * new - 1) / (2 * new), in integers. */
export function windowSize(oldSize, newSize) {
  return Math.floor((oldSize + 2 * newSize - 1) / (2 * newSize));
}

/** Luminance of every pixel; ``channels`` is 3 (RGB) or 4 (RGBA, alpha ignored). */
export function luma(pixels, width, height, channels) {
  const out = new Float32Array(width * height);
  for (let p = 0, q = 0; p < out.length; p++, q += channels) {
    out[p] = 0.299 * pixels[q] + 0.587 * pixels[q + 1] + 0.114 * pixels[q + 2];
  }
  return out;
}

// The reference's box filter of ``window`` over a vector of length n: output o is the mean of the inputs
// from o - (window - half) to o + half - 1, clipped to the vector, with half = floor((window + 2) / 2).
function windowBounds(window) {
  const half = Math.floor((window + 2) / 2);
  return [window - half, half - 1];
}

/** Box filter along every row, ``src`` -> ``dst`` (both height x width). */
function boxRows(src, dst, width, height, window) {
  const [before, after] = windowBounds(window);
  for (let r = 0; r < height; r++) {
    const base = r * width;
    let sum = 0;
    let lo = 0;
    let hi = -1; // the summed inputs are lo..hi
    for (let o = 0; o < width; o++) {
      const wantHi = Math.min(width - 1, o + after);
      const wantLo = Math.max(0, o - before);
      while (hi < wantHi) sum += src[base + ++hi];
      while (lo < wantLo) sum -= src[base + lo++];
      dst[base + o] = sum / (hi - lo + 1);
    }
  }
}

/** Box filter along every column, ``src`` -> ``dst``, one row of running sums at a time (cache-friendly). */
function boxCols(src, dst, width, height, window) {
  const [before, after] = windowBounds(window);
  const sums = new Float64Array(width);
  let lo = 0;
  let hi = -1;
  for (let o = 0; o < height; o++) {
    const wantHi = Math.min(height - 1, o + after);
    const wantLo = Math.max(0, o - before);
    while (hi < wantHi) {
      const base = ++hi * width;
      for (let c = 0; c < width; c++) sums[c] += src[base + c];
    }
    while (lo < wantLo) {
      const base = lo++ * width;
      for (let c = 0; c < width; c++) sums[c] -= src[base + c];
    }
    const count = hi - lo + 1;
    const out = o * width;
    for (let c = 0; c < width; c++) dst[out + c] = sums[c] / count;
  }
}

/** The clipped window [lo, hi] of the box filter's output ``o`` over a vector of length n. */
function windowAt(o, n, window) {
  const [before, after] = windowBounds(window);
  return [Math.max(0, o - before), Math.min(n - 1, o + after)];
}

/** Where the reference's decimation samples: floor((i + 0.5) * size / 64). */
function samples(size) {
  const at = new Int32Array(SIZE);
  for (let i = 0; i < SIZE; i++) at[i] = Math.floor(((i + 0.5) * size) / SIZE);
  return at;
}

/** Luma (height x width) -> the 64x64 blurred, decimated image (two Jarosz passes, as the reference). */
export function downsample(lumaBuffer, width, height) {
  if (width === SIZE && height === SIZE) return Float32Array.from(lumaBuffer);
  const alongRows = windowSize(width, SIZE);
  const alongCols = windowSize(height, SIZE);
  const scratch = new Float32Array(width * height);
  boxRows(lumaBuffer, scratch, width, height, alongRows); // pass 1
  boxCols(scratch, lumaBuffer, width, height, alongCols);
  const cols = samples(width);
  const rows = samples(height);
  const partial = new Float32Array(height * SIZE); // pass 2 along rows, only at the sampled columns
  const colWindows = Array.from(cols, (c) => windowAt(c, width, alongRows));
  for (let r = 0; r < height; r++) {
    const base = r * width;
    for (let j = 0; j < SIZE; j++) {
      const [lo, hi] = colWindows[j];
      let sum = 0;
      for (let k = base + lo; k <= base + hi; k++) sum += lumaBuffer[k];
      partial[r * SIZE + j] = sum / (hi - lo + 1);
    }
  }
  const out = new Float32Array(SIZE * SIZE); // pass 2 along columns, only at the sampled points
  for (let i = 0; i < SIZE; i++) {
    const [lo, hi] = windowAt(rows[i], height, alongCols);
    for (let j = 0; j < SIZE; j++) {
      let sum = 0;
      for (let k = lo; k <= hi; k++) sum += partial[k * SIZE + j];
      out[i * SIZE + j] = sum / (hi - lo + 1);
    }
  }
  return out;
}

/** The reference's quality: significant gradients of the 64x64 image, scaled to 0..100. */
export function quality(image) {
  let gradients = 0;
  for (let i = 0; i < SIZE - 1; i++) {
    for (let j = 0; j < SIZE; j++) {
      gradients += Math.abs(Math.trunc(Math.fround((image[i * SIZE + j] - image[(i + 1) * SIZE + j]) * 100) / 255));
    }
  }
  for (let i = 0; i < SIZE; i++) {
    for (let j = 0; j < SIZE - 1; j++) {
      gradients += Math.abs(Math.trunc(Math.fround((image[i * SIZE + j] - image[i * SIZE + j + 1]) * 100) / 255));
    }
  }
  return Math.min(100, Math.floor(gradients / 90));
}

/** D A D^T, keeping only the 16 x 16 lowest frequencies after DC. */
export function dct16(image) {
  const t = new Float64Array(16 * SIZE);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < SIZE; j++) {
      let sum = 0;
      for (let k = 0; k < SIZE; k++) sum += DCT[i * SIZE + k] * image[k * SIZE + j];
      t[i * SIZE + j] = sum;
    }
  }
  const out = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let k = 0; k < SIZE; k++) sum += t[i * SIZE + k] * DCT[j * SIZE + k];
      out[i * 16 + j] = sum;
    }
  }
  return out;
}

/** Bit k (k = 16 i + j) is set when coefficient (i, j) is above the median; hex as the reference prints it
 * (bit 255 first, so the string is the 256-bit number whose bit k is coefficient k's). */
export function toHex(coefficients) {
  const median = Float32Array.from(coefficients).sort()[127];
  let hex = "";
  for (let k = 252; k >= 0; k -= 4) {
    let nibble = 0;
    for (let b = 3; b >= 0; b--) nibble = (nibble << 1) | (coefficients[k + b] > median ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

/**
 * PDQ of decoded pixels: ``pixels`` is a Uint8Array or Uint8ClampedArray of width x height pixels with
 * ``channels`` bytes each (3: RGB; 4: RGBA as canvas ImageData gives it). Returns {hash: 64 hex digits, quality}.
 * Images smaller than 5 pixels on a side get the reference's all-zero hash with quality 0.
 */
export function pdq(pixels, width, height, channels = 4) {
  if (!(width > 0 && height > 0) || pixels.length < width * height * channels) {
    throw new Error(`pdq: ${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${pixels.length}`);
  }
  if (width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM) return { hash: "0".repeat(64), quality: 0 };
  const image = downsample(luma(pixels, width, height, channels), width, height);
  return { hash: toHex(dct16(image)), quality: quality(image) };
}
