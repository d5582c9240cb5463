// The benchmark's training steps in the browser libraries a learner would otherwise use, run under Node:
// TensorFlow.js (its pure-JavaScript "cpu" backend and its WebAssembly "wasm" backend) and ConvNetJS.
// Same models, sizes, loss (softmax cross-entropy) and optimizer (SGD, rate 0.01) as benchmarks/cases.py.
//
//   node steps.js CONFIG.json   ->  prints one line "RESULT {json}"
//
// CONFIG: {"sizes": {case: [...] as cases.SIZES}, "cases": [...], "repeats": n, "sample_s": s, "budget_s": b}. Times are CPU
// time of this process (process.cpuUsage, user + system), the clock pydl's Pyodide figures use with --clock cpu;
// each contender is calibrated to sample_s per sample (at least one step), takes `repeats` samples or, when its
// steps are slow, 3 once it has used budget_s of CPU, and only medians and quartiles are reported. A library
// that cannot run a step says why (TensorFlow.js' wasm backend has no Conv2DBackpropFilter kernel, ConvNetJS no
// recurrent layers) instead of a time.
"use strict";

const fs = require("fs");
const path = require("path");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const LEARNING_RATE = 0.01;

function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function measure(step, repeats, sampleS, budgetS) {
  const warm0 = cpuMs();
  step(); // warm-up (and the first-call compilation of kernels)
  let n = 1;
  // calibrate: steps per sample of about sampleS (one when a single step already takes longer)
  for (let slow = cpuMs() - warm0 >= sampleS * 1000; !slow;) {
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) step();
    const ms = cpuMs() - t0;
    if (ms >= sampleS * 1000 || n >= 1 << 12) { n = Math.max(1, Math.round(n * sampleS * 1000 / Math.max(ms, 1e-3))); break; }
    n *= 2;
  }
  const samples = [], started = cpuMs();
  for (let r = 0; r < repeats; r++) {
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) step();
    samples.push((cpuMs() - t0) / n);
    if (samples.length >= 3 && cpuMs() - started > budgetS * 1000) break; // a step of many seconds: 3 samples do
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { median_ms: at(0.5), q1_ms: at(0.25), q3_ms: at(0.75), steps_per_sample: n, samples_ms: samples };
}

// ------------------------------------------------------------------ deterministic data, as cases.py's shapes
function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

function data(shape, classes, seed = 0) {
  const rand = lcg(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size).map(() => rand());
  const labels = Array.from({ length: shape[0] }, () => Math.floor(rand() * classes));
  return { x, labels };
}

// ------------------------------------------------------------------ TensorFlow.js
function tfjsSteps(tf) {
  function oneHot(labels, classes) { return tf.oneHot(tf.tensor1d(labels, "int32"), classes).toFloat(); }
  function stepFor(model, xs, ys) {
    const optimizer = tf.train.sgd(LEARNING_RATE);
    return () => {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs)), true);
      loss.dataSync(); // wait for the backend to finish
      loss.dispose();
    };
  }
  return {
    mlp([batch, nIn, hidden, nOut]) {
      const { x, labels } = data([batch, nIn], nOut);
      const model = tf.sequential({ layers: [
        tf.layers.dense({ inputShape: [nIn], units: hidden, activation: "relu" }),
        tf.layers.dense({ units: nOut })] });
      return stepFor(model, tf.tensor2d(x, [batch, nIn]), oneHot(labels, nOut));
    },
    convnet([batch, h, w, c, f1, f2, nOut]) {
      const { x, labels } = data([batch, h, w, c], nOut);
      const model = tf.sequential({ layers: [
        tf.layers.conv2d({ inputShape: [h, w, c], filters: f1, kernelSize: 3, activation: "relu" }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: f2, kernelSize: 3, activation: "relu" }),
        tf.layers.maxPooling2d({ poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: nOut })] });
      return stepFor(model, tf.tensor4d(x, [batch, h, w, c]), oneHot(labels, nOut));
    },
    ...Object.fromEntries([["lstm", "lstm"], ["gru", "gru"], ["simple_rnn", "simpleRNN"]].map(([name, layer]) => [
      name, ([batch, steps, features, units, nOut]) => {
        const { x, labels } = data([batch, steps, features], nOut);
        const model = tf.sequential({ layers: [
          tf.layers[layer]({ inputShape: [steps, features], units }), tf.layers.dense({ units: nOut })] });
        return stepFor(model, tf.tensor3d(x, [batch, steps, features]), oneHot(labels, nOut));
      }])),
  };
}

