import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * BlazeFace's back-camera model as shipped is fixed to one 256x256 image: its input is declared
 * 1x256x256x3, two channel paddings are built from constant 1x24x32x32 and 1x48x16x16 zero tensors,
 * and the four heads reshape to 512 and 384 anchors. Everything else is convolution, which works on
 * any size. This rewrites those parts so one session takes a batch of images of any height and
 * width that are multiples of 32:
 * - the input becomes [batch, height, width, 3] and the outputs [batch, anchors, 1 | 16];
 * - each zero padding (ConstantOfShape + Concat on channels) becomes a Pad of the channel axis;
 * - the heads reshape to [batch, -1, 1 | 16] (anchors row by row, as before);
 * - the declared intermediate shapes, all for 256x256, are dropped (onnxruntime infers them).
 * The weights are untouched: on a 256x256 image the result is bit-identical to the original
 * (tested). Runs on the verified bytes in memory; nothing is written to disk.
 */
export function anySizeBlazeFace(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('the model has no graph');
  const dim = (param: string): onnxProto.onnx.TensorShapeProto.IDimension => ({ dimParam: param });

  const inputDims = graph.input?.[0]?.type?.tensorType?.shape?.dim;
  if (!inputDims || inputDims.length !== 4) throw new Error('expected one NHWC image input');
  inputDims[0] = dim('batch');
  inputDims[1] = dim('height');
  inputDims[2] = dim('width');
  for (const output of graph.output ?? []) {
    const dims = output.type?.tensorType?.shape?.dim;
    if (!dims || dims.length !== 3) throw new Error(`output ${output.name ?? '?'}: expected [1, anchors, values]`);
    dims[0] = dim('batch');
    dims[1] = dim('anchors');
  }
  graph.valueInfo = [];

  const initializers = graph.initializer ?? [];
  const initializer = (name: string): onnxProto.onnx.ITensorProto => {
    const t = initializers.find((i) => i.name === name);
    if (!t) throw new Error(`initializer ${name} is missing`);
    return t;
  };
  const nodes = graph.node ?? [];
  const producer = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  const dropped = new Set<string>();
  const rewritten: onnxProto.onnx.INodeProto[] = [];
  for (const node of nodes) {
    if (node.opType === 'ConstantOfShape') continue; // replaced below, by the Pad of its Concat
    const zeros = node.opType === 'Concat' ? producer.get(node.input?.[1] ?? '') : undefined;
    if (node.opType === 'Concat' && zeros?.opType === 'ConstantOfShape') {
      const shapeName = zeros.input?.[0] ?? '';
      const extraChannels = int64Values(initializer(shapeName))[1];
      if (extraChannels === undefined) throw new Error(`${shapeName}: expected a 4-d shape`);
      dropped.add(shapeName);
      const padsName = `${node.output?.[0] ?? 'pad'}/channel_pads`;
      // [N, C, H, W] begins then ends: only the channel axis grows, at its end, as Concat did.
      initializers.push({
        name: padsName,
        dims: [8],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: int64Bytes([0, 0, 0, 0, 0, extraChannels, 0, 0]),
      });
      rewritten.push({
        opType: 'Pad',
        name: `${padsName}/Pad`,
        input: [node.input?.[0] ?? '', padsName],
        output: node.output ?? [],
      });
      continue;
    }
    if (node.opType === 'Reshape') {
      const shape = initializer(node.input?.[1] ?? '');
      const values = int64Values(shape);
      if (values.length !== 3) throw new Error(`${shape.name ?? '?'}: expected a 3-d head shape`);
      // 0 keeps the batch dimension, -1 takes whatever number of anchors the image size gives.
      shape.rawData = int64Bytes([0, -1, values[2]!]);
      shape.int64Data = [];
    }
    rewritten.push(node);
  }
  graph.node = rewritten;
  graph.initializer = initializers.filter((i) => !dropped.has(i.name ?? ''));
  return onnx.ModelProto.encode(model).finish();
}

function int64Values(t: onnxProto.onnx.ITensorProto): number[] {
  if (t.int64Data && t.int64Data.length) return t.int64Data.map((v) => Number(v));
  const raw = t.rawData ? Buffer.from(t.rawData) : Buffer.alloc(0);
  const out: number[] = [];
  for (let o = 0; o + 8 <= raw.length; o += 8) out.push(Number(raw.readBigInt64LE(o)));
  return out;
}

function int64Bytes(values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), i * 8));
  return b;
}
