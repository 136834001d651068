import L2OCore

/// The geometry of a 2-D convolution or pooling window over one `[C, H, W]` image.
///
/// Output size per axis: `O = ⌊(I + 2p − k) / s⌋ + 1`. Window position `(oy, ox)` and kernel
/// offset `(i, j)` read input pixel `(oy·s − p + i, ox·s − p + j)`; positions outside the image
/// are the zero padding.
@usableFromInline
struct ConvGeometry {
    @usableFromInline let channels: Int, height: Int, width: Int
    @usableFromInline let kernelH: Int, kernelW: Int, stride: Int, padding: Int
    @usableFromInline let outH: Int, outW: Int

    @inlinable
    init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.stride = stride
        self.padding = padding
        outH = (height + 2 * padding - kernelH) / stride + 1
        outW = (width + 2 * padding - kernelW) / stride + 1
    }

    /// Rows of the column matrix: `C·kH·kW`.
    @inlinable var patchSize: Int { channels * kernelH * kernelW }
    /// Columns of the column matrix: `outH·outW`.
    @inlinable var outputPixels: Int { outH * outW }
    @inlinable var imageSize: Int { channels * height * width }

    /// im2col: writes `cols[(c·kH + i)·kW + j, oy·outW + ox] = x[c, oy·s − p + i, ox·s − p + j]`
    /// (zero outside the image) for one image `x [C, H, W]`.
    @inlinable
    func im2col<S: TensorScalar>(_ x: UnsafePointer<S>, _ cols: UnsafeMutablePointer<S>) {
        let L = outputPixels
        for c in 0..<channels {
            for i in 0..<kernelH {
                for j in 0..<kernelW {
                    let row = cols + ((c * kernelH + i) * kernelW + j) * L
                    for oy in 0..<outH {
                        let iy = oy * stride - padding + i
                        let dst = row + oy * outW
                        guard iy >= 0 && iy < height else {
                            dst.update(repeating: 0, count: outW)
                            continue
                        }
                        let src = x + (c * height + iy) * width
                        for ox in 0..<outW {
                            let ix = ox * stride - padding + j
                            dst[ox] = (ix >= 0 && ix < width) ? src[ix] : 0
                        }
                    }
                }
            }
        }
    }

    /// col2im, the adjoint of `im2col`: adds every column entry back onto the input pixel it was
    /// read from (`gx` must be initialised; padding positions are dropped).
    @inlinable
    func col2imAdd<S: TensorScalar>(_ cols: UnsafePointer<S>, _ gx: UnsafeMutablePointer<S>) {
        let L = outputPixels
        for c in 0..<channels {
            for i in 0..<kernelH {
                for j in 0..<kernelW {
                    let row = cols + ((c * kernelH + i) * kernelW + j) * L
                    for oy in 0..<outH {
                        let iy = oy * stride - padding + i
                        guard iy >= 0 && iy < height else { continue }
                        let src = row + oy * outW
                        let dst = gx + (c * height + iy) * width
                        for ox in 0..<outW {
                            let ix = ox * stride - padding + j
                            if ix >= 0 && ix < width { dst[ix] += src[ox] }
                        }
                    }
                }
            }
        }
    }
}
