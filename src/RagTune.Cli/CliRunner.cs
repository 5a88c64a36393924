// Runs the parsed command line and turns any exception into one clear line on stderr and a non-zero exit code; command-line
// mistakes (a value of the wrong type, a missing option) are reported the same way, each naming the option and what it expects.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using RagTune.Knowledge.Postgres;
using Spectre.Console;

namespace RagTune.Cli;

public static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        // The store kinds a knowledge-base directory may link to (store.json), beside the embedded default.
        PostgresStoreLink.Register();
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
            {
                foreach (string line in parse.Errors.Select(Describe).Distinct()) error.WriteLine($"ragtune: error: {line}");
                return 1;
            }
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            return await parse.InvokeAsync(config).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("ragtune: cancelled");
            return 130;
        }
        catch (Exception ex)
        {
            // One line: the message already names the file/field and what was expected.
            error.WriteLine($"ragtune: error: {ex.Message}");
            if (Environment.GetEnvironmentVariable("RAGTUNE_DEBUG") == "1")
                error.WriteLine(ex);
            return 1;
        }
    }

    /// <summary>A parse error in words: a value that does not convert to its option's or argument's type names the option
    /// (as typed), the value and the expected kind of value, instead of a .NET type name; a missing argument is named with
    /// its description; any other error as parsed.</summary>
    public static string Describe(ParseError e)
    {
        if (Missing(e.SymbolResult) is { } missing)
            return $"missing <{missing.Name}>: {missing.Description ?? "a value"}";
        var (name, type, tokens) = e.SymbolResult switch
        {
            OptionResult o => (o.IdentifierToken?.Value ?? o.Option.Name, o.Option.ValueType, o.Tokens),
            ArgumentResult { Parent: OptionResult o } a => (o.IdentifierToken?.Value ?? o.Option.Name, a.Argument.ValueType, a.Tokens),
            ArgumentResult a => ($"<{a.Argument.Name}>", a.Argument.ValueType, a.Tokens),
            _ => (null, null, null),
        };
        if (name is null || type is null || tokens is null) return e.Message;
        type = type.IsArray ? type.GetElementType()! : type;
        type = Nullable.GetUnderlyingType(type) ?? type;
        string? expected = Expected(type);
        if (expected is null) return e.Message;
        foreach (var token in tokens)
            if (!Converts(token.Value, type))
                return $"{name} expects {expected}; got '{token.Value}'";
        return e.Message;
    }

    /// <summary>The required argument a "required argument missing" error is about.</summary>
    private static Argument? Missing(SymbolResult? result) =>
        result is ArgumentResult { Tokens.Count: 0, Parent: CommandResult } a && a.Argument.Arity.MinimumNumberOfValues > 0 ? a.Argument : null;

    private static string? Expected(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) ? "an integer"
        : type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(byte) ? "a non-negative integer"
        : type == typeof(float) || type == typeof(double) || type == typeof(decimal) ? "a number"
        : type == typeof(bool) ? "true or false"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))
        : null;

    // The conversions System.CommandLine applies (TryParse with the current culture; enum names ignore case).
    private static bool Converts(string value, Type type) =>
        type == typeof(int) ? int.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(long) ? long.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(short) ? short.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(uint) ? uint.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(ulong) ? ulong.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(ushort) ? ushort.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(byte) ? byte.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(float) ? float.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(double) ? double.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(decimal) ? decimal.TryParse(value, CultureInfo.CurrentCulture, out _)
        : type == typeof(bool) ? bool.TryParse(value, out _)
        : !type.IsEnum || Enum.TryParse(type, value, ignoreCase: true, out _);
}
