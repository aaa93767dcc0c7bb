// Regenerates the TF.js fixtures in this directory with the real TF.js toolchain.
//
//   npm ci && node make_fixtures.mjs
//
// Deterministic: weights and inputs come from a seeded PRNG, TF.js runs on its CPU backend,
// so running it again rewrites byte-identical files. See README.md.
//
// Each fixture directory holds a TF.js model (model.json + weight shards) and io.json, which
// names the inputs and the outputs TF.js computed for them (little-endian .npy files beside it).
// The outputs are computed by the model TF.js loads back from the written files over HTTP
// (tf.loadLayersModel / tf.loadGraphModel, the real loaders: shards fetched and concatenated
// per group, weights decoded), and checked to equal the in-memory model's bit for bit.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HUMAN = path.join(HERE, 'node_modules', '@vladmandic', 'human');

// -- deterministic numbers ------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(random, size, low, high) {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = low + (high - low) * random();
  return values;
}

function integers(random, size, high) {
  const values = new Int32Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.floor(random() * high);
  return values;
}

// -- files ----------------------------------------------------------------------------------

/** A version 1.0 .npy file (C order, little-endian) holding a Float32Array or Int32Array. */
function npyBytes(values, shape) {
  const descr = values instanceof Float32Array ? '<f4' : values instanceof Int32Array ? '<i4' : null;
  if (descr === null) throw new Error('npyBytes: only float32 and int32');
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces and a final
  // newline to a multiple of 64 bytes, as numpy writes it.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix.writeUInt8(1, 6);
  prefix.writeUInt8(0, 7);
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

function freshDir(name) {
  const dir = path.join(HERE, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  return dir;
}

function writeJson(file, value) {
  fs.writeFileSync(file, JSON.stringify(value, null, 1) + '\n');
}

function sha256(buffer) {
  return createHash('sha256').update(buffer).digest('hex');
}

/**
 * model.json as TF.js's own writers build it (tfjs-core io_utils.ts
 * getModelJSONForModelArtifacts, which browserFiles, http and tfjs-node's file:// use; it is
 * not exported, so these lines repeat it).
 */
function modelJsonFor(artifacts, weightsManifest) {
  const result = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest,
  };
  for (const key of ['signature', 'userDefinedMetadata', 'modelInitializer',
    'initializerSignature', 'trainingConfig']) {
    if (artifacts[key] != null) result[key] = artifacts[key];
  }
  return result;
}

function specBytes(spec) {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const bytes = { float32: 4, int32: 4, bool: 1 }[spec.dtype];
  if (bytes === undefined) throw new Error(`unexpected weight dtype ${spec.dtype}`);
  return size * bytes;
}

/**
 * Save ``model`` with model.save(tf.io.withSaveHandler(...)) into ``dir``.
 *
 * ``layout`` lists weight groups: {count, shards}: the next ``count`` weights (in the order
 * TF.js gives them) form a group whose bytes are cut into ``shards`` files at arbitrary byte
 * offsets (TF.js concatenates a group's shards before decoding, so cuts may fall inside a
 * weight). Without ``layout``: one group, one ``weights.bin``, as tfjs-node's file:// writes.
 */
async function saveLayersModel(model, dir, layout) {
  let saved;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  const data = Buffer.from(tf.io.CompositeArrayBuffer.join(saved.weightData));
  const specs = saved.weightSpecs;
  const manifest = [];
  if (!layout) {
    fs.writeFileSync(path.join(dir, 'weights.bin'), data);
    manifest.push({ paths: ['weights.bin'], weights: specs });
  } else {
    let specIndex = 0;
    let offset = 0;
    layout.forEach(({ count, shards }, g) => {
      const weights = specs.slice(specIndex, count === 'rest' ? specs.length : specIndex + count);
      specIndex += weights.length;
      const size = weights.reduce((sum, s) => sum + specBytes(s), 0);
      const bytes = data.subarray(offset, offset + size);
      offset += size;
      const paths = [];
      for (let s = 0; s < shards; s++) {
        const name = `group${g + 1}-shard${s + 1}of${shards}.bin`;
        const start = Math.floor((bytes.length * s) / shards);
        const end = Math.floor((bytes.length * (s + 1)) / shards);
        fs.writeFileSync(path.join(dir, name), bytes.subarray(start, end));
        paths.push(name);
      }
      manifest.push({ paths, weights });
    });
    if (specIndex !== specs.length || offset !== data.length) {
      throw new Error('layout does not cover every weight');
    }
  }
  writeJson(path.join(dir, 'model.json'), modelJsonFor(saved, manifest));
}

/** Give every variable of ``model`` seeded values of a sensible scale. */
function setWeights(model, random) {
  for (const layer of model.layers) {
    const values = layer.getWeights().map((w, i) => {
      const name = layer.weights[i].originalName;
      const size = w.size;
      let data;
      if (name.endsWith('/gamma') || name.endsWith('/moving_variance')) {
        data = uniform(random, size, 0.5, 1.5);
      } else if (name.endsWith('/beta') || name.endsWith('/moving_mean')) {
        data = uniform(random, size, -0.5, 0.5);
      } else if (name.endsWith('/bias')) {
        data = uniform(random, size, -0.3, 0.3);
      } else {
        // Kernels and embeddings: uniform with a fan-in scale, so activations stay O(1).
        const fanIn = w.shape.length > 1 ? size / w.shape[w.shape.length - 1] : size;
        const limit = Math.sqrt(3 / Math.max(1, fanIn)) * 1.2;
        data = uniform(random, size, -limit, limit);
      }
      return tf.tensor(data, w.shape, w.dtype);
    });
    layer.setWeights(values);
    values.forEach((t) => t.dispose());
  }
}

// -- loading back through TF.js's HTTP loaders ---------------------------------------------

function serve(root) {
  const server = http.createServer((request, response) => {
    const file = path.join(root, decodeURIComponent(new URL(request.url, 'http://x').pathname));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    response.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function asList(result) {
  return Array.isArray(result) ? result : [result];
}

function sameBits(a, b) {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return x.equals(y);
}

/** Write inputs, outputs and io.json; ``inputs`` and ``outputs`` are [{name, tensor}]. */
function writeIo(dir, model, inputs, outputs, notes) {
  const entry = (prefix, i, { name, tensor }) => {
    const file = `${prefix}_${i}.npy`;
    fs.writeFileSync(path.join(dir, file), npyBytes(tensor.dataSync(), tensor.shape));
    return { name, file, dtype: tensor.dtype, shape: tensor.shape };
  };
  writeJson(path.join(dir, 'io.json'), {
    model,
    computedBy: `@tensorflow/tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`,
    ...notes,
    inputs: inputs.map((x, i) => entry('input', i, x)),
    outputs: outputs.map((x, i) => entry('output', i, x)),
  });
}

// -- fixtures -------------------------------------------------------------------------------

/** A Sequential CNN: every convolution kind tfjs-layers has, batch norm, pooling, softmax. */
async function layersCnn(baseUrl) {
  const dir = freshDir('layers_cnn');
  const model = tf.sequential({ name: 'cnn' });
  model.add(tf.layers.conv2d({
    name: 'conv', inputShape: [9, 9, 3], filters: 4, kernelSize: 3, padding: 'same',
    activation: 'relu',
  }));
  model.add(tf.layers.batchNormalization({ name: 'bn', epsilon: 1e-3 }));
  model.add(tf.layers.depthwiseConv2d({
    name: 'depthwise', kernelSize: 3, depthMultiplier: 2, padding: 'valid', activation: 'relu6',
  }));
  model.add(tf.layers.separableConv2d({
    name: 'separable', filters: 6, kernelSize: 3, padding: 'same', depthMultiplier: 1,
    activation: 'elu',
  }));
  model.add(tf.layers.maxPooling2d({ name: 'pool', poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'logits', units: 5, activation: 'softmax' }));
  setWeights(model, prng(1));
  await saveLayersModel(model, dir);

  const x = tf.tensor(uniform(prng(101), 3 * 9 * 9 * 3, -1, 1), [3, 9, 9, 3]);
  await checkAndWriteLayers(dir, baseUrl, 'layers_cnn', model, [{ name: 'conv_input', tensor: x }]);
}

/** A functional model, two inputs and two outputs: Embedding + LSTM + GRU, and a Dense branch.
 * Its weights are saved in two groups, the first cut into three shards. */
async function layersRnn(baseUrl) {
  const dir = freshDir('layers_rnn');
  const tokens = tf.input({ name: 'tokens', shape: [7], dtype: 'int32' });
  const features = tf.input({ name: 'features', shape: [2] });
  let sequence = tf.layers.embedding({ name: 'embed', inputDim: 20, outputDim: 4 }).apply(tokens);
  sequence = tf.layers.lstm({ name: 'lstm', units: 5, returnSequences: true }).apply(sequence);
  const summary = tf.layers.gru({ name: 'gru', units: 3 }).apply(sequence);
  const side = tf.layers.dense({ name: 'side', units: 3, activation: 'tanh' }).apply(features);
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([summary, side]);
  const probs = tf.layers.dense({ name: 'probs', units: 4, activation: 'softmax' }).apply(joined);
  const score = tf.layers.dense({ name: 'score', units: 1 }).apply(summary);
  const model = tf.model({ name: 'rnn', inputs: [tokens, features], outputs: [probs, score] });
  setWeights(model, prng(2));
  await saveLayersModel(model, dir, [{ count: 6, shards: 3 }, { count: 'rest', shards: 1 }]);

  const t = tf.tensor(integers(prng(201), 4 * 7, 20), [4, 7], 'int32');
  const f = tf.tensor(uniform(prng(202), 4 * 2, -1, 1), [4, 2]);
  await checkAndWriteLayers(dir, baseUrl, 'layers_rnn', model, [
    { name: 'tokens', tensor: t },
    { name: 'features', tensor: f },
  ]);
}

/** UpSampling2D as tfjs-layers runs it: bilinear is tf.image.resizeBilinear without half-pixel
 * centers (TF1's resize_bilinear), channels-last and channels-first; nearest too. */
async function layersUpsampling(baseUrl) {
  const dir = freshDir('layers_upsampling');
  const model = tf.sequential({ name: 'upsampling' });
  model.add(tf.layers.upSampling2d({ name: 'up_nearest', inputShape: [3, 2, 2], size: [1, 2] }));
  model.add(tf.layers.upSampling2d({ name: 'up_bilinear', size: [2, 3], interpolation: 'bilinear' }));
  model.add(tf.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 3, padding: 'same' }));
  // Read as channels-first, the [6, 12, 2] map is 6 channels of 12 x 2.
  model.add(tf.layers.upSampling2d({
    name: 'up_channels_first', size: [2, 2], interpolation: 'bilinear',
    dataFormat: 'channelsFirst',
  }));
  setWeights(model, prng(3));
  await saveLayersModel(model, dir);

  const x = tf.tensor(uniform(prng(401), 2 * 3 * 2 * 2, -1, 1), [2, 3, 2, 2]);
  await checkAndWriteLayers(dir, baseUrl, 'layers_upsampling', model,
    [{ name: 'up_nearest_input', tensor: x }]);
}

/** A functional model whose input and output names are upper case, as Keras users often name
 * them ('LR' for a low-resolution image): the names the model.json shows are the model's. */
async function layersNames(baseUrl) {
  const dir = freshDir('layers_names');
  const lr = tf.input({ name: 'LR', shape: [6] });
  const hr = tf.input({ name: 'HR', shape: [4] });
  const a = tf.layers.dense({ name: 'Dense_LR', units: 3, activation: 'tanh' }).apply(lr);
  const b = tf.layers.dense({ name: 'Dense_HR', units: 3, activation: 'tanh' }).apply(hr);
  const joined = tf.layers.concatenate({ name: 'Joined' }).apply([a, b]);
  const sr = tf.layers.dense({ name: 'SR', units: 2 }).apply(joined);
  const model = tf.model({ name: 'names', inputs: [lr, hr], outputs: sr });
  setWeights(model, prng(5));
  await saveLayersModel(model, dir);

  const x = tf.tensor(uniform(prng(501), 3 * 6, -1, 1), [3, 6]);
  const y = tf.tensor(uniform(prng(502), 3 * 4, -1, 1), [3, 4]);
  await checkAndWriteLayers(dir, baseUrl, 'layers_names', model, [
    { name: 'LR', tensor: x },
    { name: 'HR', tensor: y },
  ]);
}

/** Two custom layers defined in JavaScript (tf.serialization.registerClass), as TF.js apps
 * define them: the saved config names classes only that JavaScript code can rebuild. */
class TimesTwo extends tf.layers.Layer {
  static className = 'TimesTwo';
  call(inputs) {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2));
  }
}
class AddOne extends tf.layers.Layer {
  static className = 'AddOne';
  call(inputs) {
    return tf.tidy(() => tf.add(Array.isArray(inputs) ? inputs[0] : inputs, 1));
  }
}
tf.serialization.registerClass(TimesTwo);
tf.serialization.registerClass(AddOne);

