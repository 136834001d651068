import Foundation
import L2O

struct BenchSettings {
    var reps: Int?
    var warmup: Int
}

/// One JSON object with keys in insertion order.
struct JSONLine {
    private var items: [(String, String)] = []
    init(_ name: String) { add("name", name) }
    mutating func add(_ key: String, _ value: String) { items.append((key, "\"\(value)\"")) }
    mutating func add(_ key: String, _ value: Int) { items.append((key, "\(value)")) }
    mutating func add(_ key: String, _ value: [Int]) { items.append((key, "[\(value.map(String.init).joined(separator: ","))]")) }
    mutating func add(_ key: String, _ value: Double, digits: Int = 4) {
        items.append((key, value.isFinite ? String(format: "%.\(digits)g", value) : "null"))
    }
    var json: String { "{" + items.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}" }
}

struct Benchmark {
    let name: String
    let run: (BenchSettings) -> [JSONLine]
}

enum Timing {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-6 }
    /// Median wall-clock milliseconds of `body` over `reps` runs after `warmup` runs.
    static func median(reps: Int, warmup: Int, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var t = [Double]()
        for _ in 0..<reps {
            let t0 = now()
            body()
            t.append(now() - t0)
        }
        return median(t)
    }
    /// The median of a non-empty list of timings.
    static func median(_ times: [Double]) -> Double {
        let t = times.sorted()
        return t.count % 2 == 1 ? t[t.count / 2] : 0.5 * (t[t.count / 2 - 1] + t[t.count / 2])
    }
}

enum Benchmarks {
    static let all: [Benchmark] = [
        Benchmark(name: "gemm", run: gemm),
        Benchmark(name: "stream", run: stream),
        Benchmark(name: "lstm", run: lstm),
        Benchmark(name: "lasso-grad", run: lassoGrad),
        Benchmark(name: "prox-ed-step", run: proxEDStep),
        Benchmark(name: "milodo-step", run: miloDoStep),
        // Each also runs prox-ed-eval-D beside it (same instance, same run).
        Benchmark(name: "milodo-eval-300", run: { evaluationSteps($0, dimensions: [300]) }),
        Benchmark(name: "milodo-eval-3000", run: { evaluationSteps($0, dimensions: [3000]) }),
        Benchmark(name: "milodo-eval-30000", run: { evaluationSteps($0, dimensions: [30000]) }),
        Benchmark(name: "coordinatewise-net", run: coordinatewiseNet),
        Benchmark(name: "parallel-crossover", run: parallelCrossover),
        Benchmark(name: "sheaf-maze", run: sheafMaze),
        Benchmark(name: "graph-energy", run: graphEnergy),
        Benchmark(name: "resnet-grad", run: resNetGrad),
        Benchmark(name: "resnet-sgd", run: resNetSGD),
        Benchmark(name: "mlp-adam-step", run: mlpAdamStep),
        Benchmark(name: "badm-pass", run: { trainingPasses(["badm", "adam"], $0) }),
        Benchmark(name: "adam-pass", run: { trainingPasses(["adam"], $0) }),
    ]

    /// A short decentralized-data SGD run of the ResNet optimizee on Fashion-MNIST (Debian
    /// dataset-fashion-mnist): ResNet(5, 77754, 200, 0) from the training images, minibatches of
    /// 100 from node k mod 5 at step k, step 0.1; reports F before and after, the test accuracy on
    /// the first 1000 test images, and the median time of a step.
    static func resNetSGD(_ s: BenchSettings) -> [JSONLine] {
        var j = JSONLine("resnet-sgd")
        let train: ImageClassificationData<Float>, test: ImageClassificationData<Float>
        do {
            train = try MNISTFormat.load(Float.self, train: true)
            test = try MNISTFormat.load(Float.self, train: false)
        } catch {
            j.add("error", "\(error)")
            return [j]
        }
        let steps = s.reps ?? 200
        let p = try! ResNetClassificationFamily(data: train, nodes: 5, samplesPerNode: 200, seed: 4).instance(.train, index: 0)
        var x = p.initialPoint
        var rng = RandomState(seed: 5)
        let before = p.value(x)
        var times = [Double]()
        for k in 0..<steps {
            let t0 = Timing.now()
            x = x - p.minibatchGradient(shard: k % 5, at: x, rng: &rng).gradient * 0.1
            times.append(Timing.now() - t0)
        }
        times.sort()
        j.add("parameters", p.dimension)
        j.add("nodes", 5); j.add("samples_per_node", 200); j.add("batch", p.batchSize)
        j.add("steps", steps)
        j.add("loss_before", Double(before))
        j.add("loss_after", Double(p.value(x)))
        j.add("test_accuracy", (try? p.accuracy(at: x, on: test.slice(0..<1000))) ?? .nan)
        j.add("median_step_ms", times.isEmpty ? .nan : times[times.count / 2])
        return [j]
    }

