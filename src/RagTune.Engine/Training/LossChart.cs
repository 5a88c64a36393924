// Writes the loss curve of a run as a small self-contained SVG (training loss per step — or per federated round — as a line,
// eval loss as points; a non-finite training value (a round without one) is left out of the line).
using System.Globalization;
using System.Text;
using RagTune.Engine.IO;

namespace RagTune.Engine.Training;

public static class LossChart
{
    public static void Write(string path, IReadOnlyList<double> losses, IReadOnlyList<(int Step, double Loss)> evalLosses, string axis = "optimizer step")
    {
        const int W = 640, H = 360, L = 56, R = 16, Top = 24, B = 40;
        var all = losses.Concat(evalLosses.Select(e => e.Loss)).Where(double.IsFinite).ToList();
        double max = all.Count > 0 ? all.Max() : 1, min = all.Count > 0 ? Math.Min(0, all.Min()) : 0;
        if (max <= min) max = min + 1;
        int steps = Math.Max(1, losses.Count);
        string X(double step) => (L + (W - L - R) * (step - 1) / Math.Max(1, steps - 1)).ToString("0.##", CultureInfo.InvariantCulture);
        string Y(double v) => (Top + (H - Top - B) * (1 - (v - min) / (max - min))).ToString("0.##", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append($"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        sb.Append($"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{Top}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        for (int i = 0; i <= 4; i++)
        {
            double v = min + (max - min) * i / 4;
            sb.Append($"<text x=\"{L - 4}\" y=\"{Y(v)}\" text-anchor=\"end\">{v.ToString("0.###", CultureInfo.InvariantCulture)}</text>\n");
        }
        sb.Append($"<text x=\"{L}\" y=\"{H - B + 16}\">1</text><text x=\"{W - R}\" y=\"{H - B + 16}\" text-anchor=\"end\">{steps}</text>\n");
        sb.Append($"<text x=\"{(W + L) / 2}\" y=\"{H - 8}\" text-anchor=\"middle\">{axis}</text>\n");
        sb.Append($"<text x=\"{L}\" y=\"16\">loss (train: line, eval: dots)</text>\n");
        if (losses.Count > 0)
            sb.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"")
              .AppendJoin(' ', losses.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v)).Select(p => $"{X(p.i + 1)},{Y(p.v)}")).Append("\"/>\n");
        foreach (var (step, loss) in evalLosses)
            sb.Append($"<circle cx=\"{X(step)}\" cy=\"{Y(loss)}\" r=\"3\" fill=\"#d62728\"/>\n");
        sb.Append("</svg>\n");
        AtomicFile.WriteText(path, sb.ToString());
    }
}
