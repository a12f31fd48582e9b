// tests/helpers/tfjs_run.js — runs cpose's TF exports in TensorFlow.js (tfjs-core + tfjs-converter +
// tfjs-backend-cpu, installed by tests/helpers/tfjs_setup.sh; NODE_PATH points there) and checks their
// structure. Used by tests/test_export_tf.c.
//
//   node tfjs_run.js web   MODEL_DIR IN.raw OUT.raw
//       loads <MODEL_DIR>/model.json and its shards through a file IOHandler built on
//       tf.io.getModelArtifactsForJSON (tfjs decodes the float16/uint8 quantisation itself), runs it.
//   node tfjs_run.js pb    FILE.pb PROTO WEB_DIR|- IN.raw OUT.raw
//       decodes the GraphDef with protobufjs and PROTO (tests/helpers/tf_graph_excerpt.proto), checks
//       it (below), compares its node list with WEB_DIR/model.json unless '-' (same names, ops,
//       inputs and attributes), then moves the Const tensors into weights and runs it in tfjs with no
//       signature: tfjs takes the Placeholders as inputs and the nodes nobody consumes as outputs, as
//       Ultralytics' AutoBackend does for a .pb.
//   node tfjs_run.js saved_model DIR PROTO IN.raw OUT.raw
//       decodes DIR/saved_model.pb, checks the schema version, the "serve" tag and the
//       serving_default signature, then runs its graph_def with that signature.
// IN.raw: float32 NHWC input. OUT.raw: the single output, float32. Checks of a GraphDef: one
// Placeholder "x", exactly one sink "Identity", unique names, every input names a node, every op's
// attributes (the set TF's op definitions list, written out below) and input count, Const content
// sizes. Exit 0 when every check passes, 1 otherwise (messages on stderr).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfc = require('@tensorflow/tfjs-converter');
const protobuf = require('protobufjs');

function fail(msg) {
  console.error(`tfjs_run: ${msg}`);
  process.exit(1);
}

// attributes and input counts per op (from TensorFlow's op definitions); n: the ConcatV2 N attr
const OPS = {
  Placeholder: {attrs: ['dtype', 'shape'], inputs: 0},
  Const: {attrs: ['dtype', 'value'], inputs: 0},
  Conv2D: {attrs: ['T', 'data_format', 'dilations', 'explicit_paddings', 'padding', 'strides', 'use_cudnn_on_gpu'], inputs: 2},
  BiasAdd: {attrs: ['T', 'data_format'], inputs: 2},
  Sigmoid: {attrs: ['T'], inputs: 1},
  Mul: {attrs: ['T'], inputs: 2},
  AddV2: {attrs: ['T'], inputs: 2},
  Sub: {attrs: ['T'], inputs: 2},
  RealDiv: {attrs: ['T'], inputs: 2},
  Softmax: {attrs: ['T'], inputs: 1},
  Identity: {attrs: ['T'], inputs: 1},
  ConcatV2: {attrs: ['N', 'T', 'Tidx'], inputs: (n) => Number(n.attr.N.i) + 1},
  Slice: {attrs: ['Index', 'T'], inputs: 3},
  MaxPool: {attrs: ['T', 'data_format', 'explicit_paddings', 'ksize', 'padding', 'strides'], inputs: 1},
  ResizeNearestNeighbor: {attrs: ['T', 'align_corners', 'half_pixel_centers'], inputs: 2},
  Reshape: {attrs: ['T', 'Tshape'], inputs: 2},
  Transpose: {attrs: ['T', 'Tperm'], inputs: 2},
  Pad: {attrs: ['T', 'Tpaddings'], inputs: 2},
};
const TO_OBJECT = {longs: String, enums: String, bytes: String, defaults: false, arrays: false};