    /// One minibatch gradient (100 samples) of the ResNet optimizee (16/32/64, 77,754 parameters)
    /// on 1×28×28 images, Float; synthetic images so that it runs without a dataset.
    static func resNetGrad(_ s: BenchSettings) -> [JSONLine] {
        let data = try! SyntheticImages.generate(Float.self, count: 1000, height: 28, width: 28, classCount: 10, seed: 1, split: .train)
        let p = try! ResNetClassificationFamily(data: data, nodes: 5, samplesPerNode: 200, seed: 2).instance(.train, index: 0)
        let x = p.initialPoint
        var rng = RandomState(seed: 3)
        var loss: Float = 0
        let ms = Timing.median(reps: s.reps ?? 5, warmup: s.warmup) { loss = p.minibatchGradient(shard: 0, at: x, rng: &rng).loss }
        precondition(loss.isFinite)
        var j = JSONLine("resnet-grad")
        j.add("parameters", p.dimension)
        j.add("batch", p.batchSize)
        j.add("image", [1, 28, 28])
        j.add("scalar", "float32")
        j.add("median_ms", ms)
        return [j]
    }

    /// A `[n, N, d]` tensor of pseudo-random values in [−1, 1), filled on all cores.
    static func bigUniform<S: TensorScalar>(_ shape: [Int], as _: S.Type = Float.self) -> Tensor<S> {
        Tensor<S>(shape: shape) { p in
            Parallel.forEachChunk(p.count, minimumPerChunk: 1 << 20) { r in
                var st = RandomState(seed: UInt64(r.lowerBound))
                for i in r { p[i] = S(Float(Int64(bitPattern: st.next() >> 40) - (1 << 23)) * 0x1p-23) }
            }
        }
    }

    /// One Prox-ED iteration on LASSO(10, 30000, 1000, 0.1) in Float (A is 1.2 GB), then in Double
    /// (2.4 GB), each next to one iteration of the learned rule on the same instance (its cost does
    /// not depend on θ's values; the rule has the shipped checkpoint's shape: residual input and
    /// step normalization); in Double also with the networks evaluated in Float.
    static func proxEDStep(_ s: BenchSettings) -> [JSONLine] {
        proxEDAndMiLoDo(Float.self, s) + proxEDAndMiLoDo(Double.self, s)
    }

