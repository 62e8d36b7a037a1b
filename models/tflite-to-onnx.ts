import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;

/**
 * A TFLite to ONNX converter for the small float convolutional detectors MediaPipe ships (the
 * full-range BlazeFace of @mediapipe/face_detection): onnxruntime cannot read TFLite, and no
 * Python converter can be installed on the appliance or its build machines. It reads the TFLite
 * flatbuffer directly and writes an ONNX graph in memory with onnx-proto.
 *
 * Covered: DEQUANTIZE of constant float16 weights (folded into float32 initialisers), CONV_2D,
 * DEPTHWISE_CONV_2D (with their fused RELU / RELU6), RELU, RELU6, ADD, PAD, MAX_POOL_2D,
 * RESIZE_BILINEAR and a final RESHAPE; anything else is refused with the op's name.
 * Layout: TFLite is NHWC, ONNX's Conv is NCHW. The input gets one Transpose, convolution weights
 * are reordered (OHWI to OIHW; depthwise [1, H, W, C·M] to [C·M, 1, H, W], group C), and a tensor
 * is transposed back to NHWC only before a RESHAPE, so the flattened anchor order is TFLite's.
 * TFLite's SAME padding is made explicit (the odd pixel goes bottom and right, as TensorFlow does).
 *
 * With `dynamic`, the input becomes [batch, height, width, C] and the reshapes [batch, -1, n]:
 * the explicit paddings stay right for any size that keeps each stride-2 input even, i.e. a
 * multiple of the network's total stride (`sizeMultiple` in the result).
 */
export interface TfliteToOnnxOptions {
  dynamic?: boolean;
}

export interface ConvertedModel {
  bytes: Uint8Array;
  inputName: string;
  outputNames: string[];
  /** Height and width must be multiples of this (the product of the strides on the way down). */
  sizeMultiple: number;
  /** Op counts of the TFLite graph, by name. */
  ops: Record<string, number>;
}

const OPS: Record<number, string> = {
  0: 'ADD',
  3: 'CONV_2D',
  4: 'DEPTHWISE_CONV_2D',
  6: 'DEQUANTIZE',
  17: 'MAX_POOL_2D',
  19: 'RELU',
  21: 'RELU6',
  22: 'RESHAPE',
  23: 'RESIZE_BILINEAR',
  34: 'PAD',
};

/** A minimal reader of the flatbuffer tables this converter needs (TFLite's schema, field by index). */
class Flat {
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u32 = (o: number): number => this.dv.getUint32(o, true);
  i32 = (o: number): number => this.dv.getInt32(o, true);
  root(): number {
    return this.u32(0);
  }
  /** Byte offset of field `i` of the table at `t`, or 0 if absent. */
  field(t: number, i: number): number {
    if (t === 0) return 0; // an absent table (an op without options)
    const vt = t - this.i32(t);
    const vlen = this.dv.getUint16(vt, true);
    const at = 4 + 2 * i;
    if (at >= vlen) return 0;
    const f = this.dv.getUint16(vt + at, true);
    return f ? t + f : 0;
  }
  ref(t: number, i: number): number {
    const f = this.field(t, i);
    return f ? f + this.u32(f) : 0;
  }
  vec(p: number): { len: number; start: number } {
    return p ? { len: this.u32(p), start: p + 4 } : { len: 0, start: 0 };
  }
  tables(t: number, i: number): number[] {
    const v = this.vec(this.ref(t, i));
    return Array.from({ length: v.len }, (_, k) => {
      const p = v.start + 4 * k;
      return p + this.u32(p);
    });
  }
  ints(t: number, i: number): number[] {
    const v = this.vec(this.ref(t, i));
    return Array.from({ length: v.len }, (_, k) => this.i32(v.start + 4 * k));
  }
  bytes(t: number, i: number): Uint8Array {
    const v = this.vec(this.ref(t, i));
    return this.b.subarray(v.start, v.start + v.len);
  }
  str(t: number, i: number): string {
    return Buffer.from(this.bytes(t, i)).toString('utf8');
  }
  int(t: number, i: number, d = 0): number {
    const f = this.field(t, i);
    return f ? this.i32(f) : d;
  }
  byte(t: number, i: number, d = 0): number {
    const f = this.field(t, i);
    return f ? this.dv.getInt8(f) : d;
  }
  bool(t: number, i: number): boolean {
    const f = this.field(t, i);
    return f ? this.dv.getUint8(f) !== 0 : false;
  }
}

interface TTensor {
  shape: number[];
  type: number;
  name: string;
  data: Uint8Array;
}