async function layersCustom(baseUrl) {
  const dir = freshDir('layers_custom');
  const x = tf.input({ name: 'x', shape: [3] });
  let y = tf.layers.dense({ name: 'dense', units: 4 }).apply(x);
  y = new TimesTwo({ name: 'times_two' }).apply(y);
  y = new AddOne({ name: 'add_one' }).apply(y);
  y = tf.layers.dense({ name: 'out', units: 2 }).apply(y);
  const model = tf.model({ name: 'custom', inputs: x, outputs: y });
  setWeights(model, prng(6));
  await saveLayersModel(model, dir);

  const input = tf.tensor(uniform(prng(601), 2 * 3, -1, 1), [2, 3]);
  await checkAndWriteLayers(dir, baseUrl, 'layers_custom', model, [{ name: 'x', tensor: input }]);
}

async function checkAndWriteLayers(dir, baseUrl, name, model, inputs) {
  const loaded = await tf.loadLayersModel(`${baseUrl}/${name}/model.json`);
  const feeds = inputs.map((x) => x.tensor);
  const expected = asList(model.predict(feeds.length === 1 ? feeds[0] : feeds));
  const outputs = asList(loaded.predict(feeds.length === 1 ? feeds[0] : feeds));
  outputs.forEach((o, i) => {
    if (!sameBits(o.dataSync(), expected[i].dataSync())) {
      throw new Error(`${name}: the reloaded model computes something else`);
    }
  });
  if (JSON.stringify(loaded.inputNames) !== JSON.stringify(inputs.map((x) => x.name))) {
    throw new Error(`${name}: input names ${loaded.inputNames}`);
  }
  writeIo(dir, 'model.json', inputs,
    outputs.map((tensor, i) => ({ name: loaded.outputNames[i], tensor })),
    { computedWith: 'tf.loadLayersModel(model.json).predict(inputs)' });
}

