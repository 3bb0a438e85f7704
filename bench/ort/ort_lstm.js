#!/usr/bin/env node
// seqrt-bench's ONNX Runtime baseline: times ONNX Runtime's CPU LSTM on the
// recurrent stacks of one benchmark case and prints one JSON object.
//
//   node ort_lstm.js --version
//   node ort_lstm.js '{"stacks":[{"T":100,"B":16,"I":128,"H":256,"L":2,"D":1}],
//                      "budget_s":0.5,"warmup_s":0.05,"max_reps":1000,"threads":2}'
//
// The ONNX model is written here, by hand, as protobuf bytes (ModelProto,
// opset 17): per stack, one LSTM node per layer (direction "forward" or
// "bidirectional", random weights as initializers); between layers the
// output Y [T, D, B, H] becomes [T, B, D*H] (Transpose + Reshape), as
// PyTorch's stacked LSTM feeds its next layer. The timing method is
// seqrt-bench's: a first run timed on its own, warm-up runs, then measured
// runs until the budget (at least one, at most max_reps).
//
// With "quant": true every layer is ONNX Runtime's int8 LSTM instead,
// com.microsoft DynamicQuantizeLSTM (int8 W [D, I, 4H] and R [D, H, 4H],
// one scale per direction, zero points 0; the activations quantized per
// run): the peer of seqrt's int8-dynamic layers, e.g.
//   node ort_lstm.js '{"stacks":[{"T":25,"B":1,"I":1024,"H":1024,"L":1,"D":1}],"quant":true,"budget_s":3}'
'use strict';

const os = require('os');

// ------------------------------------------------------------ protobuf
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const fInt = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
const fBytes = (field, buf) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
const fStr = (field, s) => fBytes(field, Buffer.from(s, 'utf8'));
const fMsg = (field, parts) => fBytes(field, Buffer.concat(parts));

const FLOAT = 1, INT8 = 3, INT64 = 7;
const ATTR_INT = 2, ATTR_STRING = 3, ATTR_INTS = 7;

function tensor(name, dims, type, raw) {
  return fMsg(5, [...dims.map((d) => fInt(1, d)), fInt(2, type), fStr(8, name), fBytes(9, raw)]);
}

let seed = 0x9e3779b9;
function randomFloats(count, scale) {
  const b = Buffer.allocUnsafe(4 * count);
  for (let i = 0; i < count; i++) {
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    b.writeFloatLE(scale * (seed / 4294967296 * 2 - 1), 4 * i);
  }
  return b;
}

function randomInt8(count) {
  const b = Buffer.allocUnsafe(count);
  for (let i = 0; i < count; i++) {
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    b.writeInt8((seed % 255) - 127, i);
  }
  return b;
}

function int64s(values) {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), 8 * i));
  return b;
}

function attrInt(name, v) { return fMsg(5, [fStr(1, name), fInt(3, v), fInt(20, ATTR_INT)]); }
function attrStr(name, s) { return fMsg(5, [fStr(1, name), fStr(4, s), fInt(20, ATTR_STRING)]); }
function attrInts(name, vs) { return fMsg(5, [fStr(1, name), ...vs.map((v) => fInt(8, v)), fInt(20, ATTR_INTS)]); }

function node(op, inputs, outputs, name, attrs) {
  return fMsg(1, [...inputs.map((s) => fStr(1, s)), ...outputs.map((s) => fStr(2, s)), fStr(3, name), fStr(4, op),
    ...(attrs || [])]);
}

function valueInfo(field, name, dims) {
  const shape = fMsg(2, dims.map((d) => fMsg(1, [typeof d === 'number' ? fInt(1, d) : fStr(2, d)])));
  const tensorType = fMsg(1, [fInt(1, FLOAT), shape]);
  return fMsg(field, [fStr(1, name), fMsg(2, [tensorType])]);
}

