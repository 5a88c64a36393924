// Test-side scalar dequantisers (ggml-quants.c's dequantize_row_q8_0 / q5_0 / q4_K / q6_K, f16 → f32): the oracle that
// turns the blocks RagTune writes back into floats, so exported files can be checked value by value.
using System.Buffers.Binary;
using RagTune.Engine.Formats;

namespace RagTune.Engine.Tests.Formats;

internal static class GgmlDequantizer
{
    public static float[] Dequantize(GgmlType type, ReadOnlySpan<byte> data, long count)
    {
        var y = new float[count];
        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < count; i++) y[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < count; i++) y[i] = Half(data, 2 * i);
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < count / 32; b++)
                {
                    var blk = data.Slice(b * 34, 34);
                    float d = Half(blk, 0);
                    for (int j = 0; j < 32; j++) y[b * 32 + j] = (sbyte)blk[2 + j] * d;
                }
                break;
            case GgmlType.Q5_0:
                for (int b = 0; b < count / 32; b++)
                {
                    var blk = data.Slice(b * 22, 22);
                    float d = Half(blk, 0);
                    uint qh = BinaryPrimitives.ReadUInt32LittleEndian(blk[2..]);
                    for (int j = 0; j < 16; j++)
                    {
                        int xh0 = (int)(((qh >> j) << 4) & 0x10), xh1 = (int)((qh >> (j + 12)) & 0x10);
                        y[b * 32 + j] = (((blk[6 + j] & 0x0F) | xh0) - 16) * d;
                        y[b * 32 + j + 16] = (((blk[6 + j] >> 4) | xh1) - 16) * d;
                    }
                }
                break;
            case GgmlType.Q4_K:
                for (int b = 0; b < count / 256; b++)
                {
                    var blk = data.Slice(b * 144, 144);
                    float d = Half(blk, 0), dmin = Half(blk, 2);
                    var sc = blk.Slice(4, 12);
                    var q = blk.Slice(16, 128);
                    int o = b * 256;
                    for (int j = 0, s = 0; j < 256; j += 64, s += 2)
                    {
                        ScaleMin(s, sc, out int sc1, out int m1);
                        ScaleMin(s + 1, sc, out int sc2, out int m2);
                        float d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
                        var qq = q.Slice(j / 2, 32);
                        for (int l = 0; l < 32; l++) y[o + j + l] = d1 * (qq[l] & 0xF) - mm1;
                        for (int l = 0; l < 32; l++) y[o + j + 32 + l] = d2 * (qq[l] >> 4) - mm2;
                    }
                }
                break;
            case GgmlType.Q6_K:
                for (int b = 0; b < count / 256; b++)
                {
                    var blk = data.Slice(b * 210, 210);
                    float d = Half(blk, 208);
                    for (int n = 0; n < 2; n++)
                    {
                        var ql = blk.Slice(64 * n, 64);
                        var qh = blk.Slice(128 + 32 * n, 32);
                        var sc = blk.Slice(192 + 8 * n, 8);
                        int o = b * 256 + 128 * n;
                        for (int l = 0; l < 32; l++)
                        {
                            int s = l / 16;
                            int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
                            int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
                            int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                            int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                            y[o + l] = d * (sbyte)sc[s] * q1;
                            y[o + l + 32] = d * (sbyte)sc[s + 2] * q2;
                            y[o + l + 64] = d * (sbyte)sc[s + 4] * q3;
                            y[o + l + 96] = d * (sbyte)sc[s + 6] * q4;
                        }
                    }
                }
                break;
            default:
                throw new ArgumentException($"no test dequantiser for {type}");
        }
        return y;
    }

    private static float Half(ReadOnlySpan<byte> b, int offset) => (float)BinaryPrimitives.ReadHalfLittleEndian(b[offset..]);

    private static void ScaleMin(int j, ReadOnlySpan<byte> q, out int d, out int m)
    {
        if (j < 4)
        {
            d = q[j] & 63;
            m = q[j + 4] & 63;
        }
        else
        {
            d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }
}
