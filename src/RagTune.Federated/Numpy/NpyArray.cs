// One numpy array as a federated tensor: its dtype on the wire, its C-order shape and its values widened to float32
// (exact for float16), so readers never deal with half precision.
namespace RagTune.Federated.Numpy;

public sealed class NpyArray
{
    public NpyDtype Dtype { get; }

    /// <summary>The shape in C (row-major) order; empty for a 0-d array, which holds one value.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The values in C order; length is the product of <see cref="Shape"/>.</summary>
    public float[] Values { get; }

    public NpyArray(NpyDtype dtype, IReadOnlyList<int> shape, float[] values)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"npy shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
            count *= d;
        }
        if (count != values.Length)
            throw new ArgumentException($"npy shape [{string.Join(", ", shape)}] holds {count} values, got {values.Length}", nameof(values));
        Dtype = dtype;
        Shape = [.. shape];
        Values = values;
    }

    /// <summary>"[8, 896]" — the shape as error messages print it.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
}