// One graph holding every stack; returns the model bytes and the input list.
function buildModel(stacks, quant) {
  const nodes = [], inits = [], inputs = [], outputs = [], feeds = [];
  stacks.forEach((s, si) => {
    const D = s.D, H = s.H, scale = 1 / Math.sqrt(H);
    let x = `x${si}`, width = s.I;
    inputs.push(valueInfo(11, x, [s.T, s.B, s.I]));
    feeds.push({ name: x, dims: [s.T, s.B, s.I] });
    for (let k = 0; k < s.L; k++) {
      const p = `s${si}l${k}`;
      const attrs = [attrInt('hidden_size', H), attrStr('direction', D === 2 ? 'bidirectional' : 'forward')];
      inits.push(tensor(`${p}.B`, [D, 8 * H], FLOAT, randomFloats(D * 8 * H, scale)));
      if (quant) {
        const sc = Buffer.allocUnsafe(4 * D);
        for (let d = 0; d < D; d++) sc.writeFloatLE(scale / 127, 4 * d);
        inits.push(tensor(`${p}.W`, [D, width, 4 * H], INT8, randomInt8(D * width * 4 * H)));
        inits.push(tensor(`${p}.R`, [D, H, 4 * H], INT8, randomInt8(D * H * 4 * H)));
        inits.push(tensor(`${p}.Ws`, [D], FLOAT, sc), tensor(`${p}.Rs`, [D], FLOAT, sc));
        inits.push(tensor(`${p}.Wz`, [D], INT8, Buffer.alloc(D)), tensor(`${p}.Rz`, [D], INT8, Buffer.alloc(D)));
        nodes.push(fMsg(1, [...[x, `${p}.W`, `${p}.R`, `${p}.B`, '', '', '', '', `${p}.Ws`, `${p}.Wz`, `${p}.Rs`,
          `${p}.Rz`].map((n) => fStr(1, n)), fStr(2, `${p}.Y`), fStr(3, `${p}.lstm`), fStr(4, 'DynamicQuantizeLSTM'),
          ...attrs, fStr(7, 'com.microsoft')]));
      } else {
        inits.push(tensor(`${p}.W`, [D, 4 * H, width], FLOAT, randomFloats(D * 4 * H * width, scale)));
        inits.push(tensor(`${p}.R`, [D, 4 * H, H], FLOAT, randomFloats(D * 4 * H * H, scale)));
        nodes.push(node('LSTM', [x, `${p}.W`, `${p}.R`, `${p}.B`], [`${p}.Y`], `${p}.lstm`, attrs));
      }
      if (k + 1 < s.L) {
        // [T, D, B, H] -> [T, B, D, H] -> [T, B, D*H]
        nodes.push(node('Transpose', [`${p}.Y`], [`${p}.Yt`], `${p}.transpose`, [attrInts('perm', [0, 2, 1, 3])]));
        inits.push(tensor(`${p}.shape`, [3], INT64, int64s([0, 0, -1])));
        nodes.push(node('Reshape', [`${p}.Yt`, `${p}.shape`], [`${p}.out`], `${p}.reshape`));
        x = `${p}.out`;
        width = D * H;
      } else {
        outputs.push(valueInfo(12, `${p}.Y`, [s.T, D, s.B, H]));
      }
    }
  });
  const graph = fMsg(7, [...nodes, fStr(2, 'seqrt_bench_lstm'), ...inits, ...inputs, ...outputs]);
  const opset = fMsg(8, [fStr(1, ''), fInt(2, 17)]);
  const ms = quant ? [fMsg(8, [fStr(1, 'com.microsoft'), fInt(2, 1)])] : [];
  return { bytes: Buffer.concat([fInt(1, 8), fStr(2, 'seqrt-bench'), graph, opset, ...ms]), feeds };
}

// ------------------------------------------------------------ timing
const now = () => Number(process.hrtime.bigint()) / 1e9;

function stats(times) {
  const t = times.slice().sort((a, b) => a - b), n = t.length;
  const median = n % 2 ? t[(n - 1) / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  const p90 = t[Math.max(0, Math.ceil(0.9 * n) - 1)];
  return { median_ms: 1e3 * median, min_ms: 1e3 * t[0], p90_ms: 1e3 * p90,
    mean_ms: 1e3 * t.reduce((a, b) => a + b, 0) / n, reps: n };
}

async function main() {
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: 'onnxruntime-node not installed: run bench/ort/install.sh' }));
    return;
  }
  const version = (ort.env && ort.env.versions && ort.env.versions.node) || require('onnxruntime-node/package.json').version;
  if (process.argv[2] === '--version') {
    console.log(JSON.stringify({ ok: true, version: `onnxruntime-node ${version}`, node: process.version }));
    return;
  }
  const spec = JSON.parse(process.argv[2]);
  const threads = spec.threads || os.cpus().length;
  const { bytes, feeds } = buildModel(spec.stacks, !!spec.quant);
  const rss0 = process.memoryUsage().rss;
  let t0 = now();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads,
    interOpNumThreads: 1, executionMode: 'sequential',
  });
  const create = now() - t0;
  const inputs = {};
  for (const f of feeds) {
    const n = f.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
    inputs[f.name] = new ort.Tensor('float32', data, f.dims);
  }
  t0 = now();
  await session.run(inputs);
  const first = now() - t0;
  const budget = spec.budget_s, maxReps = spec.max_reps || 1000;
  let warm = 0;
  if (first < 0.5 * budget) {
    const w0 = now();
    do { await session.run(inputs); warm++; } while (now() - w0 < (spec.warmup_s || 0) && warm < maxReps);
  }
  const times = [];
  let total = 0;
  while (times.length < maxReps) {
    const a = now();
    await session.run(inputs);
    const dt = now() - a;
    times.push(dt);
    total += dt;
    if (total >= budget) break;
  }
  const peak = (process.resourceUsage().maxRSS * 1024 - rss0) / (1024 * 1024);
  console.log(JSON.stringify({ ok: true, version: `onnxruntime-node ${version}`, threads,
    create_ms: 1e3 * create, first_ms: 1e3 * first, warmup: warm, peak_mb: Math.max(0, peak), ...stats(times) }));
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e).split('\n')[0] }));
});
