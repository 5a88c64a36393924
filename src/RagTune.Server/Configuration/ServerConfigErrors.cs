// Turns a JSON or YAML deserialisation failure of a server config into one line naming the file, the line, the field (as
// written in the file, e.g. routers[0].rules[1].target), the value found and the kind of value the field takes.
using System.Collections;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RagTune.Server.Configuration;

internal static partial class ServerConfigErrors
{
    public static string Describe(string path, string text, JsonException e)
    {
        string where = e.LineNumber is { } line ? $"server config '{path}' line {line + 1}" : $"server config '{path}'";
        if (UnmappedProperty().Match(e.Message) is { Success: true } unknown)
            return $"{where}: unknown field '{unknown.Groups[1].Value}'; expected {Fields(typeof(ServerOptions).Assembly.GetType(unknown.Groups[2].Value))}";
        var segments = JsonPathSegments(e.Path);
        if (segments is null || segments.Count == 0 || TypeAt(segments) is not { } type)
            return $"{where}: {RagTune.Engine.IO.JsonErrors.Reason(e)}";
        string found = JsonValueAt(text, segments) ?? "a value of another type";
        return $"{where}: {Display(segments)} is {found}; expected {Expected(type)}";
    }

    public static string Describe(string path, string text, YamlException e)
    {
        string where = $"server config '{path}' line {e.Start.Line}";
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException)
        {
            return $"{where}: {e.Message}";   // a syntax error: YamlDotNet's message says what it expected
        }
        var segments = new List<object>();
        if (stream.Documents.Count == 0 || !Find(stream.Documents[0].RootNode, e.Start, segments, out var node, out bool isKey))
            return $"{where}: {(e.InnerException ?? e).Message}";
        if (isKey)
            return $"{where}: unknown field '{node}'{(segments.Count > 0 ? $" in {Display(segments)}" : "")}; expected {Fields(TypeAt(segments))}";
        if (TypeAt(segments) is not { } type) return $"{where}: {(e.InnerException ?? e).Message}";
        string found = node is YamlScalarNode s ? $"'{s.Value}'" : node is YamlSequenceNode ? "a list" : "a mapping";
        return $"{where}: {Display(segments)} is {found}; expected {Expected(type)}";
    }

    /// <summary>The node starting at <paramref name="mark"/> and the field path to it; a mapping key is the field itself.</summary>
    private static bool Find(YamlNode node, Mark mark, List<object> path, out YamlNode found, out bool isKey)
    {
        found = node;
        isKey = false;
        if (Same(node.Start, mark) && node is YamlScalarNode) return true;
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    if (Same(key.Start, mark))
                    {
                        (found, isKey) = (key, true);
                        return true;
                    }
                    path.Add(key.ToString());
                    if (Find(value, mark, path, out found, out isKey)) return true;
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case YamlSequenceNode list:
                for (int i = 0; i < list.Children.Count; i++)
                {
                    path.Add(i);
                    if (Find(list.Children[i], mark, path, out found, out isKey)) return true;
                    path.RemoveAt(path.Count - 1);
                }
                break;
        }
        if (!Same(node.Start, mark)) return false;
        found = node;
        return true;
    }

    private static bool Same(Mark a, Mark b) => a.Line == b.Line && a.Column == b.Column;

    /// <summary>"$.routers[0].rules[1]['target']" → ["routers", 0, "rules", 1, "target"]; null when not a JSON path.</summary>
    private static List<object>? JsonPathSegments(string? path)
    {
        if (path is null || !path.StartsWith('$')) return null;
        var segments = new List<object>();
        foreach (Match m in JsonPathSegment().Matches(path, 1))
            segments.Add(m.Groups[2].Success ? int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)
                : m.Groups[1].Success ? m.Groups[1].Value : m.Groups[3].Value);
        return segments;
    }

    private static string? JsonValueAt(string text, List<object> segments)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var e = doc.RootElement;
            foreach (var s in segments)
            {
                if (s is int i && e.ValueKind == JsonValueKind.Array && i < e.GetArrayLength()) e = e[i];
                else if (s is string name && e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var child)) e = child;
                else return null;
            }
            return e.ValueKind switch
            {
                JsonValueKind.String => $"'{e.GetString()}'",
                JsonValueKind.Object => "an object",
                JsonValueKind.Array => "a list",
                _ => e.GetRawText(),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The type a field path names in <see cref="ServerOptions"/> (snake_case names); null when it names none.</summary>
    private static Type? TypeAt(List<object> segments)
    {
        Type? type = typeof(ServerOptions);
        foreach (var s in segments)
        {
            if (type is null) return null;
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
                type = type.GetGenericArguments()[1];
            else if (s is int)
                type = type.IsGenericType && typeof(IList).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : null;
            else
                type = type.GetProperties().FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == (string)s)?.PropertyType;
        }
        return type;
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(int) || type == typeof(long) ? "an integer"
            : type == typeof(bool) ? "true or false"
            : type == typeof(string) ? "a string"
            : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) ? "a mapping of names to strings"
            : typeof(IList).IsAssignableFrom(type) ? "a list"
            : "a mapping of fields";
    }

    private static string Fields(Type? type) =>
        type is null || type.IsGenericType ? "a field of docs/server.md"
            : "one of " + string.Join(", ", type.GetProperties().Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)));

    private static string Display(List<object> segments) =>
        string.Concat(segments.Select((s, i) => s is int n ? $"[{n}]" : i == 0 ? (string)s : "." + s));

    [GeneratedRegex(@"The JSON property '([^']*)' could not be mapped to any .NET member contained in type '([^']*)'")]
    private static partial Regex UnmappedProperty();

    [GeneratedRegex(@"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]")]
    private static partial Regex JsonPathSegment();

}
