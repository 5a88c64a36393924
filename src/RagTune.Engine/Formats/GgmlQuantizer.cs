// float32 → ggml block formats, transcribed from ggml's reference quantisers (ggml-quants.c: quantize_row_q8_0_ref,
// quantize_row_q4_0_ref, quantize_row_q5_0_ref, quantize_row_q4_K_ref with make_qkx2_quants, quantize_row_q6_K_ref with make_qx_quants; f16 by
// round-to-nearest-even as ggml_fp32_to_fp16_row). llama-quantize without an importance matrix calls exactly these, so the
// same float32 input gives the same bytes. Scalar on purpose: the arithmetic order (no FMA, float throughout) is what makes
// the bytes identical; rows are independent and are spread over the cores.
using System.Buffers.Binary;

namespace RagTune.Engine.Formats;

public static class GgmlQuantizer
{
    private const int QK = 32;          // QK8_0, QK5_0: weights per block
    private const int QKK = GgmlTypes.SuperBlock;
    private const float GroupMaxEps = 1e-15f;

    /// <summary>The types <see cref="Quantize"/> writes.</summary>
    public static IReadOnlyList<GgmlType> SupportedTypes { get; } =
        [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K];

    /// <summary>Whether a row of <paramref name="rowLength"/> weights is a whole number of <paramref name="type"/>'s blocks.</summary>
    public static bool Fits(GgmlType type, long rowLength) =>
        GgmlTypes.TryGetLayout(type, out int weights, out _) && rowLength > 0 && rowLength % weights == 0;