interface Constant {
  shape: number[];
  values: Float32Array | Int32Array;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function constantOf(t: TTensor): Constant | undefined {
  if (t.data.length === 0) return undefined;
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.type === 0)
    return { shape: t.shape, values: Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true)) };
  if (t.type === 1)
    return {
      shape: t.shape,
      values: Float32Array.from({ length: n }, (_, i) => halfToFloat(dv.getUint16(2 * i, true))),
    };
  if (t.type === 2)
    return { shape: t.shape, values: Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true)) };
  throw new Error(`tensor ${t.name}: constant of TFLite type ${t.type} is not supported`);
}

/** TensorFlow's SAME padding of one axis: [before, after], the odd pixel after. */
function samePads(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function floatTensor(name: string, dims: number[], values: Float32Array): ITensor {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

function int64Tensor(name: string, values: number[]): ITensor {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), i * 8));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: b };
}

const attrInts = (name: string, ints: number[]): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints,
});
const attrInt = (name: string, i: number): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i,
});
const attrString = (name: string, s: string): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.STRING,
  s: Buffer.from(s),
});
const attrFloat = (name: string, f: number): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.FLOAT,
  f,
});

export function tfliteToOnnx(tflite: Uint8Array, options: TfliteToOnnxOptions = {}): ConvertedModel {
  const fb = new Flat(tflite);
  if (Buffer.from(tflite.subarray(4, 8)).toString('latin1') !== 'TFL3')
    throw new Error('not a TFLite model (no TFL3 mark)');
  const model = fb.root();
  const opcodes = fb.tables(model, 1).map((t) => Math.max(fb.byte(t, 0), fb.int(t, 3)));
  const buffers = fb.tables(model, 4).map((t) => fb.bytes(t, 0));
  const subgraphs = fb.tables(model, 2);
  if (subgraphs.length !== 1) throw new Error(`expected one subgraph, found ${subgraphs.length}`);
  const sg = subgraphs[0]!;
  const tensors: TTensor[] = fb.tables(sg, 0).map((t) => ({
    shape: fb.ints(t, 0),
    type: fb.byte(t, 1),
    name: fb.str(t, 3),
    data: buffers[fb.int(t, 2)] ?? new Uint8Array(),
  }));
  const inputs = fb.ints(sg, 1);
  const outputs = fb.ints(sg, 2);
  if (inputs.length !== 1) throw new Error(`expected one input, found ${inputs.length}`);

  const nodes: INode[] = [];
  const initializers: ITensor[] = [];
  const constants = new Map<number, Constant>();
  /** ONNX name of each activation tensor; 4-d ones are NCHW. */
  const names = new Map<number, string>();
  const ops: Record<string, number> = {};
  let sizeMultiple = 1;
  let downStride = 1;
  const strideAt = new Map<number, number>();
  tensors.forEach((t, i) => {
    const c = constantOf(t);
    if (c) constants.set(i, c);
  });

  const inIdx = inputs[0]!;
  const input = tensors[inIdx]!;
  if (input.shape.length !== 4) throw new Error('expected an NHWC image input');
  const inputName = input.name;
  names.set(inIdx, `${inputName}/nchw`);
  strideAt.set(inIdx, 1);
  nodes.push({
    opType: 'Transpose',
    input: [inputName],
    output: [`${inputName}/nchw`],
    name: `${inputName}/to_nchw`,
    attribute: [attrInts('perm', [0, 3, 1, 2])],
  });

  const nameOf = (i: number): string => {
    const n = names.get(i);
    if (n === undefined) throw new Error(`tensor ${tensors[i]?.name ?? i} is used before it is made`);
    return n;
  };
  const activation = (out: string, fused: number, node: INode): void => {
    // TFLite's ActivationFunctionType: 0 NONE, 1 RELU, 3 RELU6.
    if (fused === 0) {
      node.output = [out];
      nodes.push(node);
      return;
    }
    node.output = [`${out}/pre_act`];
    nodes.push(node);
    if (fused === 1) nodes.push({ opType: 'Relu', input: [`${out}/pre_act`], output: [out], name: `${out}/relu` });
    else if (fused === 3)
      nodes.push({
        opType: 'Clip',
        input: [`${out}/pre_act`, addScalar(`${out}/zero`, 0), addScalar(`${out}/six`, 6)],
        output: [out],
        name: `${out}/relu6`,
      });
    else throw new Error(`fused activation ${fused} is not supported`);
  };
  const addScalar = (name: string, v: number): string => {
    initializers.push(floatTensor(name, [], Float32Array.of(v)));
    return name;
  };

  for (const [k, op] of fb.tables(sg, 3).entries()) {
    const code = opcodes[fb.int(op, 0)]!;
    const kind = OPS[code];
    if (!kind) throw new Error(`op ${k}: TFLite builtin ${code} is not supported`);
    ops[kind] = (ops[kind] ?? 0) + 1;
    const ins = fb.ints(op, 1);
    const outs = fb.ints(op, 2);
    const opt = fb.ref(op, 4);
    const outIdx = outs[0]!;
    const out = tensors[outIdx]!;
    const outName = `${out.name}#${outIdx}`;
    const x = ins[0]!;
    const xShape = tensors[x]!.shape;
    const stride = (): number => strideAt.get(x) ?? 1;
    switch (kind) {
      case 'DEQUANTIZE': {
        const c = constants.get(x);
        if (!c) throw new Error(`op ${k}: DEQUANTIZE of a non-constant tensor is not supported`);
        constants.set(outIdx, { shape: c.shape, values: Float32Array.from(c.values) });
        continue;
      }
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const depthwise = kind === 'DEPTHWISE_CONV_2D';
        const w = constants.get(ins[1]!);
        if (!w) throw new Error(`op ${k}: the weights are not constant`);
        const [o, kh, kw, i] = w.shape as [number, number, number, number];
        const values = new Float32Array(w.values.length);
        let dims: number[];
        if (!depthwise) {
          // OHWI -> OIHW
          for (let a = 0; a < o; a++)
            for (let y = 0; y < kh; y++)
              for (let z = 0; z < kw; z++)
                for (let c = 0; c < i; c++)
                  values[((a * i + c) * kh + y) * kw + z] = w.values[((a * kh + y) * kw + z) * i + c]!;
          dims = [o, i, kh, kw];
        } else {
          // [1, H, W, C·M] -> [C·M, 1, H, W]
          for (let y = 0; y < kh; y++)
            for (let z = 0; z < kw; z++)
              for (let c = 0; c < i; c++) values[(c * kh + y) * kw + z] = w.values[(y * kw + z) * i + c]!;
          dims = [i, 1, kh, kw];
        }
        const wName = `${outName}/W`;
        initializers.push(floatTensor(wName, dims, values));
        const nodeIns = [nameOf(x), wName];
        const b = ins[2] ?? -1;
        if (b >= 0) {
          const bias = constants.get(b);
          if (!bias) throw new Error(`op ${k}: the bias is not constant`);
          initializers.push(floatTensor(`${outName}/B`, [bias.values.length], Float32Array.from(bias.values)));
          nodeIns.push(`${outName}/B`);
        }
        // Conv2DOptions: padding, stride_w, stride_h, fused_activation_function, dilation_w, dilation_h.
        // DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier, fused_activation_function,
        // dilation_w, dilation_h.
        const same = fb.byte(opt, 0) === 0;
        const sw = fb.int(opt, 1, 1);
        const sh = fb.int(opt, 2, 1);
        const fused = fb.byte(opt, depthwise ? 4 : 3);
        const dw = fb.int(opt, depthwise ? 5 : 4, 1);
        const dh = fb.int(opt, depthwise ? 6 : 5, 1);
        const ph = same ? samePads(xShape[1]!, kh, sh, dh) : [0, 0];
        const pw = same ? samePads(xShape[2]!, kw, sw, dw) : [0, 0];
        const attribute = [
          attrInts('kernel_shape', [kh, kw]),
          attrInts('strides', [sh, sw]),
          attrInts('dilations', [dh, dw]),
          attrInts('pads', [ph[0]!, pw[0]!, ph[1]!, pw[1]!]),
        ];
        if (depthwise) attribute.push(attrInt('group', xShape[3]!));
        activation(outName, fused, { opType: 'Conv', input: nodeIns, name: outName, attribute });
        strideAt.set(outIdx, stride() * sh);
        break;
      }
      case 'MAX_POOL_2D': {
        // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, fused_activation_function.
        const same = fb.byte(opt, 0) === 0;
        const sw = fb.int(opt, 1, 1);
        const sh = fb.int(opt, 2, 1);
        const fw = fb.int(opt, 3, 1);
        const fh = fb.int(opt, 4, 1);
        const ph = same ? samePads(xShape[1]!, fh, sh) : [0, 0];
        const pw = same ? samePads(xShape[2]!, fw, sw) : [0, 0];
        activation(outName, fb.byte(opt, 5), {
          opType: 'MaxPool',
          input: [nameOf(x)],
          name: outName,
          attribute: [
            attrInts('kernel_shape', [fh, fw]),
            attrInts('strides', [sh, sw]),
            attrInts('pads', [ph[0]!, pw[0]!, ph[1]!, pw[1]!]),
          ],
        });
        strideAt.set(outIdx, stride() * sh);
        break;
      }
      case 'RELU':
      case 'RELU6':
        activation(outName, kind === 'RELU' ? 1 : 3, { opType: 'Identity', input: [nameOf(x)], name: `${outName}/in` });
        strideAt.set(outIdx, stride());
        break;
      case 'ADD': {
        const [a, b] = ins as [number, number];
        if (constants.has(a) || constants.has(b)) throw new Error(`op ${k}: ADD of a constant is not supported`);
        // AddOptions: fused_activation_function.
        activation(outName, fb.byte(opt, 0), { opType: 'Add', input: [nameOf(a), nameOf(b)], name: outName });
        strideAt.set(outIdx, Math.max(strideAt.get(a) ?? 1, strideAt.get(b) ?? 1));
        break;
      }
      case 'PAD': {
        const p = constants.get(ins[1]!);
        if (!p || p.values.length !== 8) throw new Error(`op ${k}: PAD needs constant 4x2 paddings`);
        const v = Array.from(p.values);
        // NHWC [before, after] pairs -> ONNX NCHW begins then ends.
        const order = [0, 3, 1, 2];
        const pads = [...order.map((d) => v[2 * d]!), ...order.map((d) => v[2 * d + 1]!)];
        initializers.push(int64Tensor(`${outName}/pads`, pads));
        nodes.push({ opType: 'Pad', input: [nameOf(x), `${outName}/pads`], output: [outName], name: outName });
        strideAt.set(outIdx, stride());
        break;
      }
      case 'RESIZE_BILINEAR': {
        const size = constants.get(ins[1]!);
        if (!size) throw new Error(`op ${k}: RESIZE_BILINEAR needs a constant size`);
        // ResizeBilinearOptions: new_height (deprecated), new_width (deprecated), align_corners, half_pixel_centers.
        const alignCorners = fb.bool(opt, 2);
        const halfPixel = fb.bool(opt, 3);
        const sh = size.values[0]! / xShape[1]!;
        const sw = size.values[1]! / xShape[2]!;
        initializers.push(floatTensor(`${outName}/scales`, [4], Float32Array.of(1, 1, sh, sw)));
        nodes.push({
          opType: 'Resize',
          input: [nameOf(x), '', `${outName}/scales`],
          output: [outName],
          name: outName,
          attribute: [
            attrString('mode', 'linear'),
            attrString(
              'coordinate_transformation_mode',
              alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric',
            ),
            attrFloat('cubic_coeff_a', -0.75),
          ],
        });
        strideAt.set(outIdx, stride() / sh);
        break;
      }
      case 'RESHAPE': {
        const shape = out.shape;
        if (xShape.length === 4) {
          nodes.push({
            opType: 'Transpose',
            input: [nameOf(x)],
            output: [`${outName}/nhwc`],
            name: `${outName}/to_nhwc`,
            attribute: [attrInts('perm', [0, 2, 3, 1])],
          });
        }
        const target = options.dynamic ? [0, -1, ...shape.slice(2)] : shape;
        if (options.dynamic && shape.length < 3) throw new Error(`op ${k}: a dynamic RESHAPE to rank ${shape.length}`);
        initializers.push(int64Tensor(`${outName}/shape`, target));
        nodes.push({
          opType: 'Reshape',
          input: [xShape.length === 4 ? `${outName}/nhwc` : nameOf(x), `${outName}/shape`],
          output: [outName],
          name: outName,
        });
        break;
      }
      default:
        throw new Error(`op ${k}: ${kind} is not handled`);
    }
    names.set(outIdx, outName);
    downStride = Math.max(downStride, strideAt.get(outIdx) ?? 1);
  }
  sizeMultiple = downStride;

  const outputNames: string[] = [];
  for (const o of outputs) {
    const t = tensors[o]!;
    nodes.push({ opType: 'Identity', input: [nameOf(o)], output: [t.name], name: `${t.name}/out` });
    outputNames.push(t.name);
  }
  const dim = (v: number | string): onnxProto.onnx.TensorShapeProto.IDimension =>
    typeof v === 'string' ? { dimParam: v } : { dimValue: v };
  const valueInfo = (name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map(dim) } } },
  });
  const [, h, w, c] = input.shape as [number, number, number, number];
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'tflite',
    node: nodes,
    initializer: initializers,
    input: [valueInfo(inputName, options.dynamic ? ['batch', 'height', 'width', c] : [1, h, w, c])],
    output: outputs.map((o) => {
      const s = tensors[o]!.shape;
      return valueInfo(tensors[o]!.name, options.dynamic ? ['batch', 'anchors', ...s.slice(2)] : s);
    }),
  };
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'classedge tflite-to-onnx',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  }).finish();
  return { bytes, inputName, outputNames, sizeMultiple, ops };
}
