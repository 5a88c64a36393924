// Options for HtmlReport: extra figures (e.g. training loss curves) and a cap on the per-question section.
using RagTune.Knowledge.Rag;
namespace RagTune.Eval.Reports;

/// <summary>A figure for the report: a caption and SVG markup from SvgBarChart / SvgLineChart.</summary>
public sealed record ReportFigure(string Caption, string Svg);

public sealed class HtmlReportOptions
{
    public IReadOnlyList<ReportFigure> Figures { get; init; } = [];

    /// <summary>Show at most this many questions in the per-question view (null: all).</summary>
    public int? MaxQuestions { get; init; }

    /// <summary>Text shown under the title, e.g. what the numbers of a demo mean.</summary>
    public string? Note { get; init; }

    /// <summary>The quote markers highlighted in answers.</summary>
    public RagPromptFormat Format { get; init; } = RagPromptFormat.Default;
}
