// System.Text.Json's messages end in "Path: $.x | LineNumber: 0 | BytePositionInLine: 5." — positions within the text that
// was parsed, which mislead when that text was one line of a file. Callers that name the file and line themselves use the
// reason alone.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RagTune.Engine.IO;

public static partial class JsonErrors
{
    /// <summary>The message of <paramref name="e"/> without its path and position suffix.</summary>
    public static string Reason(JsonException e) => Position().Replace(e.Message, "");

    [GeneratedRegex(@"\s*(Path: \S* \| )?LineNumber: \d+ \| BytePositionInLine: \d+\.")]
    private static partial Regex Position();
}
