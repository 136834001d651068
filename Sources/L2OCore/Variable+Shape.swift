extension Variable {
    @inlinable public func reshaped(_ newShape: [Int]) -> Variable {
        let s = shape
        return Variable.unary(self, value.reshaped(newShape)) { $0.reshaped(s) }
    }
    /// Transpose of a 2-D variable.
    @inlinable public func transposed() -> Variable { Variable.unary(self, value.transposed()) { $0.transposed() } }

    /// Rows `range` along the first axis.
    @inlinable public func rows(_ range: Range<Int>) -> Variable {
        let s = shape
        return Variable.unary(self, value.rows(range)) { g in
            let inner = g.count / Swift.max(g.shape[0], 1)
            var out = Tensor<Scalar>.zeros(s)
            out.scalars.replaceSubrange((range.lowerBound * inner)..<(range.upperBound * inner), with: g.scalars)
            return out
        }
    }
    /// Columns `range` of a 2-D variable.
    @inlinable public func columns(_ range: Range<Int>) -> Variable {
        let s = shape
        return Variable.unary(self, value.columns(range)) { g in
            var out = Tensor<Scalar>.zeros(s)
            let w = range.count
            for i in 0..<s[0] { for j in 0..<w { out.scalars[i * s[1] + range.lowerBound + j] = g.scalars[i * w + j] } }
            return out
        }
    }
    /// Rows picked by index (gradient scatter-adds back).
    @inlinable public func gatherRows(_ index: [Int]) -> Variable {
        let rows = shape[0]
        return Variable.unary(self, value.gatherRows(index)) { $0.scatterAddRows(index, rowCount: rows) }
    }
    /// Scatter-add of rows (gradient gathers back).
    @inlinable public func scatterAddRows(_ index: [Int], rowCount: Int) -> Variable {
        Variable.unary(self, value.scatterAddRows(index, rowCount: rowCount)) { $0.gatherRows(index) }
    }

    /// Concatenation along an axis.
    @inlinable public static func concat(_ parts: [Variable], axis: Int = 0) -> Variable {
        let value = Tensor.concat(parts.map(\.value), axis: axis)
        let r = value.rank
        let ax = axis < 0 ? axis + r : axis
        let outer = value.shape[..<ax].reduce(1, *)
        let widths = parts.map { $0.value.count / Swift.max(outer, 1) }
        let shapes = parts.map(\.shape)
        return record(value, inputs: parts) { g in
            var outs = shapes.map { [Scalar](repeating: 0, count: $0.reduce(1, *)) }
            let total = widths.reduce(0, +)
            for o in 0..<outer {
                var off = o * total
                for (k, w) in widths.enumerated() {
                    for q in 0..<w { outs[k][o * w + q] = g.scalars[off + q] }
                    off += w
                }
            }
            return zip(shapes, outs).map { Tensor(shape: $0, scalars: $1) }
        }
    }
    /// Stacks variables of equal shape along a new axis.
    @inlinable public static func stack(_ parts: [Variable], axis: Int = 0) -> Variable {
        let s0 = parts[0].shape
        let ax = axis < 0 ? axis + s0.count + 1 : axis
        var expanded = s0
        expanded.insert(1, at: ax)
        return concat(parts.map { $0.reshaped(expanded) }, axis: ax)
    }
}
