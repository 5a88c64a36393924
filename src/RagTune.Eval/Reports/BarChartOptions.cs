// Options for SvgBarChart: size, label column, axis maximum and value format.
namespace RagTune.Eval.Reports;

public sealed class BarChartOptions
{
    public int Width { get; init; } = 520;
    public int BarHeight { get; init; } = 22;
    public int LabelWidth { get; init; } = 170;
    /// <summary>The axis maximum; by default the largest value (or High) rounded up.</summary>
    public double? MaxValue { get; init; }
    public string ValueFormat { get; init; } = "0.000";
}