    static func proxEDAndMiLoDo<S: TensorScalar>(_: S.Type, _ s: BenchSettings) -> [JSONLine] {
        let n = 10, N = 1000, d = 30000
        let suffix = S.self == Float.self ? "" : "-double"
        let p = try! LASSO<S>(A: bigUniform([n, N, d], as: S.self), b: Tensor.normal([n, N], seed: 4), lambda: 0.1)
        let oracles = NodeOracles<S>(nodeCount: n, dimension: d, lambda: 0.1) { p.gradients(at: $0) }
        let w = try! MixingMatrix<S>(topology: try! .ring(n), rule: .uniform)
        let m = ProxED<S>(stepSize: 0.03)
        var state = m.makeState(oracles, mixing: w)
        let ms = Timing.median(reps: s.reps ?? 10, warmup: s.warmup) { m.step(&state, oracles, mixing: w) }
        precondition(m.iterate(state).isFinite)
        var j = JSONLine("prox-ed-step" + suffix)
        j.add("n", n); j.add("N", N); j.add("d", d)
        j.add("scalar", S.dtypeName)
        j.add("median_ms", ms)
        j.add("bytes_A", n * N * d * MemoryLayout<S>.size)
        j.add("gbps", Double(n * N * d * MemoryLayout<S>.size) / (ms * 1e6))
        var rng = RandomState(seed: 5)
        let model = try! MiLoDoModel<S>(topology: w.topology, stepFeatures: .residual, rng: &rng)
        model.specialInitialize(gamma0: 0.05, mixing: w, rng: &rng)
        model.useBoundedOutputs(alpha: 0.5, stepAlpha: 0.9, gamma0: 0.05, mixing: w)
        model.stepScaleReference = 42.71
        var lines = [j]
        for floatNets in S.self == Float.self ? [false] : [false, true] {
            model.useFloatInference(floatNets)
            let milodo = MiLoDoOptimizer(model: model)
            var st = milodo.makeState(oracles, mixing: w)
            let ms2 = Timing.median(reps: max(3, (s.reps ?? 10) / 2), warmup: 1) { milodo.step(&st, oracles, mixing: w) }
            var k = JSONLine("milodo-step-large" + suffix + (floatNets ? "-f32net" : ""))
            k.add("n", n); k.add("N", N); k.add("d", d)
            k.add("scalar", S.dtypeName)
            k.add("network_scalar", floatNets ? "float32" : S.dtypeName)
            k.add("median_ms", ms2)
            k.add("ratio_to_prox_ed", ms2 / ms)
            lines.append(k)
        }
        return lines
    }

