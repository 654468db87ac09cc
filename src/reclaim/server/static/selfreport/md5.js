// MD5 (RFC 1321), written for Reclaim: WebCrypto has no MD5, and hash lists (StopNCII, HMA) still exchange it.
// Incremental, so a large video is hashed in slices without holding two copies. Plain ES module, no dependencies.

const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

export class MD5 {
  constructor() {
    this.state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
    this.block = new Uint8Array(64);
    this.view = new DataView(this.block.buffer);
    this.words = new Int32Array(16);
    this.filled = 0;
    this.length = 0; // bytes so far
  }

  /** Add bytes (a Uint8Array or ArrayBuffer); returns this. Whole blocks are read in place, not copied. */
  update(data) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    let at = 0;
    this.length += bytes.length;
    if (this.filled > 0) {
      const take = Math.min(64 - this.filled, bytes.length);
      this.block.set(bytes.subarray(0, take), this.filled);
      this.filled += take;
      at = take;
      if (this.filled < 64) return this;
      this.compress(this.block, 0);
      this.filled = 0;
    }
    for (; at + 64 <= bytes.length; at += 64) this.compress(bytes, at);
    this.block.set(bytes.subarray(at), 0);
    this.filled = bytes.length - at;
    return this;
  }

  /** The digest as 32 lowercase hex digits; the object is spent afterwards. */
  hex() {
    const bits = this.length * 8;
    this.update(Uint8Array.of(0x80));
    while (this.filled !== 56) this.update(Uint8Array.of(0));
    this.view.setUint32(56, bits >>> 0, true);
    this.view.setUint32(60, Math.floor(bits / 2 ** 32), true);
    this.compress(this.block, 0);
    let out = "";
    const words = new DataView(this.state.buffer);
    for (let i = 0; i < 16; i++) out += words.getUint8(i).toString(16).padStart(2, "0");
    return out;
  }

  compress(bytes, offset) {
    const m = this.words;
    for (let i = 0, o = offset; i < 16; i++, o += 4) {
      m[i] = bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24);
    }
    let [a, b, c, d] = this.state;
    for (let i = 0; i < 64; i++) {
      let f;
      let g;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + K[i] + m[g]) | 0;
      const s = SHIFTS[(i >> 4) * 4 + (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    this.state[0] += a;
    this.state[1] += b;
    this.state[2] += c;
    this.state[3] += d;
  }
}

/** MD5 of one buffer, as hex. */
export function md5(data) {
  return new MD5().update(data).hex();
}
