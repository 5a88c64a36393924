// Options for SvgLineChart: size and axis labels.
namespace RagTune.Eval.Reports;

public sealed class LineChartOptions
{
    public int Width { get; init; } = 640;
    public int Height { get; init; } = 320;
    public string XLabel { get; init; } = "";
    public string YLabel { get; init; } = "";
}
