using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Ops;

/// <summary>
/// RoI Align (He et al., Mask R-CNN, ICCV 2017): like RoI pooling but without quantisation. Each bin averages
/// bilinearly interpolated samples on a regular sampling_ratio x sampling_ratio grid (or ceil(roi size / bins)
/// samples when sampling_ratio ≤ 0). With <c>aligned</c>, pixel centres are shifted by half a pixel
/// (torchvision's aligned=True); without, RoIs are at least 1x1 (the original Mask R-CNN code).
/// </summary>
/// <remarks>
/// The sampling positions and bilinear weights depend only on the RoIs, so they are computed in C# as a sparse
/// matrix S <c>[K·h·w, N·H·W]</c>; the output is S times the input laid out as <c>[N·H·W, C]</c>. The product is
/// differentiable in the input (its gradient is Sᵀ times the output gradient), so autograd gives the exact backward pass.
/// Float32 on the CPU (training and inference) skips the matrix: the same sums are accumulated directly and a custom
/// autograd function (<see cref="AlignPlan"/>) gives their backward pass; other types and devices take the sparse product.
/// That path returns its <c>[K, C, h, w]</c> stored channels-last (each bin's C values adjacent, as torch's
/// <c>channels_last</c> format): the sums are written where they are made, and a head that flattens the bins channels-last
/// (<see cref="Nn.RegionHead.Truncated"/>) reads them without a copy; <c>flatten</c> or <c>contiguous</c> gives the usual order.
/// </remarks>
public sealed class RoiAlign : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates a RoI Align layer.</summary>
    public RoiAlign(int outputHeight, int outputWidth, double spatialScale, int samplingRatio = 2, bool aligned = true) : base(nameof(RoiAlign))
    {
        RoiChecks.Output(outputHeight, outputWidth, spatialScale);
        (OutputHeight, OutputWidth, SpatialScale, SamplingRatio, Aligned) = (outputHeight, outputWidth, spatialScale, samplingRatio, aligned);
    }

    /// <summary>Bins per RoI vertically.</summary>
    public int OutputHeight { get; }
    /// <summary>Bins per RoI horizontally.</summary>
    public int OutputWidth { get; }
    /// <summary>Feature-map cells per input pixel.</summary>
    public double SpatialScale { get; }
    /// <summary>Samples per bin along each axis (≤ 0: adaptive).</summary>
    public int SamplingRatio { get; }
    /// <summary>Half-pixel offset (torchvision's aligned=True).</summary>
    public bool Aligned { get; }

    /// <summary>Aligns <paramref name="input"/> <c>[N, C, H, W]</c> over <paramref name="rois"/> <c>[K, 5]</c>; returns <c>[K, C, h, w]</c>.</summary>
    public override Tensor forward(Tensor input, Tensor rois) => Apply(input, rois, OutputHeight, OutputWidth, SpatialScale, SamplingRatio, Aligned);

    /// <summary>
    /// RoI Align. <paramref name="input"/>: float <c>[N, C, H, W]</c>; <paramref name="rois"/>: <c>[K, 5]</c> rows
    /// (batch index, x1, y1, x2, y2) in input-image pixels. Returns <c>[K, C, h, w]</c>, differentiable in the input.
    /// </summary>
    public static Tensor Apply(Tensor input, Tensor rois, int outputHeight, int outputWidth, double spatialScale, int samplingRatio = 2, bool aligned = true)
    {
        RoiChecks.Output(outputHeight, outputWidth, spatialScale);
        var r = RoiChecks.Rois(input, rois);
        if (!input.is_floating_point()) throw new ArgumentException($"RoI Align needs a floating-point input, got {input.dtype}");
        int n = (int)input.shape[0], c = (int)input.shape[1], h = (int)input.shape[2], w = (int)input.shape[3];
        int k = r.Length / 5, bins = outputHeight * outputWidth;
        using var scope = NewDisposeScope();
        if (k == 0) return zeros(new long[] { 0, c, outputHeight, outputWidth }, input.dtype).MoveToOuterDisposeScope();
        if (input.dtype == ScalarType.Float32 && input.device.type == DeviceType.CPU
            && (long)n * c * h * w <= int.MaxValue && (long)k * bins * c * sizeof(float) <= int.MaxValue)
        {
            var plan = new AlignPlan(r, n, c, h, w, outputHeight, outputWidth, spatialScale, samplingRatio, aligned);
            var y = input.requires_grad && is_grad_enabled() ? DirectFunction.apply(input, plan) : plan.Forward(input);
            return y.MoveToOuterDisposeScope();
        }
        var sparsePlan = new AlignPlan(r, n, c, h, w, outputHeight, outputWidth, spatialScale, samplingRatio, aligned);
        var rows = new List<long>[k]; var cols = new List<long>[k]; var vals = new List<double>[k];
        Parallel.For(0, k, () => new AxisTaps(), (roi, _, taps) =>
        {
            var (rr, cc, vv) = (new List<long>(), new List<long>(), new List<double>());
            sparsePlan.Entries(taps, roi, rr, cc, vv);
            (rows[roi], cols[roi], vals[roi]) = (rr, cc, vv);
            return taps;
        }, _ => { });
        long nnz = rows.Sum(x => x.Count);
        var idx = new long[2 * nnz]; var val = new double[nnz];
        long o = 0;
        for (int roi = 0; roi < k; roi++)
            for (int i = 0; i < rows[roi].Count; i++, o++)
            {
                idx[o] = rows[roi][i]; idx[nnz + o] = cols[roi][i]; val[o] = vals[roi][i];
            }
        var sampling = sparse_coo_tensor(tensor(idx, new long[] { 2, nnz }), tensor(val).to_type(input.dtype),
            new long[] { (long)k * bins, (long)n * h * w }).to(input.device);
        var x = input.permute(0, 2, 3, 1).reshape((long)n * h * w, c);
        var outp = sampling.mm(x).view(k, outputHeight, outputWidth, c).permute(0, 3, 1, 2).contiguous();
        return outp.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// RoI Align's taps — which cells each bin samples, with which weights — and the weighted sums computed directly
    /// from them for float32 on the CPU, without a sparse matrix (the sparse path builds its matrix from the same taps,
    /// <see cref="Entries"/>). Bilinear sampling is
    /// separable, so each RoI first lists its samples' rows (two taps each, for every bin row and sample) and columns;
    /// each bin then sums its gh·gw·4 taps of the channels-last map into SIMD accumulators held across channels. The
    /// backward pass walks the same taps the other way (∂x += weight · ∂y), each thread into its own gradient map,
    /// summed at the end. Equal to the sparse product and its autograd gradient up to float32 summation order (tested).
    /// </summary>
    private sealed class AlignPlan(float[] r, int n, int c, int h, int w, int ph, int pw, double scale, int ratio, bool aligned)
    {
        private int Bins => ph * pw;

        /// <summary>RoI Align of <paramref name="input"/> <c>[N, C, H, W]</c>; returns <c>[K, C, h, w]</c>.</summary>
        public Tensor Forward(Tensor input)
        {
            int k = r.Length / 5, bins = Bins;
            var data = input.detach().permute(0, 2, 3, 1).contiguous(); // [N, H, W, C]: free for a channels-last map
            var output = empty(new long[] { k, ph, pw, c }); // channels last: each bin's C sums are adjacent
            int vc = System.Numerics.Vector<float>.Count;
            Parallel.For(0, k, () => new AxisTaps(), (roi, _, taps) =>
            {
                var x = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data.bytes);
                ref float x0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
                var local = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(output.bytes).Slice(roi * bins * c, bins * c);
                Setup(taps, roi);
                for (int bin = 0; bin < bins; bin++)
                {
                    int nt = BinTaps(taps, roi, bin);
                    var weights = taps.Weight.AsSpan(0, nt);
                    var offsets = taps.Offset.AsSpan(0, nt);
                    var sums = local.Slice(bin * c, c);
                    int ch = 0;
                    // Every tap is a cell of the map (cells are clamped to it), so cell·C + ch + vc ≤ |x|. Four channel
                    // blocks at a time: four independent sums keep the multiply-add unit busy where one sum waits on
                    // the last; each channel's sum runs over the taps in the same order either way.
                    for (; ch + 4 * vc <= c; ch += 4 * vc)
                    {
                        var (a0, a1, a2, a3) = (System.Numerics.Vector<float>.Zero, System.Numerics.Vector<float>.Zero, System.Numerics.Vector<float>.Zero, System.Numerics.Vector<float>.Zero);
                        for (int t = 0; t < weights.Length; t++)
                        {
                            nuint at = (nuint)offsets[t] * (nuint)c + (nuint)ch;
                            float wt = weights[t];
                            a0 += wt * System.Numerics.Vector.LoadUnsafe(ref x0, at);
                            a1 += wt * System.Numerics.Vector.LoadUnsafe(ref x0, at + (nuint)vc);
                            a2 += wt * System.Numerics.Vector.LoadUnsafe(ref x0, at + (nuint)(2 * vc));
                            a3 += wt * System.Numerics.Vector.LoadUnsafe(ref x0, at + (nuint)(3 * vc));
                        }
                        a0.CopyTo(sums.Slice(ch)); a1.CopyTo(sums.Slice(ch + vc)); a2.CopyTo(sums.Slice(ch + 2 * vc)); a3.CopyTo(sums.Slice(ch + 3 * vc));
                    }
                    for (; ch + vc <= c; ch += vc)
                    {
                        var acc = System.Numerics.Vector<float>.Zero;
                        for (int t = 0; t < weights.Length; t++)
                            acc += weights[t] * System.Numerics.Vector.LoadUnsafe(ref x0, (nuint)offsets[t] * (nuint)c + (nuint)ch);
                        acc.CopyTo(sums.Slice(ch));
                    }
                    for (; ch < c; ch++)
                    {
                        float acc = 0;
                        for (int t = 0; t < weights.Length; t++) acc += weights[t] * x[offsets[t] * c + ch];
                        sums[ch] = acc;
                    }
                }
                return taps;
            }, _ => { });
            return output.permute(0, 3, 1, 2);
        }

        /// <summary>The gradient of <see cref="Forward"/> for <paramref name="grad"/> <c>[K, C, h, w]</c>: <c>[N, C, H, W]</c>, stored channels-last.</summary>
        public Tensor Backward(Tensor grad)
        {
            int k = r.Length / 5, bins = Bins;
            var g = grad.contiguous();
            // A fixed split of the RoIs, one gradient map per part, summed in part order: the same threads give the
            // same sums, run after run. The maps are torch tensors written in place (channels-last [N, H, W, C]), so the
            // gradient is neither allocated on the managed heap nor copied into a tensor afterwards.
            int parts = Math.Max(1, Math.Min(get_num_threads(), k));
            var maps = Enumerable.Range(0, parts).Select(_ => zeros(new long[] { n, h, w, c })).ToArray();
            int vc = System.Numerics.Vector<float>.Count;
            Parallel.For(0, parts, part =>
            {
                var map = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(maps[part].bytes);
                var taps = new AxisTaps();
                var local = taps.Sums(bins * c);
                ref float m0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(map);
                for (int roi = (int)((long)part * k / parts); roi < (int)((long)(part + 1) * k / parts); roi++)
                {
                    var gy = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(g.bytes).Slice(roi * bins * c, bins * c);
                    for (int bin = 0; bin < bins; bin++)
                        for (int ch = 0; ch < c; ch++) local[bin * c + ch] = gy[ch * bins + bin];
                    Setup(taps, roi);
                    for (int bin = 0; bin < bins; bin++)
                    {
                        int nt = BinTaps(taps, roi, bin);
                        ref float s0 = ref local[bin * c];
                        for (int t = 0; t < nt; t++)
                        {
                            // Every tap is a cell of the map, so cell·C + ch + vc ≤ |map|.
                            nuint offset = (nuint)taps.Offset[t] * (nuint)c;
                            float weight = taps.Weight[t];
                            int ch = 0;
                            for (; ch + vc <= c; ch += vc)
                                System.Numerics.Vector.StoreUnsafe(System.Numerics.Vector.LoadUnsafe(ref m0, offset + (nuint)ch)
                                    + weight * System.Numerics.Vector.LoadUnsafe(ref s0, (nuint)ch), ref m0, offset + (nuint)ch);
                            for (; ch < c; ch++) map[(int)offset + ch] += weight * local[bin * c + ch];
                        }
                    }
                }
            });
            var total = maps[0];
            for (int part = 1; part < parts; part++)
                using (maps[part]) total.add_(maps[part]);
            return total.permute(0, 3, 1, 2);
        }

        /// <summary>Fills <paramref name="taps"/>' row and column taps for RoI <paramref name="roi"/>.</summary>
        private void Setup(AxisTaps taps, int roi)
        {
            float offset = aligned ? 0.5f : 0f;
            float sx = (float)(r[5 * roi + 1] * scale) - offset, sy = (float)(r[5 * roi + 2] * scale) - offset;
            float ex = (float)(r[5 * roi + 3] * scale) - offset, ey = (float)(r[5 * roi + 4] * scale) - offset;
            float rw = ex - sx, rh = ey - sy;
            if (!aligned) { rw = MathF.Max(rw, 1f); rh = MathF.Max(rh, 1f); }
            taps.GridH = ratio > 0 ? ratio : (int)MathF.Ceiling(rh / ph);
            taps.GridW = ratio > 0 ? ratio : (int)MathF.Ceiling(rw / pw);
            taps.Fill(true, sy, rh / ph, ph, taps.GridH, h);
            taps.Fill(false, sx, rw / pw, pw, taps.GridW, w);
        }

        /// <summary>
        /// The sparse matrix's entries for RoI <paramref name="roi"/>: row (RoI and bin), column (cell of the
        /// <c>[N·H·W]</c> map) and weight of every tap.
        /// </summary>
        public void Entries(AxisTaps taps, int roi, List<long> rows, List<long> cols, List<double> vals)
        {
            Setup(taps, roi);
            for (int bin = 0; bin < Bins; bin++)
            {
                int nt = BinTaps(taps, roi, bin);
                for (int t = 0; t < nt; t++)
                {
                    rows.Add((long)roi * Bins + bin); cols.Add(taps.Offset[t]); vals.Add(taps.Weight[t]);
                }
            }
        }

        /// <summary>Lists bin <paramref name="bin"/>'s taps (cell of the <c>[N·H·W]</c> map, weight); returns their number.</summary>
        private int BinTaps(AxisTaps taps, int roi, int bin)
        {
            int i = bin / pw, j = bin % pw, gh = taps.GridH, gw = taps.GridW;
            float count = Math.Max(gh * gw, 1);
            long imageBase = (long)(int)r[5 * roi] * h * w;
            int nt = 0;
            for (int ty = 2 * i * gh; ty < 2 * (i + 1) * gh; ty++)
            {
                float wy = taps.RowWeight[ty];
                if (wy == 0) continue;
                for (int tx = 2 * j * gw; tx < 2 * (j + 1) * gw; tx++)
                {
                    float wx = taps.ColWeight[tx];
                    if (wx == 0) continue;
                    taps.Add(nt++, (int)(imageBase + (long)taps.Row[ty] * w + taps.Col[tx]), wy * wx / count);
                }
            }
            return nt;
        }
    }

    /// <summary>RoI Align's direct path as an autograd function: <see cref="AlignPlan.Forward"/>, then <see cref="AlignPlan.Backward"/>.</summary>
    private sealed class DirectFunction : autograd.SingleTensorFunction<DirectFunction>
    {
        public override string Name => "RoiAlignBackward";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var plan = (AlignPlan)vars[1];
            ctx.save_data("plan", plan);
            return plan.Forward((Tensor)vars[0]);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
            => new() { ((AlignPlan)ctx.get_data("plan")).Backward(grad_output), null! };
    }

    /// <summary>
    /// One thread's scratch for <see cref="AlignPlan"/>: per axis, the two taps (cell and weight) of every sample of every
    /// bin — for bin i and sample s, taps 2(i·g + s) and 2(i·g + s) + 1 — and a bin's combined taps.
    /// </summary>
    private sealed class AxisTaps
    {
        public int GridH, GridW;
        public int[] Row = Array.Empty<int>(), Col = Array.Empty<int>(), Offset = Array.Empty<int>();
        public float[] RowWeight = Array.Empty<float>(), ColWeight = Array.Empty<float>(), Weight = Array.Empty<float>();

        /// <summary>Fills one axis: start, bin size, bins, samples per bin and the map's extent along it.</summary>
        public void Fill(bool rows, float start, float binSize, int binCount, int samples, int extent)
        {
            int len = 2 * binCount * samples;
            var cell = rows ? Row : Col; var weight = rows ? RowWeight : ColWeight;
            if (cell.Length < len) { cell = new int[len]; weight = new float[len]; }
            for (int i = 0; i < binCount; i++)
                for (int s = 0; s < samples; s++)
                {
                    int t = 2 * (i * samples + s);
                    float v = start + i * binSize + (s + 0.5f) * binSize / samples;
                    if (v < -1f || v > extent) { cell[t] = cell[t + 1] = 0; weight[t] = weight[t + 1] = 0; continue; }
                    v = MathF.Max(v, 0);
                    int v0 = (int)v, v1;
                    if (v0 >= extent - 1) { v0 = v1 = extent - 1; v = v0; } else v1 = v0 + 1;
                    float hi = v - v0;
                    (cell[t], weight[t], cell[t + 1], weight[t + 1]) = (v0, 1 - hi, v1, hi);
                }
            if (rows) (Row, RowWeight) = (cell, weight); else (Col, ColWeight) = (cell, weight);
        }

        private float[] sums = Array.Empty<float>();

        /// <summary>A buffer of at least <paramref name="length"/> floats for one RoI's sums.</summary>
        public float[] Sums(int length) => sums.Length >= length ? sums : sums = new float[length];

        /// <summary>Sets tap n of the current bin.</summary>
        public void Add(int n, int offset, float weight)
        {
            if (n >= Offset.Length)
            {
                Array.Resize(ref Offset, Math.Max(16, 2 * Offset.Length));
                Array.Resize(ref Weight, Offset.Length);
            }
            (Offset[n], Weight[n]) = (offset, weight);
        }
    }
}
