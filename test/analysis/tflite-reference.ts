/**
 * A reference reading of a TFLite graph for the converter's test: every op computed as TFLite
 * defines it, in TFLite's own NHWC layout, in float64, with naive loops and its own flatbuffer
 * reader (nothing shared with models/tflite-to-onnx.ts). Slow (about a second for the full-range
 * model on 192x192) and only for the ops that model uses.
 */
export function runTfliteReference(model: Uint8Array, image: Float32Array): Float64Array[] {
  const dv = new DataView(model.buffer, model.byteOffset, model.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const i32 = (o: number): number => dv.getInt32(o, true);
  type Table = { pos: number; vt: number } | undefined;
  const table = (pos: number): Table => ({ pos, vt: pos - i32(pos) });
  const field = (t: Table, i: number): number => {
    if (!t) return 0;
    const off = 4 + 2 * i;
    return off < dv.getUint16(t.vt, true) ? dv.getUint16(t.vt + off, true) : 0;
  };
  const ref = (t: Table, i: number): number => {
    const f = field(t, i);
    return f && t ? t.pos + f + u32(t.pos + f) : 0;
  };
  const vec = (p: number): { len: number; start: number } => (p ? { len: u32(p), start: p + 4 } : { len: 0, start: 0 });
  const at = (p: number): Table => table(p + u32(p));
  const tablesOf = (p: number): Table[] => {
    const v = vec(p);
    return Array.from({ length: v.len }, (_, k) => at(v.start + 4 * k));
  };
  const scalar = (t: Table, i: number, get: (o: number) => number, d = 0): number => {
    const f = field(t, i);
    return f && t ? get(t.pos + f) : d;
  };
  const int8 = (o: number): number => dv.getInt8(o);
  const ints = (p: number): number[] => {
    const v = vec(p);
    return Array.from({ length: v.len }, (_, k) => i32(v.start + 4 * k));
  };
  const half = (h: number): number => {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 31;
    const f = h & 1023;
    return e === 0 ? (s * 2 ** -14 * f) / 1024 : e === 31 ? NaN : s * 2 ** (e - 15) * (1 + f / 1024);
  };

  const root = table(u32(0));
  const codes = tablesOf(ref(root, 1)).map((t) => Math.max(scalar(t, 0, int8), scalar(t, 3, i32)));
  const buffers = tablesOf(ref(root, 4)).map((t) => {
    const v = vec(ref(t, 0));
    return new DataView(model.buffer, model.byteOffset + v.start, v.len);
  });
  const graph = tablesOf(ref(root, 2))[0];
  const tensors = tablesOf(ref(graph, 0)).map((t) => {
    const shape = ints(ref(t, 0));
    const type = scalar(t, 1, int8);
    const data = buffers[scalar(t, 2, u32)];
    const n = shape.reduce((a, b) => a * b, 1);
    let val: Float64Array | undefined;
    if (data && data.byteLength) {
      val = Float64Array.from({ length: n }, (_, i) =>
        type === 1
          ? half(data.getUint16(2 * i, true))
          : type === 0
            ? data.getFloat32(4 * i, true)
            : data.getInt32(4 * i, true),
      );
    }
    return { shape, val };
  });
  tensors[ints(ref(graph, 1))[0]!]!.val = Float64Array.from(image);
  // TensorFlow's SAME padding: the padding before, and the output size.
  const same = (n: number, k: number, s: number): [number, number] => {
    const out = Math.ceil(n / s);
    return [Math.floor(Math.max((out - 1) * s + k - n, 0) / 2), out];
  };
  const act = (x: Float64Array, f: number): Float64Array =>
    f === 1 ? x.map((v) => Math.max(0, v)) : f === 3 ? x.map((v) => Math.min(6, Math.max(0, v))) : x;

  for (const op of tablesOf(ref(graph, 3))) {
    const code = codes[scalar(op, 0, u32)]!;
    const ins = ints(ref(op, 1));
    const out = tensors[ints(ref(op, 2))[0]!]!;
    const optField = field(op, 4);
    const opt = optField && op ? at(op.pos + optField) : undefined;
    const x = tensors[ins[0]!]!;
    const X = x.val!;
    const [, H, W, C] = x.shape as [number, number, number, number];
    const option = (i: number, d = 0): number => scalar(opt, i, i32, d);
    const flag = (i: number): number => scalar(opt, i, int8);
    if (code === 6 || code === 22) {
      // DEQUANTIZE of float16 constants (already read as numbers); RESHAPE keeps NHWC order.
      out.val = X;
    } else if (code === 3 || code === 4) {
      const depthwise = code === 4;
      const w = tensors[ins[1]!]!;
      const Wv = w.val!;
      const B = (ins[2] ?? -1) >= 0 ? tensors[ins[2]!]!.val! : undefined;
      const [, kh, kw] = w.shape as [number, number, number];
      const OC = depthwise ? w.shape[3]! : w.shape[0]!;
      const M = OC / C;
      const isSame = flag(0) === 0;
      const [sw, sh] = [option(1, 1), option(2, 1)];
      const [pt, OH] = isSame ? same(H, kh, sh) : [0, Math.floor((H - kh) / sh) + 1];
      const [pl, OW] = isSame ? same(W, kw, sw) : [0, Math.floor((W - kw) / sw) + 1];
      const y = new Float64Array(OH * OW * OC);
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++)
          for (let o = 0; o < OC; o++) {
            let s = B ? B[o]! : 0;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh + ky - pt;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw + kx - pl;
                if (ix < 0 || ix >= W) continue;
                const base = (iy * W + ix) * C;
                if (depthwise) s += X[base + Math.floor(o / M)]! * Wv[(ky * kw + kx) * OC + o]!;
                else {
                  const wb = ((o * kh + ky) * kw + kx) * C;
                  for (let i = 0; i < C; i++) s += X[base + i]! * Wv[wb + i]!;
                }
              }
            }
            y[(oy * OW + ox) * OC + o] = s;
          }
      out.val = act(y, flag(depthwise ? 4 : 3));
    } else if (code === 19) {
      out.val = act(X, 1);
    } else if (code === 0) {
      const Y = tensors[ins[1]!]!.val!;
      out.val = act(
        X.map((v, i) => v + Y[i]!),
        flag(0),
      );
    } else if (code === 34) {
      const p = tensors[ins[1]!]!.val!;
      const [OH, OW, OC] = [H + p[2]! + p[3]!, W + p[4]! + p[5]!, C + p[6]! + p[7]!];
      const y = new Float64Array(OH * OW * OC);
      for (let iy = 0; iy < H; iy++)
        for (let ix = 0; ix < W; ix++)
          for (let c = 0; c < C; c++) y[((iy + p[2]!) * OW + ix + p[4]!) * OC + c + p[6]!] = X[(iy * W + ix) * C + c]!;
      out.val = y;
    } else if (code === 17) {
      const isSame = flag(0) === 0;
      const [sw, sh, fw, fh] = [option(1, 1), option(2, 1), option(3), option(4)];
      const [pt, OH] = isSame ? same(H, fh, sh) : [0, Math.floor((H - fh) / sh) + 1];
      const [pl, OW] = isSame ? same(W, fw, sw) : [0, Math.floor((W - fw) / sw) + 1];
      const y = new Float64Array(OH * OW * C);
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++)
          for (let c = 0; c < C; c++) {
            let m = -Infinity;
            for (let ky = 0; ky < fh; ky++)
              for (let kx = 0; kx < fw; kx++) {
                const iy = oy * sh + ky - pt;
                const ix = ox * sw + kx - pl;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) m = Math.max(m, X[(iy * W + ix) * C + c]!);
              }
            y[(oy * OW + ox) * C + c] = m;
          }
      out.val = y;
    } else if (code === 23) {
      const size = tensors[ins[1]!]!.val!;
      const [OH, OW] = [size[0]!, size[1]!];
      const alignCorners = flag(2) !== 0;
      const halfPixel = flag(3) !== 0;
      // TensorFlow's source coordinate of an output pixel, clamped at the low edge.
      const src = (o: number, n: number, N: number): number =>
        alignCorners && N > 1
          ? (o * (n - 1)) / (N - 1)
          : halfPixel
            ? Math.max(0, ((o + 0.5) * n) / N - 0.5)
            : (o * n) / N;
      const y = new Float64Array(OH * OW * C);
      for (let oy = 0; oy < OH; oy++) {
        const sy = src(oy, H, OH);
        const [y0, fy] = [Math.floor(sy), sy - Math.floor(sy)];
        const y1 = Math.min(y0 + 1, H - 1);
        for (let ox = 0; ox < OW; ox++) {
          const sx = src(ox, W, OW);
          const [x0, fx] = [Math.floor(sx), sx - Math.floor(sx)];
          const x1 = Math.min(x0 + 1, W - 1);
          for (let c = 0; c < C; c++) {
            const g = (yy: number, xx: number): number => X[(yy * W + xx) * C + c]!;
            y[(oy * OW + ox) * C + c] =
              (g(y0, x0) * (1 - fx) + g(y0, x1) * fx) * (1 - fy) + (g(y1, x0) * (1 - fx) + g(y1, x1) * fx) * fy;
          }
        }
      }
      out.val = y;
    } else throw new Error(`the reference does not compute TFLite op ${code}`);
  }
  return ints(ref(graph, 2)).map((o) => tensors[o]!.val!);
}