function numel(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

function dimsOf(shapeObj) {
  return ((shapeObj && shapeObj.dim) || []).map((d) => Number(d.size || 0));
}

// A Const tensor's little-endian bytes: tensor_content, or int_val (how scalars are written).
function constBytes(t) {
  if (t.tensorContent && t.tensorContent.length) return Buffer.from(t.tensorContent);
  if (t.intVal && t.intVal.length) return Buffer.from(Int32Array.from(t.intVal).buffer);
  return Buffer.alloc(0);
}

// Structure checks of a decoded GraphDef message (`raw`, with Uint8Array contents) and its object form.
function checkGraph(raw, obj) {
  const names = new Map();
  raw.node.forEach((n, i) => {
    if (names.has(n.name)) fail(`two nodes named '${n.name}'`);
    names.set(n.name, i);
  });
  const consumed = new Set();
  const placeholders = [];
  obj.node.forEach((n, i) => {
    const spec = OPS[n.op];
    if (!spec) fail(`node '${n.name}': op ${n.op} is not one the exporter should write`);
    const attr = n.attr || {};
    const keys = Object.keys(attr).sort();
    if (JSON.stringify(keys) !== JSON.stringify([...spec.attrs].sort()))
      fail(`node '${n.name}' (${n.op}): attributes [${keys}], TF's op definition lists [${spec.attrs}]`);
    const want = typeof spec.inputs === 'function' ? spec.inputs(n) : spec.inputs;
    const inputs = n.input || [];
    if (inputs.length !== want) fail(`node '${n.name}' (${n.op}): ${inputs.length} inputs, want ${want}`);
    for (const inp of inputs) {
      if (!names.has(inp)) fail(`node '${n.name}' reads '${inp}', which is no node`);
      if (names.get(inp) >= i) fail(`node '${n.name}' reads '${inp}', which comes later`);
      consumed.add(inp);
    }
    if (n.op === 'Placeholder') placeholders.push(n.name);
    if (n.op === 'Const') {
      const t = raw.node[i].attr.value.tensor;
      const shape = dimsOf(t.tensorShape);
      const bytes = constBytes(t).length;
      if (bytes !== numel(shape) * 4) fail(`Const '${n.name}': ${bytes} content bytes for shape [${shape}]`);
      if (attr.dtype.type !== attr.value.tensor.dtype) fail(`Const '${n.name}': dtype attr and tensor dtype differ`);
    }
    for (const [k, v] of Object.entries(attr))
      if (v.type !== undefined && v.type !== 'DT_FLOAT' && v.type !== 'DT_INT32') fail(`node '${n.name}': ${k} = ${v.type}`);
  });
  const sinks = obj.node.map((n) => n.name).filter((name) => !consumed.has(name));
  if (JSON.stringify(placeholders) !== '["x"]') fail(`Placeholders [${placeholders}], want [x]`);
  if (JSON.stringify(sinks) !== '["Identity"]') fail(`nodes nobody consumes: [${sinks}], want [Identity] (no dangling nodes)`);
  return {nodes: obj.node.length, consts: obj.node.filter((n) => n.op === 'Const').length};
}

// Sorted-key JSON, for comparing two encodings of the same node.
function canon(v) {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

// GraphDef (decoded) → tfjs model artifacts: Const content moves into the weights.
function artifactsOfGraph(raw, obj, signature) {
  const specs = [];
  const parts = [];
  raw.node.forEach((n, i) => {
    if (n.op !== 'Const') return;
    const t = n.attr.value.tensor;
    specs.push({name: n.name, shape: dimsOf(t.tensorShape), dtype: t.dtype === 3 ? 'int32' : 'float32'});
    parts.push(constBytes(t));
    delete obj.node[i].attr.value.tensor.tensorContent;
    delete obj.node[i].attr.value.tensor.intVal;
  });
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  const a = {modelTopology: obj, weightSpecs: specs, weightData, format: 'graph-model'};
  if (signature) a.signature = signature;
  return a;
}

function webArtifacts(dir) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  return {json, load: () => tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = [];
    const bufs = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const p of group.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
    }
    const all = Buffer.concat(bufs);
    return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.length)];
  })};
}