    /// <summary>Encodes row-major float32 <paramref name="values"/> (rows of <paramref name="rowLength"/>) as
    /// <paramref name="type"/>; the row length must be a whole number of blocks.</summary>
    public static byte[] Quantize(GgmlType type, float[] values, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!SupportedTypes.Contains(type))
            throw new ArgumentException($"quantising to {type} is not supported (supported: {string.Join(", ", SupportedTypes)})", nameof(type));
        if (rowLength <= 0 || values.Length % rowLength != 0)
            throw new ArgumentException($"{values.Length} values are not whole rows of {rowLength}", nameof(rowLength));
        if (!Fits(type, rowLength))
        {
            GgmlTypes.TryGetLayout(type, out int weights, out _);
            throw new ArgumentException($"a row of {rowLength} weights is not a whole number of {type}'s {weights}-weight blocks", nameof(rowLength));
        }
        int rows = values.Length / rowLength;
        int rowBytes = (int)GgmlTypes.ByteCount(type, rowLength);
        var output = new byte[(long)rows * rowBytes];
        Parallel.For(0, rows, r =>
        {
            var x = values.AsSpan(r * rowLength, rowLength);
            var y = output.AsSpan(r * rowBytes, rowBytes);
            switch (type)
            {
                case GgmlType.F32: System.Runtime.InteropServices.MemoryMarshal.AsBytes(x).CopyTo(y); break;
                case GgmlType.F16: ToF16(x, y); break;
                case GgmlType.Q8_0: QuantizeQ8_0(x, y); break;
                case GgmlType.Q4_0: QuantizeQ4_0(x, y); break;
                case GgmlType.Q5_0: QuantizeQ5_0(x, y); break;
                case GgmlType.Q4_K: QuantizeQ4K(x, y); break;
                case GgmlType.Q6_K: QuantizeQ6K(x, y); break;
            }
        });
        return output;
    }

    /// <summary>float32 → IEEE half, round to nearest even (ggml_fp32_to_fp16_row); 2 bytes per weight.</summary>
    public static void ToF16(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int i = 0; i < x.Length; i++) PutHalf(y, 2 * i, x[i]);
    }

    /// <summary>quantize_row_q8_0_ref: per 32 weights an f16 scale d = amax/127 and 32 int8 round(x/d).</summary>
    public static void QuantizeQ8_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        const int blockBytes = 2 + QK;
        for (int i = 0; i < x.Length / QK; i++)
        {
            var xb = x.Slice(i * QK, QK);
            var yb = y.Slice(i * blockBytes, blockBytes);
            float amax = 0f;
            for (int j = 0; j < QK; j++) amax = MathF.Max(amax, MathF.Abs(xb[j]));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0f ? 1.0f / d : 0.0f;
            PutHalf(yb, 0, d);
            for (int j = 0; j < QK; j++)
                yb[2 + j] = (byte)(sbyte)MathF.Round(xb[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>quantize_row_q4_0_ref: per 32 weights an f16 scale d = max/-8 (max the value of largest magnitude) and 32
    /// 4-bit quants with offset 8, weight j in the low nibble of byte j and weight 16 + j in its high nibble.</summary>
    public static void QuantizeQ4_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        const int blockBytes = 2 + QK / 2;
        for (int i = 0; i < x.Length / QK; i++)
        {
            var xb = x.Slice(i * QK, QK);
            var yb = y.Slice(i * blockBytes, blockBytes);
            float d = LargestMagnitude(xb) / -8;
            float id = d != 0f ? 1.0f / d : 0.0f;
            PutHalf(yb, 0, d);
            for (int j = 0; j < QK / 2; j++)
            {
                float x0 = xb[j] * id, x1 = xb[QK / 2 + j] * id;
                int xi0 = Math.Min(15, (int)(sbyte)(x0 + 8.5f));
                int xi1 = Math.Min(15, (int)(sbyte)(x1 + 8.5f));
                yb[2 + j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>The value of largest magnitude in a block (the first of equals), whose sign the Q4_0/Q5_0 scale keeps.</summary>
    private static float LargestMagnitude(ReadOnlySpan<float> xb)
    {
        float amax = 0f, max = 0f;
        foreach (float v in xb)
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        return max;
    }

    /// <summary>quantize_row_q5_0_ref: per 32 weights an f16 scale d = max/-16 (max the value of largest magnitude), the
    /// low 4 bits of each 5-bit quant in qs and the fifth bits in qh. llama.cpp's Q4_K_M falls back to it for rows that
    /// are not a multiple of 256.</summary>
    public static void QuantizeQ5_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        const int blockBytes = 2 + 4 + QK / 2;
        for (int i = 0; i < x.Length / QK; i++)
        {
            var xb = x.Slice(i * QK, QK);
            var yb = y.Slice(i * blockBytes, blockBytes);
            float d = LargestMagnitude(xb) / -16;
            float id = d != 0f ? 1.0f / d : 0.0f;
            PutHalf(yb, 0, d);
            uint qh = 0;
            for (int j = 0; j < QK / 2; j++)
            {
                float x0 = xb[j] * id, x1 = xb[QK / 2 + j] * id;
                uint xi0 = (uint)Math.Min(31, (int)(sbyte)(x0 + 16.5f));
                uint xi1 = (uint)Math.Min(31, (int)(sbyte)(x1 + 16.5f));
                yb[6 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << j;
                qh |= ((xi1 & 0x10u) >> 4) << (j + QK / 2);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(yb[2..], qh);
        }
    }

    /// <summary>quantize_row_q4_K_ref: super-blocks of 256 = 8 sub-blocks of 32, each with a 6-bit scale and min (fitted by
    /// make_qkx2_quants), the super-block's f16 d and dmin, and 4-bit quants. Layout: d, dmin, scales[12], qs[128].</summary>
    public static void QuantizeQ4K(ReadOnlySpan<float> x, Span<byte> y)
    {
        const int blockBytes = 2 + 2 + 12 + QKK / 2;
        Span<byte> L = stackalloc byte[QKK];
        Span<byte> laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[QKK / 32];
        Span<float> scales = stackalloc float[QKK / 32];
        for (int i = 0; i < x.Length / QKK; i++)
        {
            var xb = x.Slice(i * QKK, QKK);
            var yb = y.Slice(i * blockBytes, blockBytes);
            var sc = yb.Slice(4, 12);
            var qs = yb.Slice(16, QKK / 2);
            sc.Clear();
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < QKK / 32; j++)
            {
                var xs = xb.Slice(32 * j, 32);
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += xs[l] * xs[l];
                float avX = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xs[l]);
                scales[j] = MakeQkx2Quants(32, 15, xs, weights, L.Slice(32 * j, 32), out mins[j], laux, -1f, 0.1f, 20);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < QKK / 32; j++)
            {
                byte ls = Math.Min((byte)63, (byte)NearestInt(invScale * scales[j]));
                byte lm = Math.Min((byte)63, (byte)NearestInt(invMin * mins[j]));
                if (j < 4)
                {
                    sc[j] = ls;
                    sc[j + 4] = lm;
                }
                else
                {
                    sc[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                    sc[j - 4] |= (byte)((ls >> 4) << 6);
                    sc[j] |= (byte)((lm >> 4) << 6);
                }
            }
            PutHalf(yb, 0, maxScale / 63f);
            PutHalf(yb, 2, maxMin / 63f);
            float dAll = GetHalf(yb, 0), dminAll = GetHalf(yb, 2);
            for (int j = 0; j < QKK / 32; j++)
            {
                ScaleMinK4(j, sc, out byte s, out byte m);
                float d = dAll * s;
                if (d == 0f) continue;
                float dm = dminAll * m;
                for (int ii = 0; ii < 32; ii++)
                {
                    int l = NearestInt((xb[32 * j + ii] + dm) / d);
                    L[32 * j + ii] = (byte)Math.Max(0, Math.Min(15, l));
                }
            }
            for (int j = 0, q = 0; j < QKK; j += 64, q += 32)
                for (int l = 0; l < 32; l++)
                    qs[q + l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
        }
    }

    /// <summary>quantize_row_q6_K_ref: super-blocks of 256 = 16 sub-blocks of 16, each with an int8 scale (fitted by
    /// make_qx_quants), the super-block's f16 d, and 6-bit quants split into low 4 bits (ql) and high 2 bits (qh).
    /// Layout: ql[128], qh[64], scales[16], d.</summary>
    public static void QuantizeQ6K(ReadOnlySpan<float> x, Span<byte> y)
    {
        const int blockBytes = QKK / 2 + QKK / 4 + QKK / 16 + 2;
        Span<sbyte> L = stackalloc sbyte[QKK];
        Span<float> scales = stackalloc float[QKK / 16];
        for (int i = 0; i < x.Length / QKK; i++)
        {
            var xb = x.Slice(i * QKK, QKK);
            var yb = y.Slice(i * blockBytes, blockBytes);
            var ql = yb[..(QKK / 2)];
            var qh = yb.Slice(QKK / 2, QKK / 4);
            var sc = yb.Slice(QKK / 2 + QKK / 4, QKK / 16);
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < QKK / 16; ib++)
            {
                float scale = MakeQxQuants(16, 32, xb.Slice(16 * ib, 16), L.Slice(16 * ib, 16), rmseType: 1);
                scales[ib] = scale;
                float abs = MathF.Abs(scale);
                if (abs > maxAbsScale)
                {
                    maxAbsScale = abs;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GroupMaxEps)
            {
                yb.Clear();
                continue;
            }
            float iscale = -128f / maxScale;
            PutHalf(yb, QKK / 2 + QKK / 4 + QKK / 16, 1 / iscale);
            for (int ib = 0; ib < QKK / 16; ib++)
                sc[ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
            float dAll = GetHalf(yb, QKK / 2 + QKK / 4 + QKK / 16);
            for (int j = 0; j < QKK / 16; j++)
            {
                float d = dAll * (sbyte)sc[j];
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++)
                {
                    int l = NearestInt(xb[16 * j + ii] / d);
                    L[16 * j + ii] = (sbyte)(Math.Max(-32, Math.Min(31, l)) + 32);
                }
            }
            for (int j = 0, o = 0, h = 0; j < QKK; j += 128, o += 64, h += 32)
                for (int l = 0; l < 32; l++)
                {
                    int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                    ql[o + l] = (byte)(q1 | (q3 << 4));
                    ql[o + l + 32] = (byte)(q2 | (q4 << 4));
                    qh[h + l] = (byte)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
        }
    }

    /// <summary>ggml's nearest_int: round to nearest, ties to even, by the 1.5·2²³ trick (|f| ≤ 4194303).</summary>
    private static int NearestInt(float f)
    {
        float val = f + 12582912f;
        int i = BitConverter.SingleToInt32Bits(val);
        return (i & 0x007fffff) - 0x00400000;
    }

    /// <summary>make_qkx2_quants: the scale and min (returned as −min) that minimise the weighted squared error of
    /// n quants in [0, nmax], searched over nstep+1 candidate scales.</summary>
    private static float MakeQkx2Quants(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> L,
        out float theMin, Span<byte> laux, float rmin, float rdelta, int nstep)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            L[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * L[i] + min - x[i];
            diff *= diff;
            bestError += weights[i] * diff;
        }
        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; i++)
            {
                int l = NearestInt(iscale * (x[i] - min));
                l = Math.Max(0, Math.Min(nmax, l));
                laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0)
            {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * laux[i] + thisMin - x[i];
                    diff *= diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError)
                {
                    laux[..n].CopyTo(L);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>make_qx_quants with no importance weights: a symmetric scale for n quants in [−nmax, nmax−1] (stored +nmax),
    /// refined over 18 candidate scales by the error weighted as <paramref name="rmseType"/> says (1: x²).</summary>
    private static float MakeQxQuants(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> L, int rmseType)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax)
            {
                amax = ax;
                max = x[i];
            }
        }
        if (amax < GroupMaxEps)
        {
            L[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0)
        {
            for (int i = 0; i < n; i++)
                L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
            return 1 / iscale;
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
            L[i] = (sbyte)(l + nmax);
            float w = Weight(x[i], rmseType);
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
                float w = Weight(x[i], rmseType);
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                    L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float Weight(float x, int rmseType) => rmseType switch
    {
        1 => x * x,
        2 => 1,
        3 => MathF.Abs(x),
        _ => MathF.Sqrt(MathF.Abs(x)),
    };

    /// <summary>get_scale_min_k4: the 6-bit scale and min of sub-block j from Q4_K's 12 packed bytes.</summary>
    private static void ScaleMinK4(int j, ReadOnlySpan<byte> q, out byte d, out byte m)
    {
        if (j < 4)
        {
            d = (byte)(q[j] & 63);
            m = (byte)(q[j + 4] & 63);
        }
        else
        {
            d = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            m = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }

    private static void PutHalf(Span<byte> y, int offset, float value) =>
        BinaryPrimitives.WriteHalfLittleEndian(y[offset..], (Half)value);

    private static float GetHalf(ReadOnlySpan<byte> y, int offset) => (float)BinaryPrimitives.ReadHalfLittleEndian(y[offset..]);
}