// ------------------------------------------------------------------ ConvNetJS (trains sample by sample)
function convnetjsSteps(convnetjs) {
  function stepFor(layers, batch, sample, labels) {
    const net = new convnetjs.Net();
    net.makeLayers(layers);
    const trainer = new convnetjs.SGDTrainer(net, { method: "sgd", learning_rate: LEARNING_RATE, batch_size: batch,
                                                    momentum: 0, l2_decay: 0 });
    return () => { for (let i = 0; i < batch; i++) trainer.train(sample(i), labels[i]); }; // one update per batch
  }
  function volumes(x, count, sx, sy, depth) {
    const per = sx * sy * depth;
    return Array.from({ length: count }, (_, i) => {
      const v = new convnetjs.Vol(sx, sy, depth, 0);
      v.w.set(x.subarray(i * per, (i + 1) * per));
      return v;
    });
  }
  return {
    mlp([batch, nIn, hidden, nOut]) {
      const { x, labels } = data([batch, nIn], nOut);
      const vols = volumes(x, batch, 1, 1, nIn);
      return stepFor([{ type: "input", out_sx: 1, out_sy: 1, out_depth: nIn },
                      { type: "fc", num_neurons: hidden, activation: "relu" },
                      { type: "softmax", num_classes: nOut }], batch, (i) => vols[i], labels);
    },
    convnet([batch, h, w, c, f1, f2, nOut]) {
      const { x, labels } = data([batch, h, w, c], nOut);
      const vols = volumes(x, batch, w, h, c);
      return stepFor([{ type: "input", out_sx: w, out_sy: h, out_depth: c },
                      { type: "conv", sx: 3, filters: f1, stride: 1, pad: 0, activation: "relu" },
                      { type: "pool", sx: 2, stride: 2 },
                      { type: "conv", sx: 3, filters: f2, stride: 1, pad: 0, activation: "relu" },
                      { type: "pool", sx: 2, stride: 2 },
                      { type: "softmax", num_classes: nOut }], batch, (i) => vols[i], labels);
    },
  };
}

async function main() {
  const results = {}, unsupported = {}, versions = {};
  const record = (caseName, contender, make) => {
    results[caseName] = results[caseName] || {};
    try {
      results[caseName][contender] = measure(make(), config.repeats, config.sample_s, config.budget_s || 30);
    } catch (error) {
      unsupported[`${caseName}/${contender}`] = String(error && error.message || error).split("\n")[0].slice(0, 300);
    }
  };
  const tf = require("@tensorflow/tfjs");
  require("@tensorflow/tfjs-backend-wasm");
  versions.tfjs = tf.version.tfjs;
  const convnetjs = require("convnetjs");
  versions.convnetjs = require("convnetjs/package.json").version;
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    await tf.ready();
    const steps = tfjsSteps(tf);
    for (const name of config.cases) {
      if (steps[name]) record(name, `tfjs_${backend}`, () => steps[name](config.sizes[name]));
    }
    tf.disposeVariables();
  }
  const cjs = convnetjsSteps(convnetjs);
  for (const name of config.cases) {
    if (cjs[name]) record(name, "convnetjs", () => cjs[name](config.sizes[name]));
    else unsupported[`${name}/convnetjs`] = "ConvNetJS has no recurrent layers";
  }
  console.log("RESULT " + JSON.stringify({ cases: results, unsupported, versions, node: process.version }));
}

main().catch((error) => { console.error(error); process.exit(1); });