    /// Inference of one coordinate-wise network (LSTM hidden 20 → 20 → 1, three inputs, like φ_M
    /// with the residual feature) over 300,000 rows — as many rows as one of MiLoDo's three
    /// networks sees over all 10 nodes of LASSO(10, 30000, ·) — in Float and Double, through the
    /// fused kernel `CoordinatewiseKernel.forward`; then the in-place packed kernel on every
    /// instruction set the CPU has, each as the median of three rounds interleaved with Float GEMM
    /// (`fraction_of_gemm` is its rate over the median GEMM rate of the same rounds).
    static func coordinatewiseNet(_ s: BenchSettings) -> [JSONLine] {
        func one<S: TensorScalar>(_: S.Type) -> JSONLine {
            let m = 300_000, nin = 3, H = 20
            let x = Tensor<S>.uniform([m, nin], seed: 1), h = Tensor<S>.uniform([m, H], seed: 2), c = Tensor<S>.uniform([m, H], seed: 3)
            let w = Tensor<S>.uniform([nin, 4 * H], seed: 4), u = Tensor<S>.uniform([H, 4 * H], seed: 5), b = Tensor<S>.uniform([4 * H], seed: 6)
            let w1 = Tensor<S>.uniform([H, H], seed: 7), b1 = Tensor<S>.uniform([H], seed: 8)
            let w2 = Tensor<S>.uniform([H, 1], seed: 9), b2 = Tensor<S>.uniform([1], seed: 10)
            let ms = Timing.median(reps: s.reps ?? 10, warmup: s.warmup) {
                _ = CoordinatewiseKernel.forward(x: x, h: h, c: c, w: w, u: u, b: b, w1: w1, b1: b1, w2: w2, b2: b2, activation: .relu)
            }
            return line("coordinatewise-net", S.dtypeName, m: m, nin: nin, H: H, ms: ms,
                        set: S.self == Float.self ? CoordinatewiseKernel.instructionSet : nil)
        }
        /// The in-place kernel on a packed Float state (as MiLoDo's Float networks run), features
        /// copied in from a Float array, outputs copied out.
        func packed() -> Double {
            let m = 300_000, nin = 3, H = 20
            let x = Tensor<Float>.uniform([m, nin], seed: 1)
            let state = PackedLSTMState(h: Tensor<Float>.uniform([m, H], seed: 2), c: Tensor<Float>.uniform([m, H], seed: 3))
            let weights = CoordinatewiseKernel.FloatWeights(
                w: .uniform([nin, 4 * H], seed: 4), u: .uniform([H, 4 * H], seed: 5), b: .uniform([4 * H], seed: 6),
                w1: .uniform([H, H], seed: 7), b1: .uniform([H], seed: 8), w2: .uniform([H, 1], seed: 9), b2: .uniform([1], seed: 10))
            var out = [Float](repeating: 0, count: m)
            let ms = out.withUnsafeMutableBufferPointer { op in
                x.scalars.withUnsafeBufferPointer { xp in
                    let X = xp.baseAddress!, Out = op.baseAddress!
                    return Timing.median(reps: s.reps ?? 10, warmup: s.warmup) {
                        CoordinatewiseKernel.forward(state: state, weights: weights, activation: .relu, inputs: { r0, rb, f in
                            for k in 0..<nin { for r in 0..<rb { f[k * rb + r] = X[(r0 + r) * nin + k] } }
                        }, outputs: { r0, rb, o in (Out + r0).update(from: o, count: rb) })
                    }
                }
            }
            return ms
        }
        func line(_ name: String, _ scalar: String, m: Int, nin: Int, H: Int, ms: Double,
                  set: CoordinatewiseKernel.InstructionSet? = nil) -> JSONLine {
            var j = JSONLine(name)
            j.add("rows", m); j.add("inputs", nin); j.add("hidden", H)
            j.add("scalar", scalar)
            if let set { j.add("instruction_set", set.rawValue) }
            j.add("threads", Parallel.workers)
            j.add("median_ms", ms)
            j.add("ns_per_row", ms * 1e6 / Double(m))
            j.add("gflops", Double(m) * 2 * Double((nin + H) * 4 * H + H * H + H) / (ms * 1e6))
            return j
        }
        // The packed kernel on every instruction set this CPU has, interleaved with Float GEMM
        // (2048³, as `gemm`) so that the fraction of the machine's GEMM rate is measured side by side.
        let saved = CoordinatewiseKernel.instructionSet
        let sets = Array(CoordinatewiseKernel.availableInstructionSets.reversed())
        var times = [CoordinatewiseKernel.InstructionSet: [Double]](), gemmRates = [Double]()
        let a = Tensor<Float>.uniform([2048, 2048], seed: 1), b = Tensor<Float>.uniform([2048, 2048], seed: 2)
        for round in 0..<3 {
            let gemmMs = Timing.median(reps: s.reps ?? 10, warmup: 1) { _ = matmul(a, b) }
            gemmRates.append(2 * pow(2048, 3) / (gemmMs * 1e6))
            for set in sets where set != .generic || round == 0 {  // the portable code is slow: one round
                try! CoordinatewiseKernel.select(set)
                times[set, default: []].append(packed())
            }
        }
        try! CoordinatewiseKernel.select(saved)
        let gemmMedian = gemmRates.sorted()[gemmRates.count / 2]
        var lines = [one(Float.self), one(Double.self)]
        for set in sets {
            let t = times[set]!.sorted(), ms = t[t.count / 2]
            var l = line("coordinatewise-net-packed", "float32", m: 300_000, nin: 3, H: 20, ms: ms, set: set)
            let rate = 300_000 * 2 * Double(23 * 80 + 20 * 20 + 20) / (ms * 1e6)
            l.add("rounds", t.count)
            l.add("gemm_float_gflops", gemmMedian)
            l.add("fraction_of_gemm", rate / gemmMedian)
            lines.append(l)
        }
        return lines
    }

    /// One MiLoDo iteration forward (no tape) for a batch of 32 LASSO(10,300,10) problems on a
    /// ring, Float — the same work as the JAX peer's `milodo-step`.
    static func miloDoStep(_ s: BenchSettings) -> [JSONLine] {
        let n = 10, d = 300, N = 10, batch = 32
        var rng = RandomState(seed: 2)
        let topo = try! Topology.ring(n)
        let w = try! MixingMatrix<Float>(topology: topo, rule: .uniform)
        let model = try! MiLoDoModel<Float>(topology: topo, rng: &rng)
        model.specialInitialize(gamma0: 0.03, mixing: w, rng: &rng)
        let problems = (0..<batch).map { k in try! LASSO<Float>(A: .normal([n, N, d], seed: UInt64(10 + k)), b: .normal([n, N], seed: UInt64(100 + k)), lambda: 0.1) }
        let data = try! OptimizeeMetaBatch(problems)
        let context = ForwardContext<Float>(tape: nil)
        var state = model.initialState(batch: batch, dimension: d, tape: nil, rng: &rng)
        let ms = Timing.median(reps: s.reps ?? 10, warmup: s.warmup) {
            state = try! model.step(state, lambda: 0.1, context: context, gradients: data.gradients)
        }
        var j = JSONLine("milodo-step")
        j.add("n", n); j.add("d", d); j.add("batch", batch); j.add("hidden", 20)
        j.add("scalar", "float32")
        j.add("median_ms", ms)
        return [j]
    }

