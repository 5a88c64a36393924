namespace RagTune.Engine.Tensors;

/// <summary>Row-major float matrices held as flat arrays.</summary>
internal static class RowMajor
{
    /// <summary>m [rows, cols] → mᵀ [cols, rows] (GPT-2's Conv1D weights at load and save, GGUF's packed-QKV splits).</summary>
    public static float[] Transpose(ReadOnlySpan<float> m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[(long)c * rows + r] = m[(int)((long)r * cols + c)];
        return t;
    }
}
