extension Variable {
    /// Sum of all elements (a rank-0 result).
    @inlinable public func sum() -> Variable {
        let s = shape
        return Variable.unary(self, Tensor(value.sum())) { g in Tensor(repeating: g.scalars[0], shape: s) }
    }
    @inlinable public func mean() -> Variable {
        let s = shape, n = Scalar(Swift.max(value.count, 1))
        return Variable.unary(self, Tensor(value.mean())) { g in Tensor(repeating: g.scalars[0] / n, shape: s) }
    }
    @inlinable public func sum(axis: Int, keepingDims: Bool = false) -> Variable {
        let s = shape
        let ax = axis < 0 ? axis + s.count : axis
        var kept = s
        kept[ax] = 1
        return Variable.unary(self, value.sum(axis: axis, keepingDims: keepingDims)) { g in
            g.reshaped(kept).zipWith(Tensor.zeros(s)) { a, _ in a }
        }
    }
    @inlinable public func mean(axis: Int, keepingDims: Bool = false) -> Variable {
        let n = Scalar(value.axisExtents(axis).n)
        return sum(axis: axis, keepingDims: keepingDims) / n
    }
    /// Maximum along an axis; the gradient goes to the (first) maximising element.
    @inlinable public func max(axis: Int, keepingDims: Bool = false) -> Variable {
        let s = shape
        let (outer, n, inner, _) = value.axisExtents(axis)
        let (vals, idx) = value.maxWithIndex(axis: axis, keepingDims: keepingDims)
        return Variable.unary(self, vals) { g in
            var out = Tensor<Scalar>.zeros(s)
            for p in 0..<outer {
                for q in 0..<inner { out.scalars[(p * n + idx[p * inner + q]) * inner + q] += g.scalars[p * inner + q] }
            }
            return out
        }
    }
    /// ‖x‖² of all elements.
    @inlinable public func squaredNorm() -> Variable {
        let xv = value
        return Variable.unary(self, Tensor(xv.squaredNorm())) { g in xv * (2 * g.scalars[0]) }
    }
    /// ‖x‖₂ of all elements (gradient x/‖x‖, zero at 0).
    @inlinable public func norm() -> Variable {
        let xv = value
        let nrm = xv.norm()
        return Variable.unary(self, Tensor(nrm)) { g in nrm > 0 ? xv * (g.scalars[0] / nrm) : .zeros(xv.shape) }
    }
}
