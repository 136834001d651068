import Foundation
import L2OCore
import L2ONN

/// The packed LSTM states of every node's networks (node → `[M, S, U]`).
final class MiLoDoPackedStates {
    let lstm: [[PackedLSTMState]]
    init(_ lstm: [[PackedLSTMState]]) { self.lstm = lstm }
}

extension MiLoDoModel {
    /// The rule's state in the form `inferenceStep` updates: iterates and duals in the model's
    /// scalar, every network's LSTM state packed in Float (`PackedLSTMState`).
    public struct InferenceState {
        /// Per node `[B, d]`.
        public internal(set) var x: [Tensor<Scalar>]
        public internal(set) var y: [Tensor<Scalar>]
        /// Node → `[M, S, U]`, shared between copies until one of them steps.
        var box: MiLoDoPackedStates
        var lstm: [[PackedLSTMState]] { box.lstm }
        public var scale: Tensor<Scalar>?

        /// Packs `state` (its LSTM states rounded to Float).
        public init(_ state: State) {
            x = state.x.map(\.value)
            y = state.y.map(\.value)
            box = MiLoDoPackedStates(state.lstm.map { $0.map { PackedLSTMState(h: $0.h.value, c: $0.c.value) } })
            scale = state.scale
        }

        /// The same state with the LSTM states unpacked into the model's scalar.
        public var unpacked: State {
            State(x: x.map { Variable(constant: $0) }, y: y.map { Variable(constant: $0) },
                  lstm: lstm.map { $0.map { let u = $0.unpacked(as: Scalar.self); return (Variable(constant: u.h), Variable(constant: u.c)) } },
                  scale: scale)
        }
    }

    /// Whether `inferenceStep` can run: every network holds Float weights (`useFloatInference(true)`).
    public var hasFloatInference: Bool {
        nodes.allSatisfy { node in [node.m, node.s, node.u].allSatisfy { $0.floatWeights != nil } }
    }

