// Dequantisation of ggml's block formats, transcribed from ggml-quants.c (dequantize_row_q4_0, _q4_1, _q5_0, _q5_1,
// _q8_0, _q4_K, _q5_K, _q6_K) plus the 16/32-bit float types: the reference every quantised kernel is tested against, and what the prefill
// GEMM, embedding lookups and training widen GGUF weights with. Blocks are read byte by byte (little-endian halves).
using System.Buffers.Binary;
using RagTune.Engine.Formats;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Kernels;

public static class GgmlQuants
{
    /// <summary>Widens <paramref name="destination"/>.Length weights (a whole number of blocks) of <paramref name="type"/>
    /// from <paramref name="blocks"/> to float32.</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        if (!GgmlTypes.CanRead(type)) throw new ArgumentException($"ggml type {type} cannot be dequantised (readable: {string.Join(", ", GgmlTypes.Readable)})");
        long bytes = GgmlTypes.ByteCount(type, destination.Length);
        if (blocks.Length < bytes)
            throw new ArgumentException($"{destination.Length} {type} weights need {bytes} bytes, got {blocks.Length}");
        switch (type)
        {
            case GgmlType.F32:
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(blocks[..(int)bytes]).CopyTo(destination);
                break;
            case GgmlType.F16:
                ReducedPrecision.HalfToFloat(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(blocks[..(int)bytes]), destination);
                break;
            case GgmlType.BF16:
                ReducedPrecision.BF16ToFloat(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(blocks[..(int)bytes]), destination);
                break;
            default:
                GgmlTypes.TryGetLayout(type, out int weights, out int size);
                for (int b = 0; b < destination.Length / weights; b++)
                    DequantizeBlock(type, blocks.Slice(b * size, size), destination.Slice(b * weights, weights));
                break;
        }
    }

    internal static void DequantizeBlock(GgmlType type, ReadOnlySpan<byte> x, Span<float> y)
    {
        switch (type)
        {
            case GgmlType.Q8_0:   // d (half), qs[32] int8: y = d·q
            {
                float d = Half(x, 0);
                for (int j = 0; j < 32; j++) y[j] = (sbyte)x[2 + j] * d;
                break;
            }
            case GgmlType.Q4_0:   // d (half), qs[16]: low nibbles are weights 0..15, high nibbles 16..31, offset 8
            {
                float d = Half(x, 0);
                var qs = x[2..];
                for (int j = 0; j < 16; j++)
                {
                    y[j] = ((qs[j] & 0x0F) - 8) * d;
                    y[j + 16] = ((qs[j] >> 4) - 8) * d;
                }
                break;
            }
            case GgmlType.Q4_1:   // d, m (halves), qs[16]: y = d·q + m, low nibbles weights 0..15, high 16..31
            {
                float d = Half(x, 0), m = Half(x, 2);
                var qs = x[4..];
                for (int j = 0; j < 16; j++)
                {
                    y[j] = (qs[j] & 0x0F) * d + m;
                    y[j + 16] = (qs[j] >> 4) * d + m;
                }
                break;
            }
            case GgmlType.Q5_0:   // d (half), qh (u32: bit j is weight j's fifth bit), qs[16]; offset 16
            {
                float d = Half(x, 0);
                uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[2..]);
                var qs = x[6..];
                for (int j = 0; j < 16; j++)
                {
                    y[j] = ((int)((qs[j] & 0x0Fu) | (((qh >> j) << 4) & 0x10)) - 16) * d;
                    y[j + 16] = ((int)(((uint)qs[j] >> 4) | ((qh >> (j + 12)) & 0x10)) - 16) * d;
                }
                break;
            }
            case GgmlType.Q5_1:   // d, m (halves), qh (u32), qs[16]: y = d·q + m with unsigned five-bit q
            {
                float d = Half(x, 0), m = Half(x, 2);
                uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[4..]);
                var qs = x[8..];
                for (int j = 0; j < 16; j++)
                {
                    y[j] = ((qs[j] & 0x0Fu) | (((qh >> j) << 4) & 0x10)) * d + m;
                    y[j + 16] = (((uint)qs[j] >> 4) | ((qh >> (j + 12)) & 0x10)) * d + m;
                }
                break;
            }
            case GgmlType.Q4_K:   // d, dmin (halves), scales[12] (8 six-bit scale/min pairs), qs[128]
            {
                float d = Half(x, 0), min = Half(x, 2);
                var scales = x.Slice(4, 12);
                var q = x[16..];
                for (int j = 0, sub = 0; j < 256; j += 64, sub += 2, q = q[32..])
                {
                    ScaleMinK4(sub, scales, out int sc1, out int m1);
                    ScaleMinK4(sub + 1, scales, out int sc2, out int m2);
                    float d1 = d * sc1, dm1 = min * m1, d2 = d * sc2, dm2 = min * m2;
                    for (int l = 0; l < 32; l++) y[j + l] = d1 * (q[l] & 0xF) - dm1;
                    for (int l = 0; l < 32; l++) y[j + 32 + l] = d2 * (q[l] >> 4) - dm2;
                }
                break;
            }
            case GgmlType.Q5_K:   // d, dmin, scales[12], qh[32] (fifth bits), qs[128]
            {
                float d = Half(x, 0), min = Half(x, 2);
                var scales = x.Slice(4, 12);
                var qh = x.Slice(16, 32);
                var ql = x[48..];
                int u1 = 1, u2 = 2;
                for (int j = 0, sub = 0; j < 256; j += 64, sub += 2, ql = ql[32..], u1 <<= 2, u2 <<= 2)
                {
                    ScaleMinK4(sub, scales, out int sc1, out int m1);
                    ScaleMinK4(sub + 1, scales, out int sc2, out int m2);
                    float d1 = d * sc1, dm1 = min * m1, d2 = d * sc2, dm2 = min * m2;
                    for (int l = 0; l < 32; l++) y[j + l] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - dm1;
                    for (int l = 0; l < 32; l++) y[j + 32 + l] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - dm2;
                }
                break;
            }
            case GgmlType.Q6_K:   // ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] int8, d (half); offset 32
            {
                float d = Half(x, 208);
                var ql = x[..128];
                var qh = x.Slice(128, 64);
                var sc = x.Slice(192, 16);
                for (int n = 0; n < 256; n += 128, ql = ql[64..], qh = qh[32..], sc = sc[8..])
                    for (int l = 0; l < 32; l++)
                    {
                        int s = l / 16;
                        int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
                        int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                        y[n + l] = d * (sbyte)sc[s] * q1;
                        y[n + l + 32] = d * (sbyte)sc[s + 2] * q2;
                        y[n + l + 64] = d * (sbyte)sc[s + 4] * q3;
                        y[n + l + 96] = d * (sbyte)sc[s + 6] * q4;
                    }
                break;
            }
            default:
                throw new ArgumentException($"ggml type {type} has no block dequantiser");
        }
    }

    /// <summary>The six-bit scale and min of sub-block <paramref name="j"/> (0..7) of a Q4_K/Q5_K super-block
    /// (ggml-quants.c get_scale_min_k4): the first four sit in the low six bits of bytes 0..3 / 4..7, the last four
    /// are split between the low/high nibbles of bytes 8..11 and the top two bits of bytes 0..7.</summary>
    internal static void ScaleMinK4(int j, ReadOnlySpan<byte> q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    private static float Half(ReadOnlySpan<byte> x, int offset) => ReducedPrecision.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(x[offset..]));
}