// The license of https://github.com/oarriaga/face_classification, which trained the model.
const FACE_CLASSIFICATION_LICENSE = `MIT License

Copyright (c) 2017 Octavio

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

/**
 * A graph model made by the tensorflowjs converter, shipped in the @vladmandic/human npm
 * package (MIT): its face emotion classifier, trained by oarriaga/face_classification (MIT).
 * Copied byte for byte; TF.js's GraphModel computes the outputs.
 */
async function graphEmotion(baseUrl) {
  const dir = freshDir('graph_emotion');
  const human = HUMAN;
  for (const file of ['emotion.json', 'emotion.bin']) {
    fs.copyFileSync(path.join(human, 'models', file), path.join(dir, file));
  }
  fs.copyFileSync(path.join(human, 'LICENSE'), path.join(dir, 'LICENSE.human'));
  fs.writeFileSync(path.join(dir, 'LICENSE.face_classification'), FACE_CLASSIFICATION_LICENSE);

  const model = await tf.loadGraphModel(`${baseUrl}/graph_emotion/emotion.json`);
  const x = tf.tensor(uniform(prng(301), 3 * 64 * 64, 0, 1), [3, 64, 64, 1]);
  const inputName = model.inputs[0].name;
  const result = asList(model.execute({ [inputName]: x }));
  const again = asList(model.predict(x));
  result.forEach((o, i) => {
    if (!sameBits(o.dataSync(), again[i].dataSync())) throw new Error('execute != predict');
  });
  const files = Object.fromEntries(['emotion.json', 'emotion.bin'].map(
    (f) => [f, sha256(fs.readFileSync(path.join(dir, f)))]));
  writeIo(dir, 'emotion.json',
    [{ name: inputName, tensor: x }],
    result.map((tensor, i) => ({ name: model.outputs[i].name, tensor })),
    {
      computedWith: 'tf.loadGraphModel(emotion.json).execute(inputs)',
      source: `@vladmandic/human ${JSON.parse(fs.readFileSync(path.join(HUMAN, 'package.json'))).version} models/`,
      sha256: files,
    });
}

/**
 * graph_table/: a graph model with a modelInitializer (a hash table TF.js fills at load),
 * written by the tensorflowjs converter (make_graph_table.py); not rewritten here, only run.
 */
async function graphTable(baseUrl) {
  const dir = path.join(HERE, 'graph_table');
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith('.npy') || file === 'io.json') fs.rmSync(path.join(dir, file));
  }
  const model = await tf.loadGraphModel(`${baseUrl}/graph_table/model.json`);
  const x = tf.tensor(uniform(prng(701), 6 * 4, -1, 1), [6, 4]);
  // Keys in the table (3, 5, 7, 11) and not (0, 4): TF.js has no int64, ids are int32.
  const ids = tf.tensor([3, 5, 7, 11, 0, 4], [6], 'int32');
  const result = asList(await model.executeAsync({ x, ids }));
  writeIo(dir, 'model.json',
    [{ name: 'x', tensor: x }, { name: 'ids', tensor: ids }],
    result.map((tensor, i) => ({ name: model.outputs[i].name, tensor })),
    { computedWith: 'tf.loadGraphModel(model.json).executeAsync(inputs)' });
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  const server = await serve(HERE);
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  try {
    await layersCnn(baseUrl);
    await layersRnn(baseUrl);
    await layersUpsampling(baseUrl);
    await layersNames(baseUrl);
    await layersCustom(baseUrl);
    await graphEmotion(baseUrl);
    await graphTable(baseUrl);
  } finally {
    server.close();
  }
  console.log(`fixtures written with @tensorflow/tfjs ${tf.version.tfjs}`);
}

await main();
