// scripts/bench_ort.js — ONNX Runtime (onnxruntime-node, CPU) latency of an ONNX model: median,
// min and max over `runs` timed runs after `warmup`, 2 intra-op threads, all graph optimisations.
// usage: node bench_ort.js MODEL.onnx IMGSZ RUNS WARMUP THREADS   (prints "ort median X ms (min Y, max Z)")
// env ORT_ALLOW_SPINNING=0|1 sets session.intra_op.allow_spinning (default: ORT's, spinning).
const ort = require('onnxruntime-node');

async function main() {
    const [model, imgsz = '640', runs = '50', warmup = '5', threads = '2'] = process.argv.slice(2);
    const S = parseInt(imgsz, 10), R = parseInt(runs, 10), Wm = parseInt(warmup, 10);
    const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: parseInt(threads, 10),
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionProviders: ['cpu'],
        // ORT_ALLOW_SPINNING=0 makes idle intra-op threads sleep, like cpose's OMP_WAIT_POLICY=passive
        ...(process.env.ORT_ALLOW_SPINNING !== undefined
            ? {extra: {session: {intra_op: {allow_spinning: process.env.ORT_ALLOW_SPINNING}}}} : {}),
    });
    const data = new Float32Array(3 * S * S);
    let s = 12345n;
    for (let i = 0; i < data.length; i++) {  // same kind of input as cpose benchmark: uniform [0, 1]
        s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
        data[i] = Number((s >> 40n) & 0xffffn) / 65535;
    }
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, S, S])};
    for (let i = 0; i < Wm; i++) await session.run(feeds);
    const t = [];
    for (let i = 0; i < R; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    t.sort((a, b) => a - b);
    const med = R % 2 ? t[(R - 1) / 2] : (t[R / 2 - 1] + t[R / 2]) / 2;
    console.log(`ort median ${med.toFixed(2)} ms (min ${t[0].toFixed(2)}, max ${t[R - 1].toFixed(2)})`);
}
main().catch((e) => { console.error(`bench_ort.js: ${e.message || e}`); process.exit(1); });
