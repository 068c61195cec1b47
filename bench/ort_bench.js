// Times an ONNX model in ONNX Runtime (the onnxruntime-node package) as the
// suite's peer: all graph optimisations, `threads` intra-op threads, one
// inter-op thread. Reads one raw float32 input, writes the first output as
// raw float32, prints one JSON object; peak_rss_mib is the process's peak
// resident memory (Node's own included).
//
//   node ort_bench.js MODEL.onnx INPUT.bin D0,D1,... THREADS REPEAT WARMUP OUTPUT.bin
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inputPath, dimsText, threadsText, repeatText, warmupText,
         outputPath] = process.argv.slice(2);
  const dims = dimsText.split(',').map(Number);
  const threads = Number(threadsText), repeat = Number(repeatText),
        warmup = Number(warmupText);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const bytes = fs.readFileSync(inputPath);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset,
                                bytes.length / 4);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, dims)};
  const times = [];
  let result;
  for (let i = 0; i < warmup + repeat; ++i) {
    const start = process.hrtime.bigint();
    result = await session.run(feeds);
    const stop = process.hrtime.bigint();
    if (i >= warmup) times.push(Number(stop - start) / 1e6);
  }
  const out = result[session.outputNames[0]].data;
  fs.writeFileSync(outputPath, Buffer.from(out.buffer, out.byteOffset,
                                           out.byteLength));
  times.sort((a, b) => a - b);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  const version = require('onnxruntime-node/package.json').version;
  console.log(JSON.stringify({
    median_ms: median, min_ms: times[0], max_ms: times[n - 1],
    peak_rss_mib: process.resourceUsage().maxRSS / 1024, version}));
}

main().catch((e) => { console.error('ort_bench: error: ' + e.message); process.exit(1); });