    /// Square matrix products: the machine's floating-point ceiling through OpenBLAS.
    static func gemm(_ s: BenchSettings) -> [JSONLine] {
        func one<S: TensorScalar>(_: S.Type, _ n: Int) -> JSONLine {
            let a = Tensor<S>.uniform([n, n], seed: 1), b = Tensor<S>.uniform([n, n], seed: 2)
            let ms = Timing.median(reps: s.reps ?? 10, warmup: s.warmup) { _ = matmul(a, b) }
            var j = JSONLine("gemm")
            j.add("m", n); j.add("n", n); j.add("k", n)
            j.add("scalar", S.dtypeName)
            j.add("threads", Parallel.workers)
            j.add("median_ms", ms)
            j.add("gflops", 2 * pow(Double(n), 3) / (ms * 1e6))
            return j
        }
        return [one(Float.self, 2048), one(Double.self, 2048)]
    }

    /// Memory bandwidth on all cores: a read-only sum (the access pattern of a gradient that
    /// streams a matrix) and a triad `a = b + s·c`, over arrays far larger than the caches.
    static func stream(_ s: BenchSettings) -> [JSONLine] {
        let count = 1 << 28  // 1 GiB of Float for the read test
        var big = [Float](repeating: 0, count: count)
        big.withUnsafeMutableBufferPointer { p in
            Parallel.forEachChunk(count, minimumPerChunk: 1 << 20) { r in for i in r { p[i] = Float(i & 1023) * 1e-3 } }
        }
        var sink: Float = 0
        let readMs = Timing.median(reps: s.reps ?? 10, warmup: s.warmup) {
            sink += big.withUnsafeBufferPointer { MemoryKernels.parallelSum($0) }
        }
        var read = JSONLine("stream")
        read.add("kernel", "read")
        read.add("bytes", count * 4)
        read.add("scalar", "float32")
        read.add("threads", Parallel.workers)
        read.add("median_ms", readMs)
        read.add("gbps", Double(count * 4) / (readMs * 1e6))
        big = []
        let m = 1 << 26
        var a = [Float](repeating: 0, count: m)
        let b = [Float](repeating: 1, count: m), c = [Float](repeating: 2, count: m)
        let triadMs = Timing.median(reps: s.reps ?? 10, warmup: s.warmup) {
            a.withUnsafeMutableBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeBufferPointer { cp in MemoryKernels.parallelTriad(ap, bp, cp, 3) }
                }
            }
        }
        var triad = JSONLine("stream")
        triad.add("kernel", "triad")
        triad.add("bytes", m * 12)
        triad.add("scalar", "float32")
        triad.add("threads", Parallel.workers)
        triad.add("median_ms", triadMs)
        triad.add("gbps", Double(m * 12) / (triadMs * 1e6))
        if sink == .infinity { print("") }
        return [read, triad]
    }

    /// One fused LSTM cell step forward and backward (gradients for every input and parameter),
    /// as the learned optimizer runs it on every coordinate of every node.
    static func lstm(_ s: BenchSettings) -> [JSONLine] {
        let rows = 96000, inp = 2, hid = 20
        var rng = RandomState(seed: 0)
        let x = Tensor<Float>.normal([rows, inp], rng: &rng), h = Tensor<Float>.normal([rows, hid], rng: &rng)
        let c = Tensor<Float>.normal([rows, hid], rng: &rng)
        let w = Tensor<Float>.normal([inp, 4 * hid], std: 0.1, rng: &rng), u = Tensor<Float>.normal([hid, 4 * hid], std: 0.1, rng: &rng)
        let b = Tensor<Float>.zeros([4 * hid])
        let tape = Tape<Float>()
        let ms = Timing.median(reps: s.reps ?? 20, warmup: s.warmup) {
            let vs = [x, h, c, w, u, b].map { tape.variable($0) }
            let (h2, c2) = lstmCell(x: vs[0], h: vs[1], c: vs[2], w: vs[3], u: vs[4], b: vs[5])
            tape.backward(h2.sum() + c2.sum())
            tape.reset()
        }
        var j = JSONLine("lstm")
        j.add("rows", rows); j.add("input", inp); j.add("hidden", hid)
        j.add("scalar", "float32")
        j.add("median_ms", ms)
        // gemm work: forward z (2·rows·(in+H)·4H) and backward dx,dh,dW,dU (4× that / 2 each)
        let flops = 2.0 * Double(rows * (inp + hid) * 4 * hid) * 3
        j.add("gemm_gflops", flops / (ms * 1e6))
        return [j]
    }

    /// `∇f_i = A_iᵀ(A_i x_i − b_i)/N` for all nodes of LASSO(10, 30000, 1000): 1.2 GB of `A`.
    static func lassoGrad(_ s: BenchSettings) -> [JSONLine] {
        let n = 10, N = 1000, d = 30000
        let a = Tensor<Float>(shape: [n, N, d]) { p in
            Parallel.forEachChunk(p.count, minimumPerChunk: 1 << 20) { r in
                var st = RandomState(seed: UInt64(r.lowerBound))
                for i in r { p[i] = Float(Int64(bitPattern: st.next() >> 40) - (1 << 23)) * 0x1p-23 }
            }
        }
        let x = Tensor<Float>.normal([n, d], seed: 3), b = Tensor<Float>.normal([n, N], seed: 4)
        // The implementations alternate rep by rep, so both see the same machine noise.
        let impls = LeastSquares.Implementation.allCases
        var times = [[Double]](repeating: [], count: impls.count)
        var results = [Tensor<Float>?](repeating: nil, count: impls.count)
        for rep in 0..<(s.warmup + (s.reps ?? 15)) {
            for (k, impl) in impls.enumerated() {
                let t0 = Timing.now()
                let g = LeastSquares.gradient(a: a, x: x, b: b, scale: 1 / Float(N), implementation: impl)
                let dt = Timing.now() - t0
                if rep >= s.warmup { times[k].append(dt) }
                results[k] = g
            }
        }
        for r in results { precondition(r!.isFinite && r!.isClose(to: results[0]!, rtol: 1e-3, atol: 1e-3), "lasso-grad: implementations disagree") }
        var out = [JSONLine]()
        for (k, impl) in impls.enumerated() {
            let t = times[k].sorted()
            let ms = t.count % 2 == 1 ? t[t.count / 2] : 0.5 * (t[t.count / 2 - 1] + t[t.count / 2])
            var j = JSONLine("lasso-grad")
            j.add("n", n); j.add("N", N); j.add("d", d)
            j.add("scalar", "float32")
            j.add("impl", impl.rawValue)
            j.add("median_ms", ms)
            j.add("bytes_A", n * N * d * 4)
            j.add("gbps", Double(n * N * d * 4) / (ms * 1e6))
            out.append(j)
        }
        return out
    }
}

/// Bandwidth kernels for `stream`.
enum MemoryKernels {
    static func parallelSum(_ p: UnsafeBufferPointer<Float>) -> Float {
        let workers = Parallel.workers
        var partial = [Float](repeating: 0, count: workers)
        let per = (p.count + workers - 1) / workers
        partial.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * per, hi = min(p.count, lo + per)
                var acc = SIMD16<Float>()
                var acc2 = SIMD16<Float>()
                var i = lo
                let base = UnsafeRawPointer(p.baseAddress!)
                while i + 32 <= hi {
                    acc += base.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                    acc2 += base.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                    i += 32
                }
                var s = (acc + acc2).sum()
                while i < hi { s += p[i]; i += 1 }
                out[w] = s
            }
        }
        return partial.reduce(0, +)
    }

    static func parallelTriad(_ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, _ c: UnsafeBufferPointer<Float>, _ s: Float) {
        Parallel.forEachChunk(a.count, minimumPerChunk: 1 << 20) { r in
            for i in r { a[i] = b[i] + s * c[i] }
        }
    }
}