async function run(artifacts, inRaw, outRaw) {
  const model = await tfc.loadGraphModel({load: async () => artifacts});
  const shape = model.inputs[0].shape;
  const buf = fs.readFileSync(inRaw);
  const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  if (x.length !== numel(shape)) fail(`input has ${x.length} values, the model's input [${shape}] ${numel(shape)}`);
  const t0 = Date.now();
  const y = model.execute(tf.tensor(x, shape));
  const out = Array.isArray(y) ? y : [y];
  if (out.length !== 1) fail(`${out.length} outputs, want 1`);
  const data = await out[0].data();
  fs.writeFileSync(outRaw, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  console.log(`tfjs ${tf.version_core} cpu: input [${shape}] → output [${out[0].shape}] in ${Date.now() - t0} ms`);
}

async function main() {
  const warn = console.warn;  // the CPU backend's advert for tfjs-node (which cannot install here) is noise
  console.warn = (...m) => { if (!String(m[0]).includes('tfjs-node')) warn(...m); };
  await tf.setBackend('cpu');
  const [cmd, ...a] = process.argv.slice(2);
  if (cmd === 'web') {
    const w = webArtifacts(a[0]);
    if (w.json.format !== 'graph-model') fail(`model.json format '${w.json.format}'`);
    await run(await w.load(), a[1], a[2]);
    return;
  }
  const root = protobuf.loadSync(a[1]);
  if (cmd === 'pb') {
    const T = root.lookupType('cposetf.GraphDef');
    const raw = T.decode(fs.readFileSync(a[0]));
    const obj = T.toObject(raw, TO_OBJECT);
    const s = checkGraph(raw, obj);
    console.log(`GraphDef: ${s.nodes} nodes (${s.consts} Const), producer ${obj.versions && obj.versions.producer}`);
    if (a[2] !== '-') {
      const web = webArtifacts(a[2]).json.modelTopology.node;
      if (web.length !== obj.node.length) fail(`model.json has ${web.length} nodes, the .pb ${obj.node.length}`);
      obj.node.forEach((n, i) => {
        const m = web[i];
        const strip = (node) => {
          const c = JSON.parse(JSON.stringify(node));
          if (c.attr && c.attr.value && c.attr.value.tensor) delete c.attr.value.tensor.tensorContent, delete c.attr.value.tensor.intVal;
          return canon(c);
        };
        if (strip(n) !== strip(m)) fail(`node ${i} differs:\n  .pb:        ${strip(n)}\n  model.json: ${strip(m)}`);
      });
      console.log(`model.json: the same ${web.length} nodes (names, ops, inputs, attributes)`);
    }
    await run(artifactsOfGraph(raw, obj, null), a[3], a[4]);
    return;
  }
  if (cmd === 'saved_model') {
    const T = root.lookupType('cposetf.SavedModel');
    const raw = T.decode(fs.readFileSync(path.join(a[0], 'saved_model.pb')));
    const obj = T.toObject(raw, TO_OBJECT);
    if (obj.savedModelSchemaVersion !== '1') fail(`saved_model_schema_version ${obj.savedModelSchemaVersion}`);
    if (!obj.metaGraphs || obj.metaGraphs.length !== 1) fail('want one MetaGraphDef');
    const mg = obj.metaGraphs[0];
    if (JSON.stringify(mg.metaInfoDef.tags) !== '["serve"]') fail(`tags ${JSON.stringify(mg.metaInfoDef.tags)}`);
    const sig = mg.signatureDef && mg.signatureDef.serving_default;
    if (!sig) fail('no serving_default signature');
    if (sig.methodName !== 'tensorflow/serving/predict') fail(`method_name ${sig.methodName}`);
    const ins = Object.values(sig.inputs || {}), outs = Object.values(sig.outputs || {});
    if (ins.length !== 1 || outs.length !== 1) fail('want one signature input and one output');
    const s = checkGraph(raw.metaGraphs[0].graphDef, mg.graphDef);
    const names = new Set(mg.graphDef.node.map((n) => n.name));
    for (const t of [...ins, ...outs]) {
      if (!names.has(t.name.replace(/:0$/, ''))) fail(`signature tensor ${t.name} names no node`);
      if (t.dtype !== 'DT_FLOAT') fail(`signature tensor ${t.name}: ${t.dtype}`);
    }
    const xShape = mg.graphDef.node.find((n) => n.name === 'x').attr.shape.shape;
    if (canon(ins[0].tensorShape) !== canon(xShape)) fail('signature input shape differs from the Placeholder\'s');
    console.log(`SavedModel: tags [serve], serving_default ${Object.keys(sig.inputs)} → ${Object.keys(sig.outputs)}, ${s.nodes} nodes`);
    const signature = {inputs: {}, outputs: {}};
    for (const t of ins) signature.inputs[t.name] = t;
    for (const t of outs) signature.outputs[t.name] = t;
    await run(artifactsOfGraph(raw.metaGraphs[0].graphDef, mg.graphDef, signature), a[2], a[3]);
    return;
  }
  fail(`unknown command '${cmd}' (web, pb, saved_model)`);
}

main().catch((e) => fail(e.stack || String(e)));