    /// One tape-free iteration of `step` with the networks in Float on packed LSTM states,
    /// without intermediate tensors for the networks: each network reads its features straight
    /// from the iterates and its outputs become coefficients (and `z`) block by block. The same
    /// result as `step` with `useFloatInference(true)` to Float rounding: the bounded outputs'
    /// `tanh` is taken in Float (absolute error below 3e-7, the networks' own precision), and the
    /// blocks may split rows differently. Requires `hasFloatInference`.
    public func inferenceStep(_ s: inout InferenceState, lambda: Scalar, gradients: ([Tensor<Scalar>]) -> [Tensor<Scalar>]) {
        let n = topology.nodeCount
        precondition(hasFloatInference, "MiLoDoModel.inferenceStep: call useFloatInference(true) first")
        precondition(s.x.count == n && s.y.count == n && s.lstm.count == n, "MiLoDoModel.inferenceStep: state for \(s.x.count) nodes, model has \(n)")
        let shape = s.x[0].shape, rows = shape.reduce(1, *), d = shape.last ?? 1
        for i in 0..<n {
            precondition(s.x[i].shape == shape && s.y[i].shape == shape && s.lstm[i].count == 3 && s.lstm[i].allSatisfy { $0.rows == rows },
                         "MiLoDoModel.inferenceStep: inconsistent state at node \(i)")
        }
        // The LSTM states are updated in place: copy them first if another value shares them.
        if !isKnownUniquelyReferenced(&s.box) { s.box = MiLoDoPackedStates(s.box.lstm.map { $0.map { $0.copy() } }) }
        let g = gradients(s.x)
        precondition(g.count == n && g.allSatisfy { $0.shape == shape }, "MiLoDoModel.inferenceStep: gradients of the wrong shape")
        let bounded: Scalar? = { if case .bounded(let a) = outputs { return Scalar(a) } else { return nil } }()
        let aM = Scalar(stepAlpha)
        let scale = s.scale?.scalars
        if let scale { precondition(scale.count * d == rows, "MiLoDoModel.inferenceStep: \(scale.count) scales for \(rows / d) problems") }
        let invLambda: Scalar = lambda > 0 ? 1 / lambda : 1
        let residualFeature = stepFeatures == .residual
        let degrees = topology.neighbors.map(\.count)
        let offsets = degrees.indices.map { degrees[..<$0].reduce(0, +) * rows }
        let z = UnsafeMutablePointer<Scalar>.allocate(capacity: n * rows)
        let ps = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(1, degrees.reduce(0, +) * rows))
        let pu = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(1, degrees.reduce(0, +) * rows))
        defer { z.deallocate(); ps.deallocate(); pu.deallocate() }

        // Nodes run in parallel when one node's rows are too few for the kernel to split its
        // blocks across the cores (d below 4 blocks per worker); otherwise the kernel does.
        let nodeParallel = rows < 4 * CoordinatewiseKernel.blockRows * Parallel.workers
        func forEachNode(_ body: (Int) -> Void) {
            if nodeParallel {
                Parallel.forEachChunk(n, minimumPerChunk: 1) { range in for i in range { body(i) } }
            } else {
                for i in 0..<n { body(i) }
            }
        }

        // φ_M: p_i and z_i⁺ = soft(x_i − p_i (g_i + y_i), λ p_i).
        forEachNode { i in
            let net = nodes[i].m
            let centre = centres.isEmpty ? 1 : centres[i].m.scalars[0]
            let Z = z + i * rows
            g[i].scalars.withUnsafeBufferPointer { gp in
            s.y[i].scalars.withUnsafeBufferPointer { yp in
            s.x[i].scalars.withUnsafeBufferPointer { xp in
                let G = gp.baseAddress!, Y = yp.baseAddress!, X = xp.baseAddress!
                CoordinatewiseKernel.forward(state: s.lstm[i][0], weights: net.floatWeights!, activation: net.outputActivation, inputs: { r0, rb, f in
                    for r in 0..<rb {
                        let gv = G[r0 + r], yv = Y[r0 + r]
                        f[r] = Float(gv)
                        f[rb + r] = Float(yv)
                        if residualFeature { f[2 * rb + r] = Float(Swift.abs(gv + yv) * invLambda) }
                    }
                }, outputs: { r0, rb, o in
                    if bounded != nil { CoordinatewiseKernel.tanh(o, count: rb) }
                    for r in 0..<rb {
                        let row = r0 + r
                        var p = bounded != nil ? (Scalar(o[r]) * aM + 1) * centre : Scalar(o[r])
                        if let scale { p = p * scale[row / d] }
                        Z[row] = softThresholdScalar(X[row] - p * (G[row] + Y[row]), p * lambda)
                    }
                })
            }}}
        }

        // φ_S and φ_U on Δ_ij = z_i − z_j: p̃_ij,1 and p_ij,2, per neighbour column.
        forEachNode { i in
            let nb = topology.neighbors[i], deg = nb.count
            let Zi = z + i * rows
            let fill = { (r0: Int, rb: Int, f: UnsafeMutablePointer<Float>) in
                for (k, j) in nb.enumerated() {
                    let Zj = z + j * rows, col = f + k * rb
                    for r in 0..<rb { col[r] = Float(Zi[r0 + r] - Zj[r0 + r]) }
                }
            }
            for (module, net, out, centre) in [(1, nodes[i].s, ps, centres.isEmpty ? nil : centres[i].s),
                                               (2, nodes[i].u, pu, centres.isEmpty ? nil : centres[i].u)] {
                let P = out + offsets[i]
                let c = centre?.scalars ?? []
                CoordinatewiseKernel.forward(state: s.lstm[i][module], weights: net.floatWeights!,
                                             activation: net.outputActivation, inputs: fill, outputs: { r0, rb, o in
                    if bounded != nil { CoordinatewiseKernel.tanh(o, count: deg * rb) }
                    for k in 0..<deg {
                        let src = o + k * rb, dst = P + k * rows + r0
                        if let a = bounded {
                            let ck = c[k]
                            for r in 0..<rb { dst[r] = (Scalar(src[r]) * a + 1) * ck }
                        } else {
                            for r in 0..<rb { dst[r] = Scalar(src[r]) }
                        }
                    }
                })
            }
        }

        // y_i⁺ = y_i + Σ_j p_ij,1 Δ_ij with p_ij,1 = (p̃_ij,1 + p̃_ji,1)/2, x_i⁺ = z_i⁺ − Σ_j p_ij,2 Δ_ij.
        var xs = s.x, ys = s.y
        xs.withUnsafeMutableBufferPointer { xsp in
        ys.withUnsafeMutableBufferPointer { ysp in
            let xsBase = xsp.baseAddress!, ysBase = ysp.baseAddress!
            forEachNode { i in
                let nb = topology.neighbors[i]
                let back = nb.map { j in topology.neighbors[j].firstIndex(of: i)! }
                let Zi = z + i * rows
                var yNew = s.y[i]
                let xNew = Tensor<Scalar>(shape: shape) { xp in
                    yNew.withUnsafeMutableBufferPointer { yp in
                        let XN = xp.baseAddress!, YN = yp.baseAddress!
                        Parallel.forEachChunk(rows, minimumPerChunk: nodeParallel ? rows + 1 : 8192) { range in
                            for row in range {
                                var yv = YN[row], xv = Zi[row]
                                for (k, j) in nb.enumerated() {
                                    let delta = Zi[row] - z[j * rows + row]
                                    var p1 = (ps[offsets[i] + k * rows + row] + ps[offsets[j] + back[k] * rows + row]) * 0.5
                                    if let scale { p1 = p1 / scale[row / d] }
                                    yv = yv + p1 * delta
                                    xv = xv - pu[offsets[i] + k * rows + row] * delta
                                }
                                YN[row] = yv
                                XN[row] = xv
                            }
                        }
                    }
                }
                (xsBase + i).pointee = xNew
                (ysBase + i).pointee = yNew
            }
        }}
        s.x = xs
        s.y = ys
    }
}
