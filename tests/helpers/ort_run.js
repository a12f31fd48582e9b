// tests/helpers/ort_run.js — runs an ONNX model once in ONNX Runtime (onnxruntime-node, CPU) for
// the export tests: reads the input `images` from a raw little-endian file, writes output0 raw.
// usage: node ort_run.js MODEL.onnx INPUT.raw B,C,H,W float32|float16 OUTPUT.raw
// Prints the output's dims and type on stdout ("dims 1,56,8400 float32").
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
    const [model, input, shape, dtype, output] = process.argv.slice(2);
    const dims = shape.split(',').map((s) => parseInt(s, 10));
    const bytes = new Uint8Array(fs.readFileSync(input)).buffer;  // a copy: aligned for typed arrays
    const data = dtype === 'float16' ? new Uint16Array(bytes) : new Float32Array(bytes);
    const session = await ort.InferenceSession.create(model, {intraOpNumThreads: 2, graphOptimizationLevel: 'all'});
    const out = (await session.run({images: new ort.Tensor(dtype, data, dims)})).output0;
    const od = out.data;
    fs.writeFileSync(output, Buffer.from(od.buffer, od.byteOffset, od.byteLength));
    console.log(`dims ${out.dims.join(',')} ${out.type}`);
}
main().catch((e) => { console.error(`ort_run.js: ${e.message || e}`); process.exit(1); });
